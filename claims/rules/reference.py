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
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from codes.choices import Source
from codes.dates import applies_between
from codes.models import (
    AddOnEdit,
    FeeScheduleIndicator,
    Modifier,
    MUELimit,
    NDCCrosswalk,
    PlaceOfService,
    ProcedureCode,
    PTPEdit,
)
from codes.selectors import ReleaseTimeline

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

    # --- loading ----------------------------------------------------------------------------
    @classmethod
    def load(cls, claims: Iterable[ClaimInput]) -> ReferenceData:
        claims = list(claims)
        codes: set[str] = set()
        ndcs: set[str] = set()
        dates: set[date] = set()
        for claim in claims:
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
        ref = cls()
        ref.timeline = ReleaseTimeline.load()
        ref._release_labels = {r.pk: r.label for source in Source for r in ref.timeline.releases(source)}
        ref.complete_systems = frozenset(
            system
            for system, source in (("HCPCS", Source.HCPCS), ("CPT", Source.CPT))
            if any(not release.is_starter for release in ref.timeline.releases(source))
        )
        code_list = sorted(codes)
        ref._load_codes(code_list)
        ref.modifiers = {
            row[0]: ModifierFacts(*row)
            for row in Modifier.objects.values_list("code", "ncci_group", "effective_date", "termination_date")
        }
        ref.places = {
            row[0]: PlaceFacts(*row) for row in PlaceOfService.objects.values_list("code", "name", "facility_type")
        }
        ref._load_fee_schedule(code_list, dates)
        ref._load_mue(code_list, dates)
        ref._load_ptp(code_list)
        ref._load_aoc(code_list)
        ref._load_crosswalk(code_list, ndcs)
        return ref

    def _load_codes(self, code_list: list[str]) -> None:
        rows = ProcedureCode.objects.filter(code__in=code_list).values_list(
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
        )
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
        ) in rows:
            self.codes[code] = CodeFacts(
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
                self._release_labels.get(release_id, ""),
            )

    def _releases_for(self, source: str, dates: set[date]) -> dict[date, int]:
        resolved = {}
        for day in dates:
            release = self.timeline.for_date(source, day)
            if release is not None:
                resolved[day] = release.pk
        return resolved

    def _load_fee_schedule(self, code_list: list[str], dates: set[date]) -> None:
        self._fee_release_by_date = self._releases_for(Source.PFS_RVU, dates)
        release_ids = set(self._fee_release_by_date.values())
        if not release_ids:
            return
        rows = FeeScheduleIndicator.objects.filter(release_id__in=release_ids, code__in=code_list).values_list(
            "release_id",
            "code",
            "modifier",
            "status",
            "pctc_indicator",
            "global_days",
            "multiple_procedure",
            "bilateral_surgery",
        )
        for release_id, code, modifier, status, pctc, glob, mult, bilat in rows:
            self._fee[(release_id, code, modifier)] = FeeFacts(
                code, modifier, status, pctc, glob, mult, bilat, self._release_labels.get(release_id, "")
            )

    def _load_mue(self, code_list: list[str], dates: set[date]) -> None:
        self._mue_release_by_date = self._releases_for(Source.MUE_PRACTITIONER, dates)
        release_ids = set(self._mue_release_by_date.values())
        if not release_ids:
            return
        rows = MUELimit.objects.filter(release_id__in=release_ids, code__in=code_list).values_list(
            "release_id", "code", "value", "adjudication_indicator", "rationale"
        )
        for release_id, code, value, mai, rationale in rows:
            self._mue[(release_id, code)] = MUEFacts(
                code, value, mai, rationale, self._release_labels.get(release_id, "")
            )

    def _load_ptp(self, code_list: list[str]) -> None:
        release = self.timeline.newest(Source.PTP_PRACTITIONER)
        if release is None:
            return
        self.ptp_release_label = release.label
        rows = PTPEdit.objects.filter(
            release_id=release.pk, column_1__in=code_list, column_2__in=code_list, modifier_indicator__in=(0, 1)
        ).values_list("column_1", "column_2", "effective_date", "deletion_date", "modifier_indicator", "rationale")
        ptp: dict[tuple[str, str], list[PTPRow]] = defaultdict(list)
        for row in rows:
            ptp[(row[0], row[1])].append(PTPRow(*row))
        self.ptp = dict(ptp)

    def _load_aoc(self, code_list: list[str]) -> None:
        release = self.timeline.newest(Source.AOC)
        if release is None:
            return
        self.aoc_release_label = release.label
        rows = AddOnEdit.objects.filter(release_id=release.pk, add_on_code__in=code_list).values_list(
            "add_on_code", "primary_code", "edit_type", "effective_date", "deletion_date", "notes"
        )
        aoc: dict[str, list[AddOnRow]] = defaultdict(list)
        for row in rows:
            aoc[row[0]].append(AddOnRow(*row))
        self.aoc = dict(aoc)

    def _load_crosswalk(self, code_list: list[str], ndcs: set[str]) -> None:
        release = self.timeline.newest(Source.NDC_CROSSWALK)
        if release is None:
            return
        self.ndc_release_label = release.label
        from django.db.models import Q

        rows = (
            NDCCrosswalk.objects.filter(release_id=release.pk)
            .filter(Q(code__in=code_list) | Q(ndc__in=sorted(ndcs)))
            .values_list("ndc", "code")
        )
        by_ndc: dict[str, set[str]] = defaultdict(set)
        covered = set()
        for ndc, code in rows:
            by_ndc[ndc].add(code)
            covered.add(code)
        self.ndc_codes = {ndc: frozenset(c) for ndc, c in by_ndc.items()}
        self.crosswalk_codes = frozenset(covered)

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
        loaded: Iterable[str] | None = None,
    ) -> ReferenceData:
        """Reference data built in memory, for rule tests that need no database.

        Every fact applies to every date of service; ``loaded`` names the tables treated as loaded
        (default: every table that was given at least one fact, plus codes).
        """
        ref = cls()
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

    def mue(self, code: str, dos: date) -> MUEFacts | None:
        release_id = self._mue_release_by_date.get(dos, self._default_release) if self._mue else None
        if release_id is None:
            return None
        return self._mue.get((release_id, code))

    def ptp_rows(self, column_1: str, column_2: str, dos: date) -> list[PTPRow]:
        """PTP rows active on the date for the ordered pair (column 1, column 2)."""
        return [row for row in self.ptp.get((column_1, column_2), ()) if row.applies_on(dos)]

    def addon_rows(self, add_on_code: str, dos: date) -> list[AddOnRow]:
        return [row for row in self.aoc.get(add_on_code, ()) if row.applies_on(dos)]

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
