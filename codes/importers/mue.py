"""NCCI medically unlikely edits (MUE): the three CMS CSV tables (practitioner, outpatient hospital, DME).

Layout (``MCR_MUE_PractitionerServices_Eff_04-01-2026.csv``): Windows-1252, CRLF; record 1 is the quoted
multi-line AMA notice; record 2 the header, whose first cell holds an embedded newline
(``"HCPCS/\\nCPT Code"``) and whose second cell names the setting (``Practitioner Services MUE Values``);
then ``code, value, "2 Date of Service Edit: Policy", rationale``. The adjudication indicator (MAI) is
the leading digit of column 3; a value of 0 is a real limit (no units payable).

The release is named after the effective date in the file name (``Eff_04-01-2026`` -> ``2026 Q2``,
effective 2026-04-01). Counts compare each code's (value, MAI, rationale) with the previous release;
codes missing from the new file are terminated.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path
from typing import Any

from ..choices import MUE_SOURCE, MUEServiceType
from ..models import MUELimit, Release
from .base import BaseImporter, Counts, diff_counts, ensure_codes_exist, read_text
from .ptp import CODE_SHAPE

EFFECTIVE_IN_NAME = re.compile(r"Eff_(\d{2})-(\d{2})-(\d{4})", re.IGNORECASE)
# The second header cell names the table's setting.
HEADER_SETTING = {
    "practitioner services mue values": MUEServiceType.PRACTITIONER,
    "outpatient hospital services mue values": MUEServiceType.OUTPATIENT_HOSPITAL,
    "dme supplier services mue values": MUEServiceType.DME,
}
FIELDS = ("HCPCS/CPT Code", "MUE Values", "MUE Adjudication Indicator", "MUE Rationale")
RATIONALE_MAX = MUELimit._meta.get_field("rationale").max_length


def quarter_label(effective: date) -> str:
    """'2026 Q2' for a quarter's first day, else the ISO date."""
    if effective.day == 1 and effective.month in (1, 4, 7, 10):
        return f"{effective.year} Q{(effective.month - 1) // 3 + 1}"
    return effective.isoformat()


def _squash(text: str) -> str:
    return " ".join(text.split()).lower()


class MUEImporter(BaseImporter):
    """Import one CMS MUE table for one service type."""

    def __init__(self, path: str | Path, *, service_type: str = "practitioner", **options: Any):
        super().__init__(path, **options)
        try:
            self.service_type = MUEServiceType(service_type)
        except ValueError:
            choices = ", ".join(choice.value for choice in MUEServiceType)
            raise ValueError(f"service_type must be one of {choices}, not {service_type!r}") from None
        self.source = MUE_SOURCE[self.service_type]

    def detect_release(self) -> tuple[str, date]:
        match = EFFECTIVE_IN_NAME.search(self.path.name)
        if not match:
            raise self.error(
                "cannot tell the effective date from the file name (expected ..._Eff_MM-DD-YYYY.csv); "
                "pass --release and --effective-date"
            )
        month, day, year = (int(part) for part in match.groups())
        try:
            effective = date(year, month, day)
        except ValueError:
            raise self.error(f"'{match.group(0)}' in the file name is not a date") from None
        return quarter_label(effective), effective

    def clear_release(self, release: Release) -> None:
        MUELimit.objects.filter(release=release).delete()

    def parse(self) -> dict[str, tuple[int, int, str]]:
        """code -> (value, adjudication indicator, rationale), validated."""
        text = read_text(self.path, self.encodings)
        reader = csv.reader(io.StringIO(text, newline=""))
        header_found = False
        rows: dict[str, tuple[int, int, str]] = {}
        for record in reader:
            line = reader.line_num
            if not header_found:
                if record and _squash(record[0]).replace("/ ", "/") == "hcpcs/cpt code":
                    self._check_header(record, line)
                    header_found = True
                elif reader.line_num > 30:
                    break
                continue
            if not any(cell.strip() for cell in record):
                continue
            cells = [cell.strip() for cell in record]
            while len(cells) > 4 and not cells[-1]:
                cells.pop()
            if len(cells) != 4:
                raise self.error(f"expected 4 columns, found {len(cells)}", line=line)
            code, value, indicator, rationale = cells
            code = code.upper()
            if not CODE_SHAPE.fullmatch(code):
                raise self.error(f"'{code}' is not a 5-character procedure code", line=line, field=FIELDS[0])
            if code in rows:
                raise self.error(f"code {code} appears twice", line=line, field=FIELDS[0])
            if not value.isdigit():
                raise self.error(f"'{value}' is not a whole number of units", line=line, field=FIELDS[1])
            if indicator[:1] not in ("1", "2", "3"):
                raise self.error(
                    f"'{indicator}' does not start with an adjudication indicator 1, 2 or 3", line=line, field=FIELDS[2]
                )
            if len(rationale) > RATIONALE_MAX:
                raise self.error(f"longer than {RATIONALE_MAX} characters", line=line, field=FIELDS[3])
            rows[code] = (int(value), int(indicator[0]), rationale)
        if not header_found:
            raise self.error("not a CMS MUE table: no 'HCPCS/CPT Code' header row found")
        if not rows:
            raise self.error("the file holds no MUE rows")
        return rows

    def _check_header(self, record: list[str], line: int) -> None:
        named = HEADER_SETTING.get(_squash(record[1])) if len(record) > 1 else None
        if named is None:
            raise self.error(
                f"the second header column should name the setting (e.g. 'Practitioner Services MUE Values'), "
                f"found '{record[1] if len(record) > 1 else ''}'",
                line=line,
                field=FIELDS[1],
            )
        if named != self.service_type:
            raise self.error(
                f"this is the {named.label} MUE table but --service-type {self.service_type.value} was given",
                line=line,
            )

    def load(self, release: Release, previous: Release | None) -> Counts:
        rows = self.parse()
        MUELimit.objects.bulk_create(
            [
                MUELimit(
                    release=release,
                    code=code,
                    service_type=self.service_type,
                    value=value,
                    adjudication_indicator=indicator,
                    rationale=rationale,
                )
                for code, (value, indicator, rationale) in rows.items()
            ],
            batch_size=2000,
        )
        ensure_codes_exist(rows, note=f"NCCI MUE {self.service_type.value} {release.label}")
        before = None
        if previous is not None:
            before = {
                code: (value, indicator, rationale)
                for code, value, indicator, rationale in MUELimit.objects.filter(release=previous).values_list(
                    "code", "value", "adjudication_indicator", "rationale"
                )
            }
        return diff_counts(before, rows)
