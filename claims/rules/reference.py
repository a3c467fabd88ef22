"""The only place the rules touch the database.

``ReferenceData.load(claims)`` reads every reference table the rules need with one query per table
for all codes of the claim or the whole batch, and hands the rules plain frozen records and dicts.
Dates are resolved in memory against each line's date of service: PTP and add-on rows by their own
dates (newest loaded release), MUE and fee-schedule rows by the release that applied on the date
(``codes.selectors.ReleaseTimeline``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import partial

from django.db import connections

from codes.choices import CodeSystem, Source
from codes.classify import classify
from codes.dates import applies_between
from codes.icd10cm import DiagnosisCodeSet, fiscal_year
from codes.models import (
    AddOnEdit,
    FeeScheduleIndicator,
    Modifier,
    MUELimit,
    NDCCrosswalk,
    PlaceOfService,
    ProcedureCode,
    PTPEdit,
    Release,
)
from codes.selectors import ICD10CMEditions, ReleaseTimeline, fee_schedule_release_covering

from .inputs import ClaimInput

# Reference tables a rule may declare in ``needs``, with the release source that must be loaded.
TABLES = {
    "codes": (Source.HCPCS, Source.CPT),
    "ptp": (Source.PTP_PRACTITIONER,),
    "mue": (Source.MUE_PRACTITIONER,),
    "aoc": (Source.AOC,),
    "fee_schedule": (Source.PFS_RVU,),
    "pos": (Source.POS,),
    "ndc_crosswalk": (Source.NDC_CROSSWALK,),
}
# Each table in the billing team's words: the rule catalogue's "Needs", and the reason of a check that
# did not run for want of it ("no NCCI PTP edits (practitioner) loaded", ``table_missing_reason``).
TABLE_NAMES = {
    "codes": "HCPCS / CPT code set",
    "ptp": "NCCI PTP edits (practitioner)",
    "mue": "MUE limits (practitioner)",
    "aoc": "Add-on code edits",
    "fee_schedule": "Physician fee schedule indicators",
    "pos": "Place-of-service codes",
    "ndc_crosswalk": "NDC-HCPCS crosswalk",
}


def table_missing_reason(table: str) -> str:
    name = TABLE_NAMES[table]
    if name[1:2].islower():  # "Add-on code edits" -> "add-on code edits"; acronyms stay
        name = name[0].lower() + name[1:]
    return f"no {name} loaded"


# Which key of the output's "reference_data" names each source.
REFERENCE_KEYS = {
    Source.HCPCS: "hcpcs",
    Source.CPT: "cpt",
    Source.PTP_PRACTITIONER: "ptp",
    Source.MUE_PRACTITIONER: "mue",
    Source.AOC: "aoc",
    Source.PFS_RVU: "fee_schedule",
    Source.POS: "pos",
    Source.NDC_CROSSWALK: "ndc_crosswalk",
}


@dataclass(frozen=True, slots=True)
class CodeFacts:
    code: str
    system: str
    cpt_category: str
    section: str
    label: str
    description: str
    added_date: date | None
    termination_date: date | None
    coverage_code: str
    is_add_on: bool
    is_unlisted: bool
    is_drug: bool
    drug_dose_amount: Decimal | None
    drug_dose_unit: str
    drug_route: str
    release_label: str
    origin: str = ""  # codes.choices.CodeOrigin: "edit_file" when only an edit or fee-schedule file names it

    def is_valid_on(self, dos: date) -> bool:
        return applies_between(dos, self.added_date, self.termination_date, end_exclusive=False)


@dataclass(frozen=True, slots=True)
class FeeFacts:
    code: str
    modifier: str
    status: str
    pctc_indicator: str
    global_days: str
    multiple_procedure: str
    bilateral_surgery: str
    release_label: str


@dataclass(frozen=True, slots=True)
class MUEFacts:
    code: str
    value: int
    adjudication_indicator: int
    rationale: str
    release_label: str


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


@dataclass(frozen=True, slots=True)
class AddOnRow:
    add_on_code: str
    primary_code: str
    edit_type: int
    effective_date: date | None
    deletion_date: date | None
    notes: str

    def applies_on(self, dos: date) -> bool:
        return applies_between(dos, self.effective_date, self.deletion_date, end_exclusive=False)


@dataclass(frozen=True, slots=True)
class ModifierFacts:
    code: str
    ncci_group: str
    effective_date: date | None
    termination_date: date | None


@dataclass(frozen=True, slots=True)
class PlaceFacts:
    code: str
    name: str
    facility_type: str


class _PTPRowSlots:
    """The slots of ``PTPRow``, writable: a row is filled here and then becomes a ``PTPRow`` (same
    slot layout), several times faster than the frozen dataclass's constructor for 10^5 rows."""

    __slots__ = PTPRow.__slots__


_new_slots = object.__new__


def _ptp_row(values: tuple) -> PTPRow:
    row = _new_slots(_PTPRowSlots)
    row.column_1, row.column_2, row.effective_date, row.deletion_date, row.modifier_indicator, row.rationale = values
    row.__class__ = PTPRow
    return row


class _DayCache(dict):
    """One ``date`` object per distinct date (PTP rows share a few hundred dates between them), from a
    date or, as SQLite's cursor gives it, ISO text."""

    def __call__(self, day: date | str | None) -> date | None:
        if day is None:
            return None
        found = self.get(day)
        if found is None:
            found = self[day] = day if isinstance(day, date) else date.fromisoformat(day)
        return found


def _cursor_rows(queryset) -> list[tuple]:
    """The rows of a ``values_list`` query as the database cursor returns them (no field converters:
    dates may come as ISO text)."""
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


_CODE_COLUMNS = (
    "code",
    "system",
    "cpt_category",
    "section",
    "label",
    "short_description",
    "long_description",
    "added_date",
    "termination_date",
    "coverage_code",
    "is_add_on",
    "is_unlisted",
    "is_drug",
    "drug_dose_amount",
    "drug_dose_unit",
    "drug_route",
    "release_id",
    "origin",
)


@dataclass(frozen=True)
class DiagnosisEdition:
    """The ICD-10-CM code set a claim's diagnoses are judged by: its release label and codes."""

    label: str
    code_set: DiagnosisCodeSet


@dataclass(slots=True)
class ReferenceRows:
    """The rows ``ReferenceData.fetch_rows`` read: plain values, cheap to hand to another process."""

    releases: list
    dates: frozenset[date]
    codes: list[tuple] = field(default_factory=list)
    modifiers: list[tuple] = field(default_factory=list)
    places: list[tuple] = field(default_factory=list)
    fee: list[tuple] = field(default_factory=list)
    mue: list[tuple] = field(default_factory=list)
    ptp: list[tuple] = field(default_factory=list)
    aoc: list[tuple] = field(default_factory=list)
    ndc: list[tuple] = field(default_factory=list)
    # (code, release id): the real PFS releases listing a CPT code that the release covering one of
    # its dates of service does not list (for "last listed in RVU20D").
    fee_listed: list[tuple] = field(default_factory=list)


def _releases_for(timeline: ReleaseTimeline, source: str, dates: Iterable[date]) -> dict[date, Release]:
    """The release of ``source`` that applies on each date (dates without one are left out)."""
    resolved = {}
    for day in dates:
        release = timeline.for_date(source, day)
        if release is not None:
            resolved[day] = release
    return resolved


def _fee_listings_of_missing_cpt_codes(
    timeline: ReleaseTimeline, codes: Iterable[str], dates: Iterable[date], fee: list[tuple]
) -> list[tuple]:
    """(code, release id) of every real PFS release listing a CPT code that a release covering one of
    the dates does not list: one query, and only when there is such a code (a deleted or mistyped
    one). Nothing when a licensed CPT file is loaded (it decides CPT validity then)."""
    if any(not release.is_starter for release in timeline.releases(Source.CPT)):
        return []
    covering = {release.pk for release in map(partial(fee_schedule_release_covering, timeline), dates) if release}
    if not covering:
        return []
    listed = {(release_id, code) for release_id, code, *_ in fee}
    missing = sorted(
        code
        for code in codes
        if classify(code).system == CodeSystem.CPT and any((pk, code) not in listed for pk in covering)
    )
    if not missing:
        return []
    return list(
        FeeScheduleIndicator.objects.filter(code__in=missing, release__is_starter=False)
        .values_list("code", "release_id")
        .distinct()
    )


class ReferenceData:
    """Reference facts for a set of claims, loaded with one query per table."""

    def __init__(self) -> None:
        self.timeline = ReleaseTimeline([])
        self.codes: dict[str, CodeFacts] = {}
        self.modifiers: dict[str, ModifierFacts] = {}
        self.places: dict[str, PlaceFacts] = {}
        self._fee: dict[tuple[int, str, str], FeeFacts] = {}
        self._mue: dict[tuple[int, str], MUEFacts] = {}
        self.ptp: dict[tuple[str, str], list[PTPRow]] = {}
        self.ptp_release_label = ""
        self.aoc: dict[str, list[AddOnRow]] = {}
        self.aoc_release_label = ""
        self.ndc_codes: dict[str, frozenset[str]] = {}  # NDC (11 digits) -> HCPCS codes it crosswalks to
        self.crosswalk_codes: frozenset[str] = frozenset()  # codes that have crosswalk rows
        self.ndc_release_label = ""
        self._release_labels: dict[int, str] = {}
        self._fee_release_by_date: dict[date, int] = {}
        self._mue_release_by_date: dict[date, int] = {}
        self._loaded_tables: set[str] | None = None  # set only for in-memory reference data (tests)
        self._default_release: int | None = None
        # Code systems whose whole code set is loaded (a CMS HCPCS file, a licensed CPT file): only
        # for those is a well-formed code that is not in the table known to be invalid. The starter
        # data holds a few hundred codes only.
        self.complete_systems: frozenset[str] = frozenset()
        self._mue_by_code: dict[str, tuple[MUEFacts, ...]] | None = None
        self._fee_by_code: dict[str, tuple[FeeFacts, ...]] | None = None
        # CPT validity from public data (no licensed CPT file): the real PFS release covering each date
        # of service, the (release id, code) pairs it lists, and the real releases listing a code that
        # a covering release does not.
        self._cpt_release_by_date: dict[date, Release | None] = {}
        self._fee_listed: set[tuple[int, str]] = set()
        self._other_listings: dict[str, list[Release]] = {}
        # ICD-10-CM: the loaded editions by fiscal year, and the code sets of the batch's fiscal years (read
        # before the batch forks its workers, so they share them). In-memory reference data (tests) may
        # give one code set for every date instead.
        self._icd10cm = ICD10CMEditions([])
        self._diagnosis_editions: dict[int, DiagnosisEdition | None] = {}
        self._every_date_edition: DiagnosisEdition | None = None

    # --- loading ----------------------------------------------------------------------------
    @classmethod
    def load(cls, claims: Iterable[ClaimInput]) -> ReferenceData:
        claims = list(claims)
        codes: set[str] = set()
        ndcs: set[str] = set()
        dates: set[date] = set()
        for claim in claims:
            dates.add(claim.dos)  # the diagnoses' fiscal year
            for line in claim.lines:
                codes.add(line.code)
                dates.add(line.dos)
                if line.ndc:
                    ndcs.add(line.ndc.replace("-", "").strip())
            for item in claim.history:
                codes.add(item.code)
                dates.add(item.dos)
        return cls.for_codes(codes, dates, ndcs)

    @classmethod
    def for_codes(cls, codes: set[str], dates: set[date], ndcs: set[str] = frozenset()) -> ReferenceData:
        return cls.from_rows(cls.fetch_rows(codes, dates, ndcs))

    @classmethod
    def fetch_rows(cls, codes: set[str], dates: set[date], ndcs: set[str] = frozenset()) -> ReferenceRows:
        """The reference rows for these codes, dates of service and NDCs: one query per table, plain
        tuples only (``from_rows`` makes the look-up structures; the batch check reads the rows in
        another process while this one reads the input)."""
        releases = list(Release.objects.all())
        timeline = ReleaseTimeline(releases)
        code_list = sorted(codes)
        day = _DayCache()
        rows = ReferenceRows(releases=releases, dates=frozenset(dates))
        rows.codes = [
            (*row[:7], day(row[7]), day(row[8]), *row[9:])
            for row in ProcedureCode.objects.filter(code__in=code_list).values_list(*_CODE_COLUMNS)
        ]
        rows.modifiers = [
            (code, group, day(start), day(end))
            for code, group, start, end in Modifier.objects.values_list(
                "code", "ncci_group", "effective_date", "termination_date"
            )
        ]
        rows.places = list(PlaceOfService.objects.values_list("code", "name", "facility_type"))
        fee_releases = {r.pk for r in _releases_for(timeline, Source.PFS_RVU, dates).values()}
        if fee_releases:
            rows.fee = list(
                FeeScheduleIndicator.objects.filter(release_id__in=fee_releases, code__in=code_list).values_list(
                    "release_id",
                    "code",
                    "modifier",
                    "status",
                    "pctc_indicator",
                    "global_days",
                    "multiple_procedure",
                    "bilateral_surgery",
                )
            )
        rows.fee_listed = _fee_listings_of_missing_cpt_codes(timeline, codes, dates, rows.fee)
        mue_releases = {r.pk for r in _releases_for(timeline, Source.MUE_PRACTITIONER, dates).values()}
        if mue_releases:
            rows.mue = list(
                MUELimit.objects.filter(release_id__in=mue_releases, code__in=code_list).values_list(
                    "release_id", "code", "value", "adjudication_indicator", "rationale"
                )
            )
        release = timeline.newest(Source.PTP_PRACTITIONER)
        if release is not None:
            # 10^5 rows: read through the cursor, with each distinct date and text made once, column by
            # column (the ORM's per-value converters cost more than the query).
            found = _cursor_rows(
                PTPEdit.objects.filter(
                    release_id=release.pk,
                    column_1__in=code_list,
                    column_2__in=code_list,
                    modifier_indicator__in=(0, 1),
                ).values_list(
                    "column_1", "column_2", "effective_date", "deletion_date", "modifier_indicator", "rationale"
                )
            )
            if found:
                column_1, column_2, starts, ends, indicators, rationales = zip(*found, strict=True)
                texts = {text: text for text in {*column_1, *column_2, *rationales}}
                days = {value: day(value) for value in {*starts, *ends}}
                rows.ptp = list(
                    zip(
                        map(texts.__getitem__, column_1),
                        map(texts.__getitem__, column_2),
                        map(days.__getitem__, starts),
                        map(days.__getitem__, ends),
                        indicators,
                        map(texts.__getitem__, rationales),
                        strict=True,
                    )
                )
        release = timeline.newest(Source.AOC)
        if release is not None:
            rows.aoc = [
                (code, primary, edit_type, day(start), day(end), notes)
                for code, primary, edit_type, start, end, notes in AddOnEdit.objects.filter(
                    release_id=release.pk, add_on_code__in=code_list
                ).values_list("add_on_code", "primary_code", "edit_type", "effective_date", "deletion_date", "notes")
            ]
        release = timeline.newest(Source.NDC_CROSSWALK)
        if release is not None:
            from django.db.models import Q

            rows.ndc = list(
                NDCCrosswalk.objects.filter(release_id=release.pk)
                .filter(Q(code__in=code_list) | Q(ndc__in=sorted(ndcs)))
                .values_list("ndc", "code")
            )
        return rows

    @classmethod
    def from_rows(cls, rows: ReferenceRows) -> ReferenceData:
        """The look-up structures the rules read, from ``fetch_rows``' rows."""
        ref = cls()
        ref.timeline = ReleaseTimeline(rows.releases)
        ref._release_labels = {r.pk: r.label for source in Source for r in ref.timeline.releases(source)}
        ref.complete_systems = frozenset(
            system
            for system, source in (("HCPCS", Source.HCPCS), ("CPT", Source.CPT))
            if any(not release.is_starter for release in ref.timeline.releases(source))
        )
        labels = ref._release_labels
        for (
            code,
            system,
            category,
            section,
            label,
            short,
            long,
            added,
            term,
            cov,
            add_on,
            unlisted,
            drug,
            amount,
            unit,
            route,
            release_id,
            origin,
        ) in rows.codes:
            ref.codes[code] = CodeFacts(
                code,
                system,
                category,
                section,
                label,
                long or short or label,
                added,
                term,
                cov,
                add_on,
                unlisted,
                drug,
                amount,
                unit,
                route,
                labels.get(release_id, ""),
                origin,
            )
        ref.modifiers = {row[0]: ModifierFacts(*row) for row in rows.modifiers}
        ref.places = {row[0]: PlaceFacts(*row) for row in rows.places}
        ref._fee_release_by_date = {
            day: r.pk for day, r in _releases_for(ref.timeline, Source.PFS_RVU, rows.dates).items()
        }
        for release_id, code, modifier, status, pctc, glob, mult, bilat in rows.fee:
            ref._fee[(release_id, code, modifier)] = FeeFacts(
                code, modifier, status, pctc, glob, mult, bilat, labels.get(release_id, "")
            )
            ref._fee_listed.add((release_id, code))
        ref._cpt_release_by_date = {day: fee_schedule_release_covering(ref.timeline, day) for day in rows.dates}
        by_pk = {release.pk: release for release in rows.releases}
        for code, release_id in rows.fee_listed:
            ref._other_listings.setdefault(code, []).append(by_pk[release_id])
        for found in ref._other_listings.values():
            found.sort(key=lambda release: release.effective_date)
        ref._mue_release_by_date = {
            day: r.pk for day, r in _releases_for(ref.timeline, Source.MUE_PRACTITIONER, rows.dates).items()
        }
        for release_id, code, value, mai, rationale in rows.mue:
            ref._mue[(release_id, code)] = MUEFacts(code, value, mai, rationale, labels.get(release_id, ""))
        release = ref.timeline.newest(Source.PTP_PRACTITIONER)
        if release is not None:
            ref.ptp_release_label = release.label
            ptp: dict[tuple[str, str], list[PTPRow]] = {}
            for row in rows.ptp:
                key = (row[0], row[1])
                found = ptp.get(key)
                if found is None:
                    ptp[key] = [_ptp_row(row)]
                else:
                    found.append(_ptp_row(row))
            ref.ptp = ptp
        release = ref.timeline.newest(Source.AOC)
        if release is not None:
            ref.aoc_release_label = release.label
            aoc: dict[str, list[AddOnRow]] = defaultdict(list)
            for row in rows.aoc:
                aoc[row[0]].append(AddOnRow(*row))
            ref.aoc = dict(aoc)
        release = ref.timeline.newest(Source.NDC_CROSSWALK)
        if release is not None:
            ref.ndc_release_label = release.label
            by_ndc: dict[str, set[str]] = defaultdict(set)
            covered = set()
            for ndc, code in rows.ndc:
                by_ndc[ndc].add(code)
                covered.add(code)
            ref.ndc_codes = {ndc: frozenset(c) for ndc, c in by_ndc.items()}
            ref.crosswalk_codes = frozenset(covered)
        ref._icd10cm = ICD10CMEditions(release for release in rows.releases if release.source == Source.ICD10CM)
        for day in rows.dates:
            ref.diagnosis_edition(day)
        return ref

    @classmethod
    def from_facts(
        cls,
        *,
        codes: Iterable[CodeFacts] = (),
        fee: Iterable[FeeFacts] = (),
        mue: Iterable[MUEFacts] = (),
        ptp: Iterable[PTPRow] = (),
        aoc: Iterable[AddOnRow] = (),
        modifiers: Iterable[ModifierFacts] = (),
        places: Iterable[PlaceFacts] = (),
        ndc: Iterable[tuple[str, str]] = (),
        diagnoses: DiagnosisCodeSet | None = None,
        loaded: Iterable[str] | None = None,
    ) -> ReferenceData:
        """Reference data built in memory, for rule tests that need no database.

        Every fact applies to every date of service, the ICD-10-CM code set ``diagnoses`` too (None: no
        edition loaded); ``loaded`` names the tables treated as loaded (default: every table that was
        given at least one fact, plus codes).
        """
        ref = cls()
        if diagnoses is not None:
            ref._every_date_edition = DiagnosisEdition(label="test", code_set=diagnoses)
        ref._default_release = 1
        ref.complete_systems = frozenset({"CPT", "HCPCS"})
        ref.codes = {c.code: c for c in codes}
        ref._fee = {(1, f.code, f.modifier): f for f in fee}
        ref._mue = {(1, m.code): m for m in mue}
        for row in ptp:
            ref.ptp.setdefault((row.column_1, row.column_2), []).append(row)
        for row in aoc:
            ref.aoc.setdefault(row.add_on_code, []).append(row)
        ref.modifiers = {m.code: m for m in modifiers}
        ref.places = {p.code: p for p in places}
        by_ndc: dict[str, set[str]] = defaultdict(set)
        for ndc_code, code in ndc:
            by_ndc[ndc_code].add(code)
        ref.ndc_codes = {k: frozenset(v) for k, v in by_ndc.items()}
        ref.crosswalk_codes = frozenset(code for _, code in ndc)
        ref.ptp_release_label = ref.aoc_release_label = ref.ndc_release_label = "test"
        given = {
            "codes": True,
            "fee_schedule": bool(ref._fee),
            "mue": bool(ref._mue),
            "ptp": bool(ref.ptp),
            "aoc": bool(ref.aoc),
            "pos": bool(ref.places),
            "ndc_crosswalk": bool(ref.ndc_codes),
        }
        ref._loaded_tables = set(loaded) if loaded is not None else {t for t, ok in given.items() if ok}
        if "codes" not in ref._loaded_tables:  # no code table: no code set is complete either
            ref.complete_systems = frozenset()
        return ref

    # --- look-ups for rules -------------------------------------------------------------------
    def is_loaded(self, table: str) -> bool:
        if self._loaded_tables is not None:
            return table in self._loaded_tables
        return any(self.timeline.is_loaded(source) for source in TABLES[table])

    def code(self, code: str) -> CodeFacts | None:
        return self.codes.get(code)

    def fee(self, code: str, dos: date, modifier: str = "") -> FeeFacts | None:
        release_id = self._fee_release_by_date.get(dos, self._default_release) if self._fee else None
        if release_id is None:
            return None
        return self._fee.get((release_id, code, modifier)) or (
            self._fee.get((release_id, code, "")) if modifier else None
        )

    def cpt_fee_schedule(self, dos: date) -> Release | None:
        """The real PFS relative value release that says which CPT codes exist on ``dos``
        (``codes.selectors.fee_schedule_release_covering``), or None when no loaded file can."""
        found = self._cpt_release_by_date.get(dos, False)
        if found is False:  # a date the batch did not load (a rule test): resolve it now
            found = self._cpt_release_by_date[dos] = fee_schedule_release_covering(self.timeline, dos)
        return found

    def fee_schedule_lists(self, release: Release, code: str) -> bool:
        """Whether the fee-schedule release lists the code (with or without a modifier)."""
        return (release.pk, code) in self._fee_listed

    def fee_schedule_listings(self, code: str) -> list[Release]:
        """The real PFS releases listing a CPT code that the release covering one of the batch's dates
        does not list, oldest first (for the message of a deleted code)."""
        return self._other_listings.get(code, [])

    def mue(self, code: str, dos: date) -> MUEFacts | None:
        release_id = self._mue_release_by_date.get(dos, self._default_release) if self._mue else None
        if release_id is None:
            return None
        return self._mue.get((release_id, code))

    def mue_rows(self, code: str) -> tuple[MUEFacts, ...]:
        """The code's MUE rows in every loaded release, whatever the date: for pre-filters that
        must know whether a rule could fire on the code at all."""
        if self._mue_by_code is None:
            by_code: dict[str, list[MUEFacts]] = defaultdict(list)
            for facts in self._mue.values():
                by_code[facts.code].append(facts)
            self._mue_by_code = {code: tuple(rows) for code, rows in by_code.items()}
        return self._mue_by_code.get(code, ())

    def fee_rows(self, code: str) -> tuple[FeeFacts, ...]:
        """The code's fee-schedule rows without a modifier (those ``fee(code, dos)`` returns) in every
        loaded release, whatever the date: for pre-filters."""
        if self._fee_by_code is None:
            by_code: dict[str, list[FeeFacts]] = defaultdict(list)
            for (_release, code_key, modifier), facts in self._fee.items():
                if not modifier:
                    by_code[code_key].append(facts)
            self._fee_by_code = {code: tuple(rows) for code, rows in by_code.items()}
        return self._fee_by_code.get(code, ())

    def addon_rows(self, add_on_code: str, dos: date) -> list[AddOnRow]:
        return [row for row in self.aoc.get(add_on_code, ()) if row.applies_on(dos)]

    def diagnosis_edition(self, dos: date) -> DiagnosisEdition | None:
        """The ICD-10-CM edition of the fiscal year containing ``dos`` (catalogue FMT-DX-INVALID), or None
        when no edition of that fiscal year is loaded: never another year's."""
        if self._every_date_edition is not None:
            return self._every_date_edition
        year = fiscal_year(dos)
        if year not in self._diagnosis_editions:
            edition = self._icd10cm.for_fiscal_year(year)
            self._diagnosis_editions[year] = (
                DiagnosisEdition(label=edition.label, code_set=edition.code_set()) if edition is not None else None
            )
        return self._diagnosis_editions[year]

    def release_label(self, source: str, dos: date | None = None) -> str:
        release = self.timeline.for_date(source, dos) if dos else self.timeline.newest(source)
        return release.label if release else ""

    def releases_used(self) -> dict[str, str]:
        used = {}
        for source, key in REFERENCE_KEYS.items():
            release = self.timeline.newest(source)
            if release is not None:
                used[key] = release.label
        return used
