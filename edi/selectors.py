"""Reads of the edi app: the claims an 837P export may send, clearinghouses, interchanges."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from django.db.models import Prefetch, Q, QuerySet

from claims.choices import ClaimStatus, ReviewOutcome
from claims.models import Claim, ClaimLine

from .models import Clearinghouse, Interchange

READY = "ready"
APPROVED = "approved"
EXPORT_STATUSES = {READY: "Ready to send", APPROVED: "Approved by a reviewer"}


def exportable_q(statuses: Iterable[str] = (READY, APPROVED)) -> Q:
    """``Claim.is_exportable`` as a query: ready and not waiting for review, or reviewed and approved."""
    query = Q(pk__in=[])
    statuses = set(statuses) or {READY, APPROVED}
    if READY in statuses:
        query |= Q(status=ClaimStatus.READY, queue_reason="")
    if APPROVED in statuses:
        query |= Q(status=ClaimStatus.REVIEWED, review_outcome=ReviewOutcome.APPROVED)
    return query


def exportable_claims(
    *,
    statuses: Iterable[str] = (),
    payers: Sequence[str] = (),
    claim_ids: Sequence[int] = (),
    dos_from: date | None = None,
    dos_to: date | None = None,
) -> QuerySet[Claim]:
    """Claims an export may send, oldest first, narrowed by status (ready/approved), payer names, claim
    numbers (primary keys) and a date-of-service range."""
    queryset = Claim.objects.filter(exportable_q(statuses))
    if payers:
        names = Q()
        for name in payers:
            names |= Q(payer__name__iexact=name)
        queryset = queryset.filter(names)
    if claim_ids:
        queryset = queryset.filter(pk__in=claim_ids)
    if dos_from:
        queryset = queryset.filter(date_of_service__gte=dos_from)
    if dos_to:
        queryset = queryset.filter(date_of_service__lte=dos_to)
    return queryset.select_related("payer").order_by("date_of_service", "pk")


def claims_for_export(claim_ids: Iterable[int]) -> QuerySet[Claim]:
    """The claims with everything their 837P reads (payers, lines) in three queries."""
    return (
        Claim.objects.filter(pk__in=list(claim_ids))
        .select_related("payer", "secondary_payer")
        .prefetch_related(Prefetch("lines", queryset=ClaimLine.objects.order_by("number")))
        .order_by("billing_npi", "payer_id", "member_id", "pk")
    )


def active_clearinghouses() -> QuerySet[Clearinghouse]:
    return Clearinghouse.objects.filter(active=True).order_by("name")


def interchange_list() -> QuerySet[Interchange]:
    return Interchange.objects.select_related("clearinghouse", "created_by")


def interchange_detail(pk: int) -> Interchange:
    return (
        Interchange.objects.select_related("clearinghouse", "created_by")
        .prefetch_related("sent_claims__claim__payer")
        .get(pk=pk)
    )


def interchanges_of_claim(claim: Claim) -> QuerySet[Interchange]:
    return Interchange.objects.filter(sent_claims__claim=claim).select_related("clearinghouse")
