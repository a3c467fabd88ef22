"""Writing, tampering with and verifying the audit trail in tests."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from audit.models import GENESIS_HASH, AuditEvent
from audit.services import event_record


def record(count: int = 1, **fields) -> list[AuditEvent]:
    """``count`` events through the service, as the apps write them."""
    values = {"action": "claim.changed", "object_type": "claim", "object_id": 7, "claim_id": 7, **fields}
    return [event_record(summary=f"changed claim 7 ({n})", **values) for n in range(1, count + 1)]


def record_at(when: datetime, summary: str = "did something", **fields) -> AuditEvent:
    """An event as if recorded at ``when`` (``event_record`` stamps the present), chained like any other."""
    last = AuditEvent.objects.order_by("-sequence").first()
    values = {"actor_name": "System", "action": "claim.changed", "object_type": "claim", "object_id": "7", **fields}
    event = AuditEvent(
        sequence=last.sequence + 1 if last else 1,
        at=when,
        summary=summary,
        previous_hash=last.hash if last else GENESIS_HASH,
        **values,
    )
    event.hash = event.compute_hash()
    event.save()
    return event


def verify() -> str:
    """verify_audit_log's output when the log is intact (the test fails if it is not)."""
    out = StringIO()
    call_command("verify_audit_log", stdout=out)
    return out.getvalue().strip()


def verify_fails() -> str:
    """verify_audit_log's message when the log is broken; it must exit with status 1."""
    with pytest.raises(CommandError) as caught:
        call_command("verify_audit_log", stdout=StringIO())
    assert caught.value.returncode == 1
    return str(caught.value)


def on_postgresql() -> bool:
    return connection.vendor == "postgresql"


@contextmanager
def behind_the_apps_back():
    """A raw cursor, as someone with database access would use; PostgreSQL's refusing triggers are off meanwhile."""
    with connection.cursor() as cursor:
        if on_postgresql():
            # ALTER TABLE waits for no deferred check: the events' foreign keys are checked now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        try:
            yield cursor
        finally:
            if on_postgresql():
                cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def insert_copy(cursor, *, of: int, sequence: int, summary: str, previous_hash: str, hash: str) -> AuditEvent:
    """INSERT a row copying event #``of`` but for these fields (JSON columns copied, so portable)."""
    cursor.execute(
        "INSERT INTO audit_auditevent (sequence, at, actor_id, actor_name, action, object_type, object_id,"
        " claim_id, summary, changes, data, previous_hash, hash)"
        " SELECT %s, at, actor_id, actor_name, action, object_type, object_id, claim_id, %s, changes, data, %s, %s"
        " FROM audit_auditevent WHERE sequence = %s",
        [sequence, summary, previous_hash, hash, of],
    )
    return AuditEvent.objects.get(sequence=sequence)
