"""A generated corpus for checking the rules' pre-filters: reference data over a whole code universe of its
own, and thousands of claims drawn from it with a fixed seed.

``build_universe()`` loads the starter data (codes/starter: every code family with the real CMS edit rows
among them) into the test database and adds, seeded, what the starter data lacks for a corpus: a complete
(non-starter) HCPCS release, so unknown HCPCS codes are invalid; terminated and not-yet-effective codes;
S, T, C, Category II and III, unlisted, NOC and G-substitute codes; a second fee-schedule and a second MUE
release from mid-year with changed status, global days, PC/TC and bilateral indicators, MUE values (zero
too) and adjudication indicators; more PTP rows (indicators 0, 1 and 9, deleted and not-yet-effective rows),
add-on edits (types 1, 2 and 3, deleted rows) and NDC crosswalk rows; and payers of each type with
prior-authorization codes and ranges, NCCI off, short timely filing and preferred products.

``generate_claims(universe, count)`` draws claims (``random.Random(SEED)``): codes from every family,
pairs from the PTP table, add-ons with and without primaries, drugs with and without NDCs and doses,
modifiers, units, places of service, dates around the releases' and codes' dates, sexes, ages, diagnoses,
prior-authorization numbers present or absent and claim history, across every payer type.
Nothing here reads ../shared.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO
from typing import Any

from django.core.management import call_command

from claims.choices import PayerType
from claims.models import DemographicEdit, Payer
from claims.rules.data import code_list
from claims.rules.drugs import NOC_DRUGS
from codes.choices import MUEServiceType, Source
from codes.importers.icd10cm import shipped_importers
from codes.models import AddOnEdit, FeeScheduleIndicator, MUELimit, NDCCrosswalk, ProcedureCode, PTPEdit, Release
from tests.codes.factories import make_code, make_release

from .builders import icd10cm_code_set

SEED = 20261203
CLAIM_COUNT = 5000
MID_YEAR = date(2026, 7, 1)  # the corpus's second fee-schedule and MUE releases, and code add dates
TERMINATED = date(2026, 6, 30)  # last valid date of the codes the corpus terminates

# Codes the corpus adds (or makes sure of) with the facts it needs: code -> ProcedureCode fields.
EXTRA_CODES: dict[str, dict[str, Any]] = {
    "S0020": {"coverage_code": "I"},
    "S9083": {"coverage_code": "I"},
    "S9999": {"coverage_code": "I"},
    "T1015": {"coverage_code": "I"},
    "T1999": {"coverage_code": "M"},
    "C1713": {},
    "C9399": {"is_drug": True, "is_unlisted": True},
    "C9999": {},
    "3074F": {},
    "1036F": {},
    "0213T": {},
    "0591T": {},
    "9999T": {},
    "17999": {"is_unlisted": True},
    "64999": {"is_unlisted": True},
    "99499": {"is_unlisted": True},
    "E1399": {"is_unlisted": True},
    "A9999": {"is_unlisted": True},
    "J3490": {"is_drug": True, "is_unlisted": True},
    "J3590": {"is_drug": True, "is_unlisted": True},
    "J9999": {"is_drug": True, "is_unlisted": True},
    "J8499": {"is_drug": True, "coverage_code": "M", "drug_route": "oral"},
    "J8999": {"is_drug": True, "coverage_code": "M", "drug_route": "oral"},
    "J8540": {"is_drug": True, "drug_dose_amount": Decimal("0.25"), "drug_dose_unit": "mg", "drug_route": "oral"},
    "J8610": {"is_drug": True, "drug_dose_amount": Decimal("2.5"), "drug_dose_unit": "mg", "drug_route": "oral"},
    "J7999": {"is_drug": True, "coverage_code": "M"},
    "J1100": {"is_drug": True, "drug_dose_amount": Decimal("1"), "drug_dose_unit": "mg"},
    "J1745": {"is_drug": True, "drug_dose_amount": Decimal("10"), "drug_dose_unit": "mg"},
    "Q5103": {"is_drug": True, "drug_dose_amount": Decimal("10"), "drug_dose_unit": "mg"},
    "Q5104": {"is_drug": True, "drug_dose_amount": Decimal("10"), "drug_dose_unit": "mg"},
    "J9035": {"is_drug": True, "drug_dose_amount": Decimal("10"), "drug_dose_unit": "mg"},
    "J0129": {"is_drug": True, "drug_dose_amount": Decimal("10"), "drug_dose_unit": "mg"},
    "J0696": {"is_drug": True, "drug_dose_amount": Decimal("250"), "drug_dose_unit": "mg"},
    "J2505": {"is_drug": True, "drug_dose_amount": Decimal("6"), "drug_dose_unit": "mg"},
    "J7030": {"is_drug": True, "drug_dose_amount": Decimal("1000"), "drug_dose_unit": "ml"},
    "G0283": {},
    "G0316": {},
    "G0281": {},
    "97014": {},
    "57452": {},
    "58150": {},
    "55700": {},
    "84153": {},
    "G0102": {},
    "99460": {},
    "99238": {},
    "59400": {},
    "0001U": {},
}
# Fee-schedule rows of the corpus's own codes (status, PC/TC indicator, global days) where the starter has none.
EXTRA_FEE = {
    "97014": ("I", "0", "XXX"),
    "3074F": ("M", "9", "XXX"),
    "1036F": ("M", "9", "XXX"),
    "G0283": ("A", "0", "XXX"),
    "0213T": ("C", "0", "XXX"),
    "58150": ("A", "0", "090"),
    "55700": ("A", "0", "000"),
    "57452": ("A", "0", "000"),
    "59400": ("A", "0", "MMM"),
    "17999": ("C", "0", "YYY"),
    "64999": ("C", "0", "YYY"),
}
# Sex and age edits the corpus needs (the migration seeds most of them, but a transactional test elsewhere in
# the run may have flushed its rows): (kind, first, last, sex, youngest, oldest, description).
DEMOGRAPHIC_EDITS = (
    ("procedure", "90460", "90461", "", None, 18, "Immunization administration with counseling, through 18"),
    ("procedure", "99460", "99463", "", None, 0, "Newborn care"),
    ("procedure", "G0102", "G0103", "M", None, None, "Prostate cancer screening"),
    ("procedure", "Q0091", "Q0091", "F", None, None, "Screening Pap smear collection"),
    ("diagnosis", "P00", "P96", "", None, 0, "Perinatal conditions (corpus edit)"),
    ("diagnosis", "Z0012", "Z0013", "", None, 17, "Child health examination (corpus edit)"),
    ("diagnosis", "N40", "N40", "M", None, None, "Benign prostatic hyperplasia"),
    ("diagnosis", "O00", "O9A", "F", None, None, "Pregnancy, childbirth and the puerperium"),
)
MODIFIERS = (
    "25", "57", "59", "XE", "XS", "XP", "XU", "91", "76", "77", "26", "TC", "RT", "LT", "50", "GY", "GA", "GZ",
    "GX", "JW", "JZ", "95", "GP", "GO", "GN", "24", "58", "78", "79", "27", "KX", "E1", "F1", "FA", "LC", "93",
)  # fmt: skip
PLACES = ("11", "11", "11", "22", "21", "23", "19", "24", "02", "10", "12", "31", "50", "72", "81", "99", "00")
PA_RANGES = "J9000-J9999\n70000-79999\n97110-97799\n27000-27999"
# Diagnoses the corpus always offers besides a random sample of the code set: external causes, sex- and
# age-specific, headers, unknown codes, bad formats.
DIAGNOSES = (
    "J45.909", "E11.9", "I10", "Z00.00", "Z00.129", "Z23", "M54.50", "N40.0", "C61", "N95.1", "O80", "Z34.00",
    "D25.9", "N84.0", "W19.XXXA", "V43.52XA", "Y93.89", "X58.XXXA", "E66.8", "R10.2", "E66.811", "Z01.419",
    "P07.30", "Q21.0", "E11", "J45", "A00", "ZZZ.9", "12345", "U07.1", "S82.101A", "N52.9", "Z30.430",
)  # fmt: skip
WELLNESS = ("G0438", "G0439", "G0402")
PREVENTIVE = tuple(f"9938{n}" for n in range(1, 8)) + tuple(f"9939{n}" for n in range(1, 8))
PROBLEM_EM = ("99202", "99203", "99204", "99205", "99211", "99212", "99213", "99214", "99215")
BIOLOGICS = ("J1745", "Q5103", "Q5104", "Q5121", "J2505", "J2506", "Q5108")
INITIAL_ADMINS = ("96413", "96409", "96365", "96374", "96360", "96372", "96401", "90471", "90460", "G0008")


@dataclass
class Universe:
    codes: list[str]  # every code of the corpus's code universe
    by_family: dict[str, list[str]]
    ptp_pairs: list[tuple[str, str]]
    addons: list[tuple[str, str]]  # (add-on, a listed primary)
    ndc: dict[str, list[str]]  # code -> crosswalked NDCs
    payers: list[tuple[str, str]]  # (name, payer type) of the stored payers
    diagnoses: list[str]
    sex_codes: list[str]  # procedure codes of a sex edit
    age_codes: list[str]  # procedure codes of an age edit
    age_diagnoses: list[str]


def _ensure_code(code: str, release: Release, **fields: Any) -> None:
    found = ProcedureCode.objects.filter(code=code).first()
    if found is None:
        make_code(code, release=release, **fields)
    elif fields:
        ProcedureCode.objects.filter(pk=found.pk).update(**fields)


def _copy_release(source: str, label: str, effective: date) -> tuple[Release, Release]:
    """(the starter release of ``source``, a new non-starter release effective mid-year)."""
    starter = Release.objects.get(source=source, is_starter=True)
    return starter, make_release(source, label=label, effective_date=effective)


def family(code: str) -> str:
    """A rough code family, for drawing codes of every family."""
    if not code:
        return "none"
    if code[-1] == "F":
        return "cat2"
    if code[-1] == "T":
        return "cat3"
    if code[0].isalpha():
        return code[0]
    number = int(code[:5]) if code.isdigit() else 0
    if 99202 <= number <= 99499:
        return "em"
    if 10000 <= number <= 69999:
        return "surgery"
    if 70000 <= number <= 79999:
        return "radiology"
    if 80000 <= number <= 89999:
        return "lab"
    return "medicine"


def build_universe(seed: int = SEED) -> Universe:
    """Create the corpus's reference data and payers in the database (inside the caller's transaction)."""
    rng = random.Random(seed)
    call_command("load_starter_data", "--without-icd10cm", stdout=StringIO())
    for importer in shipped_importers([2026]):  # the fiscal year of the corpus's dates of service
        importer.run()
    hcpcs = make_release(Source.HCPCS, label="corpus HCPCS 2026", effective_date=date(2026, 1, 1))
    for code, fields in EXTRA_CODES.items():
        _ensure_code(code, hcpcs, **fields)
    for code in code_list("unlisted_cpt.txt"):
        _ensure_code(code, hcpcs)
    # Mark the add-on codes of the add-on table as add-ons (as a CPT file would), some only.
    aoc_release = Release.objects.get(source=Source.AOC, is_starter=True)
    add_on_codes = sorted(set(AddOnEdit.objects.values_list("add_on_code", flat=True)))
    ProcedureCode.objects.filter(code__in=add_on_codes[::2]).update(is_add_on=True)
    codes = sorted(ProcedureCode.objects.values_list("code", flat=True))
    # Terminated and not-yet-effective codes around mid-year (not the corpus's own special codes).
    plain = [c for c in codes if c not in EXTRA_CODES]
    chosen = rng.sample(plain, len(plain) // 6)
    half = len(chosen) // 2
    ProcedureCode.objects.filter(code__in=chosen[:half]).update(termination_date=TERMINATED)
    ProcedureCode.objects.filter(code__in=chosen[half:]).update(added_date=MID_YEAR)

    # A second fee-schedule release from mid-year: the starter rows with some indicators changed.
    fee_starter, fee_mid = _copy_release(Source.PFS_RVU, "corpus RVU 2026 July", MID_YEAR)
    statuses, globals_, pctc = "AAAAIINMXCBR", ("000", "010", "090", "XXX", "ZZZ", "YYY", "MMM"), "0123459"
    rows = []
    seen = set()
    for row in FeeScheduleIndicator.objects.filter(release=fee_starter):
        seen.add(row.code)
        row.pk, row.release = None, fee_mid
        if rng.random() < 0.25:
            row.status = rng.choice(statuses)
        if rng.random() < 0.2:
            row.global_days = rng.choice(globals_)
        if rng.random() < 0.2:
            row.pctc_indicator = rng.choice(pctc)
        if rng.random() < 0.15:
            row.bilateral_surgery = rng.choice("01239")
        rows.append(row)
    for code, (status, indicator, days) in EXTRA_FEE.items():
        for release in (fee_starter, fee_mid):
            if code not in seen or release == fee_mid:
                rows.append(
                    FeeScheduleIndicator(
                        release=release, code=code, status=status, pctc_indicator=indicator, global_days=days
                    )
                )
    for code in rng.sample([c for c in codes if c not in seen and c not in EXTRA_FEE], 40):
        rows.append(
            FeeScheduleIndicator(
                release=rng.choice((fee_starter, fee_mid)),
                code=code,
                status=rng.choice(statuses),
                pctc_indicator=rng.choice(pctc),
                global_days=rng.choice(globals_),
                bilateral_surgery=rng.choice("0123"),
            )
        )
    unique = {}
    for row in rows:
        unique[(row.release_id, row.code, row.modifier)] = row
    FeeScheduleIndicator.objects.bulk_create(unique.values())

    # A second MUE release from mid-year: values changed (zero too), adjudication indicators changed.
    mue_starter, mue_mid = _copy_release(Source.MUE_PRACTITIONER, "corpus MUE 2026 Q3", MID_YEAR)
    rows, seen = [], set()
    for row in MUELimit.objects.filter(release=mue_starter):
        seen.add(row.code)
        row.pk, row.release = None, mue_mid
        if rng.random() < 0.2:
            row.value = rng.choice((0, 1, 1, 2, 3))
        if rng.random() < 0.25:
            row.adjudication_indicator = rng.choice((1, 2, 3))
        rows.append(row)
    for code in ("J8499", "J8999", "J8540", "J8610"):
        rows.append(
            MUELimit(
                release=mue_mid,
                code=code,
                value=0,
                adjudication_indicator=3,
                rationale="Oral Medication",
                service_type=MUEServiceType.PRACTITIONER,
            )
        )
    for code in rng.sample([c for c in codes if c not in seen], 60):
        rows.append(
            MUELimit(
                release=rng.choice((mue_starter, mue_mid)),
                code=code,
                value=rng.choice((0, 1, 1, 2, 4)),
                adjudication_indicator=rng.choice((1, 2, 3)),
                rationale=rng.choice(("Clinical: Data", "Nature of Service/Procedure", "Oral Medication")),
                service_type=MUEServiceType.PRACTITIONER,
            )
        )
    MUELimit.objects.bulk_create({(r.release_id, r.code): r for r in rows}.values())

    # More PTP rows in the starter release: every indicator, deleted and not-yet-effective rows.
    ptp_release = Release.objects.get(source=Source.PTP_PRACTITIONER, is_starter=True)
    existing = set(PTPEdit.objects.filter(release=ptp_release).values_list("column_1", "column_2"))
    new_rows = []
    for _ in range(1500):
        column_1, column_2 = rng.sample(codes, 2)
        if (column_1, column_2) in existing:
            continue
        existing.add((column_1, column_2))
        start = rng.choice((date(1996, 1, 1), date(2026, 1, 1), MID_YEAR, date(2026, 10, 1)))
        end = rng.choice((None, None, None, date(2026, 5, 1), date(2026, 9, 1)))
        new_rows.append(
            PTPEdit(
                release=ptp_release,
                setting="practitioner",
                column_1=column_1,
                column_2=column_2,
                effective_date=start,
                deletion_date=end if end is None or end > start else None,
                modifier_indicator=rng.choice((0, 1, 1, 9)),
                rationale="Corpus edit",
            )
        )
    PTPEdit.objects.bulk_create(new_rows)

    # More add-on edits: types 2 and 3, deleted rows, contractor-defined primaries.
    new_rows = []
    for add_on in add_on_codes[::3]:
        new_rows.append(
            AddOnEdit(
                release=aoc_release,
                add_on_code=add_on,
                primary_code=rng.choice((*rng.sample(codes, 2), "CCCCC")),
                edit_type=rng.choice((1, 2, 3)),
                effective_date=rng.choice((date(2000, 1, 1), MID_YEAR)),
                deletion_date=rng.choice((None, None, TERMINATED)),
            )
        )
    AddOnEdit.objects.bulk_create(new_rows)

    # NDC crosswalk rows for the corpus's drugs without any.
    ndc_release = Release.objects.get(source=Source.NDC_CROSSWALK, is_starter=True)
    crosswalked = set(NDCCrosswalk.objects.values_list("code", flat=True))
    NDCCrosswalk.objects.bulk_create(
        NDCCrosswalk(release=ndc_release, ndc=f"99999{index:06d}", code=code)
        for index, code in enumerate(sorted(EXTRA_CODES))
        if EXTRA_CODES[code].get("is_drug") and code not in crosswalked and index % 2 == 0
    )

    payers = []
    for payer_type in PayerType.values:
        for name, fields in (
            ("plain", {}),
            ("pa codes", {"pa_required_codes": "J1745, 27447, 70450, 97110, 0213T, J9035, 64483"}),
            ("pa ranges", {"pa_required_ranges": PA_RANGES}),
            ("pa both", {"pa_required_codes": "99213\nJ0696", "pa_required_ranges": "96360-96379\nQ5100-Q5199"}),
            ("no ncci", {"apply_ncci": False, "timely_filing_days": 30}),
            (
                "preferred",
                {
                    "rejects_s_codes": True,
                    "ndc_required_all_drug_lines": True,
                    "preferred_products": {
                        "infliximab": {"preferred": ["Q5103", "Q5104"], "non_preferred": ["J1745"]},
                        "pegfilgrastim": {"preferred": ["Q5108"], "non_preferred": ["J2506", "J2505"]},
                    },
                },
            ),
        ):
            payer = Payer.objects.create(name=f"Corpus {payer_type} {name}", payer_type=payer_type, **fields)
            payers.append((payer.name, payer.payer_type))

    edition = icd10cm_code_set()
    sample = sorted(edition.billable | edition.headers)
    dx = sorted({*DIAGNOSES, *random.Random(seed + 1).sample(sample, 300)})
    for kind, first, last, sex, youngest, oldest, description in DEMOGRAPHIC_EDITS:
        DemographicEdit.objects.get_or_create(
            kind=kind,
            code_from=first,
            code_to=last,
            defaults={
                "sex": sex,
                "age_min": youngest,
                "age_max": oldest,
                "description": description,
                "source": "pre-filter test corpus",
            },
        )
    sex_codes, age_codes, age_dx = [], [], []
    for edit in DemographicEdit.objects.filter(active=True):
        ends = {edit.code_from, edit.code_to}
        if edit.kind == DemographicEdit.Kind.PROCEDURE:
            (sex_codes if edit.sex else age_codes).extend(ends)
        elif not edit.sex:  # an age-specific diagnosis range: its ends, dotted
            age_dx.extend(f"{code[:3]}.{code[3:]}" if len(code) > 3 else code for code in ends)
    sex_codes.extend(["58150", "55700", "57452", "84153", "G0102", "59400"])
    by_family: dict[str, list[str]] = {}
    codes = sorted(ProcedureCode.objects.values_list("code", flat=True))
    for code in codes:
        by_family.setdefault(family(code), []).append(code)
    ndc: dict[str, list[str]] = {}
    for number, code in NDCCrosswalk.objects.order_by("ndc", "code").values_list("ndc", "code"):
        ndc.setdefault(code, []).append(number)
    return Universe(
        codes=codes,
        by_family=by_family,
        ptp_pairs=sorted(PTPEdit.objects.values_list("column_1", "column_2").distinct()),
        addons=sorted(AddOnEdit.objects.values_list("add_on_code", "primary_code").distinct()),
        ndc=ndc,
        payers=payers,
        diagnoses=dx,
        sex_codes=sorted(c for c in sex_codes if len(c) == 5),
        age_codes=sorted(c for c in age_codes if len(c) == 5),
        age_diagnoses=sorted(age_dx),
    )


# --- claims ---------------------------------------------------------------------------------------
NPIS = ("1234567893", "1234567893", "1245319599", "1234567890")  # the last fails the Luhn check
UNKNOWN_CODES = ("J0000", "A0001", "99999", "ABCDE", "9921", "G9999", "1234")


def _dx_code(rng: random.Random, universe: Universe) -> str:
    if universe.age_diagnoses and rng.random() < 0.08:
        return rng.choice(universe.age_diagnoses)
    return rng.choice(universe.diagnoses)


def _code(rng: random.Random, universe: Universe) -> str:
    roll = rng.random()
    if roll < 0.02:
        return rng.choice(UNKNOWN_CODES)
    if roll < 0.08:
        return rng.choice(list(EXTRA_CODES))
    if roll < 0.12 and universe.sex_codes:
        return rng.choice(universe.sex_codes)
    if roll < 0.15 and universe.age_codes:
        return rng.choice(universe.age_codes)
    if roll < 0.55:
        return rng.choice(universe.codes)
    return rng.choice(universe.by_family[rng.choice(sorted(universe.by_family))])


def _modifiers(rng: random.Random, code: str) -> list[str]:
    roll = rng.random()
    if roll < 0.45:
        return []
    count = 1 if roll < 0.8 else 2 if roll < 0.95 else rng.choice((3, 5))
    mods = rng.sample(MODIFIERS, count)
    if rng.random() < 0.02:
        mods.append("ZZ")
    return mods


def _line(rng: random.Random, universe: Universe, number: int, code: str, dos: date) -> dict[str, Any]:
    line: dict[str, Any] = {
        "line": number,
        "code": code,
        "modifiers": _modifiers(rng, code),
        "units": rng.choice((1, 1, 1, 1, 2, 3, 4, 6, 10, 25, 100)),
        "charge": rng.choice((100.0, 100.0, 250.0, 35.5, 0.0, 0.01)),
        "dx_pointers": rng.choice((["A"], ["A"], ["A", "B"], ["B"], ["A", "B", "C", "D"], [], ["E"], ["A", "Z"])),
    }
    roll = rng.random()
    if roll < 0.01:
        line["units"] = rng.choice((0, -1, "x", 1.5))
    elif roll < 0.02:
        line["charge"] = -5.0
    elif roll < 0.03:
        line["dx_pointers"] = ["A", "B", "C", "D", "E"]
    if universe.ndc.get(code) or family(code) in ("J", "Q") or code in EXTRA_CODES:
        roll = rng.random()
        if roll < 0.45 and universe.ndc.get(code):
            line["ndc"] = rng.choice(universe.ndc[code])
        elif roll < 0.6 and code in NOC_DRUGS:  # a NOC code for a drug that has its own code
            line["ndc"] = rng.choice(universe.ndc[rng.choice(sorted(universe.ndc))])
        elif roll < 0.7:
            line["ndc"] = rng.choice(("00002-7510-01", "123", "5555555555", "00002751001"))
        if "ndc" in line and rng.random() < 0.8:
            line["ndc_unit"] = rng.choice(("ML", "UN", "GR", "XX"))
            line["ndc_qty"] = rng.choice((1, 2, 0.5))
        if rng.random() < 0.3:
            line["dose"] = {"amount": rng.choice((1, 5, 10, 40, 100, 250)), "unit": rng.choice(("mg", "mcg", "ml"))}
            if rng.random() < 0.3:
                line["dose"]["discarded"] = rng.choice((True, 2))
        if rng.random() < 0.3:
            line["container"] = rng.choice(("single_dose", "multi_dose"))
    if rng.random() < 0.15:
        line["narrative"] = rng.choice(("infliximab 100 mg", "excision of lesion", "mg", "drug 10 mg"))
    if rng.random() < 0.08:
        line["dos"] = (dos + timedelta(days=rng.choice((-40, -1, 1, 3, 12)))).isoformat()
    if rng.random() < 0.06:
        line["pos"] = rng.choice(PLACES)
    if rng.random() < 0.05:
        line["rendering_npi"] = rng.choice(NPIS)
    return line


def _dos(rng: random.Random) -> date:
    roll = rng.random()
    if roll < 0.6:  # around the mid-year releases and code dates
        return MID_YEAR + timedelta(days=rng.randint(-100, 100))
    if roll < 0.75:
        return date(2026, 4, 1) + timedelta(days=rng.randint(-30, 30))  # the starter MUE release begins
    if roll < 0.9:
        return date(2026, 10, 1) + timedelta(days=rng.randint(-30, 60))
    return date(2023, 1, 1) + timedelta(days=rng.randint(0, 1200))


def _history(rng: random.Random, universe: Universe, dos: date, codes: list[str], npi: str) -> list[dict[str, Any]]:
    items = []
    for _ in range(rng.choice((0, 0, 0, 1, 1, 2, 3, 5))):
        pick = rng.random()
        code = rng.choice(codes) if pick < 0.4 else rng.choice(("G0438", "G0439", "G0402", "99213", "99203"))
        if pick > 0.7:
            code = rng.choice(universe.codes)
        elif pick > 0.55:
            code = rng.choice(WELLNESS)
        day = dos - timedelta(days=rng.choice((0, 0, 1, 5, 9, 30, 60, 89, 200, 364, 400, 800, 1200)))
        items.append(
            {
                "code": code,
                "dos": day.isoformat(),
                "modifiers": _modifiers(rng, code),
                "rendering_npi": npi if rng.random() < 0.7 else rng.choice(NPIS),
                "specialty": rng.choice(("11", "11", "08", "")),
                "group_tin": rng.choice(("311234567", "311234567", "999999999")),
                "status": rng.choice(("paid", "paid", "accepted", "denied", "", "void")),
                "units": rng.choice((1, 1, 2, 5)),
                "pos": rng.choice(("11", "22", "")),
            }
        )
    return items


def generate_claims(universe: Universe, count: int = CLAIM_COUNT, seed: int = SEED) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    claims = []
    for index in range(count):
        dos = _dos(rng)
        codes: list[str] = []
        for _ in range(rng.choice((1, 1, 2, 2, 3, 3, 4, 5, 7))):
            roll = rng.random()
            if roll < 0.2:
                codes.extend(rng.choice(universe.ptp_pairs))
            elif roll < 0.3:
                add_on, primary = rng.choice(universe.addons)
                codes.extend((add_on, primary) if rng.random() < 0.6 else (add_on,))
            elif roll < 0.38:
                drug = rng.choice(universe.by_family["J"] + universe.by_family.get("Q", []))
                codes.extend((rng.choice(INITIAL_ADMINS), drug))
            elif roll < 0.45:
                codes.extend((rng.choice(universe.by_family["em"]), rng.choice(universe.by_family["surgery"])))
            elif roll < 0.48:
                codes.append(codes[-1] if codes else rng.choice(universe.codes))  # a repeated line
            elif roll < 0.51:  # a wellness visit, or a preventive visit with a problem visit
                codes.extend(rng.choice((WELLNESS, (rng.choice(PREVENTIVE), rng.choice(PROBLEM_EM)))))
            elif roll < 0.54:  # a biologic of a family with preferred products
                codes.extend((rng.choice(("96413", "96365", "96372")), rng.choice(BIOLOGICS)))
            else:
                codes.append(_code(rng, universe))
        npi = rng.choice(NPIS[:3])
        lines = [_line(rng, universe, number, code, dos) for number, code in enumerate(codes, start=1)]
        payer_roll = rng.random()
        claim: dict[str, Any] = {
            "id": f"C{index:05d}",
            "billing_npi": rng.choice(NPIS),
            "rendering_npi": npi,
            "rendering_specialty": rng.choice(("11", "08", "65")),
            "group_tin": "311234567",
            "dos": dos.isoformat(),
            "pos": rng.choice(PLACES),
            "submission_date": (dos + timedelta(days=rng.choice((1, 3, 20, 45, 95, 200, 370, -3)))).isoformat(),
            "diagnoses": [_dx_code(rng, universe) for _ in range(rng.choice((1, 1, 2, 3, 4, 13)))],
            "prior_auth_number": rng.choice((None, None, "PA-123")),
            "frequency_code": rng.choice(("1", "1", "1", "7")),
            "patient": {
                "dob": (dos - timedelta(days=rng.randint(0, 95 * 365))).isoformat(),
                "sex": rng.choice(("F", "M", "F", "M", "U")),
            },
            "history": _history(rng, universe, dos, codes, npi),
            "lines": lines,
        }
        if payer_roll < 0.75:
            claim["payer_name"], claim["payer_type"] = rng.choice(universe.payers)
        else:
            claim["payer_name"] = rng.choice(("", "Unknown plan"))
            claim["payer_type"] = rng.choice(PayerType.values)
        if rng.random() < 0.1:
            claim["payer_config"] = rng.choice(
                (
                    {"pa_required_codes": ["J1745", "99214", "73562"]},
                    {"apply_ncci": False},
                    {"rejects_S_codes": True, "timely_filing_days": 60},
                    {"preferred_products": {"infliximab": {"preferred": ["Q5103"], "non_preferred": ["J1745"]}}},
                    {"ndc_required_all_drug_lines": True},
                )
            )
        if rng.random() < 0.05:
            claim["patient"].pop("dob")
        if rng.random() < 0.15:
            claim["patient"]["medicare_part_b_effective"] = (
                dos - timedelta(days=rng.choice((30, 200, 400)))
            ).isoformat()
        claims.append(claim)
    return claims
