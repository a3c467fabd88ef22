"""DUPLICATE rules: the same service billed twice, on this claim or already on an earlier one."""

from __future__ import annotations

from collections.abc import Iterator

from ..choices import Category, Severity
from .context import ClaimContext
from .inputs import LineInput
from .registry import CLAIM, Hit, register

REPEAT_MODIFIERS = ("76", "77", "91")  # repeat procedure (same / other physician), repeat lab test
# A payer's answers (practice-management history), and ClaimDesk's own sent claims (``selectors.patient_history``).
BILLED_STATUSES = frozenset({"accepted", "paid", "ready", "flagged", "approved"})
STATUS_WORDS = {
    "accepted": "accepted by the payer",
    "paid": "paid",
    "ready": "ready to send",
    "flagged": "waiting for review",
    "approved": "approved",
}
SENT_HERE = frozenset({"ready", "flagged", "approved"})  # not yet answered by the payer


def _key(line: LineInput) -> tuple:
    return (line.code, tuple(sorted(line.modifiers)), line.dos, line.pos, line.rendering_npi)


@register(
    id="DUP-LINE",
    category=Category.DUPLICATE,
    severity=Severity.ERROR,
    title="Identical lines on the claim",
    scope=CLAIM,
    carc="18",
    rarc="",
    source="X12 CARC 18 'Exact duplicate claim/service'; Palmetto GBA (multiple lines of the same drug and DOS "
    "may be denied as duplicates).",
)
def duplicate_line(ctx: ClaimContext) -> Iterator[Hit]:
    """Two lines match on code, modifiers (in any order), date of service, place of service and rendering
    NPI; the second and later ones are flagged. A line with 76, 77 or 91 (a documented repeat) is not a
    duplicate, and a drug's JW (discarded amount) line differs from the administered line by its
    modifier. Lines whose code is not valid on the DOS (COD-EFFECTIVE) take no part.
    """
    lines = ctx.active_lines
    if len({line.code for line in lines}) == len(lines):
        return  # no code twice: nothing can repeat
    first: dict[tuple, LineInput] = {}
    for line in lines:
        if line.has(*REPEAT_MODIFIERS):
            continue
        key = _key(line)
        earlier = first.setdefault(key, line)
        if earlier is line:
            continue
        yield Hit(
            message=f"Line {line.number} repeats line {earlier.number} ({line.code} on {line.dos:%Y-%m-%d}, "
            "same modifiers, place of service and rendering NPI).",
            hint="Remove the duplicate; if the service truly was repeated, use 76/77/91 or increase units "
            "(drugs: report the total dose on one line).",
            line=line.number,
            related_lines=(earlier.number,),
        )


@register(
    id="DUP-HISTORY",
    category=Category.DUPLICATE,
    severity=Severity.ERROR,
    title="Line already submitted or paid",
    carc="18",
    rarc="",
    source="X12 CARC 18 'Exact duplicate claim/service'; corrected claims use frequency code 7 (837P CLM05-3).",
    when=lambda ref, line: line.modifier_set.isdisjoint(REPEAT_MODIFIERS),
    claim_when=lambda ctx: bool(ctx.claim.history) and not ctx.claim.replaces_earlier_claim,
)
def duplicate_history(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """Claim history already holds the same code on the same date of service for the same rendering NPI
    with status accepted or paid (or, for ClaimDesk's own claims, ready, flagged or approved: the message names
    that claim and its status), and this claim does not replace or void an earlier one (frequency code 7 or
    8 with the original reference number, box 22: ``ClaimInput.replaces_earlier_claim``). A line with
    76, 77 or 91 (a documented repeat) is not a duplicate.
    """
    if not ctx.claim.history or ctx.claim.replaces_earlier_claim or line.has(*REPEAT_MODIFIERS):
        return
    for item in ctx.same_provider_history(line.dos, line.rendering_npi):
        if item.code == line.code and item.status in BILLED_STATUSES:
            status = STATUS_WORDS.get(item.status, item.status)
            where = f"on claim {item.claim} ({status})" if item.claim else f"in claim history ({status})"
            hint = (
                f"Open {item.claim or 'the earlier claim'}: if it is the same service, bill it once (it has not "
                "been answered by the payer yet); if the service was repeated, use 76/77/91."
                if item.status in SENT_HERE
                else "Check claim status; send a corrected claim (frequency 7) instead of a new one."
            )
            yield Hit(
                message=f"{line.code} on {line.dos:%Y-%m-%d} for NPI {line.rendering_npi} is already {where}.",
                hint=hint,
            )
            return
