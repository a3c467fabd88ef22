"""The ASP NDC-HCPCS crosswalk: which drug products (NDCs) bill under which HCPCS code.

Layout (``ASP_Jan2026_NDC_HCPCS_crosswalk...csv``): preamble lines (title, ``Effective January 1, 2026
through March 31, 2026``, a paragraph), then the header ``_2026_CODE, Short Description, LABELER NAME,
NDC2, Drug Name, HCPCS dosage, PKG SIZE, PKG QTY, BILLUNITS, BILLUNITSPKG``. ``NDC2`` is the NDC in 5-4-2
form; it is stored as its 11 digits without dashes.

CMS also lists a few products that have no NDC but a 12-digit device identifier (a UPC, e.g. a
hyaluronan billed under J7331). Such a row is kept with its 12 digits (it can never match an NDC on a
claim line); any other value that is not 5-4-2 stops the import.

Release label and effective date as for the ASP payment limits (``2026 January``). Counts are keyed by
(NDC, code).
"""

from __future__ import annotations

import re
from datetime import date

from ..choices import Source
from ..models import NDCCrosswalk, Release
from .asp import check_code, column_index, parse_decimal, release_from_file, table_after_preamble
from .base import BaseImporter, Counts, diff_counts, ensure_codes_exist, read_text

NDC_542 = re.compile(r"(\d{5})-(\d{4})-(\d{2})")
DEVICE_IDENTIFIER = re.compile(r"\d{12}")
COLUMNS = (
    "LABELER NAME",
    "NDC2",
    "Drug Name",
    "HCPCS dosage",
    "PKG SIZE",
    "PKG QTY",
    "BILLUNITS",
    "BILLUNITSPKG",
)
TEXT_MAX = {
    name: NDCCrosswalk._meta.get_field(field).max_length
    for name, field in (("LABELER NAME", "labeler"), ("Drug Name", "drug_name"), ("HCPCS dosage", "hcpcs_dosage"))
}


class NDCCrosswalkImporter(BaseImporter):
    """Import one quarter's NDC-HCPCS crosswalk."""

    source = Source.NDC_CROSSWALK

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)

    def text(self) -> str:
        if not hasattr(self, "_text"):
            self._text = read_text(self.path, self.encodings)
        return self._text

    def detect_release(self) -> tuple[str, date]:
        found = release_from_file(self.path, self.text())
        if found is None:
            raise self.error(
                "cannot tell the quarter: no 'Effective <Month> <day>, <year>' line and no ASP_<Mon><year> "
                "file name; pass --release and --effective-date"
            )
        return found

    def clear_release(self, release: Release) -> None:
        NDCCrosswalk.objects.filter(release=release).delete()

    def parse(self) -> dict[tuple[str, str], tuple]:
        # The code column is named after the year (_2026_CODE): it is the first column of the header.
        text = self.text()
        first = next(
            (
                line.split(",", 1)[0].strip()
                for line in text.splitlines()[:30]
                if re.fullmatch(r"_?\d{4}_CODE", line.split(",", 1)[0].strip(), re.IGNORECASE)
            ),
            None,
        )
        if first is None:
            raise self.error("no header row starting with '_<year>_CODE' in the first lines")
        header, records = table_after_preamble(self.path, text, first)
        index = column_index(self.path, header, COLUMNS)
        rows: dict[tuple[str, str], tuple] = {}
        for line, cells in records:
            code = check_code(cells[0], path=self.path, line=line, field=first)
            labeler, ndc, drug, dosage, *numbers = (cells[i] for i in index)
            match = NDC_542.fullmatch(ndc)
            if match:
                key = ("".join(match.groups()), code)
            elif DEVICE_IDENTIFIER.fullmatch(ndc):
                key = (ndc, code)
            else:
                raise self.error(f"'{ndc}' is not an NDC in 5-4-2 form (e.g. 12345-6789-01)", line=line, field="NDC2")
            if key in rows:
                raise self.error(f"NDC {ndc} with code {code} appears twice", line=line, field="NDC2")
            parsed = [
                parse_decimal(value, path=self.path, line=line, field=name)
                for value, name in zip(numbers, COLUMNS[4:], strict=True)
            ]
            # Descriptive text is kept to the model's lengths.
            texts = (
                labeler[: TEXT_MAX["LABELER NAME"]],
                drug[: TEXT_MAX["Drug Name"]],
                dosage[: TEXT_MAX["HCPCS dosage"]],
            )
            rows[key] = (*texts, *parsed)
        if not rows:
            raise self.error("the file holds no crosswalk rows")
        return rows

    def load(self, release: Release, previous: Release | None) -> Counts:
        rows = self.parse()
        fields = (
            "labeler",
            "drug_name",
            "hcpcs_dosage",
            "package_size",
            "package_quantity",
            "billing_units",
            "billing_units_per_package",
        )
        NDCCrosswalk.objects.bulk_create(
            [
                NDCCrosswalk(release=release, ndc=ndc, code=code, **dict(zip(fields, row, strict=True)))
                for (ndc, code), row in rows.items()
            ],
            batch_size=2000,
        )
        ensure_codes_exist({code for _, code in rows}, note=f"ASP NDC-HCPCS crosswalk {release.label}")
        before = None
        if previous is not None:
            before = {
                (ndc, code): _norm(row)
                for ndc, code, *row in NDCCrosswalk.objects.filter(release=previous).values_list("ndc", "code", *fields)
            }
        return diff_counts(before, {key: _norm(row) for key, row in rows.items()})


def _norm(row) -> tuple:
    return tuple(value.normalize() if hasattr(value, "normalize") else value for value in row)
