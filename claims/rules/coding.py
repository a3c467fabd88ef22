"""CODE_VALIDITY rules: is the code valid on the date of service, and for this payer?"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from functools import lru_cache

from codes.choices import CodeOrigin, CodeSystem, Source
from codes.classify import classify

from ..choices import Category, Severity
from .context import COMMERCIAL, MEDICARE, ClaimContext
from .data import code_list
from .inputs import LineInput
from .registry import CLAIM, Hit, register

_classify = lru_cache(maxsize=65536)(classify)  # a pure function of the code, asked for most lines


def _may_be_invalid(ref, code: str) -> bool:
    """Code pre-filter of COD-EFFECTIVE: the code is unknown, has an add or termination date, is a CPT
    code whose validity only the fee-schedule file of the date of service's year can tell (no licensed
    CPT file is loaded), or is a HCPCS code only an edit file names (no HCPCS file is loaded)."""
    facts = ref.code(code)
    if facts is None or facts.added_date is not None or facts.termination_date is not None:
        return True
    if facts.system == CodeSystem.CPT:
        return CodeSystem.CPT not in ref.complete_systems
    return facts.origin == CodeOrigin.EDIT_FILE and CodeSystem.HCPCS not in ref.complete_systems


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
    source="CMS HCPCS Level II quarterly file (add and termination dates); AMA CPT data file (licensed); "
    "without it, the CMS PFS relative value file of the year (PPRRVU: the CPT code numbers of that year).",
    order=0,  # no ``needs``: without a code table it still rejects malformed codes and says what it could not judge
    code_when=_may_be_invalid,
)
def code_effective(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """The code is not valid on the line's date of service: before its add date, after its
    termination date, not a CPT/HCPCS code at all, or absent from the loaded code set. A well-formed
    code is judged absent only when its family's whole code set is loaded (a CMS HCPCS file, a
    licensed CPT file), not from the starter data's few hundred codes. Without a licensed CPT file a
    CPT code is judged from the real PFS relative value file of the date of service's year
    (``_cpt_in_fee_schedule``). Where no loaded file can decide (a CPT code without such a file, a
    HCPCS code no code file lists while the HCPCS file is not loaded) the line is reported as not
    checked (``ctx.not_checked``), never as passed.

    Top precedence (catalogue §0.6 rule 1): it suppresses every other finding on the line, and the
    line takes no part in pair or units checks.
    """
    facts = ctx.ref.code(line.code)
    if facts is not None and not facts.is_valid_on(line.dos):
        yield _outside_dates(line, facts)
        return
    if facts is None:
        shape = _classify(line.code)
        if not shape:
            yield Hit(
                message=f"{line.code or '(blank)'} is not a valid procedure code: {shape.reason}",
                hint="Re-key the code from the superbill; CPT codes are 5 characters (99213, 0591T), "
                "HCPCS Level II codes are a letter and 4 digits (J1100).",
            )
            return
        if shape.system in ctx.ref.complete_systems:
            yield Hit(
                message=f"{line.code} is not in the loaded code set for DOS {line.dos:%Y-%m-%d}.",
                hint="Check the code; if it is new, load the current HCPCS file or your licensed CPT file.",
            )
            return
        system, listed = shape.system, False
    else:  # listed by a code file (CMS HCPCS, licensed CPT, the starter data's CMS rows), or named only by an edit file
        system, listed = facts.system, facts.origin != CodeOrigin.EDIT_FILE
    if system == CodeSystem.CPT and CodeSystem.CPT not in ctx.ref.complete_systems:
        yield from _cpt_in_fee_schedule(ctx, line)
    elif system == CodeSystem.HCPCS and not listed and CodeSystem.HCPCS not in ctx.ref.complete_systems:
        ctx.not_checked(
            category=Category.CODE_VALIDITY,
            check=HCPCS_VALIDITY,
            reason="no HCPCS Level II code file loaded",
            line=line.number,
        )


def _outside_dates(line: LineInput, facts) -> Hit:
    if facts.added_date and line.dos < facts.added_date:
        return Hit(
            message=f"{line.code} is not valid for DOS {line.dos:%Y-%m-%d} (effective {facts.added_date:%Y-%m-%d}).",
            hint="Use the code that was valid on the date of service.",
        )
    successor = SUCCESSORS.get(line.code)
    hint = (
        f"Use {successor} for services on or after {facts.termination_date:%Y-%m-%d}."
        if successor
        else "Use the code that replaced it (see the HCPCS/CPT release notes)."
    )
    return Hit(
        message=f"{line.code} is not valid for DOS {line.dos:%Y-%m-%d} (terminated {facts.termination_date:%Y-%m-%d}).",
        hint=hint,
    )


CPT_VALIDITY = "CPT code validity"
HCPCS_VALIDITY = "HCPCS Level II code validity"


def _cpt_in_fee_schedule(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """CPT validity from public data, when no licensed CPT file is loaded: a CPT code number in the
    Medicare physician fee schedule (PFS) relative value file of the year is a code of that year.

    * No real relative value file covers the date of service (only the starter subset, or only other
      years' files): the check did not run (``ctx.not_checked``), it is not passed.
    * The file lists the code (with or without a modifier): valid.
    * It does not, and the code is a numeric Category I code (the file lists every one, lab and
      anesthesia codes included): not a code of that year; the message names the releases that do
      list it, if any (99201: "last listed in RVU20D").
    * It does not, and the code is Category II/III, PLA or another suffixed code (the file carries
      only some of them): the data cannot decide, so the check is reported as not run.
    """
    release = ctx.ref.cpt_fee_schedule(line.dos)
    if release is None:
        reason = "no CPT code set loaded"
        if any(not r.is_starter for r in ctx.ref.timeline.releases(Source.PFS_RVU)):
            reason += f" for {line.dos.year} (no licensed CPT file, no PFS relative value file of {line.dos.year})"
        ctx.not_checked(category=Category.CODE_VALIDITY, check=CPT_VALIDITY, reason=reason, line=line.number)
        return
    if ctx.ref.fee_schedule_lists(release, line.code):
        return
    if not line.code.isdigit():
        ctx.not_checked(
            category=Category.CODE_VALIDITY,
            check=CPT_VALIDITY,
            reason=f"no CPT code set loaded; the PFS relative value file {release.label} lists only some "
            "Category II, Category III and laboratory analysis (PLA) codes",
            line=line.number,
        )
        return
    listings = ctx.ref.fee_schedule_listings(line.code)
    older = [r for r in listings if r.effective_date < release.effective_date]
    newer = [r for r in listings if r.effective_date > release.effective_date]
    if older:
        history = f"; last listed in {older[-1].label}"
    elif newer:
        history = f"; the loaded files list it from {newer[0].label} (effective {newer[0].effective_date:%Y-%m-%d})"
    else:
        history = ", nor in any other loaded one"
    successor = SUCCESSORS.get(line.code)
    yield Hit(
        message=f"{line.code} is not a CPT code of {line.dos.year}: it is not in the Medicare physician fee "
        f"schedule file {release.label} (DOS {line.dos:%Y-%m-%d}){history}.",
        hint=(
            f"Use {successor}."
            if successor
            else "Check the code on the superbill; a deleted code is replaced by another (see the CPT release notes)."
        )
        + " If the code is new this quarter, load the current PFS relative value file or your licensed CPT file.",
        data_release=release.label,
    )


# Known successors of terminated codes (catalogue §3.2 COD-EFFECTIVE).
SUCCESSORS = {
    "J1020": "J1010 (methylprednisolone acetate, 1 mg units: 40 mg = 40 units)",
    "J1030": "J1010 (methylprednisolone acetate, 1 mg units: 40 mg = 40 units)",
    "J1040": "J1010 (methylprednisolone acetate, 1 mg units: 80 mg = 80 units)",
    "J2505": "J2506 (pegfilgrastim, 0.5 mg units)",
    "99201": "99202 (office visit, new patient: 99201 was deleted on 2021-01-01)",
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
    payers=(MEDICARE,),
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
    payers=(MEDICARE,),
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
    payers=(MEDICARE, COMMERCIAL),
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
