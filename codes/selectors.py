"""Reads of the reference data: which release applies to a date of service.

The rule (issue #2, "Which row applies to a date of service"):

* Rows that carry their own dates (PTP edits, add-on edits, HCPCS/CPT codes, modifiers) apply
  within those dates. For these the newest loaded release of the source is used for every date of
  service: CMS re-issues the whole history in every quarter's file.
* Tables whose rows carry no dates (MUE, fee-schedule indicators, ASP limits, NDC crosswalk) apply
  from their release's effective date until the next loaded release's effective date. Where no
  release of that table is loaded for an earlier date, the oldest loaded release also covers those
  earlier dates of service (a practice that loads this quarter's files still checks last quarter's
  claims with them).
* The starter data set is a stand-in until the real files are imported: in a source that has a real
  (CMS or licensed) release, its starter releases are never the release that applies, whatever their
  effective date or import time (``make run`` loads the starter data again on every start, and a
  subset of a table must not shadow the full table). They stay listed, for their rows' labels.

``ReleaseTimeline`` loads every release in one query, so the engine can resolve any number of
lines and dates in memory.

ICD-10-CM is different: an edition is the code set of one federal fiscal year (October 1 to
September 30), and a date of service is checked against the edition of its own fiscal year or not
at all (``ICD10CMEditions``, ``icd10cm_edition_for``); never against another year's.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_right
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import connection
from django.db.models import Case, IntegerField, Q, Value, When

from .choices import DATED_ROW_SOURCES, CodeOrigin, CodeSystem, Source
from .dates import applies_between  # noqa: F401  (re-exported for callers)
from .icd10cm import SHIPPED_BY, DiagnosisCodeSet, bare_code, fiscal_year, fiscal_year_end, fiscal_year_start
from .models import DiagnosisCode, ProcedureCode, Release
from .validators import has_unpaired_surrogate


class ReleaseTimeline:
    """All loaded releases, grouped by source and ordered by effective date (ties: newest import wins).

    Only a source's real releases apply once it has one: its starter releases then stay in
    ``releases()`` but are never ``newest()`` nor ``for_date()``."""

    def __init__(self, releases: Iterable[Release]):
        by_source: dict[str, list[Release]] = defaultdict(list)
        for release in releases:
            by_source[release.source].append(release)
        self._listed: dict[str, list[Release]] = {}
        self._releases: dict[str, list[Release]] = {}
        self._starts: dict[str, list[date]] = {}
        for source, items in by_source.items():
            items.sort(key=lambda r: (r.effective_date, r.imported_at, r.pk or 0))
            self._listed[source] = list(items)
            if any(not item.is_starter for item in items):
                items = [item for item in items if not item.is_starter]
            # Two releases with the same effective date: the later import replaces the earlier one.
            deduped: list[Release] = []
            for item in items:
                if deduped and deduped[-1].effective_date == item.effective_date:
                    deduped[-1] = item
                else:
                    deduped.append(item)
            self._releases[source] = deduped
            self._starts[source] = [r.effective_date for r in deduped]

    @classmethod
    def load(cls, sources: Iterable[str] | None = None) -> ReleaseTimeline:
        queryset = Release.objects.all()
        if sources is not None:
            queryset = queryset.filter(source__in=list(sources))
        return cls(queryset)

    def releases(self, source: str) -> list[Release]:
        """Every loaded release of ``source``, starter ones included, oldest first."""
        return list(self._listed.get(source, []))

    def is_loaded(self, source: str) -> bool:
        return bool(self._releases.get(source))

    def newest(self, source: str) -> Release | None:
        items = self._releases.get(source)
        return items[-1] if items else None

    def for_date(self, source: str, dos: date) -> Release | None:
        """The release of ``source`` whose rows apply to a service on ``dos`` (None when none is loaded)."""
        items = self._releases.get(source)
        if not items:
            return None
        if source in DATED_ROW_SOURCES:
            return items[-1]
        index = bisect_right(self._starts[source], dos) - 1
        return items[max(index, 0)]

    def for_dates(self, source: str, dates: Iterable[date]) -> dict[date, Release | None]:
        return {dos: self.for_date(source, dos) for dos in set(dates)}


def release_for(source: str | Source, dos: date) -> Release | None:
    """The release of one source that applies to one date of service (one query)."""
    return ReleaseTimeline.load([source]).for_date(source, dos)


def fee_schedule_release_covering(timeline: ReleaseTimeline, dos: date) -> Release | None:
    """The real PFS relative value release that lists the codes of ``dos``'s year, or None.

    A CPT code number in the relative value file of a year is a code of that year (public data; the
    licensed CPT file is not needed to know that). The release must be a real CMS file (the starter
    data is a small subset and never says a code is missing), take effect on or before ``dos`` and in
    the same calendar year (CPT codes change every January 1: an older year's file cannot vouch for
    this year's codes, nor a later one for last year's).
    """
    release = timeline.for_date(Source.PFS_RVU, dos)
    if release is None or release.is_starter:
        return None
    if release.effective_date > dos or release.effective_date.year != dos.year:
        return None
    return release


@dataclass(frozen=True)
class CodeSetCoverage:
    """What the loaded data can say about a code's validity on one day, for the code look-up (the engine's
    COD-EFFECTIVE judges the same way): a CPT code by a licensed CPT file (its codes carry their own
    dates), else by the real PFS relative value file covering the day; a HCPCS code by the CMS HCPCS
    file, or by the code files that list it (the starter data's CMS rows), not by an edit file naming it."""

    cpt_file: bool
    hcpcs_file: bool
    fee_release: Release | None

    @classmethod
    def on(cls, timeline: ReleaseTimeline, day: date) -> CodeSetCoverage:
        def real(source: str) -> bool:
            return any(not release.is_starter for release in timeline.releases(source))

        return cls(
            cpt_file=real(Source.CPT),
            hcpcs_file=real(Source.HCPCS),
            fee_release=fee_schedule_release_covering(timeline, day),
        )

    def doubt(self, code: ProcedureCode, *, listed: bool) -> str:
        """Why the data cannot vouch that a code is a code on the day ('' when it can); ``listed``: the
        fee-schedule release covering the day lists it."""
        if code.system == CodeSystem.HCPCS:
            if self.hcpcs_file or code.origin != CodeOrigin.EDIT_FILE:
                return ""
            return "Validity not checked: no HCPCS Level II code file loaded"
        if self.cpt_file:
            return ""
        if self.fee_release is None:
            return "Validity not checked: no CPT code set loaded"
        if listed:
            return ""
        if code.code.isdigit():
            return f"Not in the current fee schedule file ({self.fee_release.label})"
        return (
            f"Validity not checked: not in the fee schedule file {self.fee_release.label}, "
            "which lists only some Category II, III and PLA codes"
        )

# --- ICD-10-CM: one edition per fiscal year --------------------------------------------------------


@dataclass(frozen=True)
class Edition:
    """The ICD-10-CM edition (a release of source ``icd10cm``) that applies to one fiscal year."""

    release: Release
    fiscal_year: int

    @property
    def shipped(self) -> bool:
        """Loaded from codes/icd10cm_editions/ by ``load_starter_data`` (not from a CMS file)."""
        return self.release.imported_by == SHIPPED_BY

    @property
    def label(self) -> str:
        return self.release.label

    @property
    def first_day(self) -> date:
        return fiscal_year_start(self.fiscal_year)

    @property
    def last_day(self) -> date:
        return fiscal_year_end(self.fiscal_year)

    def code_set(self) -> DiagnosisCodeSet:
        """The edition's codes in memory: built with one query the first time, then cached for the process."""
        return icd10cm_code_set(self.release)


class ICD10CMEditions:
    """Every loaded ICD-10-CM edition by fiscal year (one query), for resolving any number of dates in memory.

    Which release is a fiscal year's edition: the releases whose effective date falls in that fiscal
    year; one imported from a CMS file wins over a shipped one, then the latest import. A date of service
    in a fiscal year with no edition gets None: never another year's code set."""

    def __init__(self, releases: Iterable[Release]):
        chosen: dict[int, Release] = {}
        for release in releases:
            year = fiscal_year(release.effective_date)
            current = chosen.get(year)
            if current is None or self._rank(release) > self._rank(current):
                chosen[year] = release
        self._editions = {year: Edition(release=release, fiscal_year=year) for year, release in chosen.items()}

    @staticmethod
    def _rank(release: Release) -> tuple:
        return (release.imported_by != SHIPPED_BY, release.imported_at, release.pk or 0)

    @classmethod
    def load(cls) -> ICD10CMEditions:
        return cls(Release.objects.filter(source=Source.ICD10CM))

    def fiscal_years(self) -> list[int]:
        return sorted(self._editions)

    def for_fiscal_year(self, year: int) -> Edition | None:
        return self._editions.get(year)

    def for_date(self, dos: date) -> Edition | None:
        return self._editions.get(fiscal_year(dos))


def icd10cm_edition_for(dos: date) -> Edition | None:
    """The ICD-10-CM edition of the fiscal year containing ``dos`` (one query), or None when none is loaded."""
    return ICD10CMEditions.load().for_date(dos)


_CODE_SET_CACHE: OrderedDict[tuple[int, str], DiagnosisCodeSet] = OrderedDict()
_CODE_SET_CACHE_SIZE = 6  # editions kept in memory per process (each about 20 MB)
_CODE_SET_LOCK = threading.Lock()


def _diagnosis_rows(release_id: int) -> list[tuple[str, bool]]:
    """(code, billable) of an edition, read with a plain cursor and at once: about 100,000 rows, so the ORM's
    per-row converters would cost more than the query, and the batch check reads them before its workers
    start (SQLite gives the flag as 0/1, PostgreSQL as a bool; both read as true or false)."""
    table = DiagnosisCode._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT code, billable FROM {table} WHERE release_id = %s", [release_id])
        return cursor.fetchall()


def icd10cm_code_set(release: Release) -> DiagnosisCodeSet:
    """An edition's codes in memory, built once per release and file (its pk and sha256) per process."""
    key = (release.pk, release.sha256)
    with _CODE_SET_LOCK:
        found = _CODE_SET_CACHE.get(key)
        if found is not None:
            _CODE_SET_CACHE.move_to_end(key)
            return found
    code_set = DiagnosisCodeSet(_diagnosis_rows(release.pk))
    with _CODE_SET_LOCK:
        _CODE_SET_CACHE[key] = code_set
        while len(_CODE_SET_CACHE) > _CODE_SET_CACHE_SIZE:
            _CODE_SET_CACHE.popitem(last=False)
    return code_set


def icd10cm_code_set_cache_clear() -> None:
    with _CODE_SET_LOCK:
        _CODE_SET_CACHE.clear()


DIAGNOSIS_SEARCH_LIMIT = 20
DIAGNOSIS_SEARCH_MAX_CHARS = 100
DIAGNOSIS_SEARCH_MAX_WORDS = 6
# Text that may be the beginning of a code (dot optional): E66, E66.8, e6681, QA0, s01.81xa.
_DIAGNOSIS_CODE_START = re.compile(r"^[A-Z][0-9A-Z]{1,6}$")


def diagnosis_search(edition: Edition, text: str, *, limit: int = DIAGNOSIS_SEARCH_LIMIT) -> list[DiagnosisCode]:
    """An edition's codes matching a code prefix (``e66.8``) or all of the words in their description
    (``uterine fibroid``): the exact code first, then codes beginning with it, then description matches,
    each by code. One query; fewer than two characters, or unprintable text, match nothing."""
    text = " ".join((text or "").split())
    if len(text) < 2 or len(text) > DIAGNOSIS_SEARCH_MAX_CHARS or "\x00" in text or has_unpaired_surrogate(text):
        return []
    code = bare_code(text)
    words = text.split()[:DIAGNOSIS_SEARCH_MAX_WORDS]
    described = Q()
    for word in words:
        described &= Q(description__icontains=word)
    match = described
    rank = Value(2)
    if _DIAGNOSIS_CODE_START.match(code) and any(ch.isdigit() for ch in code):
        match = Q(code__startswith=code) | described
        rank = Case(
            When(code=code, then=Value(0)),
            When(code__startswith=code, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
    queryset = (
        DiagnosisCode.objects.filter(match, release_id=edition.release.pk)
        .annotate(rank=rank)
        .order_by("rank", "code")
        .only("code", "billable", "description")
    )
    return list(queryset[:limit])
