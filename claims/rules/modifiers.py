"""MODIFIER rules (catalogue §3.6): is each modifier valid for the code, the place and the payer?"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta

from ..choices import Category, Container, Severity
from .context import DISTINCT_MODIFIERS, FACILITY_POS, MEDICARE, ClaimContext, in_range, is_em, is_lab
from .inputs import LineInput
from .registry import CLAIM, Hit, register

X_MODIFIERS = ("XE", "XS", "XP", "XU")
ABN_MODIFIERS = ("GA", "GZ", "GY")
THERAPY_MODIFIERS = ("GP", "GO", "GN")
TELEHEALTH_POS = ("02", "10")
JWJZ_START = date(2023, 7, 1)  # JZ introduced; claims without JW/JZ rejected from 2023-10-01
TELEHEALTH_2024 = date(2024, 1, 1)  # 95 with an in-person POS ended 2023-12-31
FQHC_RHC_POS = ("50", "72")  # excluded from the JW/JZ policy

# CMS "always therapy" codes (CR 10176 and the annual therapy code list): billed only under a therapy
# plan of care, so they always need GP, GO or GN.
ALWAYS_THERAPY = frozenset(
    [
        "92507",
        "92508",
        "92521",
        "92522",
        "92523",
        "92524",
        "92526",
        "92607",
        "92608",
        "92609",
        "92610",
        "97012",
        "97016",
        "97018",
        "97022",
        "97024",
        "97026",
        "97028",
        "97032",
        "97033",
        "97034",
        "97035",
        "97036",
        "97039",
        "97110",
        "97112",
        "97113",
        "97116",
        "97124",
        "97140",
        "97150",
        "97161",
        "97162",
        "97163",
        "97164",
        "97165",
        "97166",
        "97167",
        "97168",
        "97530",
        "97533",
        "97535",
        "97537",
        "97542",
        "97750",
        "97760",
        "97761",
        "97763",
        "G0283",
    ]
)
PT_EVALUATIONS = ("97161", "97162", "97163")


def _mods(modifiers: tuple[str, ...]) -> str:
    return ", ".join(modifiers)


# --- modifier 25 / 59 / X / 57 -------------------------------------------------------------------


@register(
    id="MOD-25-NON-EM",
    category=Category.MODIFIER,
    severity=Severity.ERROR,
    title="Modifier 25 on a non-E/M code",
    carc="4",
    source="CPT/NCCI definition of modifier 25 (significant, separately identifiable E/M service); "
    "northstar modifiers pin.",
    code_when=lambda ref, code: not is_em(code),
    when=lambda ref, line: "25" in line.modifier_set,
)
def mod_25_non_em(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """Modifier 25 is on a code that is not an E/M service (99202-99499, 92002-92014)."""
    if line.has("25") and not is_em(line.code):
        yield Hit(
            message=f"Modifier 25 is on {line.code}, which is not an E/M service; 25 applies only to E/M codes.",
            hint="Move 25 to the E/M line; procedures use 59/X{EPSU}/anatomic modifiers.",
        )


@register(
    id="MOD-59-EM",
    category=Category.MODIFIER,
    severity=Severity.ERROR,
    title="59/XE/XS/XP/XU on an E/M code",
    carc="4",
    source='Noridian: modifier 59 "should not be appended to an E/M service" (northstar modifiers pin); '
    "MLN SE1418 (59 and X{EPSU}).",
    code_when=lambda ref, code: is_em(code),
    when=lambda ref, line: not line.modifier_set.isdisjoint(DISTINCT_MODIFIERS),
)
def mod_59_em(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """A distinct-procedural-service modifier (59, XE, XS, XP, XU) is on an E/M code."""
    found = [m for m in line.modifiers if m in DISTINCT_MODIFIERS]
    if found and is_em(line.code):
        yield Hit(
            message=f"{line.code} is an E/M service; modifier {_mods(found)} is not used on E/M codes.",
            hint="E/M services use 25 (same-day procedure), 57 (decision for major surgery) or 24 (post-op unrelated).",
        )


@register(
    id="MOD-59-X-BOTH",
    category=Category.MODIFIER,
    severity=Severity.WARNING,
    title="59 together with X{EPSU}, or more than one X modifier",
    carc="4",
    rarc="N519",
    source="CMS CR 8863 (X{EPSU} modifiers); MLN SE1418 revised.",
    when=lambda ref, line: not line.modifier_set.isdisjoint(X_MODIFIERS),
)
def mod_59_x_both(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """The line carries 59 together with an X{EPSU} modifier, or more than one X{EPSU} modifier."""
    xs = [m for m in line.modifiers if m in X_MODIFIERS]
    if (xs and line.has("59")) or len(xs) > 1:
        used = [m for m in line.modifiers if m in DISTINCT_MODIFIERS]
        yield Hit(
            message=f"{line.code} carries {_mods(used)}: use only one distinct-service modifier.",
            hint="Use the single most specific distinct-service modifier (XE encounter, XS structure, "
            "XP practitioner, XU non-overlapping); 59 only if none applies.",
        )


def _global_days(ctx: ClaimContext, code: str, dos: date) -> str:
    facts = ctx.ref.fee(code, dos)
    return facts.global_days if facts else ""


@register(
    id="MOD-57-MISUSE",
    category=Category.MODIFIER,
    severity=Severity.WARNING,
    title="Modifier 57 on the wrong service",
    carc="4",
    source='Modifier 57 "Do not append to E/M visits with minor procedures (000 or 10-day)" (northstar '
    "modifiers pin); Pub 100-04 Ch.12 §30.6.6.C (columbusohmedicalbilling.com/modifier-57-just-surgery/).",
    when=lambda ref, line: "57" in line.modifier_set,
)
def mod_57_misuse(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """Modifier 57 is on a non-E/M code; or on an E/M when no 090-day surgery is billed on the same or the
    next date of service while a minor (000/010-day) procedure is billed on the same date.

    Global days come from the fee schedule; without it only the non-E/M case is checked.
    """
    if not line.has("57"):
        return
    hint = (
        "For minor (000/010) procedures use 25; 57 only for the decision for a 90-day-global surgery "
        "(day of or day before)."
    )
    if not is_em(line.code):
        yield Hit(message=f"Modifier 57 is on {line.code}, which is not an E/M service.", hint=hint)
        return
    next_day = line.dos + timedelta(days=1)
    services = [(other.code, other.dos) for other in ctx.active_lines if other.number != line.number]
    services += [(item.code, item.dos) for item in ctx.claim.history]
    major = [c for c, d in services if d in (line.dos, next_day) and _global_days(ctx, c, d) == "090"]
    minor = [c for c, d in services if d == line.dos and _global_days(ctx, c, d) in ("000", "010")]
    if minor and not major:
        release = ctx.ref.fee(minor[0], line.dos)
        yield Hit(
            message=f"{line.code} carries 57, but the procedure billed on {line.dos:%Y-%m-%d} ({', '.join(minor)}) "
            "is a minor (000/010-day global) procedure.",
            hint=hint,
            data_release=release.release_label if release else "",
        )


@register(
    id="MOD-EM-NEEDS-25",
    category=Category.MODIFIER,
    severity=Severity.WARNING,
    title="Problem E/M with a preventive visit, without 25",
    carc="97",
    source="CPT preventive-medicine guideline as applied by AAPC (aapc.com reader question 'complete physical'); "
    "the PTP file has no 99396/99213 row.",
    code_when=lambda ref, code: in_range(code, "99202", "99215"),
    when=lambda ref, line: "25" not in line.modifier_set,
)
def mod_em_needs_25(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """A problem-oriented E/M (99202-99215) is billed on the same date as a preventive E/M (99381-99397)
    by the same provider, and the problem E/M has no modifier 25."""
    if line.has("25") or not (in_range(line.code, "99202", "99215")):
        return
    preventive = sorted(c for c in ctx.codes_on(line.dos, line.rendering_npi) if in_range(c, "99381", "99397"))
    if preventive:
        yield Hit(
            message=f"{line.code} is billed with preventive visit {preventive[0]} on the same day without modifier 25.",
            hint="Append 25 to the problem-oriented E/M if separately documented; otherwise remove it.",
        )


# --- bilateral, RT/LT, PC/TC --------------------------------------------------------------------


@register(
    id="MOD-BILATERAL",
    category=Category.MODIFIER,
    severity=Severity.ERROR,
    title="Invalid use of modifier 50",
    carc="4",
    source="Noridian Modifier 50 (med.noridianmedicare.com/web/jea/topics/modifiers/50); "
    "e2emedicalbilling.com/modifier-50-appropriate-use/; RVU BILAT SURG indicator.",
    needs=("fee_schedule",),
    when=lambda ref, line: "50" in line.modifier_set,
)
def mod_bilateral(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """Modifier 50 together with RT or LT on the same line, with more than 1 unit (Medicare), or on a code
    whose BILAT SURG indicator is 0, 2 or 9 (50 not appropriate)."""
    if not line.has("50"):
        return
    hint = "Bilateral (indicator 1): one line, 50, 1 unit, charge for both sides. Indicator 0/2/9: remove 50."
    facts = ctx.ref.fee(line.code, line.dos)
    release = facts.release_label if facts else ""
    if line.has("RT", "LT"):
        yield Hit(message=f"{line.code} carries 50 together with RT/LT; 50 already means both sides.", hint=hint)
    elif ctx.is_medicare and line.units is not None and line.units > 1:
        yield Hit(
            message=f"{line.code} with modifier 50 is billed with {line.units} units; Medicare wants 1.", hint=hint
        )
    elif facts is not None and facts.bilateral_surgery in ("0", "2", "9"):
        meaning = {
            "0": "50 is not appropriate for this code",
            "2": "the code is already bilateral",
            "9": "the bilateral concept does not apply",
        }[facts.bilateral_surgery]
        yield Hit(
            message=f"{line.code} has BILAT SURG indicator {facts.bilateral_surgery} ({meaning}); remove 50.",
            hint=hint,
            data_release=release,
        )


@register(
    id="MOD-RTLT-SPLIT",
    category=Category.MODIFIER,
    severity=Severity.WARNING,
    title="Bilateral procedure split into RT and LT lines (Medicare)",
    scope=CLAIM,
    carc="4",
    source='Palmetto bilateral page ("billed with one unit on one line with the 50 CPT modifier"); '
    "Noridian Modifier 50; RVU BILAT SURG indicator 1.",
    payers=(MEDICARE,),
    needs=("fee_schedule",),
)
def mod_rtlt_split(ctx: ClaimContext) -> Iterator[Hit]:
    """The same code (BILAT SURG indicator 1) is billed on one date on separate RT and LT lines; Medicare wants
    one line with 50 and 1 unit. Not emitted where a date-of-service MUE fired for the lines (§0.6)."""
    groups: dict[tuple, list[LineInput]] = defaultdict(list)
    for line in ctx.active_lines:
        if line.has("RT", "LT"):
            groups[(line.code, line.dos, line.rendering_npi)].append(line)
    for (code, dos, _npi), lines in groups.items():
        if not (any(x.has("RT") for x in lines) and any(x.has("LT") for x in lines)) or len(lines) < 2:
            continue
        facts = ctx.ref.fee(code, dos)
        if facts is None or facts.bilateral_surgery != "1":
            continue
        numbers = tuple(x.number for x in lines)
        for line in lines:
            yield Hit(
                message=f"{code} is billed on separate RT and LT lines (lines {', '.join(map(str, numbers))}); "
                "it is a bilateral procedure (BILAT SURG 1).",
                hint="Medicare: report once with 50 and 1 unit.",
                line=line.number,
                data_release=facts.release_label,
                related_lines=tuple(n for n in numbers if n != line.number),
            )


@register(
    id="MOD-PCTC",
    category=Category.MODIFIER,
    severity=Severity.ERROR,
    title="26/TC not valid for the code",
    carc="4",
    source="RVU PC/TC indicator definitions (northstar R/switches.R); RVU 93000 = 4, 93005 = 3, 93010 = 2.",
    needs=("fee_schedule",),
    when=lambda ref, line: not line.modifier_set.isdisjoint(("26", "TC")),
)
def mod_pctc(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """26 or TC is on a code whose PC/TC indicator is not 1 (26 is also allowed with indicator 6)."""
    used = [m for m in line.modifiers if m in ("26", "TC")]
    if not used:
        return
    facts = ctx.ref.fee(line.code, line.dos)
    if facts is None or facts.pctc_indicator == "1":
        return
    if facts.pctc_indicator == "6" and used == ["26"]:
        return
    yield Hit(
        message=f"Modifier {_mods(used)} is not valid on {line.code} (PC/TC indicator {facts.pctc_indicator}).",
        hint="Use the component-specific code, e.g. 93000 global ↔ 93005 tracing ↔ 93010 interpretation; 26/TC are "
        "not used on E/M, drug administration (PC/TC 5) or therapy codes.",
        data_release=facts.release_label,
    )


@register(
    id="MOD-PC-FACILITY",
    category=Category.MODIFIER,
    severity=Severity.WARNING,
    title="Global diagnostic test billed from a facility POS",
    carc="4",
    source='Noridian modifier 26 correct use "POS 21, 22 and 23" (northstar modifiers pin); '
    "immedicaresolutions.com/wiki/modifier-26.",
    needs=("fee_schedule",),
    when=lambda ref, line: line.pos in FACILITY_POS and line.modifier_set.isdisjoint(("26", "TC")),
)
def mod_pc_facility(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """A diagnostic test with PC/TC indicator 1 is billed globally (no 26/TC) from a facility POS
    (19, 21, 22, 23), where the hospital bills the technical component."""
    if line.pos not in FACILITY_POS or line.has("26", "TC"):
        return
    facts = ctx.ref.fee(line.code, line.dos)
    if facts is not None and facts.pctc_indicator == "1":
        yield Hit(
            message=f"{line.code} is billed globally (no 26/TC) from facility POS {line.pos}.",
            hint="The hospital bills the technical component; report the interpretation with 26.",
            data_release=facts.release_label,
        )


# --- repeat, liability, drug wastage ------------------------------------------------------------


@register(
    id="MOD-REPEAT",
    category=Category.MODIFIER,
    severity=Severity.WARNING,
    title="Repeat modifiers on the wrong code type",
    carc="4",
    source="Modifier 76/77/91 instructions (northstar modifiers pin, citing Pub 100-04 Ch.12 §30 and Ch.16 §100.5.1).",
    when=lambda ref, line: not line.modifier_set.isdisjoint(("76", "77", "91")),
)
def mod_repeat(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """76/77 on an E/M or a clinical lab code (labs use 91), or 91 on a code that is not a clinical lab test."""
    repeat = [m for m in line.modifiers if m in ("76", "77")]
    hint = "76 = same physician repeat procedure; 77 = different physician; 91 = repeat clinical lab test."
    if repeat and is_em(line.code):
        yield Hit(message=f"Modifier {_mods(repeat)} is not used on E/M code {line.code}.", hint=hint)
    elif repeat and is_lab(line.code):
        yield Hit(
            message=f"{line.code} is a clinical lab test: a repeat test takes 91, not {_mods(repeat)}.", hint=hint
        )
    elif line.has("91") and not is_lab(line.code):
        yield Hit(message=f"Modifier 91 is only for repeat clinical lab tests; {line.code} is not one.", hint=hint)


@register(
    id="MOD-ABN-CONFLICT",
    category=Category.MODIFIER,
    severity=Severity.ERROR,
    title="Contradictory liability modifiers",
    carc="4",
    rarc="N519",
    source="medicalbillingcptmodifiers.com (GA and GZ on the same item: unprocessable); "
    "rcmguide.com/modifiers-ga-gx-gy-and-gz/.",
    when=lambda ref, line: len(line.modifier_set.intersection(ABN_MODIFIERS)) >= 2,
)
def mod_abn_conflict(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """Two or more of the liability modifiers GA, GZ and GY are on the same line."""
    used = [m for m in line.modifiers if m in ABN_MODIFIERS]
    if len(set(used)) >= 2:
        yield Hit(
            message=f"{line.code} carries contradictory liability modifiers {_mods(used)}.",
            hint="GA = ABN on file; GZ = no ABN, expected denial; GY = statutory exclusion. Use exactly one.",
        )


def _jw_line_exists(ctx: ClaimContext, line: LineInput) -> bool:
    return any(
        other.number != line.number and other.code == line.code and other.dos == line.dos and other.has("JW")
        for other in ctx.active_lines
    )


def _is_drug(ref, code: str) -> bool:
    facts = ref.code(code)
    return facts is not None and facts.is_drug


def _jwjz_missing_applies(ref, line: LineInput) -> bool:
    """Line pre-filter of MOD-JWJZ-MISSING: without JW/JZ, outside FQHC/RHC."""
    return line.pos not in FQHC_RHC_POS and line.modifier_set.isdisjoint(("JW", "JZ"))


@register(
    id="MOD-JWJZ-MISSING",
    category=Category.MODIFIER,
    severity=Severity.ERROR,
    title="Single-dose drug without JW/JZ (Medicare)",
    carc="4",
    rarc="N519",
    source="Noridian JE 'Drug Wastage - JW and JZ Modifiers' (JZ from July 2023; claims without JW/JZ rejected "
    "from 2023-10-01); MLN MM13056.",
    payers=(MEDICARE,),
    code_when=_is_drug,
    when=_jwjz_missing_applies,
)
def mod_jwjz_missing(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """A Part B drug from a single-dose container (line container), DOS on or after 2023-07-01, has neither
    JW nor JZ, and no JW line exists for the same code and date. FQHC/RHC (POS 50, 72) and multi-dose
    containers are excluded."""
    if line.container != Container.SINGLE_DOSE or line.dos < JWJZ_START or line.pos in FQHC_RHC_POS:
        return
    facts = ctx.ref.code(line.code)
    if facts is None or not facts.is_drug or line.has("JW", "JZ") or _jw_line_exists(ctx, line):
        return
    yield Hit(
        message=f"{line.code} is from a single-dose container and has neither JW nor JZ.",
        hint="Append JZ if nothing was discarded; otherwise bill the administered amount on one line and the "
        "discarded amount on a separate JW line.",
        data_release=facts.release_label,
    )


@register(
    id="MOD-JWJZ-CONFLICT",
    category=Category.MODIFIER,
    severity=Severity.ERROR,
    title="JW/JZ misuse",
    carc="4",
    rarc="N519",
    source='clearcostestimate.com/billing/modifiers/jw ("a line that carries both will reject"); Priority Health '
    "JW/JZ (JW with multi-dose vials denies); Noridian JW/JZ.",
    payers=(MEDICARE,),
    when=lambda ref, line: not line.modifier_set.isdisjoint(("JW", "JZ")),
)
def mod_jwjz_conflict(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """JW and JZ on the same line; JZ on a drug line while a JW line exists for the same code and date; JW/JZ
    on a non-drug code; or JW/JZ on a multi-dose container (DOS on or after 2023-07-01)."""
    used = [m for m in line.modifiers if m in ("JW", "JZ")]
    if not used or line.dos < JWJZ_START:
        return
    facts = ctx.ref.code(line.code)
    if "JW" in used and "JZ" in used:
        problem = f"{line.code} carries both JW and JZ."
    elif facts is not None and not facts.is_drug:
        problem = f"{line.code} is not a drug code; {_mods(used)} applies only to drug lines."
    elif line.container == Container.MULTI_DOSE:
        problem = f"{line.code} is from a multi-dose container; {_mods(used)} applies only to single-dose containers."
    elif "JZ" in used and _jw_line_exists(ctx, line):
        problem = f"{line.code} carries JZ (nothing discarded) while a JW line reports discarded drug."
    else:
        return
    yield Hit(message=problem, hint="JW only on the wasted-amount line; JZ only when zero was wasted.")


# --- telehealth, therapy ------------------------------------------------------------------------


@register(
    id="MOD-TELEHEALTH",
    category=Category.MODIFIER,
    severity=Severity.WARNING,
    title="Telehealth POS/modifier mismatch (Medicare CY2024)",
    carc="5",
    source="CMS Transmittal 12671 (compliancecosmos.org/news-briefs-june-10-2024: POS 02/10 with 93 or 95); NGS "
    "'Telehealth Changes for 2024 – Modifier 95 and Place of Service Codes'.",
    payers=(MEDICARE,),
    when=lambda ref, line: line.pos in TELEHEALTH_POS or "95" in line.modifier_set,
)
def mod_telehealth(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """For dates of service from 2024-01-01: telehealth POS 02/10 without 95 or 93; 95 with an in-person POS
    (except outpatient therapy, GP/GO/GN); or both 93 and 95 on the line.

    The input carries no hospital-based distant-site flag, so that exception is not recognised.
    """
    if line.dos < TELEHEALTH_2024:
        return
    hint = (
        "Use POS 10 (patient at home, non-facility rate) or 02 (elsewhere, facility rate) with 95 (audio-video) "
        "or 93 (audio-only)."
    )
    if line.has("93") and line.has("95"):
        yield Hit(message=f"{line.code} carries both 93 (audio-only) and 95 (audio-video); use one.", hint=hint)
    elif line.pos in TELEHEALTH_POS and not line.has("93", "95"):
        yield Hit(
            message=f"{line.code} is billed with telehealth POS {line.pos} but without modifier 95 or 93.", hint=hint
        )
    elif line.has("95") and line.pos not in TELEHEALTH_POS and not line.has(*THERAPY_MODIFIERS):
        yield Hit(
            message=f"{line.code} carries telehealth modifier 95 with in-person POS {line.pos or '(none)'}.", hint=hint
        )


@register(
    id="MOD-THERAPY-GP",
    category=Category.MODIFIER,
    severity=Severity.ERROR,
    title='"Always therapy" code without GP/GO/GN (Medicare)',
    carc="4",
    rarc="N822",
    source='CMS CR 10176 / Transmittal 3814 "Updated Editing of Always Therapy Services"; WPS therapy modifiers.',
    payers=(MEDICARE,),
    code_when=lambda ref, code: code in ALWAYS_THERAPY,
)
def mod_therapy_gp(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """An "always therapy" code (97110, 97140, 97161-97168, 97530 ...) has none of GP, GO or GN; PT evaluations
    97161-97163 need GP specifically."""
    if line.code not in ALWAYS_THERAPY:
        return
    hint = "Append the plan-of-care modifier (GP physical therapy, GO occupational, GN speech-language)."
    if not line.has(*THERAPY_MODIFIERS):
        yield Hit(message=f"{line.code} is an always-therapy code and has no GP, GO or GN modifier.", hint=hint)
    elif line.code in PT_EVALUATIONS and not line.has("GP"):
        yield Hit(message=f"{line.code} is a physical therapy evaluation and needs GP.", hint=hint)
