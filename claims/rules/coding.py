"""CODE_VALIDITY rules: is the code valid on the date of service, and for this payer?"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

from codes.classify import classify

from ..choices import Category, Severity
from .context import ClaimContext
from .data import code_list
from .inputs import LineInput
from .registry import CLAIM, Hit, register


def _may_be_invalid(ref, code: str) -> bool:
    """Code pre-filter of COD-EFFECTIVE: the code is unknown or has an add or termination date."""
    facts = ref.code(code)
    return facts is None or facts.added_date is not None or facts.termination_date is not None


def _coverage_code(ref, code: str) -> str:
    facts = ref.code(code)
    return facts.coverage_code if facts is not None else ""


def _may_be_quality_code(ref, code: str) -> bool:
    """Code pre-filter: Category II, or status M in some loaded fee-schedule release."""
    return CATEGORY_II.match(code) is not None or any(row.status == MEASUREMENT_STATUS for row in ref.fee_rows(code))


def _may_be_status_i_or_n(ref, code: str) -> bool:
    return any(row.status in ("I", "N") for row in ref.fee_rows(code))


def _unlisted_non_drug(ref, code: str) -> bool:
    """An unlisted CPT code (from the public list of code numbers, or flagged by a loaded licensed CPT file) or
    a non-drug NOC HCPCS code (from the HCPCS file). NOC drug codes are DRG-NOC-DETAIL's."""
    facts = ref.code(code)
    unlisted = code in code_list("unlisted_cpt.txt") or (facts is not None and facts.is_unlisted)
    return unlisted and not (facts is not None and facts.is_drug)


@register(
    id="COD-EFFECTIVE",
    category=Category.CODE_VALIDITY,
    severity=Severity.ERROR,
    title="Procedure code not valid on the date of service",
    carc="181",
    rarc="N56",
    source="CMS HCPCS Level II quarterly file (add and termination dates); AMA CPT data file (licensed).",
    needs=("codes",),
    order=0,
    code_when=_may_be_invalid,
)
def code_effective(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """The code is not valid on the line's date of service: before its add date, after its
    termination date, not a CPT/HCPCS code at all, or absent from the loaded code set. A well-formed
    code is judged absent only when its family's whole code set is loaded (a CMS HCPCS file, a
    licensed CPT file), not from the starter data's few hundred codes.

    Top precedence (catalogue §0.6 rule 1): it suppresses every other finding on the line, and the
    line takes no part in pair or units checks.
    """
    facts = ctx.ref.code(line.code)
    if facts is None:
        shape = classify(line.code)
        if not shape:
            yield Hit(
                message=f"{line.code or '(blank)'} is not a valid procedure code: {shape.reason}",
                hint="Re-key the code from the superbill; CPT codes are 5 characters (99213, 0591T), "
                "HCPCS Level II codes are a letter and 4 digits (J1100).",
            )
        elif shape.system in ctx.ref.complete_systems:
            yield Hit(
                message=f"{line.code} is not in the loaded code set for DOS {line.dos:%Y-%m-%d}.",
                hint="Check the code; if it is new, load the current HCPCS file or your licensed CPT file.",
            )
        return
    if facts.is_valid_on(line.dos):
        return
    if facts.added_date and line.dos < facts.added_date:
        yield Hit(
            message=f"{line.code} is not valid for DOS {line.dos:%Y-%m-%d} (effective {facts.added_date:%Y-%m-%d}).",
            hint="Use the code that was valid on the date of service.",
        )
        return
    successor = SUCCESSORS.get(line.code)
    hint = (
        f"Use {successor} for services on or after {facts.termination_date:%Y-%m-%d}."
        if successor
        else "Use the code that replaced it (see the HCPCS/CPT release notes)."
    )
    yield Hit(
        message=f"{line.code} is not valid for DOS {line.dos:%Y-%m-%d} (terminated {facts.termination_date:%Y-%m-%d}).",
        hint=hint,
    )


# Known successors of terminated codes (catalogue §3.2 COD-EFFECTIVE).
SUCCESSORS = {
    "J1020": "J1010 (methylprednisolone acetate, 1 mg units: 40 mg = 40 units)",
    "J1030": "J1010 (methylprednisolone acetate, 1 mg units: 40 mg = 40 units)",
    "J1040": "J1010 (methylprednisolone acetate, 1 mg units: 80 mg = 80 units)",
    "J2505": "J2506 (pegfilgrastim, 0.5 mg units)",
}


S_CODE = re.compile(r"^S\d{4}$")
T_CODE = re.compile(r"^T\d{4}$")
C_CODE = re.compile(r"^C\d{4}$")
CATEGORY_II = re.compile(r"^\d{4}F$")
CATEGORY_III = re.compile(r"^\d{4}T$")
ASC_POS = "24"
MEASUREMENT_STATUS = "M"  # MPFS status M: measurement (quality reporting) code


def is_quality_code(ctx: ClaimContext, line: LineInput) -> bool:
    """CPT Category II (0001F-9007F), or a code the fee schedule marks as a measurement code (status M,
    e.g. the G-codes of quality reporting): codes that report quality data and carry no payment.
    """
    if CATEGORY_II.match(line.code):
        return True
    fee = ctx.ref.fee(line.code, line.dos)
    return fee is not None and fee.status == MEASUREMENT_STATUS


@register(
    id="COD-MPFS-STATUS",
    category=Category.CODE_VALIDITY,
    severity=Severity.ERROR,
    title="MPFS status I or N (Medicare)",
    carc="181",
    rarc="N56",
    source="CMS PFS Relative Value File status indicators (RVU24C; northstar pfs_rvu_ind): e.g. 99417 and "
    "99242-99245 are status I, 99381-99397 and J8499 status N.",
    payers=("medicare",),
    needs=("fee_schedule",),
    code_when=_may_be_status_i_or_n,
)
def mpfs_status(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """The code's Medicare Physician Fee Schedule status on the date of service is I (not valid for
    Medicare; another code is paid: an ERROR) or N (not covered by Medicare: a WARNING). Status X, E
    and B are not denial signals here. A liability modifier (GA, GY, GZ, GX) or a more specific rule
    on the line (COD-S-CODE, MCR-HCPCS-SUBST, ...) silences it (catalogue §0.6).
    """
    fee = ctx.ref.fee(line.code, line.dos)
    if fee is None or fee.status not in ("I", "N"):
        return
    hint = "Use the Medicare code, or append GY/GA as appropriate (patient liability)."
    if fee.status == "I":
        yield Hit(
            message=f"{line.code} is not valid for Medicare (status I); Medicare pays a different code.",
            hint=hint,
            data_release=fee.release_label,
        )
    else:
        yield Hit(
            message=f"{line.code} is not covered by Medicare (status N).",
            hint=hint,
            severity=Severity.WARNING,
            carc="96",
            rarc="N130",
            data_release=fee.release_label,
        )


COVERAGE_MEANINGS = {
    "I": "not payable by Medicare",
    "M": "non-covered by Medicare",
    "S": "non-covered by Medicare statute",
}


@register(
    id="COD-HCPCS-COV",
    category=Category.CODE_VALIDITY,
    severity=Severity.WARNING,
    title="HCPCS coverage code I, M or S (Medicare)",
    carc="96",
    rarc="",
    source="CMS HCPCS Level II file record layout, coverage code (values in the northstar hcpcs_lvl2 pin: "
    "J8499 M, S-codes I, T-codes I/M); wolterskluwerlb.com (understanding non-covered codes).",
    payers=("medicare",),
    needs=("codes",),
    code_when=lambda ref, code: _coverage_code(ref, code) in COVERAGE_MEANINGS,
)
def hcpcs_coverage(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """The HCPCS Level II coverage code is I (not payable by Medicare), M (non-covered) or S (non-covered
    by statute). A liability modifier (GA, GY, GZ) or a more specific rule on the line silences it.
    """
    facts = ctx.ref.code(line.code)
    if facts is None or facts.coverage_code not in COVERAGE_MEANINGS:
        return
    yield Hit(
        message=f"{line.code} has HCPCS coverage code {facts.coverage_code}: {COVERAGE_MEANINGS[facts.coverage_code]}.",
        hint="Not payable/non-covered by Medicare: obtain ABN → GA, or statutory exclusion → GY.",
        carc="204" if facts.coverage_code == "I" else "96",
        data_release=facts.release_label,
    )


@register(
    id="COD-S-CODE",
    category=Category.CODE_VALIDITY,
    severity=Severity.ERROR,
    title="S-code billed to Medicare (or a payer that rejects S-codes)",
    carc="181",
    rarc="N56",
    source="mediregs.com/blog/2010/05/hcpcs-s-codes-what-are-they.htm ('not reportable to Medicare'); "
    "TRICARE Policy Manual Ch.1 §12.1 (S codes are temporary private-sector codes); HCPCS file coverage I.",
    code_when=lambda ref, code: S_CODE.match(code) is not None,
)
def s_code(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """An S-code (national codes for private payers, S0000-S9999) billed to Medicare, or to another
    payer whose settings say it rejects S-codes.
    """
    if not S_CODE.match(line.code):
        return
    hint = "Bill the CPT/HCPCS code(s) for the components actually performed (e.g. the E/M level instead of S9083)."
    if ctx.is_medicare:
        yield Hit(message=f"S-codes are national non-Medicare codes; Medicare will not pay {line.code}.", hint=hint)
    elif ctx.payer.rejects_s_codes:
        payer = ctx.payer.name or "This payer"
        yield Hit(message=f"{payer} does not accept S-codes; {line.code} will not be paid.", hint=hint)


@register(
    id="COD-T-CODE",
    category=Category.CODE_VALIDITY,
    severity=Severity.ERROR,
    title="T-code billed to a non-Medicaid payer",
    carc="181",
    rarc="",
    source="T-codes are for state Medicaid agencies (accountinginsights.org/what-are-the-t-codes-in-medical-billing); "
    "CMS HCPCS file: every T-code has Medicare coverage I or M.",
    payers=("medicare", "commercial"),
    code_when=lambda ref, code: T_CODE.match(code) is not None,
)
def t_code(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """A T-code (state Medicaid codes, T1000-T9999) billed to Medicare (ERROR) or a commercial payer
    (WARNING: some plans accept them by contract).
    """
    if T_CODE.match(line.code):
        yield Hit(
            message=f"{line.code} is a state-Medicaid code.",
            hint="Use CPT/HCPCS codes recognized by this payer.",
            severity=None if ctx.is_medicare else Severity.WARNING,
            carc=None if ctx.is_medicare else "96",
        )


@register(
    id="COD-C-CODE",
    category=Category.CODE_VALIDITY,
    severity=Severity.ERROR,
    title="Hospital OPPS C-code on a professional claim",
    carc="170",
    rarc="",
    source="hcpcslookup.com/codes/letter/c (C-codes are OPPS-only and generally cannot be billed by physician "
    "offices); ASC exception for POS 24 ASSUMED (catalogue Appendix B).",
    code_when=lambda ref, code: C_CODE.match(code) is not None,
    when=lambda ref, line: line.pos != ASC_POS,
)
def c_code(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """A C-code (hospital outpatient OPPS codes, C0000-C9999) on a professional claim line whose place
    of service is not an ambulatory surgical center (POS 24, where some C-codes are payable).
    """
    if C_CODE.match(line.code) and line.pos != ASC_POS:
        yield Hit(
            message=f"{line.code} is a hospital OPPS C-code and is not billable on a physician claim.",
            hint="Remove the line (the facility bills the device/drug) or use the appropriate CPT/HCPCS code.",
        )


@register(
    id="COD-CAT2-CHARGE",
    category=Category.CODE_VALIDITY,
    severity=Severity.WARNING,
    title="Quality code reported with a real charge",
    carc="",
    rarc="N620",
    source="QualityNet guidance via Relias Media (reliasmedia.com/articles/63678-clarification-for-g-codes-and-the-"
    "associated-charge): quality codes carry a $0.00 charge, or a nominal $0.01; medsuite.net procedure_pqri.",
    code_when=_may_be_quality_code,
)
def category_ii_charge(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """A quality code (CPT Category II such as 3074F, or a fee-schedule measurement code, status M) is
    reported with a charge above $0.01.
    """
    if line.charge > Decimal("0.01") and is_quality_code(ctx, line):
        yield Hit(
            message=f"Quality code {line.code} should be reported with a $0.00 charge "
            "($0.01 only if your system cannot send $0).",
            hint=f"Change the charge on line {line.number} to $0.00 ($0.01 if your system cannot send $0).",
        )


@register(
    id="COD-CAT2-ONLY",
    category=Category.CODE_VALIDITY,
    severity=Severity.ERROR,
    title="Claim with only quality codes or a $0 total",
    scope=CLAIM,
    carc="16",
    rarc="",
    source="QualityNet guidance via Relias Media (reliasmedia.com/articles/63678): "
    "'Entire claims with a zero charge will be rejected.'",
)
def category_ii_only(ctx: ClaimContext) -> Iterator[Hit]:
    """Every line is a quality code (Category II or measurement code), or the claim's total charge is
    $0: there is no billable service and the claim will be rejected. Claim-level finding.
    """
    lines = ctx.claim.lines
    if all(is_quality_code(ctx, line) for line in lines) or sum(line.charge for line in lines) == 0:
        yield Hit(
            message="The claim has no billable service (only quality codes / $0 total) and will be rejected.",
            hint="Report quality codes on the same claim as the qualifying visit.",
        )


@register(
    id="COD-UNLISTED-DESC",
    category=Category.CODE_VALIDITY,
    severity=Severity.ERROR,
    title="Unlisted or NOC procedure without a description",
    carc="16",
    rarc="N350, M51",
    source="NUCC/Medicare CMS-1500 item 24D ('return as unprocessable if an unlisted procedure code or a NOC code "
    "is used without narrative', support.speedysoftusa.com); Palmetto GBA NOC page (AW8MMP6652); unlisted CPT code "
    "numbers from the CPT section guidelines, cross-checked against the CMS PFS relative value file "
    "(claims/rules/data/unlisted_cpt.txt).",
    code_when=_unlisted_non_drug,
)
def unlisted_description(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """An unlisted CPT procedure (17999, 64999, 99499: the code numbers in data/unlisted_cpt.txt, or as a
    loaded licensed CPT file flags them) or a non-drug NOC HCPCS code is billed without a narrative
    describing the service. NOC drug codes (J3490) are DRG-NOC-DETAIL's.
    """
    if line.narrative or not _unlisted_non_drug(ctx.ref, line.code):
        return
    facts = ctx.ref.code(line.code)
    yield Hit(
        message=f"Unlisted/NOC code {line.code} requires a description of the service.",
        hint="Enter a concise description in item 19 / SV101-7 (and attach the op note if the payer requires it); "
        "confirm no specific code exists.",
        data_release=facts.release_label if facts is not None else "",
    )


@register(
    id="COD-CAT3",
    category=Category.CODE_VALIDITY,
    severity=Severity.WARNING,
    title="Category III (emerging technology) code",
    carc="50",
    rarc="",
    source="CMS PFS Relative Value File: Category III codes are status C, contractor-priced (e.g. 0213T); "
    "commercial treatment as investigational ASSUMED.",
    code_when=lambda ref, code: CATEGORY_III.match(code) is not None,
)
def category_iii(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """A CPT Category III code (0042T-9999T): emerging technology that Medicare prices by contractor and
    many commercial plans treat as investigational.
    """
    if CATEGORY_III.match(line.code):
        yield Hit(
            message=f"{line.code} is a Category III code; Medicare prices it by contractor (status C) and many "
            "commercial plans treat it as investigational.",
            hint="Verify coverage/pre-determination; include the documentation; do not substitute an unlisted code "
            "when a Category III code exists.",
        )
