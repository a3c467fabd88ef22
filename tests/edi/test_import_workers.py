"""An uploaded 837P imported by real workers of the configured task backend, chunk by chunk: each chunk's claims all
saved and checked or none; a chunk that fails once is run again alone; one that keeps failing fails the batch with
the reason, keeps none of its claims, and the batch's Retry imports them."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from batches.choices import BatchStatus, ChunkStatus
from batches.models import Batch
from claims.choices import ClaimStatus
from claims.models import Claim, ClaimLine
from edi import imports
from edi.models import ImportedFile
from tests.batches.conftest import _empty_rq_queue, run_worker  # noqa: F401  (fixtures)

from .test_import import builder_bytes

pytestmark = [pytest.mark.tasks, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def one_claim_chunks(settings):
    settings.CLAIMDESK_IMPORT_PART_CLAIMS = 1


def upload(client) -> Batch:
    response = client.post(reverse("imports:import_create"), {"file": SimpleUploadedFile("pm.837", builder_bytes())})
    assert response.status_code == 302, response.content.decode()[:2000]
    return Batch.objects.get()


def positions() -> list[int]:
    return sorted(ImportedFile.objects.get().imported_claims.values_list("position", flat=True))


def test_the_workers_import_and_check_every_claim_and_the_results_page_lists_them(
    supervisor_client, run_worker, one_claim_chunks  # noqa: F811
):
    batch = upload(supervisor_client)
    assert batch.chunks.count() == 3 and all(chunk.task_id for chunk in batch.chunks.all())
    run_worker()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE and batch.error == ""
    assert positions() == [1, 2, 3]
    assert Claim.objects.count() == 3 and ClaimLine.objects.count() == 7
    assert set(Claim.objects.values_list("status", flat=True)) == {ClaimStatus.CHECKED}
    imported = ImportedFile.objects.get()
    parts = AuditEvent.objects.filter(action="edi.part_imported", object_id=str(imported.pk)).order_by("sequence")
    assert sorted(event.data["part"] for event in parts) == [1, 2, 3]
    assert AuditEvent.objects.filter(action="edi.file_queued", object_id=str(imported.pk)).count() == 1
    response = supervisor_client.get(reverse("batches:batch_detail", args=[batch.pk]), headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"] == reverse("batches:batch_results", args=[batch.pk])
    results = supervisor_client.get(reverse("batches:batch_results", args=[batch.pk]))
    assert results["Location"] == reverse("imports:import_detail", args=[imported.pk])
    page = supervisor_client.get(results["Location"]).content.decode()
    assert all(f'href="{claim.get_absolute_url()}"' in page for claim in Claim.objects.all())


def test_a_chunk_that_fails_once_is_run_again_alone_and_leaves_nothing_half_imported(
    supervisor_client, run_worker, one_claim_chunks, monkeypatch  # noqa: F811
):
    real_check = imports.claim_check
    calls: list[int] = []

    def failing_once(*, claim, user, today=None):
        calls.append(claim.pk)
        if len(calls) == 2:  # the second claim: saved in its chunk's transaction, then the check fails
            raise ConnectionResetError("reference database went away")
        return real_check(claim=claim, user=user, today=today)

    monkeypatch.setattr(imports, "claim_check", failing_once)
    batch = upload(supervisor_client)
    run_worker()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE
    assert list(batch.chunks.values_list("number", "attempts", "status")) == [
        (1, 1, ChunkStatus.DONE),
        (2, 2, ChunkStatus.DONE),
        (3, 1, ChunkStatus.DONE),
    ]
    assert positions() == [1, 2, 3]
    assert Claim.objects.count() == 3  # the claim saved by the failed attempt was rolled back with it


def test_a_chunk_that_keeps_failing_fails_the_batch_with_the_reason_and_retry_imports_it(
    supervisor_client, run_worker, one_claim_chunks, monkeypatch, settings  # noqa: F811
):
    settings.CLAIMDESK_BATCH_CHUNK_ATTEMPTS = 2
    real_import = imports._claim_import

    def broken_for_claim_two(item, **kwargs):
        result = real_import(item, **kwargs)
        if item.position == 2:  # after the claim, its lines and its check were written
            raise KeyError("boom")
        return result

    monkeypatch.setattr(imports, "_claim_import", broken_for_claim_two)
    batch = upload(supervisor_client)
    run_worker()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.FAILED
    assert batch.error == (
        "Part 2 (items 2–2) failed after 2 attempts: an unexpected error stopped this part (KeyError); "
        "the worker's log names the chunk"
    )
    assert positions() == [1, 3]  # nothing of part 2 is left
    assert Claim.objects.count() == 2
    imported = ImportedFile.objects.get()
    page = supervisor_client.get(reverse("imports:import_detail", args=[imported.pk])).content.decode()
    assert 'data-testid="import-failed"' in page

    monkeypatch.setattr(imports, "_claim_import", real_import)
    assert supervisor_client.post(reverse("batches:batch_retry", args=[batch.pk])).status_code == 302
    run_worker()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE
    assert positions() == [1, 2, 3] and Claim.objects.count() == 3


def test_two_worker_processes_share_an_import_on_postgresql(supervisor_client, settings):
    """Two workers started as `make worker` starts them: every part runs once, every claim is imported once, and the
    patient that 40 claims share is one record (added by whichever part came first)."""
    import os
    import subprocess
    import sys

    from django.db import connection

    from claims.models import Patient

    from .builders import full_interchange
    from .test_import import builder_bytes as render

    if connection.vendor != "postgresql":
        pytest.skip("worker processes need a database server: run with DATABASE_URL=postgres://…")
    settings.CLAIMDESK_IMPORT_PART_CLAIMS = 3
    raw = render(full_interchange(extra_claims=40))
    response = supervisor_client.post(reverse("imports:import_create"), {"file": SimpleUploadedFile("big.837", raw)})
    assert response.status_code == 302
    batch = Batch.objects.get()
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
    assert batch.status == BatchStatus.DONE, batch.error
    assert set(batch.chunks.values_list("attempts", "status")) == {(1, ChunkStatus.DONE)}
    assert positions() == list(range(1, 44))
    assert Claim.objects.count() == 43
    assert Patient.objects.count() == 2  # the dependent child, and the insured of the 42 drug claims
