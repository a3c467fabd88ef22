"""NCCI_PTP rules: procedure-to-procedure (unbundling) edits.

Every ordered pair (a, b) of services by the same rendering NPI on the same date is looked up in the
practitioner PTP table with a as column 1 and b as column 2 (catalogue §3.3). Partners are the
claim's active lines (COD-EFFECTIVE lines are left out, §0.6 rule 1) and the services in claim
history for that date (NCCI edits apply across claims). The finding goes on the column-2 line b.

``ptp_mi0_pairs`` is the one place that decides whether a line is denied by an indicator-0 edit;
PTP-MI0 and AOC-NO-PRIMARY (an add-on's primary denied by PTP-MI0 does not count) both call it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from ..choices import Category, Severity
from .context import ANATOMIC_MODIFIERS, DISTINCT_MODIFIERS, ClaimContext, is_em, is_lab
from .inputs import HistoryItem, LineInput
from .reference import PTPRow, ReferenceData
from .registry import Hit, register

# History statuses of services that were never paid: they take part in no edit.
NOT_BILLED_STATUSES = frozenset({"denied", "rejected", "void", "voided", "cancelled", "canceled"})
# Modifiers that bypass an indicator-1 edit whose column-2 code is an E/M (catalogue §3.3).
EM_BYPASS_MODIFIERS = ("25", "57", "24")
# Modifiers that bypass an indicator-1 edit when on either line of a non-E/M pair.
PROCEDURE_BYPASS_MODIFIERS = (*DISTINCT_MODIFIERS, "27")
# Repeat clinical laboratory test: a bypass only when both codes of the pair are clinical laboratory codes.
LAB_BYPASS_MODIFIER = "91"

PTP_SOURCE = (
    "CMS NCCI procedure-to-procedure edits, practitioner file; NCCI Policy Manual Ch. I §E (NCCI-associated "
    "modifiers); MLN 'Proper Use of Modifiers 59, XE, XP, XS, XU' (MLN1783722)"
)


def billed(item: HistoryItem) -> bool:
    """A history service that counts for edits (not denied, rejected or voided)."""
    return item.status not in NOT_BILLED_STATUSES


@dataclass(frozen=True, slots=True)
class PTPPair:
    """Column-1 service ``partner`` (a claim line or a history item) edited against column-2 ``line``."""

    partner: LineInput | HistoryItem
    line: LineInput
    row: PTPRow

    @property
    def partner_line(self) -> int | None:
        return self.partner.number if isinstance(self.partner, LineInput) else None

    def where(self) -> str:
        if isinstance(self.partner, LineInput):
            return f" on line {self.partner.number}"
        return f", already billed for {self.partner.dos:%Y-%m-%d} on another claim,"


_HITS_KEY = "bundling.ptp_hits"
_NO_PAIRS: tuple[PTPPair, ...] = ()


def ptp_hits(ctx: ClaimContext) -> dict[tuple[int, int], list[PTPPair]]:
    """Every active PTP hit of the claim, computed once per claim: (column-2 line number, modifier
    indicator) -> the pairs in partner order (claim lines, then billed history), one per partner with
    the first row of that indicator (rows in ``codes.ptp_index.row_order``)."""
    hits = ctx.cache.get(_HITS_KEY)
    if hits is not None:
        return hits  # type: ignore[return-value]
    hits = {}
    table = ctx.ref.ptp
    history = ctx.claim.history
    groups: dict[tuple, list[LineInput]] = {}  # the active lines of each (date, rendering NPI)
    for line in ctx.active_lines:
        key = (line.dos, line.rendering_npi)
        found = groups.get(key)
        if found is None:
            groups[key] = [line]
        else:
            found.append(line)
    for (dos, npi), lines in groups.items():
        partners: list[LineInput | HistoryItem] = list(lines)
        if history:
            partners.extend(item for item in ctx.same_provider_history(dos, npi) if billed(item))
        edits = table.edits_among({partner.code for partner in partners})
        if not edits:
            continue  # no two services of this date have an edit (the common case)
        for line in lines:
            column_one = edits.get(line.code)
            if column_one is None:
                continue
            code, number = line.code, line.number
            for partner in partners:
                if partner is line or partner.code not in column_one:
                    continue
                if isinstance(partner, LineInput) and partner.number == number:
                    continue
                seen: set[int] = set()
                for row in table.rows(partner.code, code):
                    indicator = row.modifier_indicator
                    if indicator in seen or not row.applies_on(dos):
                        continue
                    seen.add(indicator)
                    key = (number, indicator)
                    found = hits.get(key)
                    if found is None:
                        hits[key] = [PTPPair(partner, line, row)]
                    else:
                        found.append(PTPPair(partner, line, row))
    ctx.cache[_HITS_KEY] = hits
    return hits


def ptp_pairs(ctx: ClaimContext, line: LineInput, indicator: int) -> Iterator[PTPPair]:
    """Active PTP rows with the given modifier indicator where ``line`` is the column-2 code."""
    if line.number in ctx.invalid_lines:
        return iter(_NO_PAIRS)
    return iter(ptp_hits(ctx).get((line.number, indicator), _NO_PAIRS))


def ptp_mi0_pairs(ctx: ClaimContext, line: LineInput) -> list[PTPPair]:
    """The indicator-0 edits that deny ``line`` (empty when the payer does not apply NCCI)."""
    if not ctx.payer.apply_ncci or line.number in ctx.invalid_lines:
        return []
    return list(ptp_hits(ctx).get((line.number, 0), _NO_PAIRS))


def ptp_mi0_denied(ctx: ClaimContext, line: LineInput) -> bool:
    return bool(ptp_mi0_pairs(ctx, line))


def _has_ptp_rows(ref: ReferenceData, code: str) -> bool:
    """Code pre-filter: the code is column 2 of some PTP row (any date)."""
    return ref.ptp.is_column_two(code)


def _has_hits_with(indicator: int):
    """Claim pre-filter: some line of the claim is the column-2 line of an active edit with this
    modifier indicator (the hits are computed once per claim anyway)."""

    def claim_when(ctx: ClaimContext) -> bool:
        return any(key[1] == indicator for key in ptp_hits(ctx))

    return claim_when


_is_em = lru_cache(maxsize=None)(is_em)  # a pure function of the code, asked for every PTP pair


def has_bypass(column_1: LineInput | HistoryItem, column_2: LineInput) -> bool:
    """Whether an NCCI-associated modifier validly bypasses an indicator-1 edit (catalogue §3.3)."""
    if _is_em(column_2.code):
        # 59/X{EPSU} on an E/M is not a bypass; only 25, 57 or 24 on the E/M itself.
        return column_2.has(*EM_BYPASS_MODIFIERS)
    if column_1.has(*PROCEDURE_BYPASS_MODIFIERS) or column_2.has(*PROCEDURE_BYPASS_MODIFIERS):
        return True
    if (column_1.has(LAB_BYPASS_MODIFIER) or column_2.has(LAB_BYPASS_MODIFIER)) and (
        is_lab(column_1.code) and is_lab(column_2.code)
    ):
        return True  # 91 on any other pair is no bypass (MOD-REPEAT flags it)
    sides_1 = {m for m in column_1.modifiers if m in ANATOMIC_MODIFIERS}
    sides_2 = {m for m in column_2.modifiers if m in ANATOMIC_MODIFIERS}
    return bool(sides_1) and bool(sides_2) and sides_1 != sides_2


# Pair-specific fixes for indicator-0 edits (catalogue §3.3 PTP-MI0).
MI0_HINTS = {
    ("96372", "99211"): "Remove 99211: the nurse visit is part of the injection service (96372).",
    ("80053", "80048"): "Bill only the comprehensive metabolic panel (80053); remove 80048.",
    ("29881", "29877"): (
        "Remove 29877. Chondroplasty in a separate compartment of the same knee is reported with G0289 "
        "(PTP 29881/G0289 has modifier indicator 1), never with 29877."
    ),
}


@register(
    id="PTP-MI0",
    category=Category.NCCI_PTP,
    severity=Severity.ERROR,
    title="Code pair never separately payable",
    carc="236",
    rarc="M80, N20",
    source=PTP_SOURCE + "; Codapedia on 99211 with injections.",
    needs=("ptp",),
    code_when=_has_ptp_rows,
    claim_when=_has_hits_with(0),
)
def ptp_mi0(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """The line's code is the column-2 code of an active NCCI PTP edit with modifier indicator 0
    against another service of the same rendering NPI on the same date (on this claim or already in
    claim history). No modifier can bypass it; the column-2 code is denied.
    """
    for pair in ptp_mi0_pairs(ctx, line):
        col1, col2 = pair.partner.code, line.code
        hint = MI0_HINTS.get(
            (col1, col2), f"Remove {col2}, or if it was a different session on another date, correct the DOS."
        )
        yield Hit(
            message=(
                f"{col2} is bundled into {col1}{pair.where()} (NCCI PTP, modifier indicator 0 — "
                f"'{pair.row.rationale}'); no modifier can bypass this edit."
            ),
            hint=hint,
            data_release=ctx.ref.ptp_release_label,
            related_lines=(pair.partner_line,) if pair.partner_line is not None else (),
        )


@register(
    id="PTP-MI1-NOMOD",
    category=Category.NCCI_PTP,
    severity=Severity.WARNING,
    title="Bypassable code pair billed without a valid bypass modifier",
    carc="236",
    rarc="M80",
    source=PTP_SOURCE + "; Noridian modifier guidance (59 should not be appended to an E/M service).",
    needs=("ptp",),
    code_when=_has_ptp_rows,
    claim_when=_has_hits_with(1),
)
def ptp_mi1_nomod(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """The line's code is the column-2 code of an active NCCI PTP edit with modifier indicator 1
    against another service of the same rendering NPI on the same date, and no valid bypass is
    present: for an E/M column-2 code, 25, 57 or 24 on the E/M; otherwise 59, XE, XS, XP, XU or 27 on
    either line, 91 on either line when both codes are clinical laboratory codes (80047-89398, PLA
    codes, HCPCS laboratory codes), or different anatomic modifiers on both lines (the same side on
    both is not distinct; 25 on a procedure never bypasses).
    """
    for pair in ptp_pairs(ctx, line, 1):
        if has_bypass(pair.partner, line):
            continue
        col1, col2 = pair.partner.code, line.code
        if _is_em(col2):
            hint = (
                f"If a significant, separately identifiable E/M was documented, append 25 to {col2} "
                f"(57 if it was the decision for a major surgery); otherwise remove it."
            )
        else:
            hint = (
                f"If {col2} was performed on a separate structure/encounter/practitioner, append XS/XE/XP "
                f"(or 59 if none fits); different sides use RT/LT; otherwise remove {col2}."
            )
        yield Hit(
            message=(
                f"{col2} is a component of {col1}{pair.where()} (NCCI PTP, modifier indicator 1 — "
                f"'{pair.row.rationale}'). It will deny unless it was a separate/distinct service."
            ),
            hint=hint,
            data_release=ctx.ref.ptp_release_label,
            related_lines=(pair.partner_line,) if pair.partner_line is not None else (),
        )
