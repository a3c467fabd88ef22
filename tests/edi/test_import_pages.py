"""The 837P import pages: supervisors only; an upload is read whole at once (malformed, too big or already imported:
refused with the reason, nothing queued); the import's page lists each claim linked, by risk and by rule."""

from __future__ import annotations

from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from batches.choices import BatchKind, BatchStatus
from batches.models import Batch
from claims.models import Claim, ClaimFinding, Payer
from edi.imports import file_import
from edi.models import ImportedFile

from .test_import import builder_bytes

pytestmark = pytest.mark.django_db


def upload(client, raw: bytes, name: str = "batch.837"):
    return client.post(reverse("imports:import_create"), {"file": SimpleUploadedFile(name, raw)})


def test_only_supervisors_open_the_import_pages(client, biller, supervisor):
    imported = file_import(raw=builder_bytes(), file_name="built.837", user=supervisor)
    pages = [
        reverse("imports:import_list"),
        reverse("imports:import_create"),
        reverse("imports:import_detail", args=[imported.pk]),
    ]
    for url in pages:
        assert client.get(url).status_code == 302  # anonymous: to the login page
    client.force_login(biller)
    for url in pages:
        assert client.get(url).status_code == 403
    assert upload(client, builder_bytes()).status_code == 403
    client.force_login(supervisor)
    for url in pages:
        assert client.get(url).status_code == 200
    assert reverse("imports:import_list") in client.get(reverse("batches:batch_list")).content.decode()  # the nav


def test_an_upload_is_recorded_and_queued_in_parts(supervisor_client, supervisor, settings):
    settings.CLAIMDESK_IMPORT_PART_CLAIMS = 2
    response = upload(supervisor_client, builder_bytes())
    batch = Batch.objects.get()
    assert response.status_code == 302 and response["Location"] == batch.get_absolute_url()
    assert (batch.kind, batch.item_count, batch.status) == (BatchKind.IMPORT_837, 3, BatchStatus.QUEUED)
    assert list(batch.chunks.values_list("item_count", flat=True)) == [2, 1]
    imported = ImportedFile.objects.get()
    assert (imported.batch, imported.sha256, imported.claim_count, imported.imported_by) == (
        batch, batch.file_sha256, 3, supervisor)
    assert Payer.objects.count() == 3  # payers and providers are found or added at upload, once for the file
    assert not Claim.objects.exists()  # the claims come with the workers
    page = supervisor_client.get(reverse("imports:import_detail", args=[imported.pk])).content.decode()
    assert 'data-testid="import-running"' in page


def test_a_malformed_upload_is_refused_with_the_segment_and_nothing_is_queued(supervisor_client):
    segments = builder_bytes().decode().split("~")
    clm = next(index for index, segment in enumerate(segments) if segment.strip().startswith("CLM*"))
    segments[clm] = segments[clm].replace("*330.5*", "**", 1)
    response = upload(supervisor_client, "~".join(segments).encode(), "broken.837")
    assert response.status_code == 200
    message = f"broken.837 was not imported: segment {clm + 1} (CLM): CLM02 amount missing."
    assert escape(message) in response.content.decode()
    assert not Batch.objects.exists() and not ImportedFile.objects.exists() and not Payer.objects.exists()


def test_a_file_already_imported_is_refused_at_upload(supervisor_client, supervisor):
    file_import(raw=builder_bytes(), file_name="first.837", user=supervisor)
    response = upload(supervisor_client, builder_bytes(), "again.837")
    assert "again.837 was not imported: the same file" in response.content.decode()
    assert "imported as first.837 on" in response.content.decode()
    assert not Batch.objects.exists() and ImportedFile.objects.count() == 1


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(supervisor_client, settings):
    raw = builder_bytes()
    settings.CLAIMDESK_IMPORT_MAX_BYTES = len(raw) - 1
    response = upload(supervisor_client, raw)
    assert "the largest file accepted is" in response.content.decode()
    assert not ImportedFile.objects.exists()


def test_the_import_page_lists_each_claim_linked_by_risk_and_by_rule(supervisor_client, supervisor):
    imported = file_import(raw=builder_bytes(), file_name="built.837", user=supervisor)
    response = supervisor_client.get(reverse("imports:import_detail", args=[imported.pk]))
    page = response.content.decode()
    claims = list(Claim.objects.filter(import_source__imported_file=imported))
    for claim in claims:
        assert f'href="{claim.get_absolute_url()}"' in page
    risks = {risk: count for risk, _label, count in response.context["risks"]}
    assert sum(risks.values()) == 3
    assert all(risks[claim.risk] >= 1 for claim in claims)
    rules = {row["rule"]: row["findings"] for row in response.context["rules"]}
    assert rules == {
        rule: ClaimFinding.objects.filter(claim__in=claims, rule=rule).count()
        for rule in ClaimFinding.objects.filter(claim__in=claims).values_list("rule", flat=True)
    }
    for payer in Payer.objects.all():  # every payer was added by this import: each to review, linked to the admin
        assert reverse("admin:claims_payer_change", args=[payer.pk]) in page
    # filtered by one rule: only the claims with it
    rule, _ = next(iter(rules.items()))
    filtered = supervisor_client.get(reverse("imports:import_detail", args=[imported.pk]), {"rule": rule})
    shown = {row.record.claim_id for row in filtered.context["table"].rows}
    assert shown == set(ClaimFinding.objects.filter(claim__in=claims, rule=rule).values_list("claim_id", flat=True))


def test_the_import_page_lists_what_the_claims_could_not_hold(supervisor_client, supervisor):
    imported = file_import(raw=builder_bytes(), file_name="built.837", user=supervisor)
    page = supervisor_client.get(reverse("imports:import_detail", args=[imported.pk])).content.decode()
    assert 'data-testid="import-warnings"' in page
    # the other payer's paid amount and adjustments of the first claim have no box on the claim
    assert escape("the other payer's amounts (2320 AMT D 200") in page


@pytest.mark.parametrize(
    ("status", "says"),
    [
        ("failed", "failed: open that batch and press Retry for the rest"),
        ("running", "is still running"),
    ],
)
def test_uploading_a_file_whose_background_import_did_not_finish_points_to_its_batch(
    supervisor_client, supervisor, status, says
):
    from edi.imports import file_queue

    batch = file_queue(raw=builder_bytes(), file_name="batch.837", user=supervisor)
    Batch.objects.filter(pk=batch.pk).update(status=status)
    response = upload(supervisor_client, builder_bytes(), name="again.837")
    text = unescape(response.content.decode())
    assert "again.837 was not imported: the same file" in text
    assert f"Its background import (batch {batch.pk}) {says}" in text
