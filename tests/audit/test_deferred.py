"""``events_deferred``: events recorded inside the block are appended when it ends, in order and chained, and the
chain's lock is not held while the block runs (a part of an 837P import beside other writers of the trail)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction

from audit.models import AuditEvent
from audit.services import event_record, events_deferred

from .helpers import record, verify

pytestmark = pytest.mark.django_db


def test_the_events_are_appended_in_order_when_the_block_ends():
    record(2)
    with transaction.atomic():
        with events_deferred():
            record(3, object_id=8, claim_id=8)
            assert AuditEvent.objects.count() == 2  # kept, not yet written
        assert list(AuditEvent.objects.values_list("sequence", "summary")) == [
            (1, "changed claim 7 (1)"),
            (2, "changed claim 7 (2)"),
            (3, "changed claim 7 (1)"),
            (4, "changed claim 7 (2)"),
            (5, "changed claim 7 (3)"),
        ]
    assert "intact" in verify()


def test_nothing_is_appended_when_the_block_raises():
    with pytest.raises(ZeroDivisionError), transaction.atomic(), events_deferred():
        record(2)
        1 / 0  # noqa: B018
    assert not AuditEvent.objects.exists()
    record(1)  # and the next event is recorded at once again
    assert AuditEvent.objects.count() == 1


def test_a_nested_block_leaves_the_events_to_the_outer_one():
    with transaction.atomic(), events_deferred():
        with events_deferred():
            record(1)
        assert not AuditEvent.objects.exists()
    assert AuditEvent.objects.count() == 1


def test_the_block_is_refused_outside_a_transaction(transactional_db):
    with pytest.raises(RuntimeError, match="inside the transaction"), events_deferred():
        pass


@pytest.mark.django_db(transaction=True)
def test_another_writer_is_not_held_up_while_a_block_runs():
    """On PostgreSQL the chain's lock is held by a writer until it commits; inside the block it is not taken, so
    another connection records its event at once; the block's events follow it in the chain."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises every writing transaction from its start (BEGIN IMMEDIATE)")
    finished = threading.Event()

    def other_writer() -> None:
        try:
            event_record(action="claim.viewed", object_type="claim", object_id=9, summary="viewed claim 9")
            finished.set()
        finally:
            connections.close_all()

    with transaction.atomic(), events_deferred():
        record(1)
        writer = threading.Thread(target=other_writer)
        writer.start()
        assert finished.wait(timeout=10), "the other writer waited for the block"
        writer.join()
    assert list(AuditEvent.objects.values_list("summary", flat=True)) == ["viewed claim 9", "changed claim 7 (1)"]
    assert "intact" in verify()
