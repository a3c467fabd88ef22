"""The only place the rules touch the database.

``ReferenceData.load(claims)`` reads every reference table the rules need with one query per table
for the codes of the claims (``reference_keys``: their lines' and history's codes and NDCs), and hands
the rules plain frozen records and dicts; ``extend(claims)`` adds the codes of more claims (the batch
check, a chunk at a time). Dates are resolved in memory against each line's date of service: PTP and
add-on rows by their own dates (newest loaded release), MUE and fee-schedule rows by the release that
applied on the date (``codes.selectors.ReleaseTimeline``). The PTP pairs of a big batch come from the
release's memory-mapped index (``codes.ptp_index``) instead of the table.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q

from codes import ptp_index as ptp_index_module
from codes.choices import Source
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
    Release,
)
from codes.ptp_index import PTPIndex, PTPRow, row_order
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


_UNKNOWN = object()  # a date not resolved to a release yet
PTP_QUERY_MAX_CODES = 200  # codes whose PTP pairs ``ReferenceData.load`` reads with a query (more: the index)


class _DayCache(dict):
    """One ``date`` object per distinct date (rows share a few hundred dates between them)."""

    def __call__(self, day: date | None) -> date | None:
        if day is None:
            return None
        found = self.get(day)
        if found is None:
            found = self[day] = day
        return found


class PTPRows:
    """PTP rows held in memory, grouped by pair (the rows of the claim's codes on the interactive path,
    or rules' tests). The batch check reads the same rows from ``codes.ptp_index.PTPIndex``; both
    answer ``rows``, ``is_column_two`` and ``edits_among`` the same way."""

    def __init__(self, rows: Iterable[PTPRow] = ()):
        self._rows: dict[tuple[str, str], tuple[PTPRow, ...]] = {}
        self._column_one: dict[str, frozenset[str]] = {}
        self.add(rows)

    def add(self, rows: Iterable[PTPRow]) -> None:
        """Add the rows of pairs not held yet (those of newly loaded codes)."""
        by_pair: dict[tuple[str, str], list[PTPRow]] = defaultdict(list)
        for row in rows:
            by_pair[(row.column_1, row.column_2)].append(row)
        column_one: dict[str, set[str]] = defaultdict(set)
        for pair, found in by_pair.items():
            self._rows[pair] = tuple(sorted(found, key=row_order))
            column_one[pair[1]].add(pair[0])
        for code, found in column_one.items():
            self._column_one[code] = self._column_one.get(code, frozenset()) | found

    def __len__(self) -> int:
        return len(self._rows)

    def is_column_two(self, code: str) -> bool:
        """Whether the code is column 2 of some row (any date)."""
        return code in self._column_one

    def edits_among(self, codes: Iterable[str]) -> dict[str, set[str]]:
        """The edited pairs among ``codes`` (rows of any date): each code that is column 2 of such a row ->
        the codes of ``codes`` that are column 1 of its rows."""
        codes = set(codes)
        found = {}
        for code in codes:
            firsts = self._column_one.get(code)
            if firsts is not None and not firsts.isdisjoint(codes):
                found[code] = firsts & codes
        return found

    def rows(self, column_1: str, column_2: str) -> tuple[PTPRow, ...]:
        """The pair's rows in ``row_order``."""
        return self._rows.get((column_1, column_2), ())


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


def reference_keys(claims: Iterable[ClaimInput]) -> tuple[set[str], set[str]]:
    """What the reference data of some claims is looked up by: the codes of their lines and history,
    and the NDCs of their lines (11 digits). The one place that gathers them."""
    codes: set[str] = set()
    ndcs: set[str] = set()
    for claim in claims:
        for line in claim.lines:
            codes.add(line.code)
            if line.ndc:
                ndcs.add(line.ndc.replace("-", "").strip())
        for item in claim.history:
            codes.add(item.code)
    return codes, ndcs


class ReferenceData:
    """Reference facts for a set of claims, loaded with one query per table.

    ``load(claims)`` reads the facts of the claims' codes; ``extend(claims)`` adds those of more claims'
    codes not loaded yet (the batch check, a chunk of claims at a time: memory grows with the codes
    seen, never with the claims). The releases, modifiers and places of service are read once, whole.
    PTP rows come from the database for the loaded codes, or, with ``ptp_index=True``, from the
    newest practitioner release's index (``codes.ptp_index``: every pair, shared by processes).
    """

    def __init__(self) -> None:
        self.timeline = ReleaseTimeline([])
        self.codes: dict[str, CodeFacts] = {}
        self.modifiers: dict[str, ModifierFacts] = {}
        self.places: dict[str, PlaceFacts] = {}
        self._fee: dict[tuple[int, str, str], FeeFacts] = {}
        self._mue: dict[tuple[int, str], MUEFacts] = {}
        self.ptp: PTPRows | PTPIndex = PTPRows()
        self.ptp_release_label = ""
        self.aoc: dict[str, list[AddOnRow]] = {}
        self.aoc_release_label = ""
        self.ndc_codes: dict[str, frozenset[str]] = {}  # NDC (11 digits) -> HCPCS codes it crosswalks to
        self.crosswalk_codes: frozenset[str] = frozenset()  # codes that have crosswalk rows
        self.ndc_release_label = ""
        self._release_labels: dict[int, str] = {}
        self._fee_release_by_date: dict[date, int | None] = {}
        self._mue_release_by_date: dict[date, int | None] = {}
        self._loaded_tables: set[str] | None = None  # set only for in-memory reference data (tests)
        self._default_release: int | None = None
        # Code systems whose whole code set is loaded (a CMS HCPCS file, a licensed CPT file): only
        # for those is a well-formed code that is not in the table known to be invalid. The starter
        # data holds a few hundred codes only.
        self.complete_systems: frozenset[str] = frozenset()
        self._mue_by_code: dict[str, tuple[MUEFacts, ...]] = {}
        self._fee_by_code: dict[str, tuple[FeeFacts, ...]] = {}
        self._loaded_codes: set[str] = set()
        self._loaded_ndcs: set[str] = set()
        self._ptp_release: Release | None = None
        # CPT validity from public data (no licensed CPT file): the real PFS release covering each date of
        # service, and the fee-schedule releases listing each loaded code (the fee rows of every release are
        # loaded for a code), for "last listed in RVU20D".
        self._cpt_release_by_date: dict[date, Release | None] = {}
        self._fee_listed: set[tuple[int, str]] = set()
        self._listings: dict[str, set[int]] = defaultdict(set)
        # ICD-10-CM: the loaded editions by fiscal year, and the code sets read so far (one per fiscal year, on
        # first use). In-memory reference data (tests) may give one code set for every date instead.
        self._icd10cm = ICD10CMEditions([])
        self._diagnosis_editions: dict[int, DiagnosisEdition | None] = {}
        self._every_date_edition: DiagnosisEdition | None = None

    # --- loading ----------------------------------------------------------------------------
    @classmethod
    def load(cls, claims: Sequence[ClaimInput], *, ptp_index: bool | None = None) -> ReferenceData:
        """The facts of the claims' codes. Their PTP pairs come from a query of the pairs among those codes
        (one claim: a few index look-ups), or, for more than ``PTP_QUERY_MAX_CODES`` codes (``ptp_index``
        None) or with ``ptp_index``, from the release's index: a query for the pairs among thousands of
        codes reads far more than the index's look-ups (SQLite probes every pair of codes)."""
        codes, ndcs = reference_keys(claims)
        if ptp_index is None:
            ptp_index = len(codes) > PTP_QUERY_MAX_CODES
        ref = cls.start(ptp_index=ptp_index)
        ref._extend_keys(codes, ndcs)
        return ref

    @classmethod
    def start(cls, *, ptp_index: bool = False) -> ReferenceData:
        """The releases, modifiers and places of service, and no code's facts yet (``extend`` adds them)."""
        ref = cls()
        day = _DayCache()
        releases = list(Release.objects.all())
        ref.timeline = ReleaseTimeline(releases)
        ref._release_labels = {r.pk: r.label for source in Source for r in ref.timeline.releases(source)}
        ref.complete_systems = frozenset(
            system
            for system, source in (("HCPCS", Source.HCPCS), ("CPT", Source.CPT))
            if any(not release.is_starter for release in ref.timeline.releases(source))
        )
        ref.modifiers = {
            code: ModifierFacts(code, group, day(start), day(end))
            for code, group, start, end in Modifier.objects.values_list(
                "code", "ncci_group", "effective_date", "termination_date"
            )
        }
        ref.places = {
            row[0]: PlaceFacts(*row) for row in PlaceOfService.objects.values_list("code", "name", "facility_type")
        }
        ref._icd10cm = ICD10CMEditions(release for release in releases if release.source == Source.ICD10CM)
        release = ref.timeline.newest(Source.PTP_PRACTITIONER)
        if release is not None:
            ref.ptp_release_label = release.label
            ref._ptp_release = release
            if ptp_index:
                try:
                    ref.ptp = ptp_index_module.open_index(release)
                except OSError:  # no index can be written here: the rows of the codes, from the table
                    ref.ptp = PTPRows()
        release = ref.timeline.newest(Source.AOC)
        ref.aoc_release_label = release.label if release is not None else ""
        release = ref.timeline.newest(Source.NDC_CROSSWALK)
        ref.ndc_release_label = release.label if release is not None else ""
        return ref

    def extend(self, claims: Iterable[ClaimInput]) -> None:
        """Load the facts of the claims' codes and NDCs that are not loaded yet: one query per table."""
        self._extend_keys(*reference_keys(claims))

    def _extend_keys(self, codes: set[str], ndcs: set[str]) -> None:
        codes -= self._loaded_codes
        ndcs -= self._loaded_ndcs
        if not codes and not ndcs:
            return
        day = _DayCache()
        labels = self._release_labels
        new = sorted(codes)
        for row in ProcedureCode.objects.filter(code__in=new).values_list(*_CODE_COLUMNS):
            code, system, category, section, label, short, long, added, term, *rest, release_id, origin = row
            self.codes[code] = CodeFacts(
                code,
                system,
                category,
                section,
                label,
                long or short or label,
                day(added),
                day(term),
                *rest,
                labels.get(release_id, ""),
                origin,
            )
        fee_releases = [r.pk for r in self.timeline.releases(Source.PFS_RVU)]
        if fee_releases and new:
            fee_by_code: dict[str, list[FeeFacts]] = defaultdict(list)
            for release_id, code, modifier, *values in FeeScheduleIndicator.objects.filter(
                release_id__in=fee_releases, code__in=new
            ).values_list(
                "release_id",
                "code",
                "modifier",
                "status",
                "pctc_indicator",
                "global_days",
                "multiple_procedure",
                "bilateral_surgery",
            ):
                facts = self._fee[(release_id, code, modifier)] = FeeFacts(
                    code, modifier, *values, labels.get(release_id, "")
                )
                self._fee_listed.add((release_id, code))
                self._listings[code].add(release_id)
                if not modifier:
                    fee_by_code[code].append(facts)
            self._fee_by_code.update((code, tuple(rows)) for code, rows in fee_by_code.items())
        mue_releases = [r.pk for r in self.timeline.releases(Source.MUE_PRACTITIONER)]
        if mue_releases and new:
            mue_by_code: dict[str, list[MUEFacts]] = defaultdict(list)
            for release_id, code, value, mai, rationale in MUELimit.objects.filter(
                release_id__in=mue_releases, code__in=new
            ).values_list("release_id", "code", "value", "adjudication_indicator", "rationale"):
                facts = self._mue[(release_id, code)] = MUEFacts(
                    code, value, mai, rationale, labels.get(release_id, "")
                )
                mue_by_code[code].append(facts)
            self._mue_by_code.update((code, tuple(rows)) for code, rows in mue_by_code.items())
        release = self._ptp_release
        if release is not None and new and isinstance(self.ptp, PTPRows):
            # Pairs among all loaded codes that involve a new one (the index, when used, holds every pair).
            # (Two queries, each served by an index on (release, column); one when nothing was loaded.)
            queries = [ptp_index_module.active_rows(release.pk).filter(column_1__in=new, column_2__in=new)]
            if self._loaded_codes:
                old = sorted(self._loaded_codes)
                queries.append(ptp_index_module.active_rows(release.pk).filter(column_1__in=new, column_2__in=old))
                queries.append(ptp_index_module.active_rows(release.pk).filter(column_1__in=old, column_2__in=new))
            self.ptp.add(
                PTPRow(column_1, column_2, day(start), day(end), indicator, rationale)
                for query in queries
                for column_1, column_2, start, end, indicator, rationale in query.values_list(
                    *ptp_index_module.ROW_COLUMNS
                )
            )
        release = self.timeline.newest(Source.AOC)
        if release is not None and new:
            for row in AddOnEdit.objects.filter(release_id=release.pk, add_on_code__in=new).values_list(
                "add_on_code", "primary_code", "edit_type", "effective_date", "deletion_date", "notes"
            ):
                code, primary, edit_type, start, end, notes = row
                self.aoc.setdefault(code, []).append(AddOnRow(code, primary, edit_type, day(start), day(end), notes))
        release = self.timeline.newest(Source.NDC_CROSSWALK)
        if release is not None:
            # Every row of a new code and of a new NDC, so both look-ups are whole for what is loaded.
            by_ndc: dict[str, set[str]] = defaultdict(set)
            for ndc, code in (
                NDCCrosswalk.objects.filter(release_id=release.pk)
                .filter(Q(code__in=new) | Q(ndc__in=sorted(ndcs)))
                .values_list("ndc", "code")
            ):
                by_ndc[ndc].add(code)
            for ndc, found_codes in by_ndc.items():
                self.ndc_codes[ndc] = self.ndc_codes.get(ndc, frozenset()) | found_codes
            self.crosswalk_codes = self.crosswalk_codes.union(*by_ndc.values())
        self._loaded_codes |= codes
        self._loaded_ndcs |= ndcs

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
        for facts in ref._fee.values():
            if not facts.modifier:
                ref._fee_by_code[facts.code] = (*ref._fee_by_code.get(facts.code, ()), facts)
        for facts in ref._mue.values():
            ref._mue_by_code[facts.code] = (*ref._mue_by_code.get(facts.code, ()), facts)
        ref.ptp = PTPRows(ptp)
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
            "ptp": bool(len(ref.ptp)),
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

    def _release_on(self, source: str, dos: date, cache: dict[date, int | None]) -> int | None:
        if self._default_release is not None:
            return self._default_release
        if dos not in cache:
            release = self.timeline.for_date(source, dos)
            cache[dos] = release.pk if release is not None else None
        return cache[dos]

    def fee(self, code: str, dos: date, modifier: str = "") -> FeeFacts | None:
        if not self._fee:
            return None
        release_id = self._fee_release_by_date.get(dos, _UNKNOWN)
        if release_id is _UNKNOWN:
            release_id = self._release_on(Source.PFS_RVU, dos, self._fee_release_by_date)
        if release_id is None:
            return None
        return self._fee.get((release_id, code, modifier)) or (
            self._fee.get((release_id, code, "")) if modifier else None
        )

    def cpt_fee_schedule(self, dos: date) -> Release | None:
        """The real PFS relative value release that says which CPT codes exist on ``dos``
        (``codes.selectors.fee_schedule_release_covering``), or None when no loaded file can."""
        if dos not in self._cpt_release_by_date:
            self._cpt_release_by_date[dos] = fee_schedule_release_covering(self.timeline, dos)
        return self._cpt_release_by_date[dos]

    def fee_schedule_lists(self, release: Release, code: str) -> bool:
        """Whether the fee-schedule release lists the code (with or without a modifier)."""
        return (release.id, code) in self._fee_listed

    def fee_schedule_listings(self, code: str) -> list[Release]:
        """The real (not starter) PFS releases listing a CPT code, oldest first (for the message of a deleted
        code: "last listed in RVU20D")."""
        listing = self._listings.get(code, ())
        found = [
            release
            for release in self.timeline.releases(Source.PFS_RVU)
            if release.pk in listing and not release.is_starter
        ]
        return sorted(found, key=lambda release: release.effective_date)

    def mue(self, code: str, dos: date) -> MUEFacts | None:
        if not self._mue:
            return None
        release_id = self._mue_release_by_date.get(dos, _UNKNOWN)
        if release_id is _UNKNOWN:
            release_id = self._release_on(Source.MUE_PRACTITIONER, dos, self._mue_release_by_date)
        if release_id is None:
            return None
        return self._mue.get((release_id, code))

    def mue_rows(self, code: str) -> tuple[MUEFacts, ...]:
        """The code's MUE rows in every loaded release, whatever the date: for pre-filters that
        must know whether a rule could fire on the code at all."""
        return self._mue_by_code.get(code, ())

    def fee_rows(self, code: str) -> tuple[FeeFacts, ...]:
        """The code's fee-schedule rows without a modifier (those ``fee(code, dos)`` returns) in every
        loaded release, whatever the date: for pre-filters."""
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
