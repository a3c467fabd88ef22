"""The CMS HCPCS Level II quarterly file: procedure codes and Level II modifiers.

Accepted forms of the same release (``HCPC2026_JAN_ANWEB_01122026.*``):

* the fixed-width ``.txt`` of the record layout (``HCPC2026_recordlayout.txt``): 320-character ASCII
  records; column 11 is the record identification code (RIC): 3 = procedure, 4 = continuation of its
  long description, 7 = modifier (code in columns 4-5), 8 = its continuation. Fields are sliced by
  position (one record is longer than 320 characters; blank lines are skipped);
* the ``.xlsx`` (and its ``.csv`` export): one row per code with the columns ``HCPC``, ``RECID``,
  ``LONG DESCRIPTION``, ``SHORT DESCRIPTION``, ``PRICE1``..``PRICE4``, ``COV``, ``BETOS``,
  ``TOS1``..``TOS5``, ``ADD DT``, ``ACT EFF DT``, ``TERM DT``, ``ACTION CD``.

One file loads two tables in one transaction: ``procedure_codes`` (source HCPCS) and ``modifiers``
(source HCPCS modifiers). Long descriptions are whitespace-normalised, so the .txt and the .xlsx of
one release give the same rows (the .xlsx leaves ``ACT EFF DT`` blank for a few codes).

The release is named from the file name: ``HCPC2026_JAN...`` -> "2026 January", effective 2026-01-01
(APR -> April 1, JUL -> July 1, OCT -> October 1). Codes of the previous HCPCS release missing from
the new file are terminated the day before the new release takes effect.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.db import transaction

from ..choices import CodeOrigin, CodeSystem, ModifierKind, Source
from ..classify import classify
from ..models import Modifier, ProcedureCode, Release
from .base import BaseImporter, Counts, TableResult, _DryRunRollback, diff_counts, parse_yyyymmdd, progress, sha256_of
from .descriptors import is_noc, parse_drug_dose, parse_drug_route

QUARTERS = {"JAN": (1, "January"), "APR": (4, "April"), "JUL": (7, "July"), "OCT": (10, "October")}
_RELEASE_NAME = re.compile(r"HCPC(?P<year>\d{4})[_ -]?(?P<quarter>JAN|APR|JUL|OCT)", re.IGNORECASE)

# Fixed-width fields: name, first and last column (1-based, inclusive), as in the record layout.
TXT_FIELDS: dict[str, tuple[int, int]] = {
    "HCPCS code": (1, 5),
    "sequence number": (6, 10),
    "record identification code": (11, 11),
    "long description": (12, 91),
    "short description": (92, 119),
    "pricing indicator": (120, 127),
    "coverage code": (230, 230),
    "BETOS": (257, 259),
    "type of service": (261, 265),
    "code added date": (269, 276),
    "action effective date": (277, 284),
    "termination date": (285, 292),
    "action code": (293, 293),
}
RECORD_MIN_LENGTH = 293  # a RIC 3/7 record carries fields up to the action code in column 293

SHEET_COLUMNS = (
    "HCPC",
    "RECID",
    "LONG DESCRIPTION",
    "SHORT DESCRIPTION",
    "PRICE1",
    "PRICE2",
    "PRICE3",
    "PRICE4",
    "COV",
    "BETOS",
    "TOS1",
    "TOS2",
    "TOS3",
    "TOS4",
    "TOS5",
    "ADD DT",
    "ACT EFF DT",
    "TERM DT",
    "ACTION CD",
)
# Where a spreadsheet column's date lives, for error messages in the words of the record layout.
SHEET_DATE_FIELDS = {"ADD DT": "added_date", "ACT EFF DT": "action_effective_date", "TERM DT": "termination_date"}

# The ProcedureCode fields this file decides; a code is unchanged when all of them are equal.
CODE_FIELDS = (
    "system",
    "cpt_category",
    "hcpcs_section",
    "section",
    "short_description",
    "long_description",
    "added_date",
    "action_effective_date",
    "termination_date",
    "action_code",
    "coverage_code",
    "pricing_indicators",
    "betos",
    "type_of_service",
    "is_unlisted",
    "is_drug",
    "drug_dose_amount",
    "drug_dose_unit",
    "drug_route",
)
MODIFIER_FIELDS = ("kind", "description", "short_description", "effective_date", "termination_date")
BATCH = 1000

_BIOSIMILARS = re.compile(r"^Q5[1-9]\d\d$")
_DRUG_WORDING = re.compile(r"^\s*(?:injection|infusion),|\bdrug\b|\bvaccine\b", re.IGNORECASE)
_RADIOACTIVE_UNITS = frozenset({"mci", "uci"})


@dataclass
class HCPCSRecord:
    """One procedure or modifier of the file, its description joined across continuation lines."""

    code: str
    is_modifier: bool
    line: int
    long_description: str
    short_description: str
    pricing_indicators: str
    coverage_code: str
    betos: str
    type_of_service: str
    added_date: date | None
    action_effective_date: date | None
    termination_date: date | None
    action_code: str


def release_from_name(name: str) -> tuple[str, date] | None:
    """("2026 January", 2026-01-01) for HCPC2026_JAN_ANWEB_01122026.txt; None when the name does not say."""
    match = _RELEASE_NAME.search(name)
    if not match:
        return None
    year = int(match.group("year"))
    month, month_name = QUARTERS[match.group("quarter").upper()]
    return f"{year} {month_name}", date(year, month, 1)


def drug_facts(code: str, description: str) -> dict[str, Any]:
    """is_drug, dose and route of a HCPCS code from its code and long descriptor.

    Drugs are J codes, biosimilars (Q5101 and up), descriptors starting "Injection," / "Infusion,"
    unclassified drugs (C9399), and other descriptors that state a dose with a route, a radioactive
    dose or the word drug/vaccine (Q0162 "Ondansetron 1 mg, oral ..."). Dose and route are filled
    for drugs only.
    """
    dose = parse_drug_dose(description)
    route = parse_drug_route(description)
    is_drug = (
        code.startswith("J")
        or bool(_BIOSIMILARS.match(code))
        or bool(re.match(r"^\s*(?:injection|infusion),", description, re.IGNORECASE))
        or (is_noc(description) and bool(re.search(r"\bdrugs?\b", description, re.IGNORECASE)))
        or (
            dose is not None
            and (bool(route) or dose[1] in _RADIOACTIVE_UNITS or bool(_DRUG_WORDING.search(description)))
        )
    )
    if not is_drug:
        return {"is_drug": False, "drug_dose_amount": None, "drug_dose_unit": "", "drug_route": ""}
    return {
        "is_drug": True,
        "drug_dose_amount": dose[0] if dose else None,
        "drug_dose_unit": dose[1] if dose else "",
        "drug_route": route,
    }


def _normalise(text: str) -> str:
    return " ".join(text.split())


def _cell(value: Any) -> str:
    """A spreadsheet cell as the text the .txt would hold (numbers without a trailing .0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, date):
        return value.strftime("%Y%m%d")
    return str(value)


class HCPCSImporter(BaseImporter):
    """Load a HCPCS Level II release: ``procedure_codes`` and ``modifiers`` from one file."""

    source = Source.HCPCS
    sources = (Source.HCPCS, Source.HCPCS_MODIFIERS)

    def detect_release(self) -> tuple[str, date]:
        found = release_from_name(self.path.name)
        if found is None:
            raise self.error(
                "cannot tell the release from the file name (expected HCPC<year>_<JAN|APR|JUL|OCT>..., "
                "as CMS names it); give --release and --effective-date"
            )
        return found

    def run(self) -> list[TableResult]:
        """Both tables in one transaction: a bad file changes neither."""
        self.check_file()
        digest = sha256_of(self.path)
        label, effective = self.release_identity()
        self.results = []
        try:
            with transaction.atomic():
                for source in self.sources:
                    self.results += self.import_source(source, label, effective, digest)
                if self.dry_run:
                    raise _DryRunRollback
        except _DryRunRollback:
            pass
        return self.results

    def load(self, release: Release, previous: Release | None) -> Counts:
        if self.current_source == Source.HCPCS_MODIFIERS:
            return self.load_modifiers(release, previous)
        return self.load_procedures(release, previous)

    # --- parsing ------------------------------------------------------------------------------
    @cached_property
    def records(self) -> list[HCPCSRecord]:
        suffix = self.path.suffix.lower()
        if suffix == ".xlsx":
            return self.parse_rows(self.xlsx_rows())
        if suffix == ".csv":
            return self.parse_rows(self.csv_rows())
        return self.parse_txt()

    def parse_txt(self) -> list[HCPCSRecord]:
        data = self.path.read_bytes()
        if not data.strip():
            raise self.error("the file is empty")
        try:
            text = data.decode("ascii")
        except UnicodeDecodeError as error:
            line = data.count(b"\n", 0, error.start) + 1
            column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
            raise self.error(
                f"byte 0x{data[error.start]:02x} at column {column} is not ASCII text; the CMS fixed-width "
                "file is plain ASCII (is this the right file?)",
                line=line,
                field=self._txt_field_at(column),
            ) from None
        records: list[HCPCSRecord] = []
        parts: list[str] = []
        lines = text.split("\n")
        for number, raw in enumerate(progress(lines, total=len(lines), desc="HCPCS", unit="lines"), start=1):
            line = raw.rstrip("\r")
            if not line.strip():
                continue
            if "\x00" in line:
                raise self.error("the line holds binary data (NUL bytes)", line=number)
            ric = line[10:11]
            if ric in ("3", "7"):
                if parts:
                    records[-1].long_description = _normalise("".join(parts))
                records.append(self._txt_record(line, number, is_modifier=ric == "7"))
                parts = [self._slice(line, "long description")]
            elif ric in ("4", "8"):
                code = self._txt_code(line, number, is_modifier=ric == "8")
                if not records or records[-1].code != code or records[-1].is_modifier != (ric == "8"):
                    before = f"the record of {records[-1].code}" if records else "no record"
                    raise self.error(
                        f"continuation line (RIC {ric}) for {code} follows {before}",
                        line=number,
                        field="HCPCS code",
                    )
                parts.append(self._slice(line, "long description"))
            else:
                raise self.error(
                    f"record identification code '{ric}' in column 11 is not 3, 4, 7 or 8 (is this the CMS "
                    f"fixed-width HCPCS file?)",
                    line=number,
                    field="record identification code",
                )
        if parts:
            records[-1].long_description = _normalise("".join(parts))
        if not records:
            raise self.error("the file holds no procedure or modifier records")
        self._check_unique(records)
        return records

    @staticmethod
    def _slice(line: str, name: str) -> str:
        first, last = TXT_FIELDS[name]
        return line[first - 1 : last]

    @staticmethod
    def _txt_field_at(column: int) -> str | None:
        for name, (first, last) in TXT_FIELDS.items():
            if first <= column <= last:
                return name
        return None

    def _txt_code(self, line: str, number: int, *, is_modifier: bool) -> str:
        raw = self._slice(line, "HCPCS code")
        if is_modifier:
            code = raw[3:5]
            if raw[:3].strip() or not re.fullmatch(r"[A-Z0-9]{2}", code):
                raise self.error(
                    f"'{raw}' is not a modifier record (columns 1-3 blank, modifier in columns 4-5)",
                    line=number,
                    field="HCPCS code",
                )
            return code
        result = classify(raw)
        if not result or raw != raw.strip():
            raise self.error(
                f"'{raw.strip()}' is not a HCPCS code: {result.reason or 'it must fill columns 1-5'}",
                line=number,
                field="HCPCS code",
            )
        return result.code

    def _txt_record(self, line: str, number: int, *, is_modifier: bool) -> HCPCSRecord:
        code = self._txt_code(line, number, is_modifier=is_modifier)
        if len(line) < RECORD_MIN_LENGTH:
            raise self.error(
                f"the record of {code} ends at column {len(line)}; a record runs to column 320 "
                f"(fields up to the action code in column {RECORD_MIN_LENGTH}): the line is truncated",
                line=number,
                field=next(name for name, (_, last) in TXT_FIELDS.items() if last > len(line)),
            )
        sequence = self._slice(line, "sequence number")
        if not sequence.strip().isdigit():
            raise self.error(f"'{sequence}' is not a sequence number", line=number, field="sequence number")

        def dated(name: str) -> date | None:
            return parse_yyyymmdd(self._slice(line, name), path=self.path, line=number, field=name)

        prices = self._slice(line, "pricing indicator")
        return HCPCSRecord(
            code=code,
            is_modifier=is_modifier,
            line=number,
            long_description="",
            short_description=self._slice(line, "short description").strip(),
            pricing_indicators=" ".join(p for p in (prices[i : i + 2].strip() for i in range(0, 8, 2)) if p),
            coverage_code=self._slice(line, "coverage code").strip(),
            betos=self._slice(line, "BETOS").strip(),
            type_of_service="".join(self._slice(line, "type of service").split()),
            added_date=dated("code added date"),
            action_effective_date=dated("action effective date"),
            termination_date=dated("termination date"),
            action_code=self._slice(line, "action code").strip(),
        )

    def xlsx_rows(self):
        import openpyxl

        try:
            workbook = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
            raise self.error(f"not a readable .xlsx workbook ({error.__class__.__name__})") from None
        try:
            sheet = workbook.worksheets[0]
            for row in sheet.iter_rows(values_only=True):
                yield [_cell(value) for value in row]
        finally:
            workbook.close()

    def csv_rows(self):
        data = self.path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = data.count(b"\n", 0, error.start) + 1
            raise self.error(f"byte {error.start} is not UTF-8 text", line=line) from None
        yield from csv.reader(io.StringIO(text, newline=""))

    def parse_rows(self, rows) -> list[HCPCSRecord]:
        """Rows of the spreadsheet (or its CSV export): a header row, then one row per code."""
        iterator = iter(rows)
        header = next(iterator, None)
        if header is None or not any(cell.strip() for cell in header):
            raise self.error("the file is empty", line=1)
        names = [cell.strip().upper() for cell in header]
        missing = [name for name in SHEET_COLUMNS if name not in names]
        if missing:
            raise self.error(
                f"the header row lacks the column(s) {', '.join(missing)} of the CMS HCPCS spreadsheet",
                line=1,
                field=missing[0],
            )
        index = {name: names.index(name) for name in SHEET_COLUMNS}
        records: list[HCPCSRecord] = []
        for number, row in enumerate(progress(iterator, desc="HCPCS", unit="rows"), start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) < len(names):
                row = list(row) + [""] * (len(names) - len(row))

            def get(name: str, row=row) -> str:
                return row[index[name]]

            def dated(name: str, number=number) -> date | None:
                return parse_yyyymmdd(get(name), path=self.path, line=number, field=name)

            ric = get("RECID").strip()
            if ric not in ("3", "7"):
                raise self.error(f"RECID '{ric}' is not 3 (procedure) or 7 (modifier)", line=number, field="RECID")
            is_modifier = ric == "7"
            raw = get("HCPC")
            if is_modifier:
                code = raw.strip()
                if not re.fullmatch(r"[A-Z0-9]{2}", code):
                    raise self.error(f"'{raw}' is not a two-character modifier", line=number, field="HCPC")
            else:
                result = classify(raw)
                if not result:
                    raise self.error(f"'{raw.strip()}' is not a HCPCS code: {result.reason}", line=number, field="HCPC")
                code = result.code
            records.append(
                HCPCSRecord(
                    code=code,
                    is_modifier=is_modifier,
                    line=number,
                    long_description=_normalise(get("LONG DESCRIPTION")),
                    short_description=get("SHORT DESCRIPTION").strip(),
                    pricing_indicators=" ".join(p for p in (get(f"PRICE{i}").strip() for i in range(1, 5)) if p),
                    coverage_code=get("COV").strip(),
                    betos=get("BETOS").strip(),
                    type_of_service="".join(get(f"TOS{i}").strip() for i in range(1, 6)),
                    added_date=dated("ADD DT"),
                    action_effective_date=dated("ACT EFF DT"),
                    termination_date=dated("TERM DT"),
                    action_code=get("ACTION CD").strip(),
                )
            )
        if not records:
            raise self.error("the file holds a header row but no codes")
        self._check_unique(records)
        return records

    def _check_unique(self, records: list[HCPCSRecord]) -> None:
        seen: dict[tuple[bool, str], int] = {}
        for record in records:
            key = (record.is_modifier, record.code)
            if key in seen:
                raise self.error(
                    f"{record.code} appears twice (first on line {seen[key]})", line=record.line, field="HCPCS code"
                )
            seen[key] = record.line

    # --- loading ------------------------------------------------------------------------------
    def code_values(self, record: HCPCSRecord) -> dict[str, Any]:
        result = classify(record.code)
        values = {
            "system": result.system or CodeSystem.HCPCS,
            "cpt_category": result.category,
            "hcpcs_section": result.section_letter,
            "section": result.section,
            "short_description": record.short_description[:100],
            "long_description": record.long_description,
            "added_date": record.added_date,
            "action_effective_date": record.action_effective_date,
            "termination_date": record.termination_date,
            "action_code": record.action_code,
            "coverage_code": record.coverage_code,
            "pricing_indicators": record.pricing_indicators[:11],
            "betos": record.betos,
            "type_of_service": record.type_of_service,
            "is_unlisted": is_noc(record.long_description),
        }
        values.update(drug_facts(record.code, record.long_description))
        return values

    def load_procedures(self, release: Release, previous: Release | None) -> Counts:
        wanted = {r.code: self.code_values(r) for r in self.records if not r.is_modifier}
        return load_catalogue(
            model=ProcedureCode,
            fields=CODE_FIELDS,
            wanted=wanted,
            release=release,
            previous=previous,
            extra={"origin": CodeOrigin.HCPCS_FILE, "origin_note": ""},
        )

    def load_modifiers(self, release: Release, previous: Release | None) -> Counts:
        wanted = {
            r.code: {
                "kind": ModifierKind.HCPCS,
                "description": r.long_description,
                "short_description": r.short_description[:100],
                # A modifier is valid from when it was added; the action date only dates its last change.
                "effective_date": r.added_date or r.action_effective_date,
                "termination_date": r.termination_date,
            }
            for r in self.records
            if r.is_modifier
        }
        return load_catalogue(
            model=Modifier, fields=MODIFIER_FIELDS, wanted=wanted, release=release, previous=previous, extra={}
        )


def _comparable(value: Any) -> Any:
    return value.normalize() if isinstance(value, Decimal) else value


def load_catalogue(
    *, model, fields, wanted: dict[str, dict], release: Release, previous, extra: dict, terminates: bool = True
) -> Counts:
    """Update a catalogue table in place from ``wanted`` (code -> field values) and count the changes.

    One query reads the current rows; new codes are bulk-inserted, changed ones bulk-updated, and
    codes of the previous release (or of an earlier file of this release) missing from ``wanted`` get
    a termination date the day before ``release`` takes effect (``terminates``; a table without
    termination dates only counts them). ``fields`` decide changed/unchanged; ``extra`` values are
    written too (e.g. the origin) but not compared. Shared by the HCPCS, CPT and POS importers.
    """
    existing = {row.code: row for row in model.objects.all()}
    loaded_by = {release.pk} | ({previous.pk} if previous is not None else set())
    gone = [row for code, row in existing.items() if code not in wanted and row.release_id in loaded_by]

    def as_tuple(values: dict) -> tuple:
        return tuple(_comparable(values[name]) for name in fields)

    before = {code: as_tuple(vars(row)) for code, row in existing.items() if code in wanted}
    before.update({row.code: as_tuple(vars(row)) for row in gone})
    after = {code: as_tuple(values) for code, values in wanted.items()}
    if terminates:
        term = fields.index("termination_date")
        counts = diff_counts(before, after, terminated_now=lambda old, new: old[term] is None and new[term] is not None)
    else:
        counts = diff_counts(before, after)

    new_rows, changed_rows, same_codes = [], [], []
    for code, values in wanted.items():
        row = existing.get(code)
        if row is None:
            new_rows.append(model(code=code, release=release, **values, **extra))
        elif before[code] != after[code] or any(getattr(row, k) != v for k, v in extra.items()):
            for name, value in {**values, **extra}.items():
                setattr(row, name, value)
            row.release = release
            changed_rows.append(row)
        elif row.release_id != release.pk:
            same_codes.append(code)
    model.objects.bulk_create(new_rows, batch_size=BATCH)
    if changed_rows:
        model.objects.bulk_update(changed_rows, [*fields, *extra, "release"], batch_size=BATCH)
    for start in range(0, len(same_codes), BATCH):
        model.objects.filter(code__in=same_codes[start : start + BATCH]).update(release=release)
    last_day = release.effective_date - timedelta(days=1)
    ending = [
        row.pk for row in gone if terminates and (row.termination_date is None or row.termination_date > last_day)
    ]
    for start in range(0, len(ending), BATCH):
        model.objects.filter(pk__in=ending[start : start + BATCH]).update(termination_date=last_day)
    counts.total = model.objects.filter(release=release).count()
    return counts
