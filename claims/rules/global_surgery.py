"""GLOBAL_SURGERY rules: visits and procedures inside a surgical global package (catalogue §3.11).

The package belongs to the provider: the same rendering NPI, or a physician of the same group (TIN)
and the same specialty (catalogue §0.4). Global days come from the fee schedule (MPFS RVU file GLOB
DAYS: 010 = 10 post-op days, 090 = 1 pre-op day + 90 post-op days). Procedures that open a package
are the claim's other active lines and the billed services in claim history.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from ..choices import Category, Severity
from .bundling import billed
from .context import ClaimContext, is_em
from .inputs import HistoryItem, LineInput
from .registry import Hit, register

GLOBAL_SOURCE = "CMS RAC issue 0034 (E&M within the global period; modifiers 24/25/57); MPFS RVU file global days"


@dataclass(frozen=True, slots=True)
class Service:
    """A service by the same provider: another claim line or a history item."""

    code: str
    dos: date
    modifiers: tuple[str, ...]
    line: int | None  # claim line number, None for history

    def has(self, *modifiers: str) -> bool:
        return any(m in self.modifiers for m in modifiers)

    def where(self) -> str:
        return f"line {self.line}" if self.line is not None else "billed on a previous claim"


def same_provider(ctx: ClaimContext, line: LineInput, item: HistoryItem) -> bool:
    """Same rendering NPI (a history item without one is taken as the claim's, as for NCCI), or same
    group TIN and same specialty (catalogue §0.4)."""
    return _same_provider(ctx, line.rendering_npi, item)


def _same_provider(ctx: ClaimContext, npi: str, item: HistoryItem) -> bool:
    if (item.rendering_npi or npi) == npi:
        return True
    claim = ctx.claim
    return bool(
        item.group_tin
        and item.group_tin == claim.group_tin
        and item.specialty
        and item.specialty == claim.rendering_specialty
    )


def _claim_services(ctx: ClaimContext, npi: str) -> list[Service]:
    """All the claim's active lines and the billed history of the provider of a line with this rendering
    NPI, computed once per claim and NPI (a shared list: do not modify)."""
    cache = ctx.cache.get(_SERVICES_KEY)
    if cache is None:
        cache = ctx.cache[_SERVICES_KEY] = {}
    services = cache.get(npi)
    if services is None:
        services = [Service(other.code, other.dos, other.modifiers, other.number) for other in ctx.active_lines]
        services.extend(
            Service(item.code, item.dos, item.modifiers, None)
            for item in ctx.claim.history
            if billed(item) and _same_provider(ctx, npi, item)
        )
        cache[npi] = services
    return services


_SERVICES_KEY = "global_surgery.services"
_OPENERS_KEY = "global_surgery.openers"


def provider_services(ctx: ClaimContext, line: LineInput) -> list[Service]:
    """The same provider's other services: the claim's other active lines (one group and specialty,
    the claim's) and billed history."""
    number = line.number
    return [service for service in _claim_services(ctx, line.rendering_npi) if service.line != number]


def global_days(ctx: ClaimContext, code: str, dos: date) -> int | None:
    """10 or 90 post-op days, 0 for a minor procedure, None when the code has no global (XXX, ZZZ…)."""
    facts = ctx.ref.fee(code, dos)
    value = facts.global_days.strip() if facts is not None else ""
    return int(value) if value.isdigit() else None


def _openers(ctx: ClaimContext, npi: str) -> list[tuple[Service, int]]:
    """The provider's services with a 10- or 90-day global, once per claim and NPI (shared list)."""
    cache = ctx.cache.get(_OPENERS_KEY)
    if cache is None:
        cache = ctx.cache[_OPENERS_KEY] = {}
    found = cache.get(npi)
    if found is None:
        found = []
        for service in _claim_services(ctx, npi):
            days = global_days(ctx, service.code, service.dos)
            if days in (10, 90):
                found.append((service, days))
        cache[npi] = found
    return found


def open_globals(ctx: ClaimContext, line: LineInput) -> Iterator[tuple[Service, int]]:
    """Procedures of the same provider whose 10- or 90-day post-op period contains the line's date."""
    number, dos = line.number, line.dos
    for service, days in _openers(ctx, line.rendering_npi):
        if service.line != number and 1 <= (dos - service.dos).days <= days:
            yield service, days


def _global_days_in(ref, code: str, wanted: tuple[int, ...]) -> bool:
    """Whether some loaded fee-schedule release gives the code one of these global days."""
    for row in ref.fee_rows(code):
        value = row.global_days.strip()
        if value.isdigit() and int(value) in wanted:
            return True
    return False


_OPENER_CODES_KEY = "global_surgery.may_open"


def _may_have_open_globals(ctx: ClaimContext) -> bool:
    """Claim pre-filter: the services span more than one date (a global period opens the day after
    its procedure, the pre-op day is the day before) and some line or history service has a 10- or
    90-day global in some release."""
    if not ctx.has_several_dates:
        return False
    found = ctx.cache.get(_OPENER_CODES_KEY)
    if found is None:
        ref = ctx.ref
        codes = {line.code for line in ctx.claim.lines}
        codes.update(item.code for item in ctx.claim.history)
        found = ctx.cache[_OPENER_CODES_KEY] = any(_global_days_in(ref, code, (10, 90)) for code in codes)
    return found  # type: ignore[return-value]


def _without(*modifiers: str):
    """Line pre-filter: none of these modifiers."""

    def when(ref, line: LineInput) -> bool:
        return line.modifier_set.isdisjoint(modifiers)

    return when


@register(
    id="GLB-POSTOP-EM",
    category=Category.GLOBAL_SURGERY,
    severity=Severity.WARNING,
    title="E/M inside a global period without 24",
    carc="97",
    rarc="N525",
    source=GLOBAL_SOURCE + "; global-days definitions.",
    needs=("fee_schedule",),
    code_when=lambda ref, code: is_em(code),
    when=_without("24"),
    claim_when=_may_have_open_globals,
)
def glb_postop_em(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """An E/M dated 1–10 days after a 010-day procedure or 1–90 days after a 090-day procedure by the
    same provider (same NPI, or same group and specialty), without 24. 25 or 57 only count when a new
    procedure is billed by the provider on the visit's own date.
    """
    if not is_em(line.code) or line.has("24"):
        return
    if not any(True for _ in open_globals(ctx, line)):
        return
    if line.has("25", "57") and any(
        s.dos == line.dos and global_days(ctx, s.code, s.dos) is not None and not is_em(s.code)
        for s in provider_services(ctx, line)
    ):
        return
    for service, days in open_globals(ctx, line):
        facts = ctx.ref.fee(service.code, service.dos)
        yield Hit(
            message=(
                f"Visit falls in the {days}-day global of {service.code} on {service.dos:%Y-%m-%d} "
                f"({service.where()}); post-op care is included."
            ),
            hint=(
                "If unrelated, append 24 and point to the unrelated diagnosis; if routine follow-up, do not bill "
                "(99024 for tracking)."
            ),
            data_release=facts.release_label if facts else "",
            related_lines=(service.line,) if service.line is not None else (),
        )
        return


_MAJOR_KEY = "global_surgery.may_have_major"


def _may_have_major_surgery(ctx: ClaimContext) -> bool:
    """Claim pre-filter of GLB-PREOP-EM-57: some line or history service has a 90-day global in some
    release (the visit may be the day before or the same day, so one date of service is enough)."""
    found = ctx.cache.get(_MAJOR_KEY)
    if found is None:
        ref = ctx.ref
        codes = {line.code for line in ctx.claim.lines}
        codes.update(item.code for item in ctx.claim.history)
        found = ctx.cache[_MAJOR_KEY] = any(_global_days_in(ref, code, (90,)) for code in codes)
    return found  # type: ignore[return-value]


@register(
    id="GLB-PREOP-EM-57",
    category=Category.GLOBAL_SURGERY,
    severity=Severity.WARNING,
    title="E/M the day before or day of a 090 procedure without 57",
    carc="97",
    rarc="",
    source="Pub 100-04 Ch.12 §30.6.6.C (decision for surgery, modifier 57) and §40.1.A (pre-operative visits from "
    "the day before the day of surgery up to and including the day of surgery are in the global package); NCCI "
    "Policy Manual Ch. XI (57); " + GLOBAL_SOURCE + ".",
    needs=("fee_schedule",),
    code_when=lambda ref, code: is_em(code),
    when=_without("57"),
    claim_when=_may_have_major_surgery,
)
def glb_preop_em_57(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """An E/M by the same provider dated the day before or the day of a 090-day (major) procedure,
    without 57: the pre-op visit is part of the global package unless it was the decision for surgery.
    On the day of surgery 25 does not stand in for 57 (25 belongs to procedures with a 000/010 global).
    A PTP edit between the visit and the procedure is still PTP-MI1-NOMOD's (catalogue §0.6 rule 7).
    """
    if not is_em(line.code) or line.has("57"):
        return
    number = line.number
    for service, days in _openers(ctx, line.rendering_npi):
        before = (service.dos - line.dos).days
        if service.line != number and before in (0, 1) and days == 90:
            when = "the day before" if before else "the day of"
            facts = ctx.ref.fee(service.code, service.dos)
            yield Hit(
                message=(
                    f"Visit on {line.dos:%Y-%m-%d} is {when} {service.code} ({service.where()}), a major "
                    "procedure with a 90-day global; the pre-op visit is included in the global package"
                    + (" (25 does not stand in for 57 on the day of a major surgery)." if not before else ".")
                ),
                hint=(
                    "If this visit produced the decision for surgery, append 57; otherwise it is a pre-op visit "
                    "included in the global."
                ),
                data_release=facts.release_label if facts else "",
                related_lines=(service.line,) if service.line is not None else (),
            )
            return


@register(
    id="GLB-POSTOP-PROC",
    category=Category.GLOBAL_SURGERY,
    severity=Severity.WARNING,
    title="Procedure inside a global period without 58/78/79",
    carc="97",
    rarc="N525",
    source="Modifier 58/78/79 instructions (Pub 100-04 Ch.12 §30, §40.2); MPFS RVU file global days.",
    needs=("fee_schedule",),
    code_when=lambda ref, code: _global_days_in(ref, code, (0, 10, 90)),
    when=_without("58", "78", "79"),
    claim_when=_may_have_open_globals,
)
def glb_postop_proc(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """A procedure with a 000/010/090 global dated 1–10 days after a 010-day procedure or 1–90 days
    after a 090-day procedure by the same provider, without 58 (staged), 78 (return to the OR) or 79
    (unrelated).
    """
    if line.has("58", "78", "79"):
        return
    for service, days in open_globals(ctx, line):
        if global_days(ctx, line.code, line.dos) not in (0, 10, 90):
            return
        facts = ctx.ref.fee(service.code, service.dos)
        yield Hit(
            message=(
                f"{line.code} falls in the {days}-day global of {service.code} on {service.dos:%Y-%m-%d} "
                f"({service.where()}); procedures in the post-op period are included unless staged, a return to "
                "the OR or unrelated."
            ),
            hint=(
                "Append 58 if staged/planned, 78 for an unplanned return to the OR, 79 if unrelated; otherwise "
                "do not bill it separately."
            ),
            data_release=facts.release_label if facts else "",
            related_lines=(service.line,) if service.line is not None else (),
        )
        return
