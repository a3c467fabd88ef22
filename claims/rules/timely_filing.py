"""TIMELY_FILING rules: is the claim still inside the payer's filing limit?"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from ..choices import Category, Severity
from .context import ClaimContext
from .registry import CLAIM, Hit, register


def medicare_deadline(dos: date) -> date:
    """One calendar year after the date of service; a 29 February DOS must be filed by 28 February."""
    if dos.month == 2 and dos.day == 29:
        return date(dos.year + 1, 2, 28)
    return dos.replace(year=dos.year + 1)


@register(
    id="TF-LIMIT",
    category=Category.TIMELY_FILING,
    severity=Severity.ERROR,
    title="Past the timely filing limit",
    scope=CLAIM,
    carc="29",
    rarc="",
    source="42 CFR 424.44 and Pub 100-04 Ch.1 §70 (Noridian timely filing: one calendar year, 29 February rule); "
    "Medicaid 12-month ceiling 42 CFR 447.45(d); commercial limits per contract (payer settings).",
)
def filing_limit(ctx: ClaimContext) -> Iterator[Hit]:
    """The submission date is past the filing limit counted from the earliest date of service: one
    calendar year for Medicare (a 29 February DOS by 28 February), otherwise the payer's timely filing
    days. Claim-level finding.
    """
    claim = ctx.claim
    if claim.submission_date is None:
        return
    dos = min(line.dos for line in claim.lines)
    submitted = claim.submission_date
    elapsed = (submitted - dos).days
    if ctx.is_medicare:
        deadline = medicare_deadline(dos)
        if submitted <= deadline:
            return
        limit = "1-calendar-year"
    else:
        days = ctx.payer.timely_filing_days
        if elapsed <= days:
            return
        deadline = date.fromordinal(dos.toordinal() + days)
        limit = f"{days}-day"
    yield Hit(
        message=f"Submitted {submitted:%Y-%m-%d}, {elapsed} days after the earliest date of service "
        f"{dos:%Y-%m-%d}; the {limit} filing limit ended {deadline:%Y-%m-%d}.",
        hint=f"Claim is past the {limit} filing limit; only documented exceptions (retroactive eligibility, "
        "administrative error) can be used.",
    )
