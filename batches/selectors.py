"""Reads of the batches app: which batches a user sees, a batch's progress, its results counted."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum

from claims.choices import Risk
from claims.selectors import sees_all_claims

from .choices import ChunkStatus
from .models import Batch, ClaimResult, ResultFinding

RUN_BATCH = "claims.check_claim"  # the scrub API's permission: who may check claims may check a file of them


def batches_visible_to(user) -> QuerySet[Batch]:
    """Every batch for supervisors (and administrators), the user's own for billers."""
    batches = Batch.objects.select_related("created_by")
    return batches if sees_all_claims(user) else batches.filter(created_by=user)


@dataclass(frozen=True)
class Progress:
    total: int
    done: int
    chunks: int
    chunks_done: int
    chunks_failed: int
    retrying: int

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, self.done * 100 // self.total)


def batch_progress(batch: Batch) -> Progress:
    """How far a batch has come: items in done chunks over all items (one query)."""
    counts = batch.chunks.aggregate(
        chunks=Count("pk"),
        chunks_done=Count("pk", filter=_status(ChunkStatus.DONE)),
        chunks_failed=Count("pk", filter=_status(ChunkStatus.FAILED)),
        retrying=Count("pk", filter=_retrying()),
        done=Sum("item_count", filter=_status(ChunkStatus.DONE)),
    )
    return Progress(
        total=batch.item_count,
        done=counts["done"] or 0,
        chunks=counts["chunks"],
        chunks_done=counts["chunks_done"],
        chunks_failed=counts["chunks_failed"],
        retrying=counts["retrying"],
    )


def _status(status: str) -> Q:
    return Q(status=status)


def _retrying() -> Q:
    return Q(status=ChunkStatus.QUEUED, attempts__gt=0)


def batch_chunk_errors(batch: Batch) -> list[tuple[int, str]]:
    """(part number, last error) of the parts that failed at least once, failed or being retried."""
    return list(batch.chunks.exclude(error="").order_by("number").values_list("number", "error"))


def risk_counts(batch: Batch) -> list[tuple[str, str, int]]:
    """(risk, label, claims) for every risk level, highest first."""
    counts = dict(batch.claim_results.values_list("risk").annotate(n=Count("pk")).values_list("risk", "n"))
    return [(value, label, counts.get(value, 0)) for value, label in reversed(Risk.choices)]


def rule_counts(batch: Batch) -> list[dict]:
    """Findings by rule: rule id, severity, findings and claims, most findings first."""
    return list(
        ResultFinding.objects.filter(batch=batch)
        .values("rule")
        .annotate(findings=Count("pk"), claims=Count("result", distinct=True))
        .order_by("-findings", "rule")
    )


def batch_results(batch: Batch) -> QuerySet[ClaimResult]:
    return batch.claim_results.all()


def batch_chunk_summaries(batch: Batch) -> list[dict]:
    """What each done part reported (its handler's summary), in part order: e.g. the 837P file it wrote."""
    return [summary for summary in batch.chunks.filter(status=ChunkStatus.DONE).order_by("number")
            .values_list("summary", flat=True) if summary]
