"""NCCI procedure-to-procedure (PTP) edits: the CMS quarterly text files, fast.

Accepted input, one release per call (``PTPImporter([f1, f2, f3, f4])``):

* the official CMS tab-delimited files (``ccipra-v322r0-f1.txt`` practitioner, ``ccioph-...`` outpatient
  hospital): a few header lines (AMA notice, ``Column1/Column2 Edits``, the wrapped ``Column 1`` header),
  then ``column 1, column 2, '*' if in existence prior to 1996, effective YYYYMMDD, deletion YYYYMMDD or
  '*', modifier indicator 0/1/9, rationale``;
* ``.zip`` files holding such ``.txt`` files (as CMS distributes them);
* the derived CSV (``ptp_practitioner_v30.1_2024Q2_pairs_derived.csv.gz``, optionally gzip): header
  ``column_1,column_2,deletion_date,modifier_indicator,ptp_edit_rationale``; no effective date and no
  prior-to-1996 flag.

The four files of a quarter are one release: one transaction, one summary line. Version ``XY.Z`` is the
quarter starting in year ``1994 + XY``, quarter ``Z + 1`` (``v32.2`` -> 2026-07-01).

Speed: a practitioner quarter is 2.5 million rows. Rows are parsed with ``str.split`` and cached
look-ups, and streamed into the table with the database's own bulk path: ``COPY ... FROM STDIN`` on
PostgreSQL, ``executemany`` on SQLite (both inside the import's transaction). For a big load the
table's secondary indexes are dropped first and rebuilt after the rows are in (still inside the
transaction, so a failure restores them).

Counts against the previous release are computed in SQL. The key is (column 1, column 2, effective
date); a row is

* *unchanged* when the previous release holds an identical row (key, deletion date, indicator,
  rationale, prior-to-1996 flag);
* *added* when the previous release has no row with its key;
* *terminated* when the previous release had the key open (no deletion date) and this row carries a
  deletion date; rows of the previous release whose key is absent from the new files are terminated too;
* *changed* otherwise (same key, different indicator, rationale, flag or deletion date).
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from django.db import connection, transaction

from .. import ptp_index
from ..choices import PTP_SOURCE, PTPSetting, Source
from ..models import PTPEdit, Release
from .archives import check_archive, open_gzip_text, open_member
from .base import BaseImporter, Counts, ImportFileError, TableResult, ensure_codes_exist, progress, sha256_of

TABLE = PTPEdit._meta.db_table
COLUMNS = (
    "release_id",
    "setting",
    "column_1",
    "column_2",
    "in_existence_prior_1996",
    "effective_date",
    "deletion_date",
    "modifier_indicator",
    "rationale",
)
FIELDS = (
    "Column 1",
    "Column 2",
    "In existence prior to 1996",
    "Effective date",
    "Deletion date",
    "Modifier indicator",
    "PTP edit rationale",
)
DERIVED_HEADER = ["column_1", "column_2", "deletion_date", "modifier_indicator", "ptp_edit_rationale"]
MODIFIER_INDICATORS = {"0": 0, "1": 1, "9": 9}
RATIONALE_MAX = PTPEdit._meta.get_field("rationale").max_length

# Official names: ccipra-v322r0-f1 (practitioner), ccioph-v322r0-f1 (outpatient hospital).
OFFICIAL_NAME = re.compile(r"cci(pra|oph)-v(\d{2})(\d)r(\d+)", re.IGNORECASE)
DERIVED_NAME = re.compile(r"ptp_(practitioner|hospital)_v(\d{2})\.(\d)", re.IGNORECASE)
CODE_SHAPE = re.compile(r"[0-9A-Z]{5}")
NAME_SETTING = {"pra": PTPSetting.PRACTITIONER, "oph": PTPSetting.HOSPITAL}

# Loads bigger than this many bytes of input rebuild the secondary indexes after the rows are in.
BIG_LOAD_BYTES = 20_000_000
HEAD_LINES = 18  # the header is looked for in the first 12 lines, with up to 5 wrapped lines after it
COPY_BLOCK_ROWS = 20_000


def version_release(major: int, quarter_digit: int) -> tuple[str, date]:
    """CMS NCCI version XY.Z -> ("vXY.Z", first day of quarter Z+1 of year 1994+XY)."""
    if not 0 <= quarter_digit <= 3:
        raise ValueError(f"version digit {quarter_digit} is not a quarter (0-3)")
    return f"v{major}.{quarter_digit}", date(1994 + major, 3 * quarter_digit + 1, 1)


class _Rollback(Exception):
    pass


class _Source:
    """One readable unit: a text file, a member of a zip, or a derived CSV."""

    def __init__(self, display: Path, kind: str, opener):
        self.display = display  # what error messages name
        self.kind = kind  # "official" or "derived"
        self.opener = opener  # () -> a binary stream (official) or a text stream (derived), as a context manager


class PTPImporter(BaseImporter):
    """Import one release of NCCI PTP edits from one or more files (the f1..f4 files of a quarter)."""

    encodings = ("utf-8", "cp1252")

    def __init__(self, path: str | Path | Sequence[str | Path], *, setting: str = "practitioner", **options: Any):
        paths = [Path(p) for p in path] if isinstance(path, list | tuple) else [Path(path)]
        if not paths:
            raise ValueError("PTPImporter needs at least one file")
        super().__init__(paths[0], **options)
        self.paths = paths
        try:
            self.setting = PTPSetting(setting)
        except ValueError:
            raise ValueError(f"setting must be 'practitioner' or 'hospital', not {setting!r}") from None
        self.source = PTP_SOURCE[self.setting]

    # --- release bookkeeping --------------------------------------------------------------------
    def run(self) -> list[TableResult]:
        """Like BaseImporter.run(), over all the files of the release (one digest, one transaction)."""
        if len({p.resolve() for p in self.paths}) != len(self.paths):
            raise self.error("the same file was given twice")
        for path in self.paths:
            self.path = path
            self.check_file()
        self.path = self.paths[0]
        digest = self.digest()
        label, effective = self.release_identity()
        try:
            with transaction.atomic():
                self.results = self.import_source(self.source, label, effective, digest)
                if self.dry_run:
                    raise _Rollback
        except _Rollback:
            pass
        return self.results

    def digest(self) -> str:
        if len(self.paths) == 1:
            return sha256_of(self.paths[0])
        combined = hashlib.sha256()
        for path in sorted(self.paths, key=lambda p: p.name):
            combined.update(f"{path.name}\0{sha256_of(path)}\n".encode())
        return combined.hexdigest()

    def detect_release(self) -> tuple[str, date]:
        found: set[tuple[str, date]] = set()
        for path in self.paths:
            identity = self._identity_from_name(path)
            if identity is None:
                raise ImportFileError(
                    path,
                    "cannot tell the PTP version from the file name (expected e.g. ccipra-v322r0-f1.txt); "
                    "pass --release and --effective-date",
                )
            found.add(identity)
        if len(found) > 1:
            labels = ", ".join(sorted(label for label, _ in found))
            raise self.error(f"the files belong to different PTP releases ({labels}); import one release at a time")
        return found.pop()

    def _identity_from_name(self, path: Path) -> tuple[str, date] | None:
        name = path.name
        match = OFFICIAL_NAME.search(name)
        if match:
            setting = NAME_SETTING[match.group(1).lower()]
            major, digit = int(match.group(2)), int(match.group(3))
        else:
            match = DERIVED_NAME.search(name)
            if not match:
                return None
            setting = PTPSetting(match.group(1).lower())
            major, digit = int(match.group(2)), int(match.group(3))
        if setting != self.setting:
            raise ImportFileError(
                path,
                f"this is a {setting.label.lower()} PTP file but --setting {self.setting.value} was given",
            )
        try:
            return version_release(major, digit)
        except ValueError as error:
            raise ImportFileError(path, str(error)) from None

    def clear_release(self, release: Release) -> None:
        PTPEdit.objects.filter(release=release).delete()

    # --- loading --------------------------------------------------------------------------------
    def load(self, release: Release, previous: Release | None) -> Counts:
        names = ", ".join(p.name for p in self.paths)
        release.file_name = names if len(names) <= 255 else names[:252] + "..."
        sources = [source for path in self.paths for source in self._sources(path)]
        codes: dict[str, int] = {}
        rows = self._rows(sources, release.pk, codes)
        big = sum(_input_bytes(p) for p in self.paths) > BIG_LOAD_BYTES
        with connection.cursor() as cursor:
            dropped = _drop_secondary_indexes(cursor) if big else []
            if connection.vendor == "postgresql":
                total = _copy_postgresql(cursor, rows)
            else:  # ClaimDesk runs on SQLite and PostgreSQL only (billing_site/settings.py)
                total = _executemany_sqlite(rows)
            if dropped and connection.vendor == "postgresql":
                # Fire the deferred foreign-key checks of the new rows now: PostgreSQL does not build
                # an index on a table with pending trigger events.
                # Django declares every foreign key DEFERRABLE INITIALLY DEFERRED, so back to DEFERRED after.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for statement in dropped:
                cursor.execute(statement)
        if total == 0:
            raise self.error("the file holds no PTP rows")
        ensure_codes_exist(codes, note=f"NCCI PTP {self.setting.value} {release.label}")
        if release.source == Source.PTP_PRACTITIONER:  # the table the rules read
            ptp_index.build_after_commit(release)
        if previous is None:
            return Counts(added=total, total=total)
        return _diff_counts(release.pk, previous.pk, total)

    def _sources(self, path: Path) -> list[_Source]:
        name = path.name.lower()
        if name.endswith(".zip"):
            return self._zip_sources(path)
        if name.endswith((".csv", ".csv.gz")):
            return [_Source(path, "derived", lambda: _open_text(path))]
        return [_Source(path, "official", lambda: path.open("rb"))]

    def _zip_sources(self, path: Path) -> list[_Source]:
        # The sizes the members declare are checked first (total and ratio): a zip bomb imports nothing.
        members = sorted(info.filename for info in check_archive(path) if info.filename.lower().endswith(".txt"))
        named = [n for n in members if OFFICIAL_NAME.search(Path(n).name)]
        members = named or members
        if not members:
            raise ImportFileError(path, "the .zip holds no PTP .txt file")
        return [
            _Source(display, "official", lambda m=member: open_member(path, m))
            for member in members
            for display in [Path(f"{path.name} ({Path(member).name})")]
        ]

    def _rows(self, sources: list[_Source], release_id: int, codes: dict[str, int]) -> Iterator:
        for source in sources:
            if source.kind == "derived":
                yield from self._derived_rows(source, release_id, codes)
            else:
                yield from self._official_rows(source, release_id, codes)

    def _official_rows(self, source: _Source, release_id: int, codes: dict[str, int]) -> Iterator:
        """Rows of one official file, as tuples (SQLite) or COPY text lines (PostgreSQL).

        The file (or zip member) is read as a stream, a line at a time: never whole into memory."""
        with source.opener() as stream:
            yield from self._official_stream_rows(stream, source.display, release_id, codes)

    def _official_stream_rows(self, stream, path: Path, release_id: int, codes: dict[str, int]) -> Iterator:
        numbered = _official_lines(stream, path)
        head = list(itertools.islice(numbered, HEAD_LINES))
        if not any(text.strip() for _, text in head) and not any(text.strip() for _, text in numbered):
            raise ImportFileError(path, "the file is empty")
        start = _data_start([text for _, text in head], path)
        copy_text = connection.vendor == "postgresql"
        null = "\\N" if copy_text else None
        prior_values = {"": "f", "*": "t"} if copy_text else {"": False, "*": True}
        mi_values = {k: str(v) for k, v in MODIFIER_INDICATORS.items()} if copy_text else MODIFIER_INDICATORS
        dates = {"*": null}  # raw -> stored form, validated once per distinct value
        rationales: dict[str, str] = {}
        prefix = f"{release_id}\t{self.setting.value}\t"
        setting = self.setting.value
        for number, line in progress(itertools.chain(head[start:], numbered), desc=path.name):
            if not line:
                continue
            index = number - 1  # (the messages below name line index + 1)
            fields = line.split("\t")
            if len(fields) != 7:
                raise ImportFileError(path, f"expected 7 tab-separated fields, found {len(fields)}", line=index + 1)
            c1, c2, prior, effective, deletion, indicator, rationale = fields
            if c1 not in codes:
                _check_code(c1, path, index + 1, FIELDS[0], codes)
            if c2 not in codes:
                _check_code(c2, path, index + 1, FIELDS[1], codes)
            p = prior_values.get(prior)
            if p is None:
                raise ImportFileError(path, f"'{prior}' is neither '*' nor empty", line=index + 1, field=FIELDS[2])
            e = dates.get(effective, "")
            if e == "" or e is null:
                e = _parse_date(effective, dates, path, index + 1, FIELDS[3], required=True)
            d = dates.get(deletion, "")
            if d == "":
                d = _parse_date(deletion, dates, path, index + 1, FIELDS[4], required=False)
            m = mi_values.get(indicator)
            if m is None:
                raise ImportFileError(
                    path, f"'{indicator}' is not a modifier indicator (0, 1 or 9)", line=index + 1, field=FIELDS[5]
                )
            r = rationales.get(rationale)
            if r is None:
                r = _check_rationale(rationale, rationales, copy_text, path, index + 1)
            if copy_text:
                yield f"{prefix}{c1}\t{c2}\t{p}\t{e}\t{d}\t{m}\t{r}\n"
            else:
                yield (release_id, setting, c1, c2, p, e, d, m, r)

    def _derived_rows(self, source: _Source, release_id: int, codes: dict[str, int]) -> Iterator:
        """Rows of the derived CSV (no effective date, no prior-to-1996 flag)."""
        path = source.display
        copy_text = connection.vendor == "postgresql"
        null = "\\N" if copy_text else None
        prior = "f" if copy_text else False
        dates = {"*": null}
        rationales: dict[str, str] = {}
        setting = self.setting.value
        try:
            with source.opener() as stream:
                reader = csv.reader(stream)
                header = next(reader, None)
                if header is None:
                    raise ImportFileError(path, "the file is empty")
                if [h.strip().lower() for h in header] != DERIVED_HEADER:
                    raise ImportFileError(
                        path, f"expected the header {','.join(DERIVED_HEADER)}, found {','.join(header)}", line=1
                    )
                for fields in progress(reader, desc=path.name):
                    if not fields:
                        continue
                    line = reader.line_num
                    if len(fields) != 5:
                        raise ImportFileError(path, f"expected 5 fields, found {len(fields)}", line=line)
                    c1, c2, deletion, indicator, rationale = fields
                    if c1 not in codes:
                        _check_code(c1, path, line, FIELDS[0], codes)
                    if c2 not in codes:
                        _check_code(c2, path, line, FIELDS[1], codes)
                    d = dates.get(deletion, "")
                    if d == "":
                        d = _parse_date(deletion, dates, path, line, FIELDS[4], required=False)
                    m = MODIFIER_INDICATORS.get(indicator)
                    if m is None:
                        raise ImportFileError(
                            path, f"'{indicator}' is not a modifier indicator (0, 1 or 9)", line=line, field=FIELDS[5]
                        )
                    r = rationales.get(rationale)
                    if r is None:
                        r = _check_rationale(rationale, rationales, copy_text, path, line)
                    if copy_text:
                        yield f"{release_id}\t{setting}\t{c1}\t{c2}\t{prior}\t{null}\t{d}\t{m}\t{r}\n"
                    else:
                        yield (release_id, setting, c1, c2, prior, None, d, m, r)
        except (UnicodeDecodeError, EOFError, OSError, csv.Error) as error:
            raise ImportFileError(path, f"cannot read the file: {error}") from None


# --- reading helpers ----------------------------------------------------------------------------
def _input_bytes(path: Path) -> int:
    """About how many bytes of text a file holds (zip members uncompressed; gzip estimated)."""
    name = path.name.lower()
    if name.endswith(".zip"):
        try:
            with zipfile.ZipFile(path) as archive:
                return sum(info.file_size for info in archive.infolist())
        except zipfile.BadZipFile:
            return 0
    size = path.stat().st_size
    return size * 8 if name.endswith(".gz") else size


def _open_text(path: Path) -> io.TextIOBase:
    if path.name.lower().endswith(".gz"):
        return open_gzip_text(path)
    return path.open(encoding="utf-8-sig", newline="")


def _official_lines(stream, path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) of an official file read as a stream: UTF-8, or Windows-1252 from the first
    line that is not UTF-8 on (lines before it are then plain ASCII, the same in both)."""
    encoding = "utf-8"
    number = 0
    try:
        for number, raw in enumerate(stream, start=1):  # noqa: B007 (number is read after the loop)
            if b"\x00" in raw:
                raise ImportFileError(path, "the file holds binary data (NUL bytes), not PTP text", line=number)
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError:
                try:
                    text = raw.decode("cp1252")
                except UnicodeDecodeError as error:
                    raise ImportFileError(
                        path, f"byte 0x{raw[error.start]:02x} is not text in UTF-8 or Windows-1252", line=number
                    ) from None
                encoding = "cp1252"
            if text.endswith("\r\n"):
                text = text[:-2]
            elif text.endswith("\n"):
                text = text[:-1]
            yield number, text
    except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as error:
        raise ImportFileError(path, f"cannot read the file after line {number} ({error})") from None


def _data_start(lines: list[str], path: Path) -> int:
    """Index of the first data line: after the 'Column 1' header line and its wrapped continuation lines."""
    for index, line in enumerate(lines[:12]):
        if line.split("\t", 1)[0].strip().lower() == "column 1":
            start = index + 1
            while start < len(lines) and start <= index + 5 and lines[start].split("\t", 1)[0].strip() == "":
                start += 1
            return start
    raise ImportFileError(
        path, "not a CMS PTP file: no 'Column 1' header line in the first lines (tab-separated text expected)"
    )


def _check_code(code: str, path: Path, line: int, field: str, codes: dict[str, int]) -> None:
    if not CODE_SHAPE.fullmatch(code):
        raise ImportFileError(path, f"'{code}' is not a 5-character procedure code", line=line, field=field)
    codes[code] = line


def _parse_date(value: str, dates: dict, path: Path, line: int, field: str, *, required: bool) -> Any:
    stripped = value.strip()
    if not stripped or stripped == "*":
        if required:
            raise ImportFileError(path, "a date is required here (YYYYMMDD)", line=line, field=field)
        dates[value] = dates["*"]
        return dates["*"]
    try:
        if len(stripped) != 8 or not stripped.isdigit():
            raise ValueError
        parsed = date(int(stripped[:4]), int(stripped[4:6]), int(stripped[6:]))
    except ValueError:
        raise ImportFileError(path, f"'{value}' is not a date in the form YYYYMMDD", line=line, field=field) from None
    dates[value] = parsed.isoformat()
    return dates[value]


def _check_rationale(text: str, cache: dict[str, str], copy_text: bool, path: Path, line: int) -> str:
    if len(text) > RATIONALE_MAX:
        raise ImportFileError(
            path, f"the rationale is longer than {RATIONALE_MAX} characters", line=line, field=FIELDS[6]
        )
    stored = text
    if copy_text:  # COPY text format: escape the backslash and the characters that end a field or a row
        for raw, escaped in (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r")):
            stored = stored.replace(raw, escaped)
    cache[text] = stored
    return stored


# --- writing ------------------------------------------------------------------------------------
def _copy_postgresql(cursor, lines: Iterable[str]) -> int:
    block: list[str] = []
    with cursor.copy(f"COPY {TABLE} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
        for line in lines:
            block.append(line)
            if len(block) == COPY_BLOCK_ROWS:
                copy.write("".join(block))
                block.clear()
        if block:
            copy.write("".join(block))
    return cursor.rowcount


def _executemany_sqlite(rows: Iterable[tuple]) -> int:
    cursor = connection.connection.cursor()  # the sqlite3 connection, inside Django's transaction
    placeholders = ", ".join("?" * len(COLUMNS))
    cursor.executemany(f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES ({placeholders})", rows)
    return cursor.rowcount


def _drop_secondary_indexes(cursor) -> list[str]:
    """Drop the table's plain indexes; return the statements that rebuild them."""
    constraints = connection.introspection.get_constraints(cursor, TABLE)
    rebuild = []
    for name, info in constraints.items():
        if not info["index"] or info["unique"] or info["primary_key"] or not info["columns"]:
            continue
        columns = ", ".join(connection.ops.quote_name(c) for c in info["columns"])
        quoted = connection.ops.quote_name(name)
        cursor.execute(f"DROP INDEX {quoted}")
        rebuild.append(f"CREATE INDEX {quoted} ON {connection.ops.quote_name(TABLE)} ({columns})")
    return rebuild


# --- counts -------------------------------------------------------------------------------------
_BOTH_RELEASES = (
    "SELECT column_1 AS c1, column_2 AS c2, COALESCE(effective_date, '0001-01-01') AS e, "
    "COALESCE(deletion_date, '9999-12-31') AS d, modifier_indicator AS m, rationale AS r, "
    "in_existence_prior_1996 AS p, CASE WHEN release_id = %s THEN 1 ELSE 0 END AS is_new "
    f"FROM {TABLE} WHERE release_id IN (%s, %s)"
)
# One pass over both releases, grouped twice: by the whole row, then by the key.
_DIFF = f"""
SELECT
  COALESCE(SUM(unchanged), 0),
  COALESCE(SUM(CASE WHEN old_rows = 0 THEN new_unmatched ELSE 0 END), 0),
  COALESCE(SUM(CASE WHEN old_rows > 0 AND old_open = 1 THEN new_unmatched_closed ELSE 0 END), 0),
  COALESCE(SUM(CASE WHEN new_rows = 0 THEN old_rows ELSE 0 END), 0)
FROM (
  SELECT c1, c2, e,
    SUM(CASE WHEN o > 0 THEN n ELSE 0 END) AS unchanged,
    SUM(CASE WHEN o = 0 THEN n ELSE 0 END) AS new_unmatched,
    SUM(CASE WHEN o = 0 AND d <> '9999-12-31' THEN n ELSE 0 END) AS new_unmatched_closed,
    SUM(n) AS new_rows,
    SUM(o) AS old_rows,
    MAX(CASE WHEN o > 0 AND d = '9999-12-31' THEN 1 ELSE 0 END) AS old_open
  FROM (
    SELECT c1, c2, e, d, m, r, p, SUM(is_new) AS n, SUM(1 - is_new) AS o
    FROM ({_BOTH_RELEASES}) AS both_releases
    GROUP BY c1, c2, e, d, m, r, p
  ) AS whole_rows
  GROUP BY c1, c2, e
) AS keys
"""


def _diff_counts(new_id: int, old_id: int, total: int) -> Counts:
    with connection.cursor() as cursor:
        cursor.execute(_DIFF, [new_id, new_id, old_id])
        unchanged, added, terminated_now, gone = (int(v) for v in cursor.fetchone())
    return Counts(
        added=added,
        unchanged=unchanged,
        terminated=terminated_now + gone,
        changed=total - added - unchanged - terminated_now,
        total=total,
    )
