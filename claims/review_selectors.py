"""Reads of the review queue and the review page, each in a fixed number of queries.

The queue's rows are the open reviews (``ClaimReview`` with no outcome yet) joined to their claim, which the
filters and the sort orders read; the payer and the biller are loaded for the shown page only, and the
finding counts with one aggregate query. The review page reads the snapshot under review (its ``data``
holds the header, the lines and the findings, so their number costs no query), the decisions taken so
far, the submission before it with its review, and the patient's other claims.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, prefetch_related_objects

from .choices import QueueReason, Risk, Severity
from .models import Claim, ClaimFinding, ClaimReview, ClaimSnapshot, OverrideDecision
from .selectors import claims_visible_to, sees_all_claims

REVIEW_CLAIM = "claims.review_claim"


def is_reviewer(user) -> bool:
    return user.is_authenticated and user.has_perm(REVIEW_CLAIM)


def reviewers() -> QuerySet:
    """Active users who may review claims (the assignees the queue offers), by user name."""
    # The model backend holds the permissions (django-axes' sign-in check is the other backend).
    users = get_user_model().objects.with_perm(REVIEW_CLAIM, backend="django.contrib.auth.backends.ModelBackend")
    return users.filter(is_active=True).order_by("username")


def review_claims(user) -> QuerySet[Claim]:
    """The claims whose review pages the user may open: every claim for supervisors."""
    if not is_reviewer(user):
        return Claim.objects.none()
    return claims_visible_to(user)


def reviews_visible_to(user) -> QuerySet[ClaimReview]:
    """Every review (open or decided) of the claims the user may review, with its claim."""
    if not is_reviewer(user):
        return ClaimReview.objects.none()
    reviews = ClaimReview.objects.select_related("claim")
    return reviews if sees_all_claims(user) else reviews.filter(claim__in=claims_visible_to(user))


# --- the queue -----------------------------------------------------------------------------------------
def queue_rows(user) -> QuerySet[ClaimReview]:
    """The open reviews the user may see, with their claim (the filters and sorts read it)."""
    if not is_reviewer(user):
        return ClaimReview.objects.none()
    rows = ClaimReview.objects.filter(outcome="").select_related("claim", "assignee")
    if not sees_all_claims(user):
        rows = rows.filter(claim__in=claims_visible_to(user))
    return rows


def claim_creators() -> QuerySet:
    """Everyone who has entered a claim (the biller filter's choices): one index probe per user."""
    return get_user_model().objects.filter(Exists(Claim.objects.filter(created_by=OuterRef("pk")))).order_by("username")


def queue_page_rows(reviews: Sequence[ClaimReview]) -> Sequence[ClaimReview]:
    """Load the payer and biller of the shown reviews' claims and set ``error_count``, ``warning_count`` and
    ``override_count`` on each review: three queries whatever the page size."""
    claims = [review.claim for review in reviews]
    prefetch_related_objects(claims, "payer", "created_by")
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    if claims:
        rows = (
            ClaimFinding.objects.filter(claim_id__in=[claim.pk for claim in claims])
            .order_by()
            .values_list("claim_id", "severity")
            .annotate(total=Count("id"), overridden=Count("id", filter=~Q(override_reason="")))
        )
        for claim_id, severity, total, overridden in rows:
            counts[claim_id][severity] += total
            counts[claim_id]["overridden"] += overridden
    for review in reviews:
        of_claim = counts.get(review.claim_id, {})
        review.error_count = of_claim.get(Severity.ERROR, 0)
        review.warning_count = of_claim.get(Severity.WARNING, 0)
        review.override_count = of_claim.get("overridden", 0)
    return reviews


def queue_counts(reviews: QuerySet[ClaimReview], field: str) -> dict[str, int]:
    """How many of ``reviews`` there are per value of ``field`` (``reason``, ``claim__risk``): one query."""
    rows = reviews.order_by().values_list(field).annotate(total=Count("id"))
    return {value: total for value, total in rows}


def facet_counts(by_reason: dict[str, int], by_risk: dict[str, int]) -> dict[str, list[tuple[str, str, int]]]:
    """The counts as (value, label, count) in the choices' order, for the badges and the select options."""
    return {
        "reason": [(value, label, by_reason.get(value, 0)) for value, label in QueueReason.choices],
        "risk": [(value, label, by_risk.get(value, 0)) for value, label in reversed(Risk.choices)],
    }


# --- the review page -----------------------------------------------------------------------------------
def claim_for_review(user, pk: int) -> Claim | None:
    """The claim with its payer, patient record and biller, if the user may review it."""
    return review_claims(user).select_related("payer", "patient", "created_by").filter(pk=pk).first()


def review_of_page(claim: Claim) -> ClaimReview | None:
    """The review the page shows: the open one, else the latest decided one (None: never in the queue).

    A claim is in at most one open review, always its newest (a new submission follows a decision)."""
    return (
        claim.reviews.select_related("snapshot__created_by", "assignee", "decided_by")
        .prefetch_related(Prefetch("decisions", queryset=OverrideDecision.objects.select_related("decided_by")))
        .order_by("-created_at", "-id")
        .first()
    )


def previous_submission(claim: Claim, snapshot: ClaimSnapshot) -> ClaimSnapshot | None:
    """The submission before ``snapshot`` (the claim came back after it), or None."""
    return claim.snapshots.filter(number__lt=snapshot.number).order_by("-number").first()


def previous_review(claim: Claim, snapshot: ClaimSnapshot) -> ClaimReview | None:
    """The latest decision on an earlier submission: what the biller was asked to fix, with its override
    decisions (two queries)."""
    return (
        claim.reviews.filter(snapshot__number__lt=snapshot.number)
        .exclude(outcome="")
        .select_related("snapshot", "decided_by")
        .prefetch_related(Prefetch("decisions", queryset=OverrideDecision.objects.select_related("decided_by")))
        .order_by("-snapshot__number", "-id")
        .first()
    )


def decisions_by_key(review: ClaimReview) -> dict[str, Any]:
    """The review's override decisions by finding key (prefetched with the review)."""
    return {decision.finding_key: decision for decision in review.decisions.all()}
