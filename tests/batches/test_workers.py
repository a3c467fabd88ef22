"""A file of claims checked by real workers of the configured task backend (database, or RQ with
``make test-tasks-rq``): the chunks' results are those of one check of the whole file; a part that fails once
is run again alone; a part that keeps failing fails the batch with the reason and keeps none of its results."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from batches import checking
from batches.choices import BatchStatus, ChunkStatus
from batches.models import Batch, ClaimResult, ResultFinding
from claims.rules import check_document
from tests.batches.conftest import document_bytes, make_claims

pytestmark = [pytest.mark.tasks, pytest.mark.django_db(transaction=True)]


def upload(client, claims) -> Batch:
    response = client.post(
        reverse("batches:batch_create"), {"file": SimpleUploadedFile("claims.json", document_bytes(claims))}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return Batch.objects.get()


def results_of(batch: Batch) -> list[dict]:
    return [result.as_dict() for result in ClaimResult.objects.filter(batch=batch).order_by("position")]


def whole_file_check(batch: Batch, claims) -> list[dict]:
    return check_document({"claims": claims}, today=date.fromisoformat(batch.params["today"]))["claims"]


@pytest.fixture
def small_chunks(settings):
    settings.CLAIMDESK_BATCH_CHUNK_SIZE = 7


def test_uploaded_claims_are_checked_in_parts_by_the_worker_as_one_check_of_the_whole_file(
    reference_rows, biller_client, run_worker, small_chunks
):
    claims = make_claims(40)
    batch = upload(biller_client, claims)
    assert [c.item_count for c in batch.chunks.all()] == [7, 7, 7, 7, 7, 5]
    assert all(chunk.task_id for chunk in batch.chunks.all())  # each part was handed to the task backend
    assert batch.status == BatchStatus.QUEUED

    run_worker()

    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE and batch.error == ""
    assert set(batch.chunks.values_list("status", flat=True)) == {ChunkStatus.DONE}
    expected = whole_file_check(batch, claims)
    assert results_of(batch) == expected
    assert {result["risk"] for result in expected} == {"none", "high"}
    assert ResultFinding.objects.filter(batch=batch).count() == sum(len(c["findings"]) for c in expected)
    rules = set(ResultFinding.objects.filter(batch=batch).values_list("rule", flat=True))
    assert {"COD-EFFECTIVE", "COD-UNLISTED-DESC", "MOD-59-EM", "DUP-LINE", "TF-LIMIT"} <= rules
    response = biller_client.get(reverse("batches:batch_detail", args=[batch.pk]), headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"] == reverse("batches:batch_results", args=[batch.pk])


def test_a_part_that_fails_once_is_run_again_alone_and_the_batch_completes(
    reference_rows, biller_client, run_worker, small_chunks, monkeypatch
):
    claims = make_claims(21)  # three parts
    real_check = checking.check_claims_chunk
    calls: list[str] = []

    def failing_once(chunk_claims, *, today):
        calls.append(chunk_claims[0]["id"])
        if chunk_claims[0]["id"] == "C-00008" and calls.count("C-00008") == 1:
            raise ConnectionResetError("reference database went away")
        return real_check(chunk_claims, today=today)

    monkeypatch.setattr(checking, "check_claims_chunk", failing_once)
    batch = upload(biller_client, claims)
    run_worker()

    assert sorted(calls) == ["C-00001", "C-00008", "C-00008", "C-00015"]  # only part 2 ran twice
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE
    assert list(batch.chunks.values_list("number", "attempts", "status")) == [
        (1, 1, ChunkStatus.DONE),
        (2, 2, ChunkStatus.DONE),
        (3, 1, ChunkStatus.DONE),
    ]
    assert results_of(batch) == whole_file_check(batch, claims)


def test_a_part_that_keeps_failing_fails_the_batch_with_the_reason_and_keeps_none_of_its_results(
    reference_rows, biller_client, run_worker, small_chunks, monkeypatch, settings
):
    settings.CLAIMDESK_BATCH_CHUNK_ATTEMPTS = 2
    claims = make_claims(21)
    real_check = checking.check_claims_chunk

    def broken_for_part_two(chunk_claims, *, today):
        document = real_check(chunk_claims, today=today)
        if chunk_claims[0]["id"] == "C-00008":  # results that break only after some rows are written
            document["claims"][-1]["findings"] = [{"rule": "X", "line": None}]
        return document

    monkeypatch.setattr(checking, "check_claims_chunk", broken_for_part_two)
    batch = upload(biller_client, claims)
    run_worker()

    batch.refresh_from_db()
    assert batch.status == BatchStatus.FAILED
    assert batch.error == (
        "Part 2 (items 8–14) failed after 2 attempts: an unexpected error stopped this part (KeyError); "
        "the worker's log names the chunk"
    )
    part_two = batch.chunks.get(number=2)
    assert (part_two.status, part_two.attempts) == (ChunkStatus.FAILED, 2)
    assert not ClaimResult.objects.filter(chunk=part_two).exists()  # nothing half-written
    assert ClaimResult.objects.filter(batch=batch).count() == 14  # parts 1 and 3 keep theirs
    page = biller_client.get(reverse("batches:batch_detail", args=[batch.pk])).content.decode()
    assert escape(batch.error) in page and "Traceback" not in page
    assert 'hx-trigger="every' not in page  # a finished batch is not polled

    # Fixed (here: the engine back to normal), the failed part alone runs again and the batch completes.
    monkeypatch.setattr(checking, "check_claims_chunk", real_check)
    response = biller_client.post(reverse("batches:batch_retry", args=[batch.pk]))
    assert response.status_code == 302
    run_worker()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE and batch.error == ""
    assert list(batch.chunks.values_list("attempts", flat=True)) == [1, 1, 1]
    assert results_of(batch) == whole_file_check(batch, claims)


def test_a_part_error_with_a_message_for_the_billing_team_shows_that_message(
    reference_rows, biller_client, run_worker, small_chunks, monkeypatch, settings
):
    settings.CLAIMDESK_BATCH_CHUNK_ATTEMPTS = 1
    from batches.kinds import ChunkError

    def refused(chunk_claims, *, today):
        raise ChunkError("the HCPCS code set is being imported; try again in a few minutes")

    monkeypatch.setattr(checking, "check_claims_chunk", refused)
    batch = upload(biller_client, make_claims(3))
    run_worker()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.FAILED
    assert batch.error.endswith(
        "failed after 1 attempt: the HCPCS code set is being imported; try again in a few minutes"
    )
    assert not ClaimResult.objects.exists()


def test_the_tasks_run_on_the_backend_the_setting_names(settings):
    from batches.background import task_backends

    expected = {"db": "DatabaseBackend", "rq": "RQBackend"}[settings.CLAIMDESK_TASKS_BACKEND]
    assert type(task_backends["default"]).__name__ == expected


def test_two_worker_processes_share_a_batch_on_postgresql(reference_rows, biller_client, settings):
    """Two workers started as `make worker` starts them, on the test database: every part is run exactly once
    and the results are those of one check of the whole file (PostgreSQL: SQLite's test database lives in
    this process's memory, where no other process can reach it)."""
    import os
    import subprocess
    import sys

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("worker processes need a database server: run with DATABASE_URL=postgres://…")
    settings.CLAIMDESK_BATCH_CHUNK_SIZE = 25
    claims = make_claims(600)
    batch = upload(biller_client, claims)
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    }
    if settings.CLAIMDESK_TASKS_BACKEND == "rq":
        command = ["rqworker", "--burst", "--job-class", "django_tasks_rq.Job", "default"]
    else:
        command = ["db_worker", "--batch", "--no-reload", "--no-startup-delay", "--interval", "0"]
    workers = [
        subprocess.Popen([sys.executable, "manage.py", *command, "--verbosity", "0"], env=env, cwd=settings.BASE_DIR)
        for _ in range(2)
    ]
    for worker in workers:
        assert worker.wait(timeout=300) == 0
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE
    assert set(batch.chunks.values_list("attempts", "status")) == {(1, ChunkStatus.DONE)}
    assert results_of(batch) == whole_file_check(batch, claims)
