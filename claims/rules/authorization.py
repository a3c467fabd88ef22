"""AUTHORIZATION rules: services the payer wants prior-authorized."""

from __future__ import annotations

from collections.abc import Iterator

from ..choices import Category, Severity
from .context import ClaimContext
from .inputs import LineInput
from .registry import CLAIM, Hit, register


@register(
    id="AUTH-MISSING",
    category=Category.AUTHORIZATION,
    severity=Severity.ERROR,
    title="Prior-authorization service without an authorization number",
    carc="197",
    rarc="",
    source="Payer prior-authorization lists (payer settings): e.g. BCBS ND infliximab prior-approval criteria; "
    "BCBSM/BCN (ereferrals.bcbsm.com/home/news/home-news-338.shtml). Medicare FFS has no PA for these office "
    "services (ASSUMED).",
    claim_when=lambda ctx: (
        not ctx.claim.prior_auth_number and bool(ctx.payer.pa_required_codes or ctx.payer.pa_required_ranges)
    ),
)
def authorization_missing(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """The line's code is on the payer's prior-authorization list (codes or code ranges in the payer
    settings or the claim's payer_config) and the claim carries no prior-authorization number
    (CMS-1500 item 23 / 837P REF*G1).
    """
    if ctx.claim.prior_auth_number or not ctx.payer.requires_prior_auth(line.code):
        return
    payer = ctx.payer.name or "This payer"
    yield Hit(
        message=f"{payer} requires prior authorization for {line.code}, and the claim has no authorization number.",
        hint="Obtain/record the PA number; check that DOS and units fall inside the authorization.",
    )


AUTHORIZATION_MATCH = "Authorization match (dates, codes and units)"
NO_AUTHORIZATION_RECORDS = (
    "ClaimDesk keeps no authorization records to compare the authorization number with; "
    "check the dates, codes and units against the payer's authorization"
)


@register(
    id="AUTH-MISMATCH",
    category=Category.AUTHORIZATION,
    severity=Severity.WARNING,
    title="Service outside the authorization",
    scope=CLAIM,
    carc="198",
    rarc="N54",
    source="Payer prior-authorization records (catalogue §3.14).",
)
def authorization_mismatch(ctx: ClaimContext) -> Iterator[Hit]:
    """A line whose date of service falls outside the authorization's from/through dates, whose units
    exceed the authorized units, or whose code is not on the authorization.

    The authorization records themselves (from/through dates, codes and units per authorization
    number) are the payer's: ClaimDesk does not keep them and the claim input does not carry them. So
    on a claim that names an authorization number (item 23) this check is reported as not run, with
    that reason, rather than passed; a claim without one is AUTH-MISSING's concern.
    """
    if ctx.claim.prior_auth_number:
        ctx.not_checked(category=Category.AUTHORIZATION, check=AUTHORIZATION_MATCH, reason=NO_AUTHORIZATION_RECORDS)
    yield from ()
