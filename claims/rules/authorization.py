"""AUTHORIZATION rules: services the payer wants prior-authorized."""

from __future__ import annotations

from collections.abc import Iterator

from ..choices import Category, Severity
from .context import ClaimContext
from .inputs import LineInput
from .registry import Hit, register


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


@register(
    id="AUTH-MISMATCH",
    category=Category.AUTHORIZATION,
    severity=Severity.WARNING,
    title="Service outside the authorization",
    carc="198",
    rarc="N54",
    source="Payer prior-authorization records (catalogue §3.14). Not yet available: ClaimDesk holds no "
    "authorization records.",
    code_when=lambda ref, code: False,  # never fires until authorization records exist
)
def authorization_mismatch(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """Would flag a line whose date of service falls outside the authorization's from/through dates,
    whose units exceed the authorized units, or whose code is not on the authorization.

    Not yet available: it needs the authorization records themselves (from/through dates, codes and
    units per authorization number), which ClaimDesk does not store and the claim input does not carry.
    Until they exist this rule never fires.
    """
    yield from ()
