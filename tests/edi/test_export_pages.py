"""The Export 837P page, the list and page of the files written, and downloading a file: supervisors only,
each step through the service, the download on the trail."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from claims.choices import ClaimStatus
from edi.claims837 import read_837p
from edi.models import Interchange
from edi.services import interchange_export

from .export_helpers import make_clearinghouse, ready

pytestmark = pytest.mark.django_db

EXPORT = reverse("edi:export")


@pytest.fixture
def house():
    return make_clearinghouse()


def test_billers_may_not_open_or_post_the_export_page(biller_client, biller, house):
    claim = ready(biller)
    assert biller_client.get(EXPORT).status_code == 403
    response = biller_client.post(EXPORT, {"claims": [claim.pk], "clearinghouse": house.pk})
    assert response.status_code == 403
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.READY and not Interchange.objects.exists()
    assert biller_client.get(reverse("edi:interchange_list")).status_code == 403


def test_the_page_lists_ready_and_approved_claims_only_and_filters_them(supervisor_client, biller, house):
    shown = ready(biller)
    approved = ready(biller, status=ClaimStatus.REVIEWED, review_outcome="approved")
    hidden = [ready(biller, status=ClaimStatus.DRAFT), ready(biller, queue_reason="random_sample")]
    page = supervisor_client.get(EXPORT).content.decode()
    assert f'data-claim="{shown.pk}"' in page and f'data-claim="{approved.pk}"' in page
    assert all(f'data-claim="{claim.pk}"' not in page for claim in hidden)
    assert 'name="claims"' in page and "Example Clearinghouse (test)" in page
    filtered = supervisor_client.get(EXPORT, {"status": "approved"}).content.decode()
    assert f'data-claim="{approved.pk}"' in filtered and f'data-claim="{shown.pk}"' not in filtered
    listed = AuditEvent.objects.filter(action="claims.listed", data__page="837P export").first()
    assert listed is not None and shown.pk in listed.data["claims"]


def test_a_supervisor_exports_the_ticked_claims(supervisor_client, supervisor, biller, house):
    ticked, left = ready(biller), ready(biller)
    response = supervisor_client.post(EXPORT, {"claims": [ticked.pk], "clearinghouse": house.pk})
    interchange = Interchange.objects.get()
    assert response.status_code == 302 and response["Location"] == interchange.get_absolute_url()
    assert [claim.claim_id for claim in read_837p(interchange.content.encode()).claims] == [ticked.number]
    ticked.refresh_from_db()
    left.refresh_from_db()
    assert (ticked.status, left.status) == (ClaimStatus.SENT, ClaimStatus.READY)
    assert interchange.created_by == supervisor
    page = supervisor_client.get(response["Location"]).content.decode()
    assert interchange.sha256 in page and "000000001" in page and ticked.number in page
    assert "Exported 1 claim(s) as 837P-example-clearinghouse-000000001.txt" in page


def test_a_refused_export_says_why_and_keeps_the_filters(supervisor_client, biller, house):
    claim = ready(biller, status=ClaimStatus.DRAFT)
    response = supervisor_client.post(
        EXPORT, {"claims": [claim.pk], "clearinghouse": house.pk, "query": "status=ready"}, follow=True
    )
    assert response.redirect_chain[-1][0] == f"{EXPORT}?status=ready"
    assert f"{claim.number}: it is draft, not ready or approved" in response.content.decode()
    house.refresh_from_db()
    assert house.last_interchange_control_number == 0


def test_nothing_ticked_is_a_message_not_an_export(supervisor_client, house):
    response = supervisor_client.post(EXPORT, {"clearinghouse": house.pk}, follow=True)
    assert "Tick the claims to export first." in response.content.decode()
    assert not Interchange.objects.exists()


def test_without_an_active_clearinghouse_the_page_says_whom_to_ask(supervisor_client, biller, house):
    house.active = False
    house.save()
    ready(biller)
    page = supervisor_client.get(EXPORT).content.decode()
    assert 'data-testid="no-clearinghouse"' in page and 'id="export-form"' not in page
    response = supervisor_client.post(EXPORT, {"claims": [1], "clearinghouse": house.pk}, follow=True)
    assert "Choose an active clearinghouse." in response.content.decode()


def test_the_claim_list_links_to_the_export_for_supervisors_only(client, supervisor, biller):
    ready(biller)
    client.force_login(supervisor)
    page = client.get(reverse("claims:claim_list")).content.decode()
    assert 'data-testid="export-837p"' in page and EXPORT in page
    client.force_login(biller)
    assert EXPORT not in client.get(reverse("claims:claim_list")).content.decode()


def test_files_list_detail_and_audited_download(supervisor_client, supervisor, biller, house):
    claim = ready(biller)
    interchange = interchange_export(claims=[claim], clearinghouse=house, user=supervisor)
    listing = supervisor_client.get(reverse("edi:interchange_list")).content.decode()
    assert interchange.file_name in listing and interchange.get_absolute_url() in listing
    response = supervisor_client.get(reverse("edi:interchange_download", args=[interchange.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/edi-x12"
    assert f'filename="{interchange.file_name}"' in response["Content-Disposition"]
    assert hashlib.sha256(response.content).hexdigest() == interchange.sha256
    event = AuditEvent.objects.get(action="interchange.downloaded")
    assert (event.actor, event.object_id, event.data["sha256"]) == (supervisor, str(interchange.pk), interchange.sha256)


def test_the_claim_page_names_the_file_it_went_out_in(supervisor_client, supervisor, biller, house):
    claim = ready(biller)
    interchange = interchange_export(claims=[claim], clearinghouse=house, user=supervisor)
    page = supervisor_client.get(claim.get_absolute_url()).content.decode()
    assert 'data-testid="sent-in"' in page and interchange.file_name in page and interchange.sha256 in page
    assert interchange.get_absolute_url() in page


def test_billers_may_not_download(biller_client, supervisor, biller, house):
    interchange = interchange_export(claims=[ready(biller)], clearinghouse=house, user=supervisor)
    assert biller_client.get(reverse("edi:interchange_download", args=[interchange.pk])).status_code == 403
    assert biller_client.get(interchange.get_absolute_url()).status_code == 403
    assert not AuditEvent.objects.filter(action="interchange.downloaded").exists()
