"""Writing the audit trail. Call ``event_record`` inside the transaction of the action it records."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection, transaction

from .models import GENESIS_HASH, SYSTEM_ACTOR, AuditEvent

# Any constant: PostgreSQL serialises writers of the chain on this advisory lock until they commit.
CHAIN_LOCK_KEY = 7_041_776_512


def actor_name(user) -> str:
    """How the trail names a user: their full name, else their user name; "System" for none."""
    if user is None or not getattr(user, "is_authenticated", False):
        return SYSTEM_ACTOR
    return user.get_full_name().strip() or user.get_username()


def plain(value: Any) -> Any:
    """A value as the trail keeps it: text, numbers, lists and objects of them (dates as ISO text)."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def field_changes(
    before: Mapping[str, Any], after: Mapping[str, Any], labels: Mapping[str, str], *, prefix: str = ""
) -> list[list[Any]]:
    """[label, before, after] for each field in ``labels`` whose value differs (values made ``plain``)."""
    out = []
    for name, label in labels.items():
        old, new = plain(before.get(name)), plain(after.get(name))
        if old != new:
            out.append([f"{prefix}{label}", old, new])
    return out


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
    # SQLite: writers are already serialised (transactions begin IMMEDIATE, settings.DATABASES).


_deferred = threading.local()  # the events of an ``events_deferred`` block, per thread


def event_record(
    *,
    action: str,
    actor=None,
    object_type: str,
    object_id: Any = "",
    summary: str,
    claim_id: int | None = None,
    changes: Iterable[Iterable[Any]] = (),
    data: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain (in the caller's transaction, or in its own); inside ``events_deferred``,
    keep it to be appended when the block ends."""
    event = AuditEvent(
        actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
        actor_name=actor_name(actor),
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        claim_id=claim_id,
        summary=summary[:500],
        changes=[list(plain(list(change))) for change in changes],
        data=plain(dict(data or {})),
    )
    pending = getattr(_deferred, "events", None)
    if pending is not None:
        pending.append(event)
        return event
    _append([event])
    return event


def _append(events: list[AuditEvent]) -> None:
    """Chain the events after the last one, in order, under the chain's lock."""
    with transaction.atomic():
        _lock_chain()
        last = AuditEvent.objects.order_by("-sequence").values_list("sequence", "hash").first()
        sequence, previous_hash = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
        for event in events:
            event.sequence, event.previous_hash = sequence, previous_hash
            event.hash = event.compute_hash()
            sequence, previous_hash = sequence + 1, event.hash
        AuditEvent.objects.bulk_create(events)


@contextmanager
def events_deferred() -> Iterator[None]:
    """Keep the events recorded inside the block and append them, in order, when it ends, still inside the
    caller's transaction: the chain's lock (which serialises every writer of the trail until it commits) is
    then held only while they are written, so long work that records events (a part of an 837P import) runs
    beside other writers. Nothing is appended when the block raises: the caller's transaction rolls back.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("events_deferred() must run inside the transaction of the actions it records")
    if getattr(_deferred, "events", None) is not None:  # nested: the outer block appends them
        yield
        return
    _deferred.events = []
    try:
        yield
        events = _deferred.events
    finally:
        _deferred.events = None
    if events:
        _append(events)
