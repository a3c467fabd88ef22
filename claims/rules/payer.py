"""PAYER_RULE rules (catalogue §3.8): Medicare-specific coding — vaccine administration, substitute codes,
routine physicals, wellness-visit frequency."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from ..choices import Category, Severity
from .context import MEDICARE, ClaimContext, in_range
from .inputs import LineInput
from .registry import CLAIM, Hit, register

# Vaccine products Medicare pays with its own administration code (Pub 100-04 Ch.18 §10.2.1).
FLU_VACCINES = frozenset(
    [
        "90630",
        "90653",
        "90654",
        "90655",
        "90656",
        "90657",
        "90658",
        "90660",
        "90661",
        "90662",
        "90672",
        "90673",
        "90674",
        "90682",
        "90685",
        "90686",
        "90687",
        "90688",
        "90689",
        "90694",
        "90756",
        "Q2035",
        "Q2036",
        "Q2037",
        "Q2038",
        "Q2039",
    ]
)
PNEUMOCOCCAL_VACCINES = frozenset(["90670", "90671", "90677", "90732"])


def _is_hepb(code: str) -> bool:
    return in_range(code, "90739", "90747") or code == "90759"


VACCINE_GROUPS = (
    ("influenza", "G0008", lambda code: code in FLU_VACCINES),
    ("pneumococcal", "G0009", lambda code: code in PNEUMOCOCCAL_VACCINES),
    ("hepatitis B", "G0010", _is_hepb),
)
CPT_IMMUNIZATION_ADMIN = ("90460", "90461", "90471", "90472")

@dataclass(frozen=True, slots=True)
class Substitute:
    """Medicare's own code(s) for a CPT code it does not pay (PFS status I)."""

    codes: tuple[str, ...]  # every code the biller may be told to use
    text: str  # the substitute as the biller reads it
    why: str


def _substitute(text: str, why: str) -> Substitute:
    """A substitute whose codes are read from its text, so the table names each code once."""
    return Substitute(tuple(re.findall(r"\b[A-Z0-9]\d{3}[0-9A-Z]\b", text)), text, why)


# CPT codes with PFS status I whose Medicare code is known (catalogue §3.8 MCR-HCPCS-SUBST). Each code has
# status I, and each substitute an active status, in the CMS PFS relative value file (RVU25A): a test checks
# this against the real file.
SUBSTITUTES: dict[str, Substitute] = {
    "97014": _substitute(
        "G0283 (G0281 for wound care)",
        "Medicare pays unattended electrical stimulation as G0283, or as G0281 when it treats chronic stage III/IV "
        "pressure, arterial, diabetic or venous stasis ulcers",
    ),
    "99417": _substitute(
        "G2212", "Medicare's prolonged-service code, counted from the CMS time threshold of 99205/99215"
    ),
    "99418": _substitute(
        "G0316", "Medicare's prolonged inpatient or observation care code, counted from the CMS time threshold"
    ),
    **{
        code: _substitute(f"{new} (new) or {est} (established)", "Medicare does not pay office consultation codes")
        for code, new, est in (
            ("99242", "99202", "99212"),
            ("99243", "99203", "99213"),
            ("99244", "99204", "99214"),
            ("99245", "99205", "99215"),
        )
    },
    **{
        code: _substitute(
            f"{initial} (initial) or {subsequent} (subsequent hospital care)",
            "Medicare does not pay inpatient consultation codes",
        )
        for code, initial, subsequent in (
            ("99252", "99221", "99231"),
            ("99253", "99222", "99232"),
            ("99254", "99223", "99233"),
            ("99255", "99223", "99233"),
        )
    },
}

AWV_INITIAL, AWV_SUBSEQUENT, IPPE = "G0438", "G0439", "G0402"
NOT_COUNTED_STATUSES = ("denied", "rejected", "void", "voided")


@register(
    id="MCR-VACCINE-ADMIN",
    category=Category.PAYER_RULE,
    severity=Severity.ERROR,
    title="Medicare flu/pneumococcal/HepB vaccine administered with 90471/90472/90460",
    scope=CLAIM,
    carc="4",
    rarc="N657",
    source="Palmetto GBA Preventive Services FAQ (90471/90472 denied for immunizations with a specific "
    "administration code); CGS, Pub 100-04 Ch.18 §10.2.1.",
    payers=(MEDICARE,),
)
def mcr_vaccine_admin(ctx: ClaimContext) -> Iterator[Hit]:
    """A flu, pneumococcal or hepatitis B vaccine is billed to Medicare, its administration code (G0008, G0009,
    G0010) is not, and the date has a CPT immunization administration line (90460, 90461, 90471, 90472)."""
    if not any(line.code in CPT_IMMUNIZATION_ADMIN for line in ctx.active_lines):
        return  # the finding is on such an administration line
    by_date: dict[date, list[LineInput]] = defaultdict(list)
    for line in ctx.active_lines:
        by_date[line.dos].append(line)
    for lines in by_date.values():
        codes = {x.code for x in lines}
        missing = [
            (name, g_code, sorted(c for c in codes if matches(c)))
            for name, g_code, matches in VACCINE_GROUPS
            if any(matches(c) for c in codes) and g_code not in codes
        ]
        if not missing:
            continue
        needed = "; ".join(f"{g_code} for {name} vaccine {', '.join(products)}" for name, g_code, products in missing)
        for admin in (x for x in lines if x.code in CPT_IMMUNIZATION_ADMIN):
            yield Hit(
                message=f"Medicare does not pay {admin.code} to administer this vaccine: use {needed}.",
                hint="Use G0008 (influenza), G0009 (pneumococcal), G0010 (hepatitis B) — one admin code per vaccine.",
                line=admin.number,
            )


@register(
    id="MCR-HCPCS-SUBST",
    category=Category.PAYER_RULE,
    severity=Severity.ERROR,
    title="Medicare uses a different code (status I with a known substitute)",
    carc="181",
    rarc="N56",
    source="CMS PFS relative value file status (RVU24C, RVU25A: 97014, 99417, 99418, 99242-99245 and 99252-99255 = I; "
    "G0283, G0281, G2212, G0316 = A); MUE (99242-99245 value 0); AOC file (G2212 primaries 99205/99215/99483).",
    payers=(MEDICARE,),
    code_when=lambda ref, code: code in SUBSTITUTES,
)
def mcr_hcpcs_subst(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """The code is one Medicare does not pay (MPFS status I) and Medicare has its own code for the service:
    97014 → G0283 (G0281 for wound care); 99417 → G2212; 99418 → G0316; consultations 99242-99245 and
    99252-99255 → office or inpatient E/M codes."""
    substitute = SUBSTITUTES.get(line.code)
    if substitute is None:
        return
    yield Hit(
        message=f"Medicare does not pay {line.code} (status I); it uses {substitute.text}: {substitute.why}.",
        hint=f"Replace {line.code} with {substitute.text}.",
    )


@register(
    id="MCR-PREVENTIVE",
    category=Category.PAYER_RULE,
    severity=Severity.WARNING,
    title="Routine physical (99381-99397) to Medicare without GY",
    carc="96",
    source="CMS Transmittal 12546 (complianceuniverse.org: do not bill AWV services using 99381-99397); MLN Medicare "
    "Wellness Visits ('Medicare doesn't cover a routine physical'); RVU status N.",
    payers=(MEDICARE,),
    code_when=lambda ref, code: in_range(code, "99381", "99397"),
    when=lambda ref, line: line.modifier_set.isdisjoint(("GY", "GA", "GX")),
)
def mcr_preventive(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """A preventive-medicine visit (99381-99397) is billed to Medicare without GY, GA or GX."""
    if in_range(line.code, "99381", "99397") and not line.has("GY", "GA", "GX"):
        yield Hit(
            message=f"{line.code}: Medicare does not cover routine physicals (status N). The line will deny.",
            hint="If an AWV/IPPE was performed bill G0438/G0439/G0402; otherwise append GY (patient liable; ABN "
            "optional but recommended) and bill any medically necessary problem visit separately with 25.",
        )


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month + 1, day=min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def _prior_services(ctx: ClaimContext, line: LineInput, codes: tuple[str, ...]) -> list[date]:
    """Dates of earlier services with these codes: claim history (any provider) and earlier lines."""
    dates = [
        item.dos
        for item in ctx.claim.history
        if item.code in codes and item.dos < line.dos and item.status not in NOT_COUNTED_STATUSES
    ]
    dates += [other.dos for other in ctx.active_lines if other.code in codes and other.dos < line.dos]
    return sorted(dates)


@register(
    id="MCR-AWV-FREQ",
    category=Category.PAYER_RULE,
    severity=Severity.ERROR,
    title="AWV/IPPE frequency",
    carc="119",
    rarc="M86",
    source="MLN Medicare Wellness Visits; Palmetto AWV FAQ; CMS RAC issue 0077 (AWV within 12 months of IPPE); "
    "verimedix.com (11 full months).",
    payers=(MEDICARE,),
    code_when=lambda ref, code: code in (AWV_INITIAL, AWV_SUBSEQUENT, IPPE),
)
def mcr_awv_freq(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """Annual wellness visit / IPPE frequency: G0438 after any earlier AWV; G0439 before 11 full months have
    passed since the last AWV; an AWV within 12 months of the Part B effective date or of an IPPE; G0402 more
    than 12 months after the Part B effective date, or a second G0402. History counts from any provider."""
    if line.code not in (AWV_INITIAL, AWV_SUBSEQUENT, IPPE):
        return
    part_b = ctx.claim.patient.medicare_part_b_effective
    prior_awv = _prior_services(ctx, line, (AWV_INITIAL, AWV_SUBSEQUENT))
    prior_ippe = _prior_services(ctx, line, (IPPE,))
    problem = ""
    if line.code == AWV_INITIAL and prior_awv:
        problem = f"G0438 (initial AWV) is once per lifetime; an AWV was already billed on {prior_awv[-1]:%Y-%m-%d}."
    elif line.code == AWV_SUBSEQUENT and prior_awv and line.dos < add_months(prior_awv[-1].replace(day=1), 12):
        eligible = add_months(prior_awv[-1].replace(day=1), 12)
        problem = (
            f"G0439 is billed less than 11 full months after the last AWV ({prior_awv[-1]:%Y-%m-%d}); "
            f"eligible from {eligible:%Y-%m-%d}."
        )
    elif line.code in (AWV_INITIAL, AWV_SUBSEQUENT) and part_b and line.dos < add_months(part_b, 12):
        problem = (
            f"{line.code} is billed within 12 months of the Part B effective date ({part_b:%Y-%m-%d}); "
            "only the IPPE (G0402) is covered in that year."
        )
    elif line.code in (AWV_INITIAL, AWV_SUBSEQUENT) and prior_ippe and line.dos < add_months(prior_ippe[-1], 12):
        problem = f"{line.code} is billed within 12 months of the IPPE (G0402) on {prior_ippe[-1]:%Y-%m-%d}."
    elif line.code == IPPE and prior_ippe:
        problem = f"G0402 (IPPE) is once per lifetime; it was already billed on {prior_ippe[-1]:%Y-%m-%d}."
    elif line.code == IPPE and part_b and line.dos >= add_months(part_b, 12):
        problem = (
            f"G0402 (IPPE) is billed more than 12 months after the Part B effective date ({part_b:%Y-%m-%d}); "
            "bill an AWV instead."
        )
    if problem:
        yield Hit(
            message=problem,
            hint="G0438 once per lifetime; thereafter G0439 once every 12 months (≥11 full months after the previous "
            "AWV).",
        )
