"""EM rules: evaluation and management coding (catalogue §3.10)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from ..choices import Category, Severity
from .context import ClaimContext, in_range, is_em, is_lab
from .global_surgery import Service, provider_services
from .inputs import LineInput
from .registry import Hit, register

# New-patient code -> the established-patient code of the same level.
ESTABLISHED_CODE = {
    "99202": "99212",
    "99203": "99213",
    "99204": "99214",
    "99205": "99215",
    **{f"9938{n}": f"9939{n}" for n in range(1, 8)},
    "92002": "92012",
    "92004": "92014",
}
# HCPCS Level II sections that are supplies, drugs, labs or imaging, not face-to-face services.
NOT_FACE_TO_FACE_SECTIONS = frozenset("ABEJKLPRU")
INTERPRETATION_MODIFIERS = ("26", "TC")
# PFS PC/TC indicator 2: the code is a professional component only (an interpretation, e.g. 93010, 93042).
PROFESSIONAL_COMPONENT_ONLY = "2"


def is_interpretation_only(ctx: ClaimContext, service: Service) -> bool:
    """A professional or technical component alone: 26 or TC on the service, or a code whose PFS PC/TC
    indicator is 2 (professional component only) in the fee schedule of the service's date."""
    if service.has(*INTERPRETATION_MODIFIERS):
        return True
    facts = ctx.ref.fee(service.code, service.dos)
    return facts is not None and facts.pctc_indicator == PROFESSIONAL_COMPONENT_ONLY


def is_face_to_face(ctx: ClaimContext, service: Service) -> bool:
    """A professional face-to-face service (E/M or procedure), not interpretation-only, a lab test,
    imaging, a drug or a supply, nor a quality-tracking (Category II) code."""
    code = service.code
    if is_interpretation_only(ctx, service):
        return False
    if is_em(code):
        return True
    if is_lab(code) or in_range(code, "70010", "79999") or code.endswith("F"):
        return False
    if code[:1] in NOT_FACE_TO_FACE_SECTIONS:
        return False
    facts = ctx.ref.code(code)
    return not (facts is not None and facts.is_drug)


def three_years_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 3)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 3, day=28)


@register(
    id="EM-NEW-EST",
    category=Category.EM,
    severity=Severity.WARNING,
    title="New-patient code for an established patient",
    carc="11",
    rarc="",
    source="Pub 100-04 Ch.12 §30.6.7 (new patient: no professional service from the physician or another of the "
    "same specialty in the same group within 3 years), as quoted by AAFP FPM and columbusohmedicalbilling.com; "
    "CMS PFS relative value file PC/TC indicator 2 (professional component only: interpretation).",
    code_when=lambda ref, code: code in ESTABLISHED_CODE,
    claim_when=lambda ctx: ctx.has_several_dates,  # an earlier service is on another date
)
def em_new_established(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """A new-patient E/M (99202–99205, 99381–99387, 92002/92004) for a patient who received a
    professional face-to-face service (E/M or procedure; not interpretation-only: a service with 26, or
    a code whose PFS PC/TC indicator is 2, such as 93010 or 93042, does not count) in the 3 years
    before the date of service from the same rendering NPI or from a physician of the same group
    and the same specialty. A physician of another specialty in the group still sees a new patient.
    """
    established = ESTABLISHED_CODE.get(line.code)
    if established is None:
        return
    since = three_years_before(line.dos)
    earlier = sorted(
        (
            s
            for s in provider_services(ctx, line)
            if since <= s.dos < line.dos and is_face_to_face(ctx, s)
        ),
        key=lambda s: s.dos,
        reverse=True,
    )
    if not earlier:
        return
    last = earlier[0]
    yield Hit(
        message=(
            f"{line.code} is a new-patient code, but the patient already had {last.code} on {last.dos:%Y-%m-%d} "
            f"({last.where()}) from this physician or the same group and specialty within the last 3 years: "
            "the patient is established."
        ),
        hint=f"Use the established-patient code {established} (established-patient codes: 99212–99215 / 99391–99397).",
        related_lines=(last.line,) if last.line is not None else (),
    )
