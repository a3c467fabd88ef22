"""CODE_VALIDITY rules: is the code valid on the date of service, and for this payer?"""

from __future__ import annotations

from collections.abc import Iterator

from codes.classify import classify

from ..choices import Category, Severity
from .context import ClaimContext
from .inputs import LineInput
from .registry import Hit, register


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
)
def code_effective(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """The code is not valid on the line's date of service: before its add date, after its
    termination date, not a CPT/HCPCS code at all, or absent from the loaded code set.

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
        else:
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
