"""DRUG rules (catalogue §3.7): units, NDCs, NOC drugs, route, administration codes, preferred products."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from decimal import ROUND_CEILING, Decimal
from functools import lru_cache

from ..choices import Category, NDCUnit, Severity
from .context import COMMERCIAL, FACILITY_POS, MEDICAID, MEDICARE, ClaimContext, in_range
from .inputs import LineInput
from .reference import CodeFacts
from .registry import CLAIM, Hit, register

NOC_DRUGS = frozenset(
    [
        "J3490",
        "J3590",
        "J9999",
        "J7599",
        "J7699",
        "J7799",
        "J8499",
        "J8597",
        "J8999",
        "C9399",
        "A9699",
        "J1599",
        "J7199",
        "90749",
        "90399",
    ]
)
NDC_UNITS = tuple(NDCUnit.values)  # CTP05-1
ORAL_PART_B_EXCLUDED = ("J8499", "J8597", "J8999")
INITIAL_ADMIN = ("96413", "96416", "96409", "96365", "96374", "96360")  # hierarchy order, highest first
DISTINCT_SITE = ("59", "XU", "XE")
INJECTION_ADMIN_ONLY = ("96372", "96374")
IMMUNIZATION_ADMIN = frozenset(["90460", "90461", "90471", "90472", "90473", "90474", "G0008", "G0009", "G0010"])

# Dose units a biller may type, normalised like the HCPCS descriptor units (codes.importers.descriptors).
_UNIT_ALIASES = {
    "mg": "mg",
    "milligram": "mg",
    "milligrams": "mg",
    "mcg": "mcg",
    "ug": "mcg",
    "µg": "mcg",
    "microgram": "mcg",
    "micrograms": "mcg",
    "g": "g",
    "gm": "g",
    "gram": "g",
    "grams": "g",
    "ml": "ml",
    "cc": "ml",
    "unit": "unit",
    "units": "unit",
    "u": "unit",
    "iu": "iu",
    "meq": "meq",
    "mmol": "mmol",
    "mci": "mci",
    "uci": "uci",
}
_TO_MG = {"mg": Decimal(1), "mcg": Decimal("0.001"), "g": Decimal(1000)}
_DOSE_IN_TEXT = re.compile(
    r"\d+(?:\.\d+)?\s*(?:mg|mcg|g|gm|grams?|ml|cc|units?|iu|meq|mmol|mci|uci|%)(?![a-z])", re.IGNORECASE
)
_UNIT_WORDS = frozenset(["mg", "mcg", "gm", "gram", "grams", "ml", "unit", "units", "meq", "mmol", "mci", "uci"])


def is_route_oral_or_rectal(code: str, facts: CodeFacts | None) -> bool:
    """Oral or rectal drug codes: J8498, J8499, J8501-J8999, oral antiemetics Q0162-Q0181, or the route
    the HCPCS descriptor states."""
    if _is_oral_code(code):
        return True
    return facts is not None and facts.is_drug and facts.drug_route in ("oral", "rectal")


@lru_cache(maxsize=16384)
def _is_oral_code(code: str) -> bool:
    return code in ("J8498", "J8499") or in_range(code, "J8501", "J8999") or in_range(code, "Q0162", "Q0181")


def _is_drug(ctx: ClaimContext, code: str) -> bool:
    facts = ctx.ref.code(code)
    return code in NOC_DRUGS or (facts is not None and facts.is_drug)


def normalise_ndc(ndc: str) -> str:
    return ndc.replace("-", "").replace(" ", "").strip()


def _fmt(amount: Decimal) -> str:
    return f"{amount.normalize():f}"


def _convert(amount: Decimal, unit: str, to_unit: str) -> Decimal | None:
    """``amount`` in ``unit`` expressed in ``to_unit``; None when the units do not convert."""
    if unit == to_unit:
        return amount
    if unit in _TO_MG and to_unit in _TO_MG:
        return amount * _TO_MG[unit] / _TO_MG[to_unit]
    return None


def _has_dose_descriptor(ref, code: str) -> bool:
    facts = ref.code(code)
    return facts is not None and bool(facts.drug_dose_amount)


def _is_drug_code(ref, code: str) -> bool:
    """Code pre-filter: a NOC drug code or a code the HCPCS file marks as a drug."""
    if code in NOC_DRUGS:
        return True
    facts = ref.code(code)
    return facts is not None and facts.is_drug


def _may_be_oral_part_b(ref, code: str) -> bool:
    """Code pre-filter of DRG-ORAL-MEDICARE: an excluded oral code, an MUE of 0 'Oral Medication' in some
    release, or a drug with HCPCS coverage M."""
    if code in ORAL_PART_B_EXCLUDED:
        return True
    if any(row.value == 0 and "oral medication" in row.rationale.lower() for row in ref.mue_rows(code)):
        return True
    facts = ref.code(code)
    return facts is not None and facts.is_drug and facts.coverage_code == "M"


def _claim_has_ndc(ctx: ClaimContext) -> bool:
    return any(line.ndc for line in ctx.claim.lines)


def _is_noc(ref, code: str) -> bool:
    return code in NOC_DRUGS


# --- units and NDCs ------------------------------------------------------------------------------


@register(
    id="DRG-UNITS",
    category=Category.DRUG,
    severity=Severity.WARNING,
    title="Units inconsistent with the HCPCS dosage descriptor",
    carc="16",
    rarc="M53",
    source="CMS RAC issue 0074 'Excessive or Insufficient Drugs and Biologicals Units Billed' (units are multiples "
    "of the descriptor; a remainder rounds up); mmplusinc.com (J1745: 500 mg = 50 units).",
    needs=("codes",),
    code_when=_has_dose_descriptor,
)
def drg_units(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """The billed units differ from ceil(dose ÷ HCPCS descriptor quantity) for the dose on the line ("up to X"
    descriptors: 1 unit covers any dose up to X). A JW line is checked against its discarded amount."""
    facts = ctx.ref.code(line.code)
    if line.dose is None or line.units is None or facts is None or not facts.drug_dose_amount:
        return
    per_unit, descriptor_unit = facts.drug_dose_amount, facts.drug_dose_unit
    dose_unit = _UNIT_ALIASES.get(line.dose.unit.strip().lower().rstrip("."))
    amount = line.dose.amount
    if line.has("JW") and line.dose.discarded > 0:
        amount = line.dose.discarded
    if dose_unit is None or amount <= 0:
        return
    converted = _convert(amount, dose_unit, descriptor_unit)
    if converted is None:
        return
    expected = (converted / per_unit).to_integral_value(rounding=ROUND_CEILING)
    if line.units != expected:
        per = f"{_fmt(per_unit)} {descriptor_unit}"
        yield Hit(
            message=f"{line.code} is billed in {per} units: {_fmt(amount)} {line.dose.unit} → {_fmt(expected)} "
            f"units, not {_fmt(line.units)}.",
            hint=f"Bill {_fmt(expected)} units: divide the dose by the descriptor quantity ({per}) and round a "
            "remainder up to the next whole unit.",
            data_release=facts.release_label,
        )


@register(
    id="DRG-NDC-REQUIRED",
    category=Category.DRUG,
    severity=Severity.ERROR,
    title="NDC missing where required",
    carc="16",
    rarc="M119",
    source="Deficit Reduction Act 2005 (MassHealth NDC FAQ; mountainhealth.coop/?p=42405); AAPC 'NDC required on "
    "Medicaid claims'; Palmetto/WPS NOC drug requirements.",
    code_when=_is_drug_code,
)
def drg_ndc_required(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """A physician-administered drug line has no NDC where the payer needs one: every drug line for payers that
    require NDCs on all drug lines (Medicaid by default), NOC drug codes for every payer."""
    if line.ndc:
        return
    noc = line.code in NOC_DRUGS
    if not noc and not (ctx.payer.ndc_required_all_drug_lines and _is_drug(ctx, line.code)):
        return
    why = "an unclassified (NOC) drug code" if noc else "a drug line and this payer requires an NDC on every one"
    yield Hit(
        message=f"{line.code} has no NDC; it is {why}.",
        hint="Enter N4 + 11-digit NDC + unit qualifier + quantity from the vial actually used.",
    )


@register(
    id="DRG-NDC-FORMAT",
    category=Category.DRUG,
    severity=Severity.ERROR,
    title="NDC not in 11-digit 5-4-2 form / bad qualifier",
    carc="16",
    rarc="M119",
    source="docsbay.net 'Physician administered drugs NDC CMS-1500 billing instructions' (5-4-2 zero-fill, N4, "
    "F2/GR/ML/UN); 1library qualifier list (ME).",
    claim_when=_claim_has_ndc,
)
def drg_ndc_format(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """An NDC is present but is not 11 digits after removing hyphens (10-digit 4-4-2, 5-3-2 or 5-4-1 forms need
    zero-fill), its unit qualifier is not F2, GR, ME, ML or UN, or its quantity is missing or not above 0."""
    if not line.ndc:
        return
    digits = normalise_ndc(line.ndc)
    problems = []
    if not (digits.isdigit() and len(digits) == 11):
        if digits.isdigit() and len(digits) == 10:
            problems.append(f"NDC {line.ndc} is a 10-digit NDC; zero-fill it to 11 digits (5-4-2)")
        else:
            problems.append(f"NDC {line.ndc} is not an 11-digit NDC")
    elif "-" in line.ndc and [len(part) for part in line.ndc.split("-")] != [5, 4, 2]:
        problems.append(f"NDC {line.ndc} is not in 5-4-2 form")
    if line.ndc_unit not in NDC_UNITS:
        problems.append(f"unit qualifier '{line.ndc_unit or ''}' is not one of {', '.join(NDC_UNITS)}")
    if line.ndc_qty is None or line.ndc_qty <= 0:
        problems.append("the NDC quantity must be above 0")
    if problems:
        message = "; ".join(problems)
        yield Hit(
            message=f"{line.code}: {message[0].upper()}{message[1:]}.",
            hint="Zero-fill to 5-4-2 (e.g. 0409-3795-01 → 00409379501), no hyphens; choose the unit from the package "
            "(ML for solution).",
        )


@register(
    id="DRG-NDC-XWALK",
    category=Category.DRUG,
    severity=Severity.WARNING,
    title="NDC does not belong to the billed HCPCS",
    rarc="M119",
    source="CMS ASP NDC-HCPCS crosswalk.",
    needs=("ndc_crosswalk",),
    code_when=lambda ref, code: code in ref.crosswalk_codes and code not in NOC_DRUGS,
)
def drg_ndc_xwalk(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """The NDC on a line does not crosswalk to the billed HCPCS code, for codes the ASP NDC-HCPCS crosswalk
    covers (NOC codes are not in it)."""
    if not line.ndc or line.code not in ctx.ref.crosswalk_codes or line.code in NOC_DRUGS:
        return
    ndc = normalise_ndc(line.ndc)
    if not (ndc.isdigit() and len(ndc) == 11):
        return  # DRG-NDC-FORMAT reports it
    codes = ctx.ref.ndc_codes.get(ndc, frozenset())
    if line.code in codes:
        return
    belongs = f" (it crosswalks to {', '.join(sorted(codes))})" if codes else ""
    yield Hit(
        message=f"NDC {line.ndc} is not listed for {line.code} in the NDC-HCPCS crosswalk{belongs}.",
        hint="Check the NDC/HCPCS pair and the billing-unit conversion.",
        data_release=ctx.ref.ndc_release_label,
    )


# --- NOC drugs -----------------------------------------------------------------------------------


def _has_name_and_dose(narrative: str) -> bool:
    if not _DOSE_IN_TEXT.search(narrative):
        return False
    words = re.findall(r"[A-Za-z]{3,}", _DOSE_IN_TEXT.sub(" ", narrative))
    return any(word.lower() not in _UNIT_WORDS for word in words)


@register(
    id="DRG-NOC-DETAIL",
    category=Category.DRUG,
    severity=Severity.ERROR,
    title="NOC drug without name/dose/NDC",
    carc="16",
    rarc="N350",
    source="Palmetto NOC drug page (drug name, total dosage and NDC; SV101-7 rejects if blank); "
    "medicarepaymentandreimbursement.com (unprocessable); WPS J3490 tips.",
    code_when=_is_noc,
)
def drg_noc_detail(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """A NOC drug code (J3490, J3590, J9999, C9399 ...) whose narrative lacks the drug name and total dose, or
    which has no NDC. Replaces COD-UNLISTED-DESC for NOC drug codes (§0.6)."""
    if line.code not in NOC_DRUGS:
        return
    missing = []
    if not _has_name_and_dose(line.narrative):
        missing.append("the drug name and total dose in the narrative")
    if not line.ndc:
        missing.append("the NDC")
    if missing:
        yield Hit(
            message=f"NOC drug code {line.code} is missing {' and '.join(missing)}.",
            hint="Enter drug name, strength, total dose administered, route and NDC in item 19 / SV101-7 / 2400 NTE; "
            "confirm no specific HCPCS exists (C9399/J3490 only until a code is assigned).",
        )


@register(
    id="DRG-NOC-SPECIFIC-EXISTS",
    category=Category.DRUG,
    severity=Severity.WARNING,
    title="NOC code used although a specific HCPCS exists",
    carc="189",
    source="X12 CARC 189 ('not otherwise classified' code billed when a specific code exists); CMS ASP NDC-HCPCS "
    "crosswalk.",
    needs=("ndc_crosswalk",),
    code_when=_is_noc,
)
def drg_noc_specific_exists(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """A NOC drug code is billed with an NDC that the NDC-HCPCS crosswalk maps to a specific HCPCS code."""
    if line.code not in NOC_DRUGS or not line.ndc:
        return
    specific = sorted(c for c in ctx.ref.ndc_codes.get(normalise_ndc(line.ndc), ()) if c not in NOC_DRUGS)
    if specific:
        yield Hit(
            message=f"{line.code} is a NOC drug code, but NDC {line.ndc} crosswalks to {', '.join(specific)}.",
            hint=f"Bill {specific[0]} (with its billing units) instead of the NOC code.",
            data_release=ctx.ref.ndc_release_label,
        )


# --- route, Part B, vaccines, facility, hierarchy -------------------------------------------------


@lru_cache(maxsize=16384)
def _is_route_admin(code: str) -> bool:
    return (
        code == "96372"
        or in_range(code, "96374", "96379")
        or in_range(code, "96365", "96369")
        or in_range(code, "96401", "96417")
    )


@register(
    id="DRG-ROUTE-MISMATCH",
    category=Category.DRUG,
    severity=Severity.ERROR,
    title="Injection/infusion administration with only non-injectable drugs",
    scope=CLAIM,
    carc="11",
    source='HCPCS descriptors (J8499 "Prescription drug, oral, non chemotherapeutic, NOS"; 96372 "injection; '
    'subcutaneous or intramuscular").',
)
def drg_route_mismatch(ctx: ClaimContext) -> Iterator[Hit]:
    """An injection/infusion administration code (96372, 96374-96379, 96365-96369, 96401-96417) is billed and
    every drug line on that date is an oral or rectal drug (J8498, J8499, J8501-J8999, Q0162-Q0181). Reported on
    the administration line."""
    codes = {line.code for line in ctx.active_lines}
    if not any(map(_is_route_admin, codes)):
        return
    if not any(is_route_oral_or_rectal(code, ctx.ref.code(code)) for code in codes):
        return  # a finding needs an oral or rectal drug
    by_date: dict = defaultdict(lambda: ([], []))
    for line in ctx.active_lines:
        admins, drugs = by_date[line.dos]
        if _is_route_admin(line.code):
            admins.append(line)
        elif _is_drug(ctx, line.code) or is_route_oral_or_rectal(line.code, None):
            drugs.append(line)
    for admins, drugs in by_date.values():
        if not admins or not drugs:
            continue
        if not all(is_route_oral_or_rectal(d.code, ctx.ref.code(d.code)) for d in drugs):
            continue
        oral = ", ".join(dict.fromkeys(d.code for d in drugs))
        for admin in admins:
            yield Hit(
                message=f"{admin.code} (injection/infusion) cannot be billed with an oral drug ({oral}).",
                hint="Use the injectable HCPCS for the drug actually injected, or remove the administration code "
                "(oral doses have no administration code).",
                line=admin.number,
                related_lines=tuple(d.number for d in drugs),
            )


@register(
    id="DRG-ORAL-MEDICARE",
    category=Category.DRUG,
    severity=Severity.ERROR,
    title="Self-administered oral drug billed to Part B",
    carc="96",
    source='HCPCS J8499 coverage M; MUE 2024Q3 (J8499 value 0 "CMS Policy"; J8501 "Oral Medication; Not Payable").',
    payers=(MEDICARE,),
    code_when=_may_be_oral_part_b,
    when=lambda ref, line: "GY" not in line.modifier_set,
)
def drg_oral_medicare(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """A self-administered oral drug is billed to Medicare Part B: J8499, J8597 or J8999, a drug whose MUE is 0
    with the rationale "Oral Medication; Not Payable", or a drug with HCPCS coverage code M. A line that already
    carries GY (statutory exclusion) is not flagged."""
    if line.has("GY"):
        return
    facts = ctx.ref.code(line.code)
    mue = ctx.ref.mue(line.code, line.dos)
    release = ""
    if line.code in ORAL_PART_B_EXCLUDED:
        release = facts.release_label if facts else ""
    elif mue is not None and mue.value == 0 and "oral medication" in mue.rationale.lower():
        release = mue.release_label
    elif facts is not None and facts.is_drug and facts.coverage_code == "M":
        release = facts.release_label
    else:
        return
    yield Hit(
        message=f"{line.code} is a self-administered oral drug; Medicare Part B does not pay for it.",
        hint="Oral self-administered drugs are not Part B benefits; bill Part D/patient, or GY if the secondary payer "
        "needs a denial.",
        data_release=release,
    )


@register(
    id="DRG-VACCINE-ADMIN",
    category=Category.DRUG,
    severity=Severity.ERROR,
    title="Vaccine product with 96372/96374 as the administration code",
    scope=CLAIM,
    carc="4",
    source='CPT 90471 "Immunization administration" vs 96372 "Therapeutic, prophylactic, or diagnostic injection" '
    "(northstar cpt_descriptions pin); Palmetto preventive services FAQ.",
)
def drg_vaccine_admin(ctx: ClaimContext) -> Iterator[Hit]:
    """A vaccine/toxoid product (90476-90759) is billed on a date whose only administration code is 96372 or 96374
    (no 90460/90461/90471-90474 or G0008-G0010, and no other drug the injection could be for)."""
    if not any(line.code in INJECTION_ADMIN_ONLY for line in ctx.active_lines):
        return  # the finding is on a 96372/96374 line
    by_date: dict = defaultdict(list)
    for line in ctx.active_lines:
        by_date[line.dos].append(line)
    for lines in by_date.values():
        vaccines = [x.code for x in lines if in_range(x.code, "90476", "90759")]
        if not vaccines or any(x.code in IMMUNIZATION_ADMIN for x in lines):
            continue
        if any(_is_drug(ctx, x.code) and not in_range(x.code, "90476", "90759") for x in lines):
            continue
        for admin in (x for x in lines if x.code in INJECTION_ADMIN_ONLY):
            yield Hit(
                message=f"Vaccine {', '.join(dict.fromkeys(vaccines))} is billed with {admin.code} as the "
                "administration code.",
                hint="Report the immunization administration code(s): 90460/90461 or 90471-90474 "
                "(Medicare: G0008 flu, G0009 pneumococcal, G0010 hepatitis B).",
                line=admin.number,
            )


@register(
    id="DRG-FACILITY-POS",
    category=Category.DRUG,
    severity=Severity.WARNING,
    title="Incident-to drug administration billed by the physician in a facility",
    carc="5",
    source="RVU PC/TC indicator 5 ('Payment may not be made when provided to hospital inpatients or outpatients', "
    "northstar R/switches.R); codingahead 96374 guide.",
    needs=("fee_schedule",),
    when=lambda ref, line: line.pos in FACILITY_POS,
)
def drg_facility_pos(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """A code with PC/TC indicator 5 (incident-to: 96372, 96365, 96374, 90471 ...) is billed with a facility POS
    (19, 21, 22, 23), where the facility reports the drug administration."""
    if line.pos not in FACILITY_POS:
        return
    facts = ctx.ref.fee(line.code, line.dos)
    if facts is not None and facts.pctc_indicator == "5":
        yield Hit(
            message=f"{line.code} is an incident-to service (PC/TC 5) billed from facility POS {line.pos}.",
            hint="In the hospital the facility reports drug administration (and the drug). Remove from the "
            "professional claim; bill only the physician's E/M/procedure.",
            data_release=facts.release_label,
        )


@register(
    id="DRG-ADMIN-HIERARCHY",
    category=Category.DRUG,
    severity=Severity.WARNING,
    title='More than one "initial" drug-administration service',
    scope=CLAIM,
    carc="236",
    source="CPT drug-administration hierarchy (webhooks.codingahead.com/cpt/codes/96374; "
    "clearcostestimate.com/billing/cpt/96374-96376); PTP 96365/96374 MI 1.",
)
def drg_admin_hierarchy(ctx: ClaimContext) -> Iterator[Hit]:
    """More than one unit or line of an initial drug-administration code (96360, 96365, 96374, 96409, 96413,
    96416) on one date for one provider. The highest in the hierarchy (chemo > infusion > push > hydration) stays
    initial; each other initial line without 59/XU/XE is flagged. Suppresses PTP-MI1-NOMOD for the same pair
    (§0.6)."""
    groups: dict = defaultdict(list)
    for line in ctx.active_lines:
        if line.code in INITIAL_ADMIN:
            groups[(line.dos, line.rendering_npi)].append(line)
    hint = (
        "Only one initial service per encounter (hierarchy: chemo > therapeutic infusion > push > injection > "
        "hydration). Recode the others as sequential/concurrent add-ons: 96375 (new drug push), "
        "96366/96367/96368, 96361."
    )
    for (dos, _npi), lines in groups.items():
        lines.sort(key=lambda x: (INITIAL_ADMIN.index(x.code), x.number))
        primary, others = lines[0], lines[1:]
        if primary.units is not None and primary.units > 1:
            yield Hit(
                message=f"{primary.code} is an initial drug-administration service billed with {_fmt(primary.units)} "
                f"units on {dos:%Y-%m-%d}; only one initial service is allowed.",
                hint=hint,
                line=primary.number,
            )
        for other in others:
            if other.has(*DISTINCT_SITE):
                continue
            yield Hit(
                message=f"{other.code} is a second initial drug-administration service on {dos:%Y-%m-%d} "
                f"({primary.code} on line {primary.number} is the initial service).",
                hint=hint,
                line=other.number,
                related_lines=(primary.number,),
            )


@register(
    id="DRG-NONPREFERRED",
    category=Category.DRUG,
    severity=Severity.WARNING,
    title="Non-preferred product where the payer prefers biosimilars",
    carc="50",
    rarc="N130",
    source="BCBS ND infliximab policy (Q5103/Q5104 preferred; Q5121/J1745 non-preferred); UnitedHealthcare "
    "(Avsola, Inflectra preferred). Configured per payer.",
    payers=(COMMERCIAL, MEDICAID),
    claim_when=lambda ctx: bool(ctx.payer.preferred_products),
)
def drg_nonpreferred(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """The code is in a product family's non-preferred list of the payer's preferred products."""
    for family, lists in ctx.payer.preferred_products.items():
        if line.code in lists.get("non_preferred", ()):
            preferred = ", ".join(lists.get("preferred", ())) or "none listed"
            yield Hit(
                message=f"{line.code} is non-preferred for this plan ({family}; preferred: {preferred}); expect denial "
                "unless step-therapy/exception is approved.",
                hint="Switch to a preferred product or attach the approved exception/PA.",
            )
            return
