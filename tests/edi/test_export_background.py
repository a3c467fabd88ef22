"""Exports of many claims in the background: a batch of the "export_837p" kind, one 837P file per part,
each written with the part's *done* (control numbers taken as the parts run), refused at once when the 837P
cannot carry a claim, a part failing alone with the reason, and the files listed on the batch's page."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from batches import services as batch_services
from batches.choices import BatchKind, BatchStatus
from claims.choices import ClaimStatus
from claims.models import Claim
from edi.claims837 import read_837p
from edi.models import Interchange
from edi.services import ExportRefused, interchange_export_queue
from tests.batches.conftest import run_worker  # noqa: F401 (a fixture)

from .conftest import pyx12_findings
from .export_helpers import accident_replacement_claim, make_clearinghouse, ready

pytestmark = pytest.mark.django_db


@pytest.fixture
def house():
    return make_clearinghouse()


def run_parts(batch) -> list[str]:
    """Each part run as a worker runs it."""
    chunk_ids = batch.chunks.order_by("number").values_list("pk", flat=True)
    return [batch_services.chunk_run(chunk_id=pk) for pk in chunk_ids]


def test_one_file_per_part_each_with_its_own_control_numbers(supervisor, biller, house):
    claims = [ready(biller) for _ in range(4)] + [accident_replacement_claim(biller)]
    batch = interchange_export_queue(claims=claims, clearinghouse=house, user=supervisor, per_file=2)
    assert (batch.kind, batch.item_count, batch.chunks.count()) == (BatchKind.EXPORT_837P, 5, 3)
    assert Interchange.objects.count() == 0  # nothing is written until a worker runs the parts
    assert run_parts(batch) == [batch_services.DONE] * 3
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE
    interchanges = list(Interchange.objects.order_by("control_number"))
    assert [(i.control_number, i.group_control_number, i.claim_count) for i in interchanges] == [
        (1, 1, 2), (2, 2, 2), (3, 3, 1)]
    written = [claim.claim_id for i in interchanges for claim in read_837p(i.content.encode()).claims]
    assert sorted(written) == sorted(claim.patient_account_number or claim.number for claim in claims)
    for interchange in interchanges:
        assert pyx12_findings(interchange.content) == (True, [])
    assert set(Claim.objects.filter(pk__in=[c.pk for c in claims]).values_list("status", flat=True)) == {"sent"}
    summaries = [chunk.summary for chunk in batch.chunks.order_by("number")]
    assert [s["file_name"] for s in summaries] == [i.file_name for i in interchanges]


def test_claims_the_837p_cannot_carry_are_refused_before_anything_is_queued(supervisor, biller, house):
    from batches.models import Batch

    draft = ready(biller, status=ClaimStatus.DRAFT)
    with pytest.raises(ExportRefused, match=f"{draft.number}: it is draft"):
        interchange_export_queue(claims=[ready(biller), draft], clearinghouse=house, user=supervisor)
    assert not Batch.objects.exists()


def test_a_part_whose_claim_changed_meanwhile_fails_alone_with_the_reason(supervisor, biller, house):
    claims = [ready(biller) for _ in range(4)]
    batch = interchange_export_queue(claims=claims, clearinghouse=house, user=supervisor, per_file=2)
    second_part = batch.chunks.get(number=2)
    voided = Claim.objects.get(pk=second_part.input[0])
    Claim.objects.filter(pk=voided.pk).update(status=ClaimStatus.VOIDED)
    for _ in range(5):  # tried again up to CLAIMDESK_BATCH_CHUNK_ATTEMPTS
        run_parts(batch)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.FAILED
    assert "Part 2" in batch.error and f"{voided.number}: it is voided, not ready or approved" in batch.error
    assert Interchange.objects.count() == 1  # part 1's file stays; part 2 wrote nothing and used no number
    house.refresh_from_db()
    assert house.last_interchange_control_number == 1
    other = Claim.objects.get(pk=second_part.input[1])
    assert other.status == ClaimStatus.READY


def test_the_page_queues_every_matching_claim_and_the_batch_page_lists_the_files(supervisor_client, biller, house):
    claims = [ready(biller) for _ in range(3)]
    ready(biller, status=ClaimStatus.DRAFT)
    response = supervisor_client.post(reverse("edi:export_background"), {"clearinghouse": house.pk, "query": ""})
    from batches.models import Batch

    batch = Batch.objects.get()
    assert response.status_code == 302 and response["Location"] == batch.get_absolute_url()
    assert sorted(item for chunk in batch.chunks.all() for item in chunk.input) == [c.pk for c in claims]
    run_parts(batch)
    page = supervisor_client.get(batch.get_absolute_url()).content.decode()
    interchange = Interchange.objects.get()
    assert 'data-testid="export-files"' in page and interchange.file_name in page
    assert "3 of 3 claims exported" in page
    results = supervisor_client.get(reverse("batches:batch_results", args=[batch.pk]))
    assert results.status_code == 302 and results["Location"] == batch.get_absolute_url()


def test_the_page_refuses_at_once_what_cannot_go_out(supervisor_client, biller, house):
    from claims.models import Payer

    claim = ready(biller, payer=Payer.objects.create(name="Paper Plan", payer_type="commercial"))
    response = supervisor_client.post(reverse("edi:export_background"), {"clearinghouse": house.pk}, follow=True)
    assert f"{claim.number}: payer Paper Plan has no electronic payer ID" in response.content.decode()


def test_billers_may_not_queue_an_export(biller_client, biller, house):
    ready(biller)
    assert biller_client.post(reverse("edi:export_background"), {"clearinghouse": house.pk}).status_code == 403


def test_the_command_queues_with_background(supervisor, biller, house):
    from batches.models import Batch

    ready(biller)
    err = StringIO()
    call_command("export_837", "--background", "--user", "supervisor", stdout=StringIO(), stderr=err)
    batch = Batch.objects.get()
    assert f"Queued batch {batch.pk}: 1 claim(s) in 1 file(s)" in err.getvalue()
    assert batch.kind == BatchKind.EXPORT_837P and batch.params == {"clearinghouse": house.pk}


@pytest.mark.tasks
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_exports_the_batch(run_worker, supervisor, biller, house):  # noqa: F811
    claims = [ready(biller) for _ in range(3)]
    batch = interchange_export_queue(claims=claims, clearinghouse=house, user=supervisor, per_file=2)
    run_worker()
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE
    assert sorted(Interchange.objects.values_list("control_number", flat=True)) == [1, 2]
