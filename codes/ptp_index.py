"""A compact, memory-mapped index of one PTP release: the batch check's look-up of code pairs.

A practitioner PTP quarter is 2.5 million rows; a batch of claims across the whole code universe
touches most of them, and reading them as Python objects took longer and more memory than checking
the claims. The index holds the same rows as the database (``active_rows``: indicator 0 or 1, the
rows the PTP rules read) as integer arrays in one file under ``settings.REFERENCE_INDEX_DIR``:

* the release's codes (sorted; a code's number is its position) and rationales (likewise);
* for every row, sorted by (column 1, column 2) and then by ``row_order``: the pair as one integer,
  the effective and deletion dates as day ordinals (0 for none), the modifier indicator and the
  rationale's number;
* for each code, the column-1 codes of its rows as column 2 (one array of code numbers ordered by
  column 2, and each code's offset into it).

The file is memory-mapped read-only, so every process of a batch (the worker processes too) shares
one copy in the page cache, and only the pages of the pairs looked up are read. A look-up is a binary
search on the pair numbers (``bisect`` on the mapped array).

It is built when a PTP release is imported (after the import's transaction commits), or on first use
when missing (e.g. a release imported before the index existed); it is removed when its release is
deleted. Its name and header carry the database, the release id, the file's SHA-256 and the time of
the import, checked on opening: an index never answers for another release's rows.
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import struct
import tempfile
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.conf import settings
from django.db import connections, transaction

from .dates import applies_between
from .models import PTPEdit, Release

FORMAT_VERSION = 2
MAGIC = b"CDPTPIX1"
CODE_BITS = 21  # a pair is (column 1 number << CODE_BITS) | column 2 number
FETCH_ROWS = 50_000  # rows read from the cursor at a time while building
ROWS_KEPT = 50_000  # pairs whose rows a process keeps made (the pairs of a batch repeat)
ROW_COLUMNS = ("column_1", "column_2", "effective_date", "deletion_date", "modifier_indicator", "rationale")


def active_rows(release_id: int):
    """The PTP rows the rules read, of one release: modifier indicator 0 or 1 (9 is "not applicable",
    catalogue §3.3). The one definition both the index and the plain loading use."""
    return PTPEdit.objects.filter(release_id=release_id, modifier_indicator__in=(0, 1))


def row_order(row: PTPRow) -> tuple:
    """The order of the rows of one pair (the rules take the first row of each indicator that applies
    on the date): effective date (none first), deletion date (none last), indicator, rationale. The
    index sorts its rows the same way (``build``)."""
    return (row.effective_date or date.min, row.deletion_date or date.max, row.modifier_indicator, row.rationale)


@dataclass(frozen=True, slots=True)
class PTPRow:
    column_1: str
    column_2: str
    effective_date: date | None
    deletion_date: date | None
    modifier_indicator: int
    rationale: str

    def applies_on(self, dos: date) -> bool:
        """Active on the date: effective <= DOS < deletion, and indicator 0 or 1 (catalogue §3.3)."""
        return self.modifier_indicator in (0, 1) and applies_between(
            dos, self.effective_date, self.deletion_date, end_exclusive=True
        )


# --- where the files are --------------------------------------------------------------------------
def index_dir() -> Path:
    return Path(settings.REFERENCE_INDEX_DIR)


def _database_tag(alias: str = "default") -> str:
    """Which database the index was read from (several databases may share the directory: tests, benches)."""
    params = connections[alias].settings_dict
    text = f"{params['ENGINE']}|{params.get('HOST', '')}|{params.get('PORT', '')}|{params['NAME']}"
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _identity(release: Release) -> str:
    """What tells a release's rows apart: its file's SHA-256 and when it was imported (an id can be reused)."""
    return f"{release.sha256}|{release.imported_at.isoformat() if release.imported_at else ''}"


def index_path(release: Release, alias: str = "default") -> Path:
    tag = hashlib.sha256(_identity(release).encode()).hexdigest()[:16]
    return index_dir() / f"ptp-{_database_tag(alias)}-{release.pk}-{tag}.idx"


def _release_files(release_id: int, alias: str = "default") -> list[Path]:
    directory = index_dir()
    if not directory.is_dir():
        return []
    return list(directory.glob(f"ptp-{_database_tag(alias)}-{release_id}-*.idx"))


def remove(release_id: int, alias: str = "default") -> None:
    """Remove the index files of a release (deleted, or replaced by a corrected file)."""
    for path in _release_files(release_id, alias):
        path.unlink(missing_ok=True)
    _OPEN.pop((alias, release_id), None)


# --- building --------------------------------------------------------------------------------------
def _ordinal(value) -> int:
    if value is None:
        return 0
    return (value if isinstance(value, date) else date.fromisoformat(value)).toordinal()


def _read_rows(release_id: int, alias: str) -> Iterator[tuple]:
    """The release's active rows, straight from the cursor (dates may come as ISO text)."""
    sql, params = active_rows(release_id).using(alias).values_list(*ROW_COLUMNS).query.sql_with_params()
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(FETCH_ROWS):
            yield from batch


def build(release: Release, alias: str = "default") -> Path:
    """Write the index of a release's PTP rows (replacing any older one of the release) and return its path."""
    code_ids: dict[str, int] = {}
    rationale_ids: dict[str, int] = {}
    firsts, seconds, starts, ends = array("i"), array("i"), array("i"), array("i")
    indicators, rationales = array("b"), array("i")
    days: dict = {}
    for column_1, column_2, start, end, indicator, rationale in _read_rows(release.pk, alias):
        firsts.append(code_ids.setdefault(column_1, len(code_ids)))
        seconds.append(code_ids.setdefault(column_2, len(code_ids)))
        starts.append(days[start] if start in days else days.setdefault(start, _ordinal(start)))
        ends.append(days[end] if end in days else days.setdefault(end, _ordinal(end)))
        indicators.append(indicator)
        rationales.append(rationale_ids.setdefault(rationale or "", len(rationale_ids)))
    codes = sorted(code_ids)
    renumber = array("i", [0] * len(codes))
    for number, code in enumerate(codes):
        renumber[code_ids[code]] = number
    rationale_list = sorted(rationale_ids, key=rationale_ids.__getitem__)
    count = len(firsts)
    pairs = array("q", ((renumber[a] << CODE_BITS) | renumber[b] for a, b in zip(firsts, seconds, strict=True)))
    del firsts, seconds

    def tiebreak(i: int) -> tuple:
        return (starts[i] or 0, ends[i] or 1 << 31, indicators[i], rationale_list[rationales[i]])

    order = sorted(range(count), key=pairs.__getitem__)
    # Rows of the same pair (rare) in ``row_order``.
    position = 0
    while position < count:
        end = position + 1
        while end < count and pairs[order[end]] == pairs[order[position]]:
            end += 1
        if end - position > 1:
            order[position:end] = sorted(order[position:end], key=tiebreak)
        position = end
    # For each code, the column-1 codes of its rows as column 2 (offsets into one array, by column 2).
    mask = (1 << CODE_BITS) - 1
    reversed_pairs = sorted({((pair & mask) << CODE_BITS) | (pair >> CODE_BITS) for pair in pairs})
    firsts_by_second = array("i", (pair & mask for pair in reversed_pairs))
    offsets = array("i", [0] * (len(codes) + 1))
    for pair in reversed_pairs:
        offsets[(pair >> CODE_BITS) + 1] += 1
    del reversed_pairs
    for number in range(len(codes)):
        offsets[number + 1] += offsets[number]
    sections = {
        "pairs": array("q", (pairs[i] for i in order)),
        "starts": array("i", (starts[i] for i in order)),
        "ends": array("i", (ends[i] for i in order)),
        "rationales": array("i", (rationales[i] for i in order)),
        "indicators": array("b", (indicators[i] for i in order)),
        "firsts_by_second": firsts_by_second,
        "offsets_by_second": offsets,
    }
    header = {
        "version": FORMAT_VERSION,
        "release": release.pk,
        "identity": _identity(release),
        "rows": count,
        "codes": codes,
        "rationales": rationale_list,
        "sections": {},
    }
    blobs = []
    offset = 0
    for name, values in sections.items():
        data = values.tobytes()
        header["sections"][name] = [offset, len(values), values.typecode]
        blobs.append(data + b"\0" * (-len(data) % 8))
        offset += len(blobs[-1])
    head = json.dumps(header).encode()
    head += b" " * (-len(head) % 8)
    path = index_path(release, alias)
    path.parent.mkdir(parents=True, exist_ok=True)
    for old in _release_files(release.pk, alias):
        if old != path:
            old.unlink(missing_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(MAGIC + struct.pack("<Q", len(head)) + head)
            for blob in blobs:
                handle.write(blob)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # readable as any file the app writes (mkstemp makes it private)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _OPEN.pop((alias, release.pk), None)
    return path


def build_after_commit(release: Release, alias: str = "default") -> None:
    """Build the index when the import's transaction commits (nothing is built for a rolled-back import)."""
    transaction.on_commit(lambda: build(release, alias), using=alias)


# --- reading ---------------------------------------------------------------------------------------
class PTPIndex:
    """The rows of one release, read from its mapped index file."""

    def __init__(self, path: Path, release: Release):
        with path.open("rb") as handle:
            self._map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        if self._map[:8] != MAGIC:
            raise ValueError(f"{path} is not a PTP index")
        (length,) = struct.unpack("<Q", self._map[8:16])
        header = json.loads(self._map[16 : 16 + length])
        if (header["version"], header["release"], header["identity"]) != (
            FORMAT_VERSION,
            release.pk,
            _identity(release),
        ):
            raise ValueError(f"{path} is the index of another release")
        base = 16 + length
        view = memoryview(self._map)
        arrays = {}
        for name, (offset, count, typecode) in header["sections"].items():
            size = array(typecode).itemsize
            arrays[name] = view[base + offset : base + offset + count * size].cast(typecode)
        self.rows_count = header["rows"]
        self._codes: list[str] = header["codes"]
        self._code_ids = {code: number for number, code in enumerate(self._codes)}
        self._rationales: list[str] = header["rationales"]
        self._pairs = arrays["pairs"]
        self._starts = arrays["starts"]
        self._ends = arrays["ends"]
        self._rationale_ids = arrays["rationales"]
        self._indicators = arrays["indicators"]
        self._firsts_by_second = arrays["firsts_by_second"]
        self._offsets_by_second = arrays["offsets_by_second"]
        self._days: dict[int, date | None] = {0: None}
        self._column_one: dict[int, bytes] = {}  # code number -> _column_one_bits
        self._rows: dict[tuple[str, str], tuple[PTPRow, ...]] = {}

    def is_column_two(self, code: str) -> bool:
        """Whether the code is column 2 of some row (any date)."""
        number = self._code_ids.get(code)
        return number is not None and self._offsets_by_second[number + 1] > self._offsets_by_second[number]

    def edits_among(self, codes: Iterable[str]) -> dict[str, set[str]]:
        """The edited pairs among ``codes`` (rows of any date): each code that is column 2 of such a row ->
        the codes of ``codes`` that are column 1 of its rows."""
        code_ids = self._code_ids
        numbered = [(code, number) for code in codes if (number := code_ids.get(code)) is not None]
        found = {}
        for code, number in numbered:
            bits = self._column_one_bits(number)
            if bits is not None:
                firsts = {other for other, n in numbered if bits[n >> 3] >> (n & 7) & 1}
                if firsts:
                    found[code] = firsts
        return found

    def _column_one_bits(self, number: int) -> bytes | None:
        """One bit per code number: the column-1 codes of the rows with code ``number`` as column 2 (None:
        no such row). Made on first use, at most one per code."""
        bits = self._column_one.get(number)
        if bits is None:
            start, end = self._offsets_by_second[number], self._offsets_by_second[number + 1]
            made = bytearray((len(self._codes) + 7) // 8 if end > start else 0)
            for first in self._firsts_by_second[start:end]:
                made[first >> 3] |= 1 << (first & 7)
            self._column_one[number] = bits = bytes(made)
        return bits or None

    def rows(self, column_1: str, column_2: str) -> tuple[PTPRow, ...]:
        """The pair's rows in ``row_order`` (the rows of the last ``ROWS_KEPT`` pairs asked are kept)."""
        key = (column_1, column_2)
        found = self._rows.get(key)
        if found is not None:
            return found
        if len(self._rows) >= ROWS_KEPT:
            self._rows.clear()  # bounded: memory never grows with the batch
        found = self._rows[key] = self._read_rows(column_1, column_2)
        return found

    def _read_rows(self, column_1: str, column_2: str) -> tuple[PTPRow, ...]:
        first, second = self._code_ids.get(column_1), self._code_ids.get(column_2)
        if first is None or second is None:
            return ()
        pair = (first << CODE_BITS) | second
        pairs = self._pairs
        position = bisect_left(pairs, pair)
        rows = []
        while position < len(pairs) and pairs[position] == pair:
            rows.append(
                PTPRow(
                    column_1,
                    column_2,
                    self._day(self._starts[position]),
                    self._day(self._ends[position]),
                    self._indicators[position],
                    self._rationales[self._rationale_ids[position]],
                )
            )
            position += 1
        return tuple(rows)

    def _day(self, ordinal: int) -> date | None:
        day = self._days.get(ordinal)
        if day is None and ordinal:
            day = self._days[ordinal] = date.fromordinal(ordinal)
        return day


_OPEN: dict[tuple[str, int], tuple[str, PTPIndex]] = {}


def open_index(release: Release, alias: str = "default") -> PTPIndex:
    """The release's index, built first when missing or stale (one open copy per process)."""
    path = index_path(release, alias)
    opened = _OPEN.get((alias, release.pk))
    if opened is not None and opened[0] == str(path) and path.exists():
        return opened[1]
    try:
        index = PTPIndex(path, release)
    except (OSError, ValueError, KeyError):
        index = PTPIndex(build(release, alias), release)
    _OPEN[(alias, release.pk)] = (str(path), index)
    return index
