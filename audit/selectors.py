"""Reading the audit trail."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import QuerySet

from .models import AuditEvent


def events_of_claim(claim_id: int) -> QuerySet[AuditEvent]:
    """A claim's trail, oldest first."""
    return AuditEvent.objects.filter(claim_id=claim_id).order_by("sequence")


def events_between(start: datetime | None, end: datetime | None) -> QuerySet[AuditEvent]:
    """Every event from ``start`` (inclusive) to ``end`` (exclusive), oldest first."""
    events = AuditEvent.objects.all()
    if start is not None:
        events = events.filter(at__gte=start)
    if end is not None:
        events = events.filter(at__lt=end)
    return events.order_by("sequence")


def actor_ids(*, object_type: str, object_id, actions: Iterable[str]) -> set[int]:
    """Who did any of ``actions`` to one object (e.g. everyone who created or edited a claim)."""
    return set(
        AuditEvent.objects.filter(object_type=object_type, object_id=str(object_id), action__in=list(actions))
        .exclude(actor=None)
        .order_by()
        .values_list("actor_id", flat=True)
        .distinct()
    )
