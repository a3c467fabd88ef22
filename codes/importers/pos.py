"""Places of service: the CMS POS code set as CSV (``pos_codes_2024-06.csv``).

Columns ``pos_code`` (two digits), ``pos_type`` (Facility / Non-Facility / Unassigned), ``pos_name``,
``pos_description``. Rows are updated in place (a catalogue). The release is named from the
``YYYY-MM`` in the file name ("2024-06"), effective the first of that month.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date

from ..choices import FacilityType, Source
from ..models import PlaceOfService, Release
from .base import BaseImporter, Counts, read_text
from .hcpcs import load_catalogue

COLUMNS = ("pos_code", "pos_type", "pos_name", "pos_description")
FACILITY_TYPES = {
    "facility": FacilityType.FACILITY,
    "non_facility": FacilityType.NON_FACILITY,
    "nonfacility": FacilityType.NON_FACILITY,
    "unassigned": FacilityType.UNASSIGNED,
}
POS_FIELDS = ("name", "description", "facility_type")
_MONTH = re.compile(r"(?<!\d)(\d{4})-(0[1-9]|1[0-2])(?!\d)")


class POSImporter(BaseImporter):
    source = Source.POS

    def detect_release(self) -> tuple[str, date]:
        match = _MONTH.search(self.path.name)
        if not match:
            raise self.error(
                "cannot tell the release from the file name (expected a YYYY-MM such as pos_codes_2024-06.csv); "
                "give --release and --effective-date"
            )
        return f"{match.group(1)}-{match.group(2)}", date(int(match.group(1)), int(match.group(2)), 1)

    def parse(self) -> dict[str, dict]:
        text = read_text(self.path, self.encodings)
        reader = csv.reader(io.StringIO(text, newline=""))
        header = [cell.strip().lower() for cell in next(reader, [])]
        missing = [name for name in COLUMNS if name not in header]
        if missing:
            raise self.error(f"the header row lacks {', '.join(missing)}", line=1, field=missing[0])
        index = {name: header.index(name) for name in COLUMNS}
        wanted: dict[str, dict] = {}
        for row in reader:
            number = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) < len(header):
                raise self.error(
                    f"the row has {len(row)} fields, the header {len(header)}: the row is truncated",
                    line=number,
                    field=header[len(row)],
                )
            code = row[index["pos_code"]].strip()
            if code.isdigit() and len(code) == 1:
                code = "0" + code  # spreadsheets drop the leading zero
            if not re.fullmatch(r"\d\d", code) or code == "00":
                raise self.error(f"'{code}' is not a two-digit place of service code", line=number, field="pos_code")
            if code in wanted:
                raise self.error(f"{code} appears twice", line=number, field="pos_code")
            kind = re.sub(r"[\s\-]+", "_", row[index["pos_type"]].strip().lower())
            if kind not in FACILITY_TYPES:
                raise self.error(
                    f"'{row[index['pos_type']]}' is not Facility, Non-Facility or Unassigned",
                    line=number,
                    field="pos_type",
                )
            name = " ".join(row[index["pos_name"]].split())
            if not name:
                raise self.error(f"{code} has no name", line=number, field="pos_name")
            wanted[code] = {
                "name": name[:120],
                "description": " ".join(row[index["pos_description"]].split()),
                "facility_type": FACILITY_TYPES[kind],
            }
        if not wanted:
            raise self.error("the file holds a header row but no places of service")
        return wanted

    def load(self, release: Release, previous: Release | None) -> Counts:
        return load_catalogue(
            model=PlaceOfService,
            fields=POS_FIELDS,
            wanted=self.parse(),
            release=release,
            previous=previous,
            extra={},
            terminates=False,
        )
