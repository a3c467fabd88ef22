"""NCCI add-on code (AOC) edits: the CMS quarterly table as .xlsx or .csv.

Layout (``AOC_V2026Q2-MCR.xlsx``): one sheet, row 1 the AMA notice, row 2 the header, then one row per
add-on/primary pair. The ``.csv`` export has the header first. Columns: ``AOC_Edit_Type`` (1, 2, 3),
``Add-On_Code``, ``AOC_DelDT``, ``Primary_Code`` (``CCCCC`` = primary codes defined by the contractor:
kept as is, it is not a code), ``Primary_Code_DelDT``, ``AOC_Edit_EffDT``, ``AOC_Edit_DelDT``,
``Special_Instruction_Notes``. Dates are Julian ``YYYYDDD``; blank means no deletion.

The release is named after the version in the file name (``AOC_V2026Q2`` -> ``2026 Q2``, effective
2026-04-01). The add-on codes are flagged ``ProcedureCode.is_add_on``. Counts are keyed by (add-on code,
primary code, edit effective date); a row that gained an edit deletion date is terminated, rows missing
from the new file too.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date

from ..choices import Source
from ..models import AddOnEdit, ProcedureCode, Release
from .base import BaseImporter, Counts, diff_counts, ensure_codes_exist, parse_julian, read_text
from .ptp import CODE_SHAPE

VERSION_IN_NAME = re.compile(r"AOC_V(\d{4})Q([1-4])", re.IGNORECASE)
CONTRACTOR_DEFINED = "CCCCC"
COLUMNS = (
    "AOC_Edit_Type",
    "Add-On_Code",
    "AOC_DelDT",
    "Primary_Code",
    "Primary_Code_DelDT",
    "AOC_Edit_EffDT",
    "AOC_Edit_DelDT",
    "Special_Instruction_Notes",
)
NOTES_MAX = AddOnEdit._meta.get_field("notes").max_length


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class AOCImporter(BaseImporter):
    """Import one quarter of NCCI add-on code edits."""

    source = Source.AOC

    def detect_release(self) -> tuple[str, date]:
        match = VERSION_IN_NAME.search(self.path.name)
        if not match:
            raise self.error(
                "cannot tell the version from the file name (expected AOC_V2026Q2...); "
                "pass --release and --effective-date"
            )
        year, quarter = int(match.group(1)), int(match.group(2))
        return f"{year} Q{quarter}", date(year, 3 * (quarter - 1) + 1, 1)

    def clear_release(self, release: Release) -> None:
        AddOnEdit.objects.filter(release=release).delete()

    # --- reading --------------------------------------------------------------------------------
    def records(self) -> Iterator[tuple[int, list[str]]]:
        """(line or spreadsheet row number, cells) for every row of the file."""
        if self.path.suffix.lower() == ".xlsx":
            yield from self._xlsx_records()
            return
        text = read_text(self.path, self.encodings)
        reader = csv.reader(io.StringIO(text, newline=""))
        for record in reader:
            yield reader.line_num, [cell.strip() for cell in record]

    def _xlsx_records(self) -> Iterator[tuple[int, list[str]]]:
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(self.path, read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for a damaged file
            raise self.error(f"not a readable .xlsx workbook ({error.__class__.__name__})") from None
        try:
            sheet = workbook.worksheets[0]
            for number, row in enumerate(sheet.iter_rows(values_only=True), 1):
                yield number, [_cell(value) for value in row]
        finally:
            workbook.close()

    def parse(self) -> list[tuple]:
        rows: list[tuple] = []
        header: list[str] | None = None
        seen: dict[tuple, int] = {}
        for line, cells in self.records():
            if header is None:
                if cells and cells[0] == COLUMNS[0]:
                    header = cells
                    missing = [name for name in COLUMNS if name not in header]
                    if missing:
                        raise self.error(f"missing column(s) {', '.join(missing)}", line=line)
                    index = [header.index(name) for name in COLUMNS]
                elif line >= 5:
                    raise self.error(f"not a CMS add-on code file: no '{COLUMNS[0]}' header row at the top")
                continue
            if not any(cells):
                continue
            while len(cells) > len(header) and not cells[-1]:
                cells.pop()
            if len(cells) != len(header):
                raise self.error(f"expected {len(header)} columns, found {len(cells)}", line=line)
            values = [cells[i] for i in index]
            row = self._row(values, line)
            if _key(row) in seen:
                raise self.error(
                    f"the edit {row[0]} with {row[1]} effective {row[5]} already appears on line {seen[_key(row)]}",
                    line=line,
                    field=COLUMNS[1],
                )
            seen[_key(row)] = line
            rows.append(row)
        if header is None:
            raise self.error("the file is empty")
        if not rows:
            raise self.error("the file holds no add-on code rows")
        return rows

    def _row(self, values: list[str], line: int) -> tuple:
        edit_type, add_on, add_on_del, primary, primary_del, effective, deletion, notes = values
        if edit_type not in ("1", "2", "3"):
            raise self.error(f"'{edit_type}' is not an edit type (1, 2 or 3)", line=line, field=COLUMNS[0])
        add_on = add_on.upper()
        primary = primary.upper()
        if not CODE_SHAPE.fullmatch(add_on):
            raise self.error(f"'{add_on}' is not a 5-character procedure code", line=line, field=COLUMNS[1])
        if not CODE_SHAPE.fullmatch(primary):
            raise self.error(f"'{primary}' is not a 5-character procedure code", line=line, field=COLUMNS[3])
        if len(notes) > NOTES_MAX:
            raise self.error(f"longer than {NOTES_MAX} characters", line=line, field=COLUMNS[7])
        dates = [
            parse_julian(value, path=self.path, line=line, field=name)
            for value, name in (
                (add_on_del, COLUMNS[2]),
                (primary_del, COLUMNS[4]),
                (effective, COLUMNS[5]),
                (deletion, COLUMNS[6]),
            )
        ]
        return (add_on, primary, int(edit_type), *dates, notes)

    # --- loading --------------------------------------------------------------------------------
    def load(self, release: Release, previous: Release | None) -> Counts:
        rows = self.parse()
        fields = (
            "add_on_code",
            "primary_code",
            "edit_type",
            "add_on_deletion_date",
            "primary_deletion_date",
            "effective_date",
            "deletion_date",
            "notes",
        )
        AddOnEdit.objects.bulk_create(
            [AddOnEdit(release=release, **dict(zip(fields, row, strict=True))) for row in rows], batch_size=2000
        )
        add_ons = {row[0] for row in rows}
        primaries = {row[1] for row in rows if row[1] != CONTRACTOR_DEFINED}
        note = f"NCCI add-on code edits {release.label}"
        ensure_codes_exist(add_ons | primaries, note=note)
        ProcedureCode.objects.filter(code__in=add_ons, is_add_on=False).update(is_add_on=True)
        current = {_key(row): row for row in rows}
        before = None
        if previous is not None:
            before = {_key(row): row for row in AddOnEdit.objects.filter(release=previous).values_list(*fields)}
        return diff_counts(before, current, terminated_now=lambda old, new: old[6] is None and new[6] is not None)


def _key(row: tuple) -> tuple:
    return (row[0], row[1], row[5])
