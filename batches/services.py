"""Writes of the batches app: create a batch and its chunks, run a chunk, retry the failed ones.

Every write is one transaction. A chunk's task is enqueued when the transaction that queued the chunk commits,
so a worker (on this machine or another) never looks for rows it cannot see yet. A chunk's results are written
in the transaction that marks it done: a chunk that fails leaves none of its results behind.

Locks, always in this order: the batch row (``FOR NO KEY UPDATE``: inserting results, which point at the
batch, does not wait for it), then the chunk row.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import DatabaseError, OperationalError, transaction
from django.utils import timezone

from audit.services import event_record

from . import kinds
from .choices import BatchStatus, ChunkStatus
from .kinds import ChunkError
from .models import Batch, Chunk

logger = logging.getLogger(__name__)

SKIPPED = "skipped"
DONE = "done"
RETRYING = "retrying"
FAILED = "failed"


def failure_message(error: BaseException) -> str:
    """Why a chunk failed, in words for the page: a ``ChunkError``'s own message, otherwise only the kind of
    error (the text of an arbitrary exception may quote the file, i.e. patient data)."""
    if isinstance(error, ChunkError):
        return str(error)
    if isinstance(error, DatabaseError):
        return f"the database could not be read or written ({type(error).__name__})"
    if not isinstance(error, Exception):
        return "the worker was stopped while it ran this part"
    return f"an unexpected error stopped this part ({type(error).__name__}); the worker's log names the chunk"


def batch_create(
    *,
    user,
    kind: str,
    items: Sequence[Any],
    file_name: str = "",
    file_size: int = 0,
    file_sha256: str = "",
    params: dict[str, Any] | None = None,
    chunk_size: int | None = None,
) -> Batch:
    """A batch of ``items`` split into chunks of ``chunk_size`` (CLAIMDESK_BATCH_CHUNK_SIZE), one task each."""
    kinds.handler_for(kind)  # an unknown kind fails here, before anything is written
    size = max(1, chunk_size or settings.CLAIMDESK_BATCH_CHUNK_SIZE)
    with transaction.atomic():
        batch = Batch.objects.create(
            kind=kind,
            created_by=user,
            file_name=file_name[:255],
            file_size=file_size,
            file_sha256=file_sha256,
            item_count=len(items),
            params=params or {},
        )
        Chunk.objects.bulk_create(
            Chunk(
                batch=batch,
                number=number,
                first_position=start + 1,
                item_count=len(items[start : start + size]),
                input=list(items[start : start + size]),
            )
            for number, start in enumerate(range(0, len(items), size), start=1)
        )
        chunk_ids = list(batch.chunks.order_by("number").values_list("pk", flat=True))
        event_record(
            action="batch.created",
            actor=user,
            object_type="batch",
            object_id=batch.pk,
            summary=f"started batch {batch.pk} ({batch.get_kind_display().lower()}): {len(items)} items "
            f"in {len(chunk_ids)} part{'s' if len(chunk_ids) != 1 else ''}",
            data={"kind": kind, "file_name": batch.file_name, "size": file_size, "sha256": file_sha256},
        )
        transaction.on_commit(partial(_enqueue, chunk_ids))
    return batch


def _enqueue(chunk_ids: Sequence[int]) -> None:
    """Hand each chunk to the task backend; a chunk the backend refuses (e.g. Redis not answering) fails
    with that reason, and the batch's *Retry* queues it again."""
    from .tasks import batch_chunk_run

    for chunk_id in chunk_ids:
        try:
            result = batch_chunk_run.enqueue(chunk_id)
        except Exception as error:  # the queue is down: say so on the batch's page
            logger.warning("Chunk %s could not be queued (%s)", chunk_id, type(error).__name__)
            _chunk_not_queued(chunk_id, f"the task queue did not take it ({type(error).__name__}); try again")
        else:
            Chunk.objects.filter(pk=chunk_id).update(task_id=str(result.id)[:64])


def _chunk_not_queued(chunk_id: int, message: str) -> None:
    with transaction.atomic():
        chunk = _locked(chunk_id)
        if chunk is not None and chunk.status == ChunkStatus.QUEUED:
            _fail(chunk, message)


def _locked(chunk_id: int) -> Chunk | None:
    """The chunk with its batch, both locked (batch first)."""
    batch_id = Chunk.objects.filter(pk=chunk_id).values_list("batch_id", flat=True).first()
    if batch_id is None:
        return None
    batch = Batch.objects.select_for_update(no_key=True).get(pk=batch_id)
    chunk = Chunk.objects.select_for_update(no_key=True).get(pk=chunk_id)
    chunk.batch = batch
    return chunk


def _fail(chunk: Chunk, message: str) -> None:
    """The chunk failed for good: so does its batch, with the reason (the other chunks' results stay)."""
    now = timezone.now()
    chunk.status = ChunkStatus.FAILED
    chunk.error = message
    chunk.finished_at = now
    chunk.save(update_fields=["status", "error", "finished_at"])
    batch = chunk.batch
    last = chunk.first_position + chunk.item_count - 1
    tries = f"after {chunk.attempts} attempt{'s' if chunk.attempts != 1 else ''}" if chunk.attempts else "before it ran"
    if batch.status == BatchStatus.FAILED and batch.error:
        return  # the first part that failed gives the reason
    batch.status = BatchStatus.FAILED
    batch.error = f"Part {chunk.number} (items {chunk.first_position}–{last}) failed {tries}: {message}"
    batch.finished_at = now
    batch.save(update_fields=["status", "error", "finished_at"])


def chunks_stalled_requeue(*, now=None) -> int:
    """Parts marked running for longer than ``CLAIMDESK_BATCH_PART_TIMEOUT`` seconds: their worker was stopped
    or killed mid-part (its transaction, and so the part's results, rolled back). Each counts as a failed
    attempt: queued again while attempts are left, else failed with its batch. Every worker looks for them
    before it runs a part, so a batch never waits for ever on a worker that is gone. Returns how many."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.CLAIMDESK_BATCH_PART_TIMEOUT)
    stalled = list(
        Chunk.objects.filter(status=ChunkStatus.RUNNING, started_at__lt=cutoff).values_list("pk", "attempts")
    )
    minutes = max(1, round(settings.CLAIMDESK_BATCH_PART_TIMEOUT / 60))
    for chunk_id, attempts in stalled:
        message = f"the worker running it stopped answering (running for over {minutes} minutes)"
        logger.warning("Batch part %s stalled on attempt %s; counted as failed", chunk_id, attempts)
        _chunk_failed(chunk_id, message, attempt=attempts)
    return len(stalled)


def chunk_run(*, chunk_id: int) -> str:
    """Run one chunk (the task's body): its kind's handler writes the results, in one transaction with the
    chunk's *done*. On failure the chunk is queued again until CLAIMDESK_BATCH_CHUNK_ATTEMPTS, then it and its
    batch are marked failed with the reason. Returns what happened (the task's result).

    Only the attempt that started last may mark the chunk done: an attempt that was taken for stalled
    (``chunks_stalled_requeue``) and ran on after all rolls its results back when another attempt has begun.
    """
    try:
        chunks_stalled_requeue()
        with transaction.atomic():
            chunk = _locked(chunk_id)
            if chunk is None or chunk.status != ChunkStatus.QUEUED:
                return SKIPPED  # done, failed, or being run by another worker (a task delivered twice)
            now = timezone.now()
            chunk.status = ChunkStatus.RUNNING
            chunk.attempts += 1
            chunk.started_at = now
            chunk.save(update_fields=["status", "attempts", "started_at"])
            batch = chunk.batch
            if batch.status == BatchStatus.QUEUED:
                batch.status = BatchStatus.RUNNING
                batch.started_at = now
                batch.save(update_fields=["status", "started_at"])
    except OperationalError as error:
        if "locked" not in str(error):
            raise  # not a busy database: the task fails with it (queued again, it would fail again at once)
        # The part could not even be taken: on SQLite with several workers, another worker's writes kept the
        # database locked past its timeout. Nothing changed and no attempt is used: the part is still queued,
        # and is handed to the queue again (this task is over, so no other task would ever run it).
        logger.warning("Batch part %s could not be started (database busy); queued again", chunk_id)
        _enqueue([chunk_id])
        return RETRYING
    try:
        with transaction.atomic():
            summary = kinds.handler_for(batch.kind)(chunk)
            locked = _locked(chunk_id)
            if locked.attempts != chunk.attempts or locked.status not in (ChunkStatus.RUNNING, ChunkStatus.QUEUED):
                raise _Superseded  # another attempt has begun, or is done: this one's results are rolled back
            locked.status = ChunkStatus.DONE
            locked.error = ""
            locked.summary = summary or {}
            locked.finished_at = timezone.now()
            locked.save(update_fields=["status", "error", "summary", "finished_at"])
            batch = locked.batch
            if batch.status == BatchStatus.RUNNING and not batch.chunks.exclude(status=ChunkStatus.DONE).exists():
                batch.status = BatchStatus.DONE
                batch.finished_at = locked.finished_at
                batch.save(update_fields=["status", "finished_at"])
        return DONE
    except _Superseded:
        return SKIPPED
    except BaseException as error:
        # Only the kind of error is logged: its text may quote the file.
        logger.warning(
            "Batch %s part %s failed on attempt %s (%s)", batch.pk, chunk.number, chunk.attempts, type(error).__name__
        )
        outcome = _chunk_failed(chunk_id, failure_message(error), attempt=chunk.attempts)
        if not isinstance(error, Exception):
            raise  # the worker is being stopped
        return outcome


class _Superseded(Exception):
    """This attempt at a chunk is no longer the chunk's current one."""


def _chunk_failed(chunk_id: int, message: str, *, attempt: int) -> str:
    """Attempt ``attempt`` of the chunk failed: queue it again or fail it (nothing when another attempt has
    begun since)."""
    with transaction.atomic():
        chunk = _locked(chunk_id)
        if chunk is None or chunk.status != ChunkStatus.RUNNING or chunk.attempts != attempt:
            return SKIPPED
        if chunk.attempts < settings.CLAIMDESK_BATCH_CHUNK_ATTEMPTS and chunk.batch.status != BatchStatus.FAILED:
            chunk.status = ChunkStatus.QUEUED
            chunk.error = message
            chunk.save(update_fields=["status", "error"])
            transaction.on_commit(partial(_enqueue, [chunk.pk]))
            return RETRYING
        _fail(chunk, message)
        return FAILED


def batch_retry(*, batch: Batch) -> int:
    """Queue a failed batch's failed chunks again, each with a fresh count of attempts; the chunks that were
    done keep their results. Returns how many chunks were queued (0 when the batch had not failed)."""
    with transaction.atomic():
        batch = Batch.objects.select_for_update(no_key=True).get(pk=batch.pk)
        if batch.status != BatchStatus.FAILED:
            return 0
        failed = list(batch.chunks.select_for_update(no_key=True).filter(status=ChunkStatus.FAILED))
        for chunk in failed:
            chunk.status = ChunkStatus.QUEUED
            chunk.attempts = 0
            chunk.finished_at = None
            chunk.save(update_fields=["status", "attempts", "finished_at"])
        pending = batch.chunks.exclude(status=ChunkStatus.DONE).exists()
        batch.status = BatchStatus.RUNNING if pending else BatchStatus.DONE
        batch.error = ""
        batch.finished_at = None if pending else timezone.now()
        batch.save(update_fields=["status", "error", "finished_at"])
        transaction.on_commit(partial(_enqueue, [chunk.pk for chunk in failed]))
    return len(failed)
