"""The Medicare PFS national relative value file (``PPRRVU<yy>_<JAN|APR|JUL|OCT>.csv``): fee-schedule indicators.

Reads the CSV with one header row (as in ``PPRRVU25_JAN_no_descriptors.csv``) or the raw CMS file,
whose preamble rows come before a header wrapped over several rows: the header starts at the row
whose first cell is ``HCPCS``, and following rows whose first cell is not a code continue it.
Columns used (names compared without spaces and hyphens): ``HCPCS``, ``MOD``, ``STATUS CODE``,
``NOT USED FOR MEDICARE PAYMENT``, ``PCTC IND``, ``GLOB DAYS``, ``MULT PROC``, ``BILAT SURG``,
``ASST SURG``, ``CO- SURG``, ``TEAM SURG``. RVUs and the descriptor are not stored.

A snapshot table: each release keeps its own rows per (code, modifier). The release is named as CMS
does: ``PPRRVU25_JAN`` -> "RVU25A" effective 2025-01-01 (APR -> B, April 1; JUL -> C; OCT -> D).
Codes not yet known are created (``ensure_codes_exist``).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date

from ..choices import Source
from ..classify import classify
from ..models import FeeScheduleIndicator, Release
from .base import BaseImporter, Counts, diff_counts, ensure_codes_exist, progress, read_text

QUARTERS = {"JAN": ("A", 1), "APR": ("B", 4), "JUL": ("C", 7), "OCT": ("D", 10)}
LETTERS = {letter: month for letter, month in QUARTERS.values()}
_FILE_NAME = re.compile(r"PPRRVU(?P<yy>\d{2})_?(?P<quarter>JAN|APR|JUL|OCT)", re.IGNORECASE)
_LABEL_NAME = re.compile(r"RVU(?P<yy>\d{2})(?P<letter>[ABCD])(?![A-Z])", re.IGNORECASE)

# model field -> header name (compared upper-case without spaces, hyphens or underscores)
COLUMNS = {
    "code": "HCPCS",
    "modifier": "MOD",
    "status": "STATUS CODE",
    "not_used_for_medicare": "NOT USED FOR MEDICARE PAYMENT",
    "pctc_indicator": "PCTC IND",
    "global_days": "GLOB DAYS",
    "multiple_procedure": "MULT PROC",
    "bilateral_surgery": "BILAT SURG",
    "assistant_surgery": "ASST SURG",
    "co_surgery": "CO- SURG",
    "team_surgery": "TEAM SURG",
}
VALUE_FIELDS = tuple(name for name in COLUMNS if name not in ("code", "modifier"))
WIDTHS = {"status": 1, "pctc_indicator": 1, "global_days": 3, "multiple_procedure": 1, "bilateral_surgery": 1,
          "assistant_surgery": 1, "co_surgery": 1, "team_surgery": 1}  # fmt: skip
BATCH = 2000
HEADER_SEARCH_ROWS = 30


def _key(name: str) -> str:
    return re.sub(r"[\s\-_]+", "", name).upper()


def release_from_name(name: str) -> tuple[str, date] | None:
    match = _FILE_NAME.search(name)
    if match:
        letter, month = QUARTERS[match.group("quarter").upper()]
        year = 2000 + int(match.group("yy"))
        return f"RVU{match.group('yy')}{letter}", date(year, month, 1)
    match = _LABEL_NAME.search(name)
    if match:
        letter = match.group("letter").upper()
        return f"RVU{match.group('yy')}{letter}", date(2000 + int(match.group("yy")), LETTERS[letter], 1)
    return None


class RVUImporter(BaseImporter):
    source = Source.PFS_RVU

    def detect_release(self) -> tuple[str, date]:
        found = release_from_name(self.path.name)
        if found is None:
            raise self.error(
                "cannot tell the release from the file name (expected PPRRVU<yy>_<JAN|APR|JUL|OCT>... or RVU<yy>A); "
                "give --release and --effective-date"
            )
        return found

    def clear_release(self, release: Release) -> None:
        FeeScheduleIndicator.objects.filter(release=release).delete()

    def parse(self) -> dict[tuple[str, str], dict]:
        text = read_text(self.path, self.encodings)
        rows = list(csv.reader(io.StringIO(text, newline="")))
        start = next(
            (i for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]) if row and row[0].strip().upper() == "HCPCS"), None
        )
        if start is None:
            raise self.error(
                f"no header row (first cell HCPCS) in the first {HEADER_SEARCH_ROWS} rows: is this a PPRRVU file?",
                line=1,
                field="HCPCS",
            )
        names = list(rows[start])
        first_data = start + 1
        # A wrapped header continues on rows whose first cell is blank or not a code.
        while first_data < len(rows) and rows[first_data] and not classify(rows[first_data][0]):
            if not any(cell.strip() for cell in rows[first_data]):
                break
            for i, cell in enumerate(rows[first_data]):
                if i < len(names):
                    names[i] = f"{names[i]} {cell}".strip()
            first_data += 1
        keys = [_key(name) for name in names]
        missing = [header for header in COLUMNS.values() if _key(header) not in keys]
        if missing:
            raise self.error(
                f"the header row lacks the column(s) {', '.join(missing)}", line=start + 1, field=missing[0]
            )
        index = {field: keys.index(_key(header)) for field, header in COLUMNS.items()}
        wanted: dict[tuple[str, str], dict] = {}
        for offset, row in enumerate(progress(rows[first_data:], total=len(rows) - first_data, desc="PPRRVU")):
            number = first_data + offset + 1  # a physical line (the files hold no quoted newlines)
            if not any(cell.strip() for cell in row):
                continue
            raw = row[0].strip()
            if not classify(raw) and not any(cell.strip() for cell in row[1:]):
                continue  # a note or end-of-file marker row
            if len(row) <= max(index.values()):
                raise self.error(
                    f"the row has {len(row)} fields, the header {len(names)}: the row is truncated",
                    line=number,
                    field=names[len(row)].strip(),
                )
            result = classify(raw)
            if not result:
                raise self.error(result.reason, line=number, field="HCPCS")
            values = {field: row[i].strip() for field, i in index.items()}
            if not re.fullmatch(r"[A-Z0-9]{0,2}", values["modifier"].upper()):
                raise self.error(f"'{values['modifier']}' is not a modifier", line=number, field="MOD")
            if not values["status"]:
                raise self.error("the status code is blank", line=number, field="STATUS CODE")
            for field, width in WIDTHS.items():
                if len(values[field]) > width:
                    raise self.error(
                        f"'{values[field]}' is longer than {width} character(s)", line=number, field=COLUMNS[field]
                    )
            key = (result.code, values["modifier"].upper())
            if key in wanted:
                raise self.error(f"{' '.join(filter(None, key))} appears twice", line=number, field="HCPCS")
            wanted[key] = {
                "status": values["status"].upper(),
                "not_used_for_medicare": bool(values["not_used_for_medicare"]),
                **{field: values[field] for field in WIDTHS if field != "status"},
            }
        if not wanted:
            raise self.error("the file holds a header but no rows")
        return wanted

    def load(self, release: Release, previous: Release | None) -> Counts:
        wanted = self.parse()
        before = {}
        if previous is not None:
            for row in FeeScheduleIndicator.objects.filter(release=previous).values("code", "modifier", *VALUE_FIELDS):
                before[(row["code"], row["modifier"])] = tuple(row[name] for name in VALUE_FIELDS)
        after = {key: tuple(values[name] for name in VALUE_FIELDS) for key, values in wanted.items()}
        counts = diff_counts(before, after)
        FeeScheduleIndicator.objects.bulk_create(
            (FeeScheduleIndicator(release=release, code=code, modifier=modifier, **values)
             for (code, modifier), values in wanted.items()),
            batch_size=BATCH,
        )  # fmt: skip
        ensure_codes_exist({code for code, _ in wanted}, note=f"PFS relative value file {release.label}")
        counts.total = FeeScheduleIndicator.objects.filter(release=release).count()
        return counts
