"""A part whose worker was stopped or killed mid-run is not left *running* for ever: past
CLAIMDESK_BATCH_PART_TIMEOUT it counts as a failed attempt and is queued again (or fails its batch), and an
attempt that was taken for stalled but ran on after all never writes its results over the newer one's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from batches import kinds, services
from batches.choices import BatchStatus, ChunkStatus
from batches.models import Chunk

pytestmark = pytest.mark.django_db


@pytest.fixture
def counting(monkeypatch):
    """A kind whose handler records what it wrote (rolled back with the transaction when the attempt loses)."""
    from audit.services import event_record

    def handler(chunk):
        event_record(action="test.part", object_type="chunk", object_id=chunk.pk, summary="wrote a result")
        return {"items": len(chunk.input)}

    monkeypatch.setitem(kinds._HANDLERS, "count", handler)
    queued = []
    monkeypatch.setattr(services, "_enqueue", lambda chunk_ids: queued.extend(chunk_ids))
    return queued


def stalled(batch, *, minutes: int, attempts: int = 1) -> Chunk:
    """The batch's first part as a worker that died left it: running since ``minutes`` ago."""
    chunk = batch.chunks.get(number=1)
    Chunk.objects.filter(pk=chunk.pk).update(
        status=ChunkStatus.RUNNING, attempts=attempts, started_at=timezone.now() - timedelta(minutes=minutes)
    )
    batch.status = BatchStatus.RUNNING
    batch.save(update_fields=["status"])
    return chunk


def test_a_part_running_past_the_timeout_is_queued_again(
    biller, counting, settings, django_capture_on_commit_callbacks
):
    settings.CLAIMDESK_BATCH_PART_TIMEOUT = 600
    batch = services.batch_create(user=biller, kind="count", items=[1, 2, 3], chunk_size=3)
    chunk = stalled(batch, minutes=11)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.chunks_stalled_requeue() == 1
    chunk.refresh_from_db()
    assert (chunk.status, chunk.attempts) == (ChunkStatus.QUEUED, 1)
    assert chunk.error == "the worker running it stopped answering (running for over 10 minutes)"
    assert counting[-1] == chunk.pk  # handed to the task queue again
    assert services.chunk_run(chunk_id=chunk.pk) == services.DONE
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE


def test_a_part_within_the_timeout_is_left_running(biller, counting, settings):
    settings.CLAIMDESK_BATCH_PART_TIMEOUT = 600
    batch = services.batch_create(user=biller, kind="count", items=[1], chunk_size=3)
    chunk = stalled(batch, minutes=9)
    assert services.chunks_stalled_requeue() == 0
    chunk.refresh_from_db()
    assert chunk.status == ChunkStatus.RUNNING


def test_the_last_attempt_stalling_fails_the_batch_with_the_reason(biller, counting, settings):
    settings.CLAIMDESK_BATCH_PART_TIMEOUT = 600
    batch = services.batch_create(user=biller, kind="count", items=[1, 2], chunk_size=3)
    stalled(batch, minutes=30, attempts=settings.CLAIMDESK_BATCH_CHUNK_ATTEMPTS)
    services.chunks_stalled_requeue()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.FAILED
    assert "Part 1 (items 1–2) failed after 3 attempts: the worker running it stopped answering" in batch.error


def test_every_worker_looks_for_stalled_parts_before_its_own(biller, counting, settings):
    settings.CLAIMDESK_BATCH_PART_TIMEOUT = 600
    batch = services.batch_create(user=biller, kind="count", items=[1, 2, 3, 4], chunk_size=2)
    first = stalled(batch, minutes=20)
    second = batch.chunks.get(number=2)
    assert services.chunk_run(chunk_id=second.pk) == services.DONE
    first.refresh_from_db()
    assert first.status == ChunkStatus.QUEUED


def test_an_attempt_overtaken_by_a_newer_one_writes_nothing(biller, counting, monkeypatch):
    """Attempt 1's handler ran on while its part was taken for stalled and attempt 2 began (the row read under
    the lock at the end says so): attempt 1's results are rolled back and it reports *skipped*."""
    from audit.models import AuditEvent

    batch = services.batch_create(user=biller, kind="count", items=[1, 2], chunk_size=2)
    chunk = batch.chunks.get()
    real_locked = services._locked

    def locked_after_another_attempt_began(chunk_id):
        row = real_locked(chunk_id)
        if row.status == ChunkStatus.RUNNING:  # the end of attempt 1: attempt 2 has started meanwhile
            row.attempts += 1
        return row

    monkeypatch.setattr(services, "_locked", locked_after_another_attempt_began)
    assert services.chunk_run(chunk_id=chunk.pk) == services.SKIPPED
    assert not AuditEvent.objects.filter(action="test.part").exists()
    chunk.refresh_from_db()
    assert chunk.status != ChunkStatus.DONE


def test_the_batch_page_of_a_running_batch_requeues_a_stalled_part(supervisor_client, supervisor, counting, settings):
    """With every worker gone no part runs, so the page being watched looks too (a restarted worker then runs it)."""
    settings.CLAIMDESK_BATCH_PART_TIMEOUT = 600
    batch = services.batch_create(user=supervisor, kind="count", items=[1], chunk_size=1)
    chunk = stalled(batch, minutes=15)
    response = supervisor_client.get(batch.get_absolute_url(), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    chunk.refresh_from_db()
    assert chunk.status == ChunkStatus.QUEUED and "stopped answering" in chunk.error


def test_starting_a_batch_is_on_the_audit_trail(biller, counting):
    from audit.models import AuditEvent

    batch = services.batch_create(user=biller, kind="count", items=[1, 2, 3], chunk_size=2, file_name="claims.json",
                                  file_size=120, file_sha256="ab" * 32)  # fmt: skip
    event = AuditEvent.objects.get(action="batch.created")
    assert (event.actor, event.object_id) == (biller, str(batch.pk))
    assert event.summary == f"started batch {batch.pk} (count): 3 items in 2 parts"
    assert event.data == {"kind": "count", "file_name": "claims.json", "size": 120, "sha256": "ab" * 32}


def test_a_database_error_is_named_by_its_kind_without_promising_another_attempt():
    """The message ends a batch that failed after its last attempt too: it must not say the part is tried again."""
    assert services.failure_message(OperationalError("deadlock detected; DETAIL: …")) == (
        "the database could not be read or written (OperationalError)"
    )


def test_a_part_the_database_was_too_busy_to_start_is_queued_again(biller, counting, monkeypatch):
    """Two workers on SQLite: one keeps the database locked past the other's timeout just as the other takes a
    part. That part is still queued and uses no attempt; it is handed to the task queue again (its task is
    over: nothing else would run it, and its batch would wait for ever), and the next run does it."""
    batch = services.batch_create(user=biller, kind="count", items=[1, 2, 3], chunk_size=3)
    chunk = batch.chunks.get(number=1)
    real_locked = services._locked
    busy = [True]

    def locked_once(chunk_id):
        if busy.pop() if busy else False:
            raise OperationalError("database is locked")
        return real_locked(chunk_id)

    monkeypatch.setattr(services, "_locked", locked_once)
    counting.clear()
    assert services.chunk_run(chunk_id=chunk.pk) == services.RETRYING
    chunk.refresh_from_db()
    assert (chunk.status, chunk.attempts) == (ChunkStatus.QUEUED, 0)
    assert counting == [chunk.pk]  # handed to the task queue again
    assert services.chunk_run(chunk_id=chunk.pk) == services.DONE
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE


def test_a_part_that_cannot_start_for_another_database_error_is_not_queued_again(biller, counting, monkeypatch):
    """Only a busy (locked) database is waited out: any other error would come back at once, so the task fails
    with it (in the worker's log) instead of queuing the part again and again."""
    batch = services.batch_create(user=biller, kind="count", items=[1, 2, 3], chunk_size=3)
    chunk = batch.chunks.get(number=1)

    def broken(chunk_id):
        raise OperationalError("no such table: batches_chunk")

    monkeypatch.setattr(services, "_locked", broken)
    counting.clear()
    with pytest.raises(OperationalError):
        services.chunk_run(chunk_id=chunk.pk)
    assert counting == []
