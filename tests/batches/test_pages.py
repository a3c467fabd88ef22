"""The pages of background batches: check a file (bad files refused with the reason, nothing created), the
progress partial htmx polls, the results (counts by risk and by rule, the filtered table, each claim's
findings), the batch list, and who sees which batch. The parts are run here by calling the task's body;
tests/batches/test_workers.py runs them through real workers."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from batches import services
from batches.choices import BatchKind, BatchStatus, ChunkStatus
from batches.models import Batch, Chunk, ClaimResult
from tests.batches.conftest import document_bytes, make_claims

pytestmark = pytest.mark.django_db


def post_file(client, content: bytes, name: str = "claims.json"):
    return client.post(reverse("batches:batch_create"), {"file": SimpleUploadedFile(name, content)})


def make_batch(user, claims, *, chunk_size: int = 4) -> Batch:
    return services.batch_create(
        user=user,
        kind=BatchKind.CHECK,
        items=claims,
        file_name="claims.json",
        params={"today": "2026-03-20"},
        chunk_size=chunk_size,
    )


def run_all(batch: Batch) -> None:
    for chunk_id in batch.chunks.order_by("number").values_list("pk", flat=True):
        assert services.chunk_run(chunk_id=chunk_id) == services.DONE
    batch.refresh_from_db()


# --- the upload --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"claims,of,a,spreadsheet\n1,2,3", "the document is not valid JSON: Expecting value (line 1, column 1)"),
        (b'{"claims": "caf\xe9"}', "the document is not UTF-8 text"),
        (b"[1, 2]", "the document must be a JSON object with a &#x27;claims&#x27; list"),
        (b'{"claims": {"id": "A"}}', "field &#x27;claims&#x27;: the document must have a &#x27;claims&#x27; list"),
        (b'{"claims": []}', "field &#x27;claims&#x27;"),
    ],
    ids=["csv", "not-utf8", "list", "claims-not-a-list", "no-claims"],
)
def test_a_file_that_cannot_be_read_is_refused_with_the_reason_and_nothing_is_created(biller_client, content, message):
    response = post_file(biller_client, content)
    assert response.status_code == 200
    page = response.content.decode()
    assert "This file cannot be checked, nothing was started:" in page
    assert message in page
    assert not Batch.objects.exists() and not Chunk.objects.exists()


def test_a_claim_of_the_wrong_shape_is_named_and_nothing_is_created(biller_client):
    claims = make_claims(5)
    claims[3]["lines"] = "99213 x1"
    response = post_file(biller_client, document_bytes(claims))
    page = response.content.decode()
    assert "C-00004" in page and "lines" in page
    assert not Batch.objects.exists()


def test_repeated_claim_ids_are_refused(biller_client):
    claims = make_claims(3)
    claims[2]["id"] = claims[0]["id"]
    page = post_file(biller_client, document_bytes(claims)).content.decode()
    assert "claim ids must be unique; repeated: C-00001" in page
    assert not Batch.objects.exists()


def test_a_nul_character_is_refused_before_anything_is_stored(biller_client):
    """PostgreSQL stores no NUL in text or JSON: the form says so rather than the save failing."""
    claims = make_claims(2)
    claims[1]["lines"][0]["narrative"] = "dose\x00 given"
    page = post_file(biller_client, document_bytes(claims)).content.decode()
    assert "the document holds a NUL character" in page
    assert not Batch.objects.exists()


def test_a_long_claim_id_is_kept_whole(biller, reference_rows):
    claims = make_claims(1)
    claims[0]["id"] = "X" * 300
    batch = make_batch(biller, claims)
    run_all(batch)
    assert batch.claim_results.get().claim_id == "X" * 300


def test_a_file_over_the_limit_is_refused(biller_client, settings):
    settings.CLAIMDESK_BATCH_MAX_BYTES = 100
    page = post_file(biller_client, document_bytes(make_claims(2))).content.decode()
    assert "the largest file accepted is 100" in page
    assert not Batch.objects.exists()


def test_an_empty_file_is_refused(biller_client):
    page = post_file(biller_client, b"").content.decode()
    assert "The submitted file is empty." in page
    assert not Batch.objects.exists()


def test_no_file_is_refused(biller_client):
    response = biller_client.post(reverse("batches:batch_create"), {})
    assert "This field is required." in response.content.decode()
    assert not Batch.objects.exists()


def test_a_good_file_makes_a_batch_split_into_parts_each_handed_to_the_task_backend(
    biller, biller_client, settings, django_capture_on_commit_callbacks
):
    settings.CLAIMDESK_BATCH_CHUNK_SIZE = 3
    claims = make_claims(7)
    content = document_bytes(claims)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_file(biller_client, content, name="march.json")
    batch = Batch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("batches:batch_detail", args=[batch.pk])
    assert (batch.kind, batch.status, batch.created_by, batch.item_count) == ("check", "queued", biller, 7)
    assert (batch.file_name, batch.file_size) == ("march.json", len(content))
    assert list(batch.chunks.values_list("number", "first_position", "item_count")) == [(1, 1, 3), (2, 4, 3), (3, 7, 1)]
    assert [item["id"] for chunk in batch.chunks.all() for item in chunk.input] == [c["id"] for c in claims]
    assert all(batch.chunks.values_list("task_id", flat=True))
    assert "C-0000" not in response["Location"]  # nothing from the file in an address


def test_a_queue_that_does_not_take_the_parts_fails_the_batch_with_the_reason(
    biller, monkeypatch, django_capture_on_commit_callbacks
):
    from batches.background import task_backends

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("Redis at 127.0.0.1:6379")

    monkeypatch.setattr(type(task_backends["default"]), "enqueue", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        batch = make_batch(biller, make_claims(3))
    batch.refresh_from_db()
    assert batch.status == BatchStatus.FAILED
    assert "failed before it ran: the task queue did not take it (ConnectionRefusedError)" in batch.error


# --- progress ----------------------------------------------------------------------------------------------
def test_the_progress_partial_shows_the_parts_done_and_keeps_polling(biller, biller_client, reference_rows):
    batch = make_batch(biller, make_claims(10))  # parts of 4, 4, 2
    services.chunk_run(chunk_id=batch.chunks.get(number=1).pk)
    response = biller_client.get(reverse("batches:batch_detail", args=[batch.pk]), headers={"HX-Request": "true"})
    page = response.content.decode()
    assert "<html" not in page  # the partial only
    assert "4 of 10 claims checked (1 of 3 parts)" in page
    assert "progress-w-40" in page and 'aria-valuenow="40"' in page
    assert 'hx-trigger="every 1500ms"' in page
    assert "style=" not in page  # the Content-Security-Policy forbids inline styles
    full = biller_client.get(reverse("batches:batch_detail", args=[batch.pk])).content.decode()
    assert "css/batches.css" in full and "Running" in full


def test_a_batch_no_worker_has_taken_yet_says_it_waits_for_one(biller, biller_client):
    batch = make_batch(biller, make_claims(3))
    page = biller_client.get(reverse("batches:batch_detail", args=[batch.pk]), headers={"HX-Request": "true"})
    assert "Waiting for a background worker" in page.content.decode()
    services.chunk_run(chunk_id=batch.chunks.first().pk)
    page = biller_client.get(reverse("batches:batch_detail", args=[batch.pk]), headers={"HX-Request": "true"})
    assert "Waiting for a background worker" not in page.content.decode()


def test_a_part_being_retried_says_why(biller, biller_client, reference_rows, monkeypatch):
    from batches import checking

    def broken(claims, *, today):
        raise checking.kinds.ChunkError("the code set is being replaced")

    monkeypatch.setattr(checking, "check_claims_chunk", broken)
    batch = make_batch(biller, make_claims(5))
    assert services.chunk_run(chunk_id=batch.chunks.get(number=1).pk) == services.RETRYING
    page = biller_client.get(reverse("batches:batch_detail", args=[batch.pk])).content.decode()
    assert "Part 1 failed and is tried again: the code set is being replaced" in page
    assert "1 part being tried again" in page


# --- results -----------------------------------------------------------------------------------------------
@pytest.fixture
def done_batch(biller, reference_rows):
    batch = make_batch(biller, make_claims(12))
    run_all(batch)
    assert batch.status == BatchStatus.DONE
    return batch


def test_results_count_claims_by_risk_and_findings_by_rule(biller_client, done_batch):
    response = biller_client.get(reverse("batches:batch_results", args=[done_batch.pk]))
    page = response.content.decode()
    results = list(ClaimResult.objects.filter(batch=done_batch))
    for risk in ("none", "low", "medium", "high"):
        count = sum(1 for r in results if r.risk == risk)
        assert f'<tr data-risk="{risk}">' in page
        row = page.split(f'<tr data-risk="{risk}">', 1)[1].split("</tr>", 1)[0]
        assert f">{count}<" in row, (risk, row)
    findings = [f for r in results for f in r.findings]
    for rule in {f["rule"] for f in findings}:
        row = page.split(f'<tr data-rule="{rule}">', 1)[1].split("</tr>", 1)[0]
        assert f'href="{reverse("claims:rule_list")}#{rule}"' in row  # linked to the rule catalogue
        assert f'<td class="text-end" data-findings>{sum(1 for f in findings if f["rule"] == rule)}</td>' in row
        claims = sum(1 for r in results if any(f["rule"] == rule for f in r.findings))
        assert f">{claims}</a>" in row
    assert page.count('data-testid="result-table"') == 1
    for result in results:
        assert f'href="{result.get_absolute_url()}"' in page


def test_the_claims_table_filters_by_risk_and_by_rule(biller_client, done_batch):
    url = reverse("batches:batch_results", args=[done_batch.pk])
    by_risk = biller_client.get(url, {"risk": "none"}).context["table"]
    assert {row.record.risk for row in by_risk.rows} == {"none"}
    assert len(by_risk.rows) == ClaimResult.objects.filter(batch=done_batch, risk="none").count() > 0
    by_rule = biller_client.get(url, {"rule": "DUP-LINE"}).context["table"]
    expected = {
        r.claim_id
        for r in ClaimResult.objects.filter(batch=done_batch)
        if any(f["rule"] == "DUP-LINE" for f in r.findings)
    }
    assert {row.record.claim_id for row in by_rule.rows} == expected and expected


def test_a_claims_result_lists_its_findings(biller_client, done_batch):
    result = ClaimResult.objects.get(batch=done_batch, claim_id="C-00004")
    page = biller_client.get(result.get_absolute_url()).content.decode()
    assert len(result.findings) == 2
    for finding in result.findings:
        assert f'data-rule="{finding["rule"]}"' in page
        assert f"line {finding['line']}" in page
    assert f'href="{reverse("claims:rule_list")}#COD-EFFECTIVE"' in page


def test_a_claims_result_says_which_checks_did_not_run_and_why(biller_client, done_batch):
    """Only the HCPCS file is loaded here: the checks that could not run are named with their reasons."""
    result = ClaimResult.objects.get(batch=done_batch, claim_id="C-00004")
    assert result.unchecked_checks and result.as_dict()["unchecked_checks"] == result.unchecked_checks
    page = biller_client.get(result.get_absolute_url()).content.decode()
    for entry in result.unchecked_checks:
        assert f'data-unchecked-check="{entry["category"]}"' in page
        assert f"{entry['check']}" in page and escape(entry["reason"]) in page


def test_the_results_of_a_batch_not_done_send_back_to_its_progress(biller, biller_client):
    batch = make_batch(biller, make_claims(3))
    response = biller_client.get(reverse("batches:batch_results", args=[batch.pk]))
    assert response.status_code == 302 and response["Location"] == batch.get_absolute_url()


# --- the list and who sees what ---------------------------------------------------------------------------
def test_billers_list_their_own_batches_and_supervisors_everyones(
    client, biller, other_biller, supervisor, reference_rows
):
    mine = make_batch(biller, make_claims(2))
    theirs = make_batch(other_biller, make_claims(2))
    url = reverse("batches:batch_list")
    client.force_login(biller)
    assert [row.record for row in client.get(url).context["table"].rows] == [mine]
    client.force_login(supervisor)
    assert {row.record for row in client.get(url).context["table"].rows} == {mine, theirs}
    own = make_batch(supervisor, make_claims(1))
    assert [row.record for row in client.get(url, {"mine": "on"}).context["table"].rows] == [own]


def test_another_billers_batch_is_not_found(client, biller, other_biller, done_batch):
    client.force_login(other_biller)
    result = done_batch.claim_results.first()
    for url in (
        reverse("batches:batch_detail", args=[done_batch.pk]),
        reverse("batches:batch_results", args=[done_batch.pk]),
        result.get_absolute_url(),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("batches:batch_retry", args=[done_batch.pk])).status_code == 404


def test_retry_of_a_batch_that_did_not_fail_changes_nothing(biller_client, done_batch):
    response = biller_client.post(reverse("batches:batch_retry", args=[done_batch.pk]), follow=True)
    assert "Nothing to retry" in response.content.decode()
    done_batch.refresh_from_db()
    assert done_batch.status == BatchStatus.DONE
    assert set(done_batch.chunks.values_list("status", flat=True)) == {ChunkStatus.DONE}


def test_a_chunk_already_done_is_not_run_again(done_batch):
    """A task delivered twice (RQ after a lost acknowledgement) finds its part done and changes nothing."""
    before = list(ClaimResult.objects.filter(batch=done_batch).values_list("pk", flat=True))
    assert services.chunk_run(chunk_id=done_batch.chunks.first().pk) == services.SKIPPED
    assert list(ClaimResult.objects.filter(batch=done_batch).values_list("pk", flat=True)) == before


def test_nothing_from_the_file_is_logged_when_a_part_fails(biller, reference_rows, monkeypatch, caplog):
    from batches import checking

    def leaky(claims, *, today):
        raise ValueError(f"bad date of birth {claims[0]['patient']['dob']}")

    monkeypatch.setattr(checking, "check_claims_chunk", leaky)
    batch = make_batch(biller, make_claims(2))
    services.chunk_run(chunk_id=batch.chunks.get().pk)
    assert "1951-06-02" not in caplog.text and "ValueError" in caplog.text
    assert "1951-06-02" not in batch.chunks.get().error
    assert json.dumps(list(Batch.objects.values("error"))).count("1951") == 0
