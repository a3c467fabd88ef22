"""ICD-10-CM code files, one edition per federal fiscal year (``manage.py import_icd10cm FILE``).

Reads, as a plain file or inside CMS's zip (``codes.importers.archives`` limits apply):

* the **order** file ``icd10cm_order_2025.txt`` (headers and billable codes, with the billable flag):
  the file to prefer;
* the **codes** file ``icd10cm_codes_2025.txt`` (billable codes only): the edition then lists no
  header, and ``DiagnosisCodeSet`` treats every shorter beginning of a billable code as a header;
* ClaimDesk's **edition** file ``fy2025.tsv.gz`` (``codes/icd10cm_editions/``, gzip-compressed).

In a zip the order file is taken when there is one, else the codes file (the addenda and the PDF
are ignored). The fiscal year comes from ``--fiscal-year``, else from the one year the file name (or
the zip member's name) carries (``icd10cm_order_2025.txt`` -> FY2025), else from ``--effective-date``;
without any, the import stops and says so (and so it does for an effective date outside the fiscal
year). The release is labelled ``FY2025`` and is effective from the fiscal year's first day
(2024-10-01) unless ``--effective-date`` says otherwise (an April update file:
``--effective-date 2025-04-01``, still FY2025). Importing another file for the same fiscal year
replaces that edition's codes (same label); the same file twice changes nothing. Headers are told
from unknown codes only with the order file; with the codes file, a shorter beginning of a billable
code counts as a header (``codes.icd10cm.DiagnosisCodeSet``).

Counts compare each code's (billable, description) with the edition of the previous fiscal year.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.db import connection

from ..choices import Source
from ..icd10cm import (
    PARSERS,
    SHIPPED_BY,
    DiagnosisCodeSet,
    LineProblem,
    fiscal_year,
    fiscal_year_start,
    parse_edition_lines,
    sniff_format,
)
from ..models import DiagnosisCode, Release
from .archives import check_archive, is_archive, open_gzip_text, open_member
from .base import BaseImporter, Counts, ImportFileError, diff_counts, progress

BATCH = 5000
_YEAR = re.compile(r"(?<!\d)(20\d{2})(?!\d)")
_ORDER_MEMBER = re.compile(r"icd10cm[-_ ]?order[^/]*\.txt$", re.IGNORECASE)
_CODES_MEMBER = re.compile(r"icd10cm[-_ ]?codes[^/]*\.txt$", re.IGNORECASE)
FIRST_FISCAL_YEAR = 2016  # ICD-10-CM took effect on 2015-10-01


def years_in(name: str) -> set[int]:
    return {int(year) for year in _YEAR.findall(name)}


def release_label(year: int) -> str:
    return f"FY{year}"


class ICD10CMImporter(BaseImporter):
    """One ICD-10-CM edition (a fiscal year's code set) from a CMS order or codes file, or an edition file."""

    source = Source.ICD10CM

    def __init__(self, path: str | Path, *, fiscal_year: int | None = None, **options: Any):
        super().__init__(path, **options)
        self.fiscal_year_option = fiscal_year
        self.member: str | None = None  # the zip member read, when the file is a zip

    # --- which file, which year ---------------------------------------------------------------
    def choose_member(self) -> str | None:
        """The member of a zip to read (order file first), or None for a plain file."""
        if not is_archive(self.path):
            return None
        names = [info.filename for info in check_archive(self.path)]
        for pattern in (_ORDER_MEMBER, _CODES_MEMBER):
            found = sorted(name for name in names if pattern.search(name) and "addend" not in name.lower())
            if found:
                return found[0]
        shown = ", ".join(names[:10]) or "no files"
        raise self.error(
            f"the zip holds no ICD-10-CM order or codes file (icd10cm_order_<year>.txt, icd10cm_codes_<year>.txt); "
            f"it holds {shown}"
        )

    def detect_fiscal_year(self) -> int:
        if self.fiscal_year_option is not None:
            return self.fiscal_year_option
        names = [self.path.name] + ([self.member] if self.member else [])
        for name in names:
            years = years_in(Path(name).name)
            if len(years) == 1:
                return years.pop()
            if len(years) > 1:
                raise self.error(
                    f"the file name names several years ({', '.join(map(str, sorted(years)))}); "
                    "give the fiscal year with --fiscal-year"
                )
        if self.effective_option is not None:
            return fiscal_year(self.effective_option)
        raise self.error(
            "cannot tell the fiscal year from the file name (expected e.g. icd10cm_order_2025.txt); "
            "give it with --fiscal-year (FY2025 runs from 2024-10-01 to 2025-09-30)"
        )

    def release_identity(self) -> tuple[str, date]:
        self.member = self.choose_member()
        year = self.detect_fiscal_year()
        if not FIRST_FISCAL_YEAR <= year <= 2100:
            raise self.error(f"fiscal year {year} is outside {FIRST_FISCAL_YEAR}-2100 (ICD-10-CM began in FY2016)")
        effective = self.effective_option or fiscal_year_start(year)
        if fiscal_year(effective) != year:
            raise self.error(
                f"the effective date {effective.isoformat()} is not in fiscal year {year} "
                f"({fiscal_year_start(year).isoformat()} to {year}-09-30)"
            )
        self.fiscal_year = year
        return self.label_option or release_label(year), effective

    # --- reading ---------------------------------------------------------------------------------
    def read_lines(self) -> list[str]:
        if self.member is not None:
            with open_member(self.path, self.member) as stream:
                data = stream.read()
            return self._decode(data, self.member).splitlines()
        if self.path.name.lower().endswith(".gz"):
            try:
                with open_gzip_text(self.path) as stream:
                    return stream.read().splitlines()
            except (OSError, EOFError, UnicodeDecodeError) as error:
                raise self.error(f"not a readable gzip-compressed UTF-8 file ({error.__class__.__name__})") from None
        return self._decode(self.path.read_bytes(), self.path.name).splitlines()

    def _decode(self, data: bytes, name: str) -> str:
        if not data.strip():
            raise self.error(f"{name} is empty")
        for encoding in self.encodings:
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
        raise self.error(f"{name} is not in the expected text encoding ({', '.join(self.encodings)})")

    def parse(self) -> dict[str, tuple[bool, str]]:
        """code -> (billable, description), validated: nothing is written before the whole file is read."""
        lines = self.read_lines()
        first = next((line for line in lines if line.strip()), "")
        self.format = sniff_format(first)
        rows: dict[str, tuple[bool, str]] = {}
        seen_line: dict[str, int] = {}
        try:
            for row in progress(PARSERS[self.format](lines), total=len(lines), desc="ICD-10-CM"):
                if row.code in rows:
                    raise LineProblem(f"{row.code} appears twice (first on line {seen_line[row.code]})", line=row.line,
                                      field="code")  # fmt: skip
                rows[row.code] = (row.billable, row.description)
                seen_line[row.code] = row.line
        except LineProblem as problem:
            where = f"{self.member}: " if self.member else ""
            raise ImportFileError(self.path, where + problem.message, line=problem.line, field=problem.field) from None
        if not rows:
            raise self.error("the file holds no codes")
        if not any(billable for billable, _ in rows.values()):
            raise self.error("the file holds no billable code")
        return rows

    # --- writing ---------------------------------------------------------------------------------
    def clear_release(self, release: Release) -> None:
        DiagnosisCode.objects.filter(release=release).delete()

    def previous_release(self, source: str, effective: date, exclude_label: str) -> Release | None:
        """The edition of an earlier fiscal year closest to this one (for the counts), else None."""
        return (
            Release.objects.filter(source=source, effective_date__lt=fiscal_year_start(fiscal_year(effective)))
            .exclude(label=exclude_label)
            .order_by("-effective_date", "-imported_at")
            .first()
        )

    def load(self, release: Release, previous: Release | None) -> Counts:
        rows = self.parse()
        insert_rows(release.pk, rows)
        before = None
        if previous is not None:
            before = {
                code: (billable, description)
                for code, billable, description in DiagnosisCode.objects.filter(release=previous)
                .values_list("code", "billable", "description")
                .iterator(chunk_size=BATCH)
            }
        return diff_counts(before, rows)


def insert_rows(release_id: int, rows: dict[str, tuple[bool, str]]) -> None:
    """Write an edition's ~100,000 rows with the database's own bulk path, inside the import's transaction:
    ``COPY ... FROM STDIN`` on PostgreSQL, ``executemany`` on SQLite (``bulk_create`` takes ten times as long)."""
    table = DiagnosisCode._meta.db_table
    columns = ("release_id", "code", "billable", "description")
    values = ((release_id, code, billable, description) for code, (billable, description) in rows.items())
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)
    elif connection.vendor == "sqlite":
        cursor = connection.connection.cursor()  # the sqlite3 connection, inside Django's transaction
        cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES (?, ?, ?, ?)", values)
    else:  # pragma: no cover - ClaimDesk runs on SQLite and PostgreSQL
        DiagnosisCode.objects.bulk_create(
            (DiagnosisCode(release_id=release_id, code=code, billable=billable, description=description)
             for _, code, billable, description in values),
            batch_size=BATCH,
        )  # fmt: skip


# --- the editions shipped with ClaimDesk (codes/icd10cm_editions/, see its README) ------------------

EDITIONS_DIR = Path(__file__).resolve().parent.parent / "icd10cm_editions"


@dataclass(frozen=True)
class ShippedEdition:
    fiscal_year: int
    file_name: str
    code_set: str  # which CMS code set the file holds, for the label

    @property
    def label(self) -> str:
        return f"FY{self.fiscal_year} shipped ({self.code_set})"

    @property
    def path(self) -> Path:
        return EDITIONS_DIR / self.file_name

    def read_code_set(self) -> DiagnosisCodeSet:
        """The edition's codes in memory, read from its file without the database (tests of the rules)."""
        with gzip.open(self.path, "rt", encoding="utf-8") as stream:
            return DiagnosisCodeSet((row.code, row.billable) for row in parse_edition_lines(stream))


def shipped_edition(year: int) -> ShippedEdition:
    """The shipped edition of fiscal year ``year`` (``ValueError`` when none is shipped)."""
    for edition in SHIPPED_EDITIONS:
        if edition.fiscal_year == year:
            return edition
    raise ValueError(f"no shipped ICD-10-CM edition for fiscal year {year}")


SHIPPED_EDITIONS: tuple[ShippedEdition, ...] = (
    ShippedEdition(2021, "fy2021.tsv.gz", "January 2021 code set"),
    ShippedEdition(2022, "fy2022.tsv.gz", "April 2022 code set"),
    ShippedEdition(2023, "fy2023.tsv.gz", "April 2023 code set"),
    ShippedEdition(2024, "fy2024.tsv.gz", "October 2023 code set"),
    ShippedEdition(2025, "fy2025.tsv.gz", "April 2025 code set"),
    ShippedEdition(2026, "fy2026.tsv.gz", "April 2026 code set"),
)


class ShippedICD10CMImporter(ICD10CMImporter):
    """One shipped edition: a complete code set (not a starter subset), so ``is_starter`` stays False; it is
    recognised by ``imported_by`` (``SHIPPED_BY``), and an edition imported from a CMS file for the same
    fiscal year takes precedence over it (``codes.selectors.ICD10CMEditions``)."""

    def __init__(self, edition: ShippedEdition, **options: Any):
        options.setdefault("imported_by", SHIPPED_BY)
        super().__init__(edition.path, fiscal_year=edition.fiscal_year, label=edition.label, **options)


def shipped_importers(fiscal_years: Iterable[int] | None = None) -> list[ShippedICD10CMImporter]:
    """Importers of the shipped editions (of the given fiscal years only, when given: a test loads what it needs)."""
    wanted = None if fiscal_years is None else set(fiscal_years)
    unknown = (wanted or set()) - {edition.fiscal_year for edition in SHIPPED_EDITIONS}
    if unknown:
        raise ValueError(f"no shipped ICD-10-CM edition for fiscal year(s) {', '.join(map(str, sorted(unknown)))}")
    return [
        ShippedICD10CMImporter(edition)
        for edition in SHIPPED_EDITIONS
        if wanted is None or edition.fiscal_year in wanted
    ]
