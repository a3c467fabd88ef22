"""A licensed CPT data file, as CSV: the AMA's descriptors for the CPT codes a practice licenses.

ClaimDesk ships no CPT descriptors (they are AMA property); a licensee loads their own file with
``manage.py import_cpt FILE``.

Format
------
* CSV (comma-separated, optional double quotes), UTF-8 (with or without BOM) or Windows-1252.
* The first row is a header. Column names are matched case-insensitively, spaces, hyphens and
  underscores alike; other columns are ignored:

  - the code: ``code`` (also ``CPT Code``, ``CPT``, ``HCPCS``);
  - at least one descriptor: ``long_descriptor``, ``medium_descriptor``, ``short_descriptor``
    (also ``Long Descriptor``, ``Long Description``, ``Medium Description``, ``Short Description``...).

* One row per code. Every code must be a CPT code (``99213``, ``0001F``, ``0591T``, ``0001U``...);
  a HCPCS Level II or malformed code stops the import at that line.
* The long descriptor (else medium, else short) becomes the code's description; the short
  descriptor (else medium) its short description. A descriptor beginning "Unlisted" marks the code
  unlisted.
* Release label: ``--release``, else the file name without extension. Effective date:
  ``--effective-date``, else January 1 of a year in the file name (``cpt_2026.csv``), else the
  import stops and asks for ``--effective-date``.

Example::

    code,long_descriptor,short_descriptor
    99213,<your licensed long descriptor>,<your licensed short descriptor>

Codes of the previous CPT release missing from the new file are terminated the day before the new
release takes effect. ClaimDesk's own plain-language labels are kept.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date

from ..choices import CodeOrigin, CodeSystem, Source
from ..classify import classify
from ..models import ProcedureCode, Release
from .base import BaseImporter, Counts, progress, read_text
from .hcpcs import load_catalogue

COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "code": ("code", "cpt_code", "cpt", "hcpcs", "hcpcs_code", "cpt_code_number"),
    "long": ("long_descriptor", "long_description", "long_desc", "long"),
    "medium": ("medium_descriptor", "medium_description", "medium_desc", "medium"),
    "short": ("short_descriptor", "short_description", "short_desc", "short"),
}
CPT_FIELDS = (
    "system",
    "cpt_category",
    "hcpcs_section",
    "section",
    "short_description",
    "long_description",
    "termination_date",
    "is_unlisted",
)
_YEAR = re.compile(r"(?<!\d)(19[89]\d|20\d\d)(?!\d)")


def _column_key(name: str) -> str:
    return re.sub(r"[\s\-_]+", "_", name.strip().lower()).strip("_")


class CPTImporter(BaseImporter):
    """Load a licensed CPT CSV into ``procedure_codes`` (system CPT, origin cpt_file)."""

    source = Source.CPT

    def detect_release(self) -> tuple[str, date]:
        label = self.path.stem
        match = _YEAR.search(self.path.name)
        if self.effective_option is None and match is None:
            raise self.error(
                "the file name names no year, so the release's effective date is unknown; "
                "give --effective-date YYYY-MM-DD"
            )
        return label, date(int(match.group(1)), 1, 1) if match else self.effective_option

    def parse(self) -> dict[str, dict]:
        text = read_text(self.path, self.encodings)
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader, None)
        if not header or not any(cell.strip() for cell in header):
            raise self.error("the first row must be a header naming the code and descriptor columns", line=1)
        keys = [_column_key(cell) for cell in header]
        where: dict[str, int] = {}
        for role, aliases in COLUMN_ALIASES.items():
            for alias in aliases:
                if alias in keys:
                    where[role] = keys.index(alias)
                    break
        if "code" not in where:
            raise self.error("the header has no 'code' column (or 'CPT Code')", line=1, field="code")
        if not {"long", "medium", "short"} & where.keys():
            raise self.error(
                "the header has no descriptor column: long_descriptor, medium_descriptor or short_descriptor",
                line=1,
                field="long_descriptor",
            )
        wanted: dict[str, dict] = {}
        first_line: dict[str, int] = {}
        for row in progress(reader, desc="CPT", unit="rows"):
            number = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) < len(header):
                raise self.error(
                    f"the row has {len(row)} fields, the header {len(header)}: the row is truncated",
                    line=number,
                    field=header[len(row)].strip(),
                )
            raw = row[where["code"]]
            result = classify(raw)
            if not result:
                raise self.error(result.reason, line=number, field=header[where["code"]].strip())
            if result.system != CodeSystem.CPT:
                raise self.error(
                    f"{result.code} is a HCPCS Level II code, not CPT (load those with import_hcpcs)",
                    line=number,
                    field=header[where["code"]].strip(),
                )
            if result.code in wanted:
                raise self.error(
                    f"{result.code} appears twice (first on line {first_line[result.code]})",
                    line=number,
                    field=header[where["code"]].strip(),
                )
            texts = {role: " ".join(row[where[role]].split()) for role in ("long", "medium", "short") if role in where}
            long_text = texts.get("long") or texts.get("medium") or texts.get("short") or ""
            short_text = texts.get("short") or texts.get("medium") or ""
            if not long_text:
                raise self.error(f"{result.code} has no descriptor", line=number, field="long_descriptor")
            first_line[result.code] = number
            wanted[result.code] = {
                "system": CodeSystem.CPT,
                "cpt_category": result.category,
                "hcpcs_section": "",
                "section": result.section,
                "short_description": short_text[:100],
                "long_description": long_text,
                "termination_date": None,
                "is_unlisted": long_text.lower().startswith("unlisted"),
            }
        if not wanted:
            raise self.error("the file holds a header row but no codes")
        return wanted

    def load(self, release: Release, previous: Release | None) -> Counts:
        return load_catalogue(
            model=ProcedureCode,
            fields=CPT_FIELDS,
            wanted=self.parse(),
            release=release,
            previous=previous,
            extra={"origin": CodeOrigin.CPT_FILE, "origin_note": ""},
        )
