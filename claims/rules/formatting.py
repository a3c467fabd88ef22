"""FORMAT rules: would the claim be rejected as unprocessable before anyone looks at the services?"""

from __future__ import annotations

from collections.abc import Iterator

from codes.choices import FacilityType
from codes.icd10cm import fiscal_year, fiscal_year_end, fiscal_year_start

from ..choices import Category, Severity
from ..npi import NPI_FORMAT, npi_is_valid
from . import diagnoses
from .context import ClaimContext
from .inputs import LineInput
from .registry import CLAIM, Hit, register

POINTER_LETTERS = "ABCDEFGHIJKL"
MAX_DIAGNOSES = 12
MAX_POINTERS = 4
MAX_MODIFIERS = 4


@register(
    id="FMT-NPI-LUHN",
    category=Category.FORMAT,
    severity=Severity.ERROR,
    title="NPI fails the check digit",
    scope=CLAIM,
    carc="16",
    rarc="N290",
    source="CMS NPI check-digit standard (Luhn over '80840' + NPI), as quoted at "
    "forums.studentdoctor.net/threads/npi-check-digit-validation.406385 and johndcook.com/blog/2024/06/26/npi-number.",
)
def npi_luhn(ctx: ClaimContext) -> Iterator[Hit]:
    """A billing, rendering, referring or ordering NPI (claim or line) is not ten digits starting with
    1 or 2, or fails the Luhn check digit computed over "80840" + NPI. One claim-level finding names
    every bad NPI.
    """
    claim = ctx.claim
    npis = {claim.billing_npi, claim.rendering_npi, claim.referring_npi, claim.ordering_npi}
    npis.update(line.rendering_npi for line in claim.lines)
    npis.discard("")
    if all(map(npi_is_valid, npis)):
        return  # the common case: nothing to name
    roles: dict[str, list[str]] = {}
    for npi, role in (
        (claim.billing_npi, "billing"),
        (claim.rendering_npi, "rendering"),
        (claim.referring_npi, "referring"),
        (claim.ordering_npi, "ordering"),
    ):
        if npi:
            roles.setdefault(npi, []).append(role)
    for line in claim.lines:
        if line.rendering_npi and line.rendering_npi != claim.rendering_npi:
            roles.setdefault(line.rendering_npi, []).append(f"rendering, line {line.number}")
    bad = [(npi, " and ".join(names)) for npi, names in roles.items() if not npi_is_valid(npi)]
    if not bad:
        return
    problems = "; ".join(
        f"NPI {npi} ({role}) is not a valid NPI "
        + ("(check digit fails)" if NPI_FORMAT.match(npi) else "(it must be 10 digits starting with 1 or 2)")
        for npi, role in bad
    )
    yield Hit(
        message=f"{problems}.",
        hint="Re-key the NPI from NPPES; confirm the billing and rendering NPIs are not swapped.",
    )


def _pointer_problems_possible(ctx: ClaimContext) -> bool:
    """Claim pre-filter of FMT-DX-COUNT: more than 12 diagnoses, or a line whose pointers are not 1-4
    letters among those of the listed diagnoses."""
    listed = len(ctx.claim.diagnoses)
    if listed > MAX_DIAGNOSES:
        return True
    usable = frozenset(POINTER_LETTERS[:listed])
    return any(
        not line.dx_pointers or len(line.dx_pointers) > MAX_POINTERS or not usable.issuperset(line.dx_pointers)
        for line in ctx.claim.lines
    )


def _external_cause_listed(ctx: ClaimContext) -> bool:
    """Claim pre-filter of FMT-DX-SEQ: some diagnosis of the claim is an external-cause code."""
    return any(diagnoses.is_external_cause(code) for code in ctx.claim.diagnoses)


def _units_or_charge_unusable(ctx: ClaimContext) -> bool:
    """Claim pre-filter of FMT-UNITS."""
    return any(line.units is None or line.units <= 0 or line.charge < 0 for line in ctx.claim.lines)


def _dates_out_of_order(ctx: ClaimContext) -> bool:
    """Claim pre-filter of FMT-DOS: a line dated after the submission date or before the birth date."""
    claim = ctx.claim
    submitted, born = claim.submission_date, claim.patient.dob
    return any((submitted and line.dos > submitted) or (born and line.dos < born) for line in claim.lines)


@register(
    id="FMT-DX-COUNT",
    category=Category.FORMAT,
    severity=Severity.ERROR,
    title="Diagnosis pointer structure",
    carc="16",
    rarc="M76",
    source="NUCC/Medicare CMS-1500 item 24E instructions (support.speedysoftusa.com, field-24e-diagnosis-pointer); "
    "help.niermanpm.com/knowledge/diagnosis-pointers (up to 4 pointers); item 21 holds at most 12 diagnoses (A-L).",
    claim_when=_pointer_problems_possible,
)
def dx_count(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """The line's diagnosis pointers are unusable: none at all, more than four, a letter outside A-L,
    a letter pointing past the diagnoses listed in item 21, or the claim lists more than 12 diagnoses.
    """
    listed = len(ctx.claim.diagnoses)
    pointers = line.dx_pointers
    problems = []
    if listed > MAX_DIAGNOSES:
        problems.append(f"the claim lists {listed} diagnoses; at most {MAX_DIAGNOSES} (A-L) fit")
    if not pointers:
        problems.append("the line has no pointer")
    if len(pointers) > MAX_POINTERS:
        problems.append(f"{len(pointers)} pointers; at most {MAX_POINTERS} are allowed")
    for pointer in pointers:
        if len(pointer) != 1 or pointer not in POINTER_LETTERS:
            problems.append(f"'{pointer}' is not a letter A-L")
        elif POINTER_LETTERS.index(pointer) >= min(listed, MAX_DIAGNOSES):
            problems.append(f"{pointer} points past the {listed} diagnosis(es) listed")
    if problems:
        shown = ", ".join(pointers) if pointers else "(none)"
        yield Hit(
            message=f"Line {line.number}: diagnosis pointers {shown} are invalid ({'; '.join(problems)}).",
            hint="Use 1-4 pointers (A-L) that reference item 21 diagnoses; list the primary reason first.",
        )


@register(
    id="FMT-DX-INVALID",
    category=Category.FORMAT,
    severity=Severity.ERROR,
    title="ICD-10-CM code invalid or not billable",
    scope=CLAIM,
    carc="146",
    rarc="M76, M81",
    source="CMS ICD-10-CM code set of the fiscal year of the date of service (CMS order or codes file, "
    "imported with import_icd10cm, or an edition shipped with ClaimDesk); Stedi claim edit "
    "(stedi.com/changelog/claim-edit-all-invalid-icd-10-cm-diagnosis-codes-are-now-returned-at-once): "
    "HIPAA requires valid, billable codes; category headers such as E11 are not billable.",
)
def dx_invalid(ctx: ClaimContext) -> Iterator[Hit]:
    """A diagnosis in item 21 is not a billable ICD-10-CM code on the date of service: wrong format, not
    in the code set of the fiscal year containing the claim's date of service (October 1 to September
    30), or a category heading with more specific codes below it (M54.5 since 2021-10-01, E11).
    Claim-level: one finding lists every such diagnosis.

    With no edition of that fiscal year loaded, only the format is checked and the code-set check is
    reported as not run (never judged by another year's code set).
    """
    edition = ctx.ref.diagnosis_edition(ctx.claim.dos)
    if edition is None:
        bad = [
            diagnoses.DiagnosisCheck(code, diagnoses.normalize(code), diagnoses.BAD_FORMAT)
            for code in dict.fromkeys(ctx.claim.diagnoses)
            if not diagnoses.well_formed(code)
        ]
        if ctx.claim.diagnoses:
            year = fiscal_year(ctx.claim.dos)
            ctx.not_checked(
                category=Category.FORMAT,
                check="Diagnosis code validity",
                reason=f"no ICD-10-CM code set loaded for fiscal year {year} (dates of service "
                f"{fiscal_year_start(year):%Y-%m-%d} to {fiscal_year_end(year):%Y-%m-%d}); check the codes by "
                "hand, and ask an administrator to import CMS's ICD-10-CM file of that year",
            )
    else:
        checked = (diagnoses.check(code, edition.code_set) for code in dict.fromkeys(ctx.claim.diagnoses))
        bad = [result for result in checked if not result.billable]
    if not bad:
        return
    dos = f"{ctx.claim.dos:%Y-%m-%d}"
    if len(bad) == 1:
        message = f"Diagnosis {bad[0].code} is not a billable ICD-10-CM code for DOS {dos} ({bad[0].reason()})."
    else:
        listed = "; ".join(f"{result.code} ({result.reason()})" for result in bad)
        message = f"Diagnoses {listed} are not billable ICD-10-CM codes for DOS {dos}."
    suggestions = [
        f"{result.dotted} -> {', '.join(result.children[:6])}{', ...' if len(result.children) > 6 else ''}"
        for result in bad
        if result.children
    ]
    hint = (
        "Code to the highest specificity (e.g. M54.5 → M54.50/.51/.59 since 2021-10-01; "
        "E11 → E11.9 or a complication code)."
    )
    if suggestions:
        hint = f"Code to the highest specificity: {'; '.join(suggestions)}."
    yield Hit(message=message, hint=hint, data_release=edition.label if edition is not None else "")


@register(
    id="FMT-DX-SEQ",
    category=Category.FORMAT,
    severity=Severity.WARNING,
    title="External-cause code as the first-listed diagnosis",
    carc="16",
    rarc="M76",
    source="ICD-10-CM Official Guidelines, chapter 20 (external causes are never first-listed), as quoted at "
    "aapc.com (reader question: understand code sequencing) and agescodingtech.com.",
    claim_when=_external_cause_listed,
)
def dx_sequence(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """The line's first diagnosis pointer references an external-cause code (V00-Y99), which can only
    be a secondary diagnosis.
    """
    if not line.dx_pointers:
        return
    code = ctx.diagnosis(line.dx_pointers[0])
    if code and diagnoses.is_external_cause(code):
        yield Hit(
            message=f"External-cause code {code} cannot be the primary diagnosis for line {line.number}.",
            hint="Point first to the injury/condition code (e.g. S01.81XA); keep the external-cause code as secondary.",
        )


@register(
    id="FMT-POS",
    category=Category.FORMAT,
    severity=Severity.ERROR,
    title="Invalid place of service",
    scope=CLAIM,
    carc="5",
    rarc="M77",
    source="CMS Place of Service code set (northstar pos_codes pin).",
    needs=("pos",),
)
def place_of_service(ctx: ClaimContext) -> Iterator[Hit]:
    """The claim's or a line's place of service is missing, not in the CMS POS code set, or one of the
    unassigned codes (e.g. 28-30, 35-40, 59, 82-98). Claim-level: one finding lists every bad code.
    """
    codes = []
    if ctx.claim.pos:
        codes.append(ctx.claim.pos)
    codes.extend(line.pos for line in ctx.claim.lines)
    bad = []
    for pos in dict.fromkeys(codes):
        place = ctx.ref.places.get(pos)
        if place is None or place.facility_type == FacilityType.UNASSIGNED:
            bad.append(pos or "(blank)")
    if bad:
        shown = ", ".join(bad)
        message = (
            f"Place of service {shown} is not a valid CMS POS code."
            if len(bad) == 1
            else f"Places of service {shown} are not valid CMS POS codes."
        )
        yield Hit(
            message=message,
            hint="Use the POS where the patient received the service (11 office, 22 on-campus OPD, 19 off-campus "
            "OPD, 21 inpatient, 23 ER, 24 ASC, 02/10 telehealth).",
        )


@register(
    id="FMT-UNITS",
    category=Category.FORMAT,
    severity=Severity.ERROR,
    title="Units or charge not usable",
    carc="16",
    rarc="M53",
    source="NUCC/Medicare CMS-1500 item 24G (days or units) and 24F (charges) instructions "
    "(support.speedysoftusa.com).",
    claim_when=_units_or_charge_unusable,
)
def units_format(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """The line's units are missing, not a number, zero or negative, or its charge is negative.
    (A $0 charge is judged by COD-CAT2-ONLY / COD-CAT2-CHARGE.)
    """
    problems = []
    if line.units is None:
        problems.append(f"units '{line.units_text}' are not a number" if line.units_text else "units are missing")
    elif line.units <= 0:
        problems.append(f"units are {line.units}")
    if line.charge < 0:
        problems.append(f"the charge is negative (${line.charge})")
    if problems:
        yield Hit(
            message=f"Line {line.number}: {' and '.join(problems)}.",
            hint="Enter the number of units performed (1 or more; drugs in the code's billing units) and the "
            "line's charge as a positive amount.",
        )


@register(
    id="FMT-MOD-COUNT",
    category=Category.FORMAT,
    severity=Severity.ERROR,
    title="More than four modifiers",
    carc="16",
    rarc="",
    source="NUCC/Medicare CMS-1500 item 24D (up to four modifiers) and 837P SV101-3..6 (support.speedysoftusa.com).",
    when=lambda ref, line: len(line.modifier_set) > 0,
)
def modifier_count(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """The line carries more than four modifiers; the claim form and the 837P have room for four."""
    if len(line.modifiers) > MAX_MODIFIERS:
        yield Hit(
            message=f"Line {line.number} has {len(line.modifiers)} modifiers ({', '.join(line.modifiers)}); "
            f"at most {MAX_MODIFIERS} fit.",
            hint="Keep the pricing modifiers first and drop informational ones, or use modifier 99 with the full "
            "list in item 19 if the payer accepts it.",
        )


@register(
    id="FMT-DOS",
    category=Category.FORMAT,
    severity=Severity.ERROR,
    title="Date of service after submission or before birth",
    carc="16",
    rarc="M52",
    source="NUCC/Medicare CMS-1500 item 24A instructions (support.speedysoftusa.com): a service cannot be billed "
    "before it is performed or dated before the patient's birth.",
    claim_when=_dates_out_of_order,
)
def date_of_service(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """The line's date of service is after the claim's submission date (billed before it happened), or
    before the patient's date of birth.
    """
    claim = ctx.claim
    if claim.submission_date and line.dos > claim.submission_date:
        yield Hit(
            message=f"Line {line.number}: DOS {line.dos:%Y-%m-%d} is after the submission date "
            f"{claim.submission_date:%Y-%m-%d}.",
            hint="Correct the date of service, or hold the line until the service has been performed.",
        )
    elif claim.patient.dob and line.dos < claim.patient.dob:
        yield Hit(
            message=f"Line {line.number}: DOS {line.dos:%Y-%m-%d} is before the patient's date of birth "
            f"{claim.patient.dob:%Y-%m-%d}.",
            hint="Correct the date of service or the patient's date of birth.",
        )
