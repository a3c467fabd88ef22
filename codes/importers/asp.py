"""Medicare Part B drug ASP payment limits: the CMS quarterly payment limit CSV.

Layout (``ASP_Jan2026_payment_limits...csv``): preamble lines (title, ``Effective January 1, 2026 through
March 31, 2026``, notes), then the header ``HCPCS Code, Short Description, HCPCS Code Dosage, Payment
Limit, Co-insurance Percentage, ...`` and one row per code. The dosage is the billing unit as CMS states
it (``10 MG``); where it is a plain amount and unit it is also stored parsed (10, ``MG``). A payment limit
of ``N/A`` is stored as none.

The release is the quarter's first month (``2026 January``, effective 2026-01-01), taken from the
preamble's "Effective ..." line or else from the file name (``ASP_Jan2026``). The NDC-HCPCS crosswalk
(``codes.importers.ndc``) shares these helpers.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ..choices import Source
from ..models import ASPLimit, Release
from .base import BaseImporter, Counts, ImportFileError, diff_counts, ensure_codes_exist, read_text
from .ptp import CODE_SHAPE

MONTHS = {
    name: number
    for number, name in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        1,
    )
}
EFFECTIVE_LINE = re.compile(r"Effective\s+([A-Za-z]+)\s+(\d{1,2}),\s*(\d{4})", re.IGNORECASE)
NAME_MONTH = re.compile(r"ASP_([A-Za-z]{3,9})[ _-]?(\d{4})", re.IGNORECASE)
# A plain billing unit: amount then unit words ("10 MG", ".625 GM", "1,000 UNITS", "1 SQ CM").
PLAIN_DOSAGE = re.compile(r"(\d[\d,]*(?:\.\d+)?|\.\d+)\s*([A-Za-z]+(?:\s[A-Za-z]+)?)")
DOSAGE_MAX = ASPLimit._meta.get_field("dosage").max_length
UNIT_MAX = ASPLimit._meta.get_field("dosage_unit").max_length
PREAMBLE_LINES = 30  # the header row must appear within this many records


def month_release(year: int, month: int) -> tuple[str, date]:
    name = next(n for n, m in MONTHS.items() if m == month)
    return f"{year} {name.capitalize()}", date(year, month, 1)


def release_from_file(path: Path, text: str) -> tuple[str, date] | None:
    """(label, effective) from the preamble's 'Effective <Month> <d>, <yyyy>' line, else from the file name."""
    for line in text.splitlines()[:PREAMBLE_LINES]:
        match = EFFECTIVE_LINE.search(line)
        if match and match.group(1).lower() in MONTHS:
            year, month, day = int(match.group(3)), MONTHS[match.group(1).lower()], int(match.group(2))
            label, _ = month_release(year, month)
            try:
                return label, date(year, month, day)
            except ValueError:
                raise ImportFileError(path, f"'{match.group(0)}' is not a date") from None
    match = NAME_MONTH.search(path.name)
    if match:
        month = next((m for n, m in MONTHS.items() if n.startswith(match.group(1).lower()[:3])), None)
        if month:
            return month_release(int(match.group(2)), month)
    return None


def table_after_preamble(path: Path, text: str, first_header: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header row (found by its first cell) and the (line, cells) records after it."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    records: list[tuple[int, list[str]]] = []
    for record in reader:
        cells = [cell.strip() for cell in record]
        if header is None:
            if cells and cells[0].lower() == first_header.lower():
                header = cells
            elif reader.line_num > PREAMBLE_LINES:
                break
            continue
        if not any(cells):
            continue
        while len(cells) > len(header) and not cells[-1]:
            cells.pop()
        if len(cells) != len(header):
            raise ImportFileError(path, f"expected {len(header)} columns, found {len(cells)}", line=reader.line_num)
        records.append((reader.line_num, cells))
    if header is None:
        raise ImportFileError(path, f"no header row starting with '{first_header}' in the first lines")
    return header, records


def column_index(path: Path, header: list[str], names: tuple[str, ...]) -> list[int]:
    lowered = [cell.lower() for cell in header]
    missing = [name for name in names if name.lower() not in lowered]
    if missing:
        raise ImportFileError(path, f"missing column(s) {', '.join(missing)}")
    return [lowered.index(name.lower()) for name in names]


def parse_decimal(value: str, *, path: Path, line: int, field: str, na_ok: bool = True) -> Decimal | None:
    value = value.strip().replace(",", "").replace("$", "")
    if not value or (na_ok and value.upper() in ("N/A", "NA")):
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ImportFileError(path, f"'{value}' is not a number", line=line, field=field) from None
    if not number.is_finite() or number < 0:
        raise ImportFileError(path, f"'{value}' is not a positive number", line=line, field=field)
    return number


def parse_dosage(text: str) -> tuple[Decimal | None, str]:
    """'10 MG' -> (10, 'MG'); anything but a plain amount and unit -> (None, '')."""
    match = PLAIN_DOSAGE.fullmatch(" ".join(text.split()))
    if not match or len(match.group(2)) > UNIT_MAX:
        return None, ""
    return Decimal(match.group(1).replace(",", "")), match.group(2).upper()


def check_code(value: str, *, path: Path, line: int, field: str) -> str:
    code = value.strip().upper()
    if not CODE_SHAPE.fullmatch(code):
        raise ImportFileError(path, f"'{value}' is not a 5-character HCPCS/CPT code", line=line, field=field)
    return code


class ASPImporter(BaseImporter):
    """Import one quarter's ASP payment limits."""

    source = Source.ASP
    columns = ("HCPCS Code", "HCPCS Code Dosage", "Payment Limit", "Co-insurance Percentage")

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
        ASPLimit.objects.filter(release=release).delete()

    def parse(self) -> dict[str, tuple]:
        header, records = table_after_preamble(self.path, self.text(), self.columns[0])
        code_at, dosage_at, limit_at, coinsurance_at = column_index(self.path, header, self.columns)
        rows: dict[str, tuple] = {}
        for line, cells in records:
            code = check_code(cells[code_at], path=self.path, line=line, field=self.columns[0])
            if code in rows:
                raise self.error(f"code {code} appears twice", line=line, field=self.columns[0])
            dosage = " ".join(cells[dosage_at].split())
            amount, unit = parse_dosage(dosage)
            limit = parse_decimal(cells[limit_at], path=self.path, line=line, field=self.columns[2])
            coinsurance = parse_decimal(cells[coinsurance_at], path=self.path, line=line, field=self.columns[3])
            if coinsurance is not None and coinsurance > 100:
                raise self.error(f"'{cells[coinsurance_at]}' is over 100 %", line=line, field=self.columns[3])
            # The model keeps 120 characters of the dosage text (the longest CMS text, CAR-T, has 91).
            rows[code] = (dosage[:DOSAGE_MAX], amount, unit, limit, coinsurance)
        if not rows:
            raise self.error("the file holds no payment limit rows")
        return rows

    def load(self, release: Release, previous: Release | None) -> Counts:
        rows = self.parse()
        ASPLimit.objects.bulk_create(
            [
                ASPLimit(
                    release=release,
                    code=code,
                    dosage=dosage,
                    dosage_amount=amount,
                    dosage_unit=unit,
                    payment_limit=limit,
                    coinsurance_percent=coinsurance,
                )
                for code, (dosage, amount, unit, limit, coinsurance) in rows.items()
            ],
            batch_size=2000,
        )
        ensure_codes_exist(rows, note=f"ASP payment limits {release.label}")
        before = None
        if previous is not None:
            before = {
                code: (dosage, _norm(limit), _norm(coinsurance))
                for code, dosage, limit, coinsurance in ASPLimit.objects.filter(release=previous).values_list(
                    "code", "dosage", "payment_limit", "coinsurance_percent"
                )
            }
        current = {code: (row[0], _norm(row[3]), _norm(row[4])) for code, row in rows.items()}
        return diff_counts(before, current)


def _norm(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.normalize()
