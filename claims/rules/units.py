"""MUE rules: medically unlikely edits on units of service (catalogue §3.4).

Date-of-service MUEs sum the units of a code per rendering NPI and date, over the claim's active
lines and the billed history of that date; a line with modifier 50 counts as one unit (NCCI reports
a bilateral procedure as one UOS). When a date-of-service MUE is exceeded all units of the code are
denied, so the finding goes on every line of the code. Rows with an MUE of 0 are coverage
statements: only Medicare applies them (MUE-ZERO, §0.5).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from ..choices import Category, Severity
from .bundling import billed
from .context import MEDICARE, ClaimContext
from .inputs import HistoryItem, LineInput
from .reference import MUEFacts
from .registry import Hit, register

MUE_SOURCE = (
    "CMS NCCI Medically Unlikely Edits, practitioner services file; Noridian and Palmetto MUE pages "
    "(MAI 1 line edit, MAI 2/3 date-of-service edits)"
)


def _units(item: LineInput | HistoryItem) -> Decimal:
    """Units of service as NCCI counts them: a bilateral (50) line is one unit."""
    if item.units is None:
        return Decimal(0)
    return Decimal(1) if item.has("50") else item.units


def _fmt(value: Decimal | int) -> str:
    return f"{Decimal(value).normalize():f}"


def lines_of_code(ctx: ClaimContext, line: LineInput) -> list[LineInput]:
    """Active claim lines with the line's code, rendering NPI and date of service."""
    return [other for other in ctx.lines_on(line.dos, line.rendering_npi) if other.code == line.code]


_TOTALS_KEY = "units.line_totals"
_ZERO = Decimal(0)
_ONE = Decimal(1)


def _line_totals(ctx: ClaimContext) -> dict[tuple, Decimal]:
    """Units per (code, date, rendering NPI) over the claim's active lines, summed once per claim."""
    totals = ctx.cache.get(_TOTALS_KEY)
    if totals is None:
        totals = {}
        for other in ctx.active_lines:
            key = (other.code, other.dos, other.rendering_npi)
            units = other.units
            if units is None:
                units = _ZERO
            elif "50" in other.modifier_set:
                units = _ONE  # a bilateral line is one unit (as _units)
            found = totals.get(key)
            totals[key] = units if found is None else found + units
        ctx.cache[_TOTALS_KEY] = totals
    return totals  # type: ignore[return-value]


def units_on_date(ctx: ClaimContext, line: LineInput) -> Decimal:
    """Units of the line's code for its rendering NPI and date, claim lines plus billed history."""
    total = _line_totals(ctx).get((line.code, line.dos, line.rendering_npi), _ZERO)
    if ctx.claim.history:
        total += sum(
            (
                _units(item)
                for item in ctx.same_provider_history(line.dos, line.rendering_npi)
                if item.code == line.code and billed(item)
            ),
            Decimal(0),
        )
    else:
        total += _ZERO
    return total


def _has_mue(mai: int):
    """Code pre-filter: the code has an MUE row with this MAI and a value above 0 in some release."""

    def code_when(ref, code: str) -> bool:
        return any(row.adjudication_indicator == mai and row.value > 0 for row in ref.mue_rows(code))

    return code_when


def _has_zero_mue(ref, code: str) -> bool:
    return any(row.value == 0 for row in ref.mue_rows(code))


_EXCEEDED_KEY = "units.exceeded"


def _exceeded_date_edits(ctx: ClaimContext) -> frozenset[int]:
    """The MAIs (2, 3) of date-of-service MUEs some code of the claim exceeds on the claim's own lines,
    once per claim; with claim history every MAI counts (history adds units)."""
    found = ctx.cache.get(_EXCEEDED_KEY)
    if found is None:
        if ctx.claim.history:
            found = frozenset((2, 3))
        else:
            mue = ctx.ref.mue
            found = frozenset(
                facts.adjudication_indicator
                for (code, dos, _npi), total in _line_totals(ctx).items()
                if (facts := mue(code, dos)) is not None and facts.value > 0 and total > facts.value
            )
        ctx.cache[_EXCEEDED_KEY] = found
    return found  # type: ignore[return-value]


def _date_edit_exceeded(mai: int):
    """Claim pre-filter: some code's units on a date exceed its date-of-service MUE with this MAI."""

    def claim_when(ctx: ClaimContext) -> bool:
        return mai in _exceeded_date_edits(ctx)

    return claim_when


def _facts(ctx: ClaimContext, line: LineInput, mai: int) -> MUEFacts | None:
    """The line's MUE row when it has this MAI and a non-zero value (0 rows are MUE-ZERO's)."""
    if line.units is None:
        return None
    facts = ctx.ref.mue(line.code, line.dos)
    if facts is None or facts.adjudication_indicator != mai or facts.value <= 0:
        return None
    return facts


@register(
    id="MUE-LINE",
    category=Category.MUE,
    severity=Severity.ERROR,
    title="MUE line edit exceeded (MAI 1)",
    carc="151",
    rarc="N362",
    source=MUE_SOURCE + ". J3471 has MUE 999 with MAI 1 (CMS 2024Q3).",
    needs=("mue",),
    code_when=_has_mue(1),
)
def mue_line(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """The code has a claim-line MUE (MAI 1) and this line's units are above it. Units on separate
    lines with appropriate modifiers (RT/LT, 76, 91, XS…) may legitimately exceed it in total.
    """
    facts = _facts(ctx, line, 1)
    if facts is None:
        return
    units = _units(line)
    if units > facts.value:
        yield Hit(
            message=(
                f"Line {line.number}: {_fmt(units)} units of {line.code} exceed the MUE of {facts.value} per line."
            ),
            hint=(
                "Correct the units; if medically necessary and distinct (different site/session), report on "
                "separate lines with the appropriate modifier (RT/LT, 76, 91, XS…)."
            ),
            data_release=facts.release_label,
        )


def _policy_hint(ctx: ClaimContext, line: LineInput, total: Decimal) -> str:
    if line.code == "17000":
        extra = _fmt(total - 1)
        return f"Bill 17000 × 1 for the first lesion and 17003 × {extra} for lesions 2–14 (not 17000 × {_fmt(total)})."
    fee = ctx.ref.fee(line.code, line.dos)
    sides = {m for other in lines_of_code(ctx, line) for m in other.modifiers if m in ("RT", "LT")}
    if fee is not None and fee.bilateral_surgery == "1" and sides == {"RT", "LT"}:
        return f"{line.code} is a bilateral (150%) procedure: report one line with modifier 50 and 1 unit."
    return (
        f"Reduce the units of {line.code} to {ctx.ref.mue(line.code, line.dos).value} or fewer; this edit "
        "cannot be overridden on appeal or billed to the patient."
    )


@register(
    id="MUE-DOS-POLICY",
    category=Category.MUE,
    severity=Severity.ERROR,
    title="MUE date-of-service edit exceeded (MAI 2, policy)",
    carc="151",
    rarc="N362",
    source=MUE_SOURCE + "; FCSO MUE article (MAI 2 absolute); NGS MUE page (DOS MUEs sum lines).",
    needs=("mue",),
    code_when=_has_mue(2),
    claim_when=_date_edit_exceeded(2),
)
def mue_dos_policy(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """The code has a date-of-service MUE based on policy (MAI 2) and the units of the code summed
    over the claim and history for the same rendering NPI and date are above it. Absolute: not
    appealable. Reported on every line of the code, because all its units are denied.
    """
    facts = _facts(ctx, line, 2)
    if facts is None:
        return
    total = units_on_date(ctx, line)
    if total > facts.value:
        yield Hit(
            message=(
                f"{_fmt(total)} units of {line.code} on {line.dos:%Y-%m-%d} exceed the MUE of {facts.value} "
                "(MAI 2 — absolute, based on policy/anatomy/code descriptor; not appealable, cannot be billed "
                "to the patient)."
            ),
            hint=_policy_hint(ctx, line, total),
            data_release=facts.release_label,
        )


@register(
    id="MUE-DOS-CLINICAL",
    category=Category.MUE,
    severity=Severity.WARNING,
    title="MUE date-of-service edit exceeded (MAI 3, clinical)",
    carc="151",
    rarc="N362",
    source=MUE_SOURCE + "; NGS MUE page (DOS MUEs sum lines).",
    needs=("mue",),
    code_when=_has_mue(3),
    claim_when=_date_edit_exceeded(3),
)
def mue_dos_clinical(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """The code has a date-of-service MUE based on clinical benchmarks (MAI 3) and the units of the
    code summed over the claim and history for the same rendering NPI and date are above it. The
    line will deny; it is payable only on appeal with records. Reported on every line of the code.
    """
    facts = _facts(ctx, line, 3)
    if facts is None:
        return
    total = units_on_date(ctx, line)
    if total > facts.value:
        yield Hit(
            message=(
                f"{_fmt(total)} units of {line.code} exceed the MUE of {facts.value} (MAI 3 — clinical "
                "benchmark). The line will deny; payable only on appeal with records."
            ),
            hint=(
                "Verify units against the code descriptor (drugs: dose ÷ HCPCS unit); if correct, prepare "
                "documentation for appeal."
            ),
            data_release=facts.release_label,
        )


ZERO_HINTS = {
    "96376": "Repeat push of the same drug is facility-only; remove 96376.",
    "36416": "Capillary blood collection is not separately payable; remove 36416.",
}


@register(
    id="MUE-ZERO",
    category=Category.MUE,
    severity=Severity.ERROR,
    title="Code has a practitioner MUE of 0 (Medicare)",
    carc="151",
    rarc="",
    source=MUE_SOURCE + " (e.g. 96376, 36416, 97010, 99242–99245, 99381–99397, J8499 have value 0); CMS AOC "
    "special instruction '96376 may be reported by facilities only'.",
    payers=(MEDICARE,),
    needs=("mue",),
    code_when=_has_zero_mue,
)
def mue_zero(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """Medicare: the code's practitioner MUE is 0, a coverage statement ('CMS Policy', 'Oral
    Medication; Not Payable'…) — the service is not payable to a practitioner. Silenced by GA/GY/GZ/GX
    and by the specific coverage rules (catalogue §0.6).
    """
    facts = ctx.ref.mue(line.code, line.dos)
    if facts is None or facts.value != 0:
        return
    yield Hit(
        message=(
            f"{line.code} has a Medicare practitioner MUE of 0 ('{facts.rationale}') — not payable in this setting."
        ),
        hint=ZERO_HINTS.get(
            line.code,
            f"Remove {line.code}: Medicare does not pay it to a practitioner; check whether another code or the "
            "facility claim reports the service.",
        ),
        data_release=facts.release_label,
    )
