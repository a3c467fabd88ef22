"""ADD_ON rules: add-on codes need their primary procedure (NCCI add-on code edits, catalogue §3.5)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from datetime import date, timedelta
from weakref import WeakKeyDictionary

from codes.choices import CPTCategory

from ..choices import Category, Severity
from .bundling import billed, ptp_mi0_denied
from .context import ClaimContext
from .inputs import LineInput
from .reference import AddOnRow, ReferenceData
from .registry import Hit, register

CONTRACTOR_DEFINED = "CCCCC"
# Add-ons that may follow their primary on a different date (overnight critical care): the primary
# from the previous date counts (CMS AOC file text: "...may be reported for different dates of
# service (e.g., 99291 and 99292)").
PREVIOUS_DAY_PRIMARIES = {"99292": frozenset({"99291"})}
MAX_LISTED = 8


def _is_add_on(ctx: ClaimContext, code: str, dos: date) -> bool:
    facts = ctx.ref.code(code)
    return bool(facts is not None and facts.is_add_on) or _addon_facts(ctx.ref, code, dos) is not None


def _is_primary_procedure(ctx: ClaimContext, code: str, dos: date) -> bool:
    """A code that can carry a contractor-defined add-on: not an add-on, a drug or a Category II code."""
    facts = ctx.ref.code(code)
    if facts is not None and (facts.is_drug or facts.cpt_category == CPTCategory.II):
        return False
    return not _is_add_on(ctx, code, dos)


def payable_codes_on(ctx: ClaimContext, dos: date, npi: str, *, exclude: int | None = None) -> set[str]:
    """Codes of the same rendering NPI on ``dos`` that can serve as a primary: active claim lines not
    denied by an indicator-0 PTP edit (COD-EFFECTIVE lines are not active), plus billed history."""
    codes = {
        other.code for other in ctx.lines_on(dos, npi) if other.number != exclude and not ptp_mi0_denied(ctx, other)
    }
    codes.update(item.code for item in ctx.same_provider_history(dos, npi) if billed(item))
    return codes


def _listed(rows: list[AddOnRow]) -> list[str]:
    return sorted({row.primary_code for row in rows if row.primary_code != CONTRACTOR_DEFINED})


# Per reference data: (add-on code, stretch of dates) -> (edit type, listed primaries, as a set), or None
# without rows; and per add-on code, the dates where the rows that apply change.
_ADDON_FACTS: WeakKeyDictionary[ReferenceData, tuple[object, dict[tuple[str, int], tuple | None], dict]] = (
    WeakKeyDictionary()
)


def _addon_facts(ref: ReferenceData, code: str, dos: date) -> tuple[int, list[str], frozenset[str]] | None:
    entry = _ADDON_FACTS.get(ref)
    if entry is None or entry[0] is not ref.aoc:
        entry = _ADDON_FACTS[ref] = (ref.aoc, {}, {})
    memo, boundaries = entry[1], entry[2]
    # The rows that apply change only at their effective and deletion dates: one answer per code and
    # stretch of dates between those.
    bounds = boundaries.get(code)
    if bounds is None:
        days = set()
        for row in ref.aoc.get(code, ()):
            if row.effective_date is not None:
                days.add(row.effective_date)
            if row.deletion_date is not None and row.deletion_date < date.max:
                days.add(row.deletion_date + timedelta(days=1))  # the deletion date itself still applies
        bounds = boundaries[code] = sorted(days)
    key = (code, bisect_right(bounds, dos))
    if key in memo:
        return memo[key]
    rows = ref.addon_rows(code, dos)
    if rows:
        listed = _listed(rows)
        found = (min(row.edit_type for row in rows), listed, frozenset(listed))
    else:
        found = None
    memo[key] = found
    return found


def _primaries_text(listed: list[str]) -> str:
    if not listed:
        return "a contractor-defined primary procedure"
    shown = "/".join(listed[:MAX_LISTED])
    return shown + (f" or one of {len(listed) - MAX_LISTED} other listed codes" if len(listed) > MAX_LISTED else "")


@register(
    id="AOC-NO-PRIMARY",
    category=Category.ADD_ON,
    severity=Severity.ERROR,
    title="Add-on code without an eligible primary",
    carc="107",
    rarc="",
    source="CMS NCCI add-on code edits (AOC file and page: Type 1 listed primaries only, Type 2 contractor-"
    "defined, Type 3 non-exclusive list).",
    needs=("aoc",),
    code_when=lambda ref, code: code in ref.aoc,
)
def aoc_no_primary(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """An add-on code is billed without an eligible primary by the same rendering NPI on the same date
    (claim or history). Type 1 (ERROR): none of the listed primaries is present and payable — lines
    invalid on their date or denied by an indicator-0 PTP edit do not count. Type 2 (WARNING): no
    non-add-on procedure on the date. Type 3 (WARNING): neither a listed primary nor any other non-add-on
    procedure. 99292 also accepts 99291 on the previous date (overnight critical care).
    """
    facts = _addon_facts(ctx.ref, line.code, line.dos)
    if facts is None:
        return
    edit_type, listed, listed_set = facts
    present = payable_codes_on(ctx, line.dos, line.rendering_npi, exclude=line.number)
    earlier = PREVIOUS_DAY_PRIMARIES.get(line.code)
    if earlier and earlier & payable_codes_on(ctx, line.dos - timedelta(days=1), line.rendering_npi):
        return
    if edit_type == 1:
        if present & listed_set:
            return
    else:
        if any(_is_primary_procedure(ctx, code, line.dos) for code in present):
            return
        if edit_type == 3 and present & listed_set:
            return
    yield Hit(
        message=f"Add-on {line.code} requires a primary procedure ({_primaries_text(listed)}) on the same date.",
        hint="Add the primary code or replace the add-on with the correct initial code.",
        severity=(Severity.ERROR if edit_type == 1 else Severity.WARNING).value,
        data_release=ctx.ref.aoc_release_label,
    )
