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
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from .choices import DATED_ROW_SOURCES, CodeOrigin, CodeSystem, Source
from .dates import applies_between  # noqa: F401  (re-exported for callers)
from .models import ProcedureCode, Release


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
