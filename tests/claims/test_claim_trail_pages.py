"""The biller's side of a review and the claim's trail: the return note on the entry page and in the list,
the History tab, voiding, the claim's own patient, and the admin's part (no deleting, records on the trail)."""

from __future__ import annotations

from html import unescape

import pytest
from django.urls import reverse
from django.utils.html import strip_tags

from audit.models import AuditEvent
from claims.choices import ClaimStatus, OverrideDecisionChoice, QueueReason, ReviewOutcome
from claims.models import Claim, ClaimReview, ClaimSnapshot, OverrideDecision, Provider, ReviewSettings

from .factories import make_claim, make_patient

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    return " ".join(unescape(strip_tags(response.content.decode())).split())


def returned(biller, supervisor, note="Bill J8499 to Part D; attach the MAR") -> Claim:
    """A claim a supervisor returned with a note and one rejected override."""
    claim = make_claim(biller, status=ClaimStatus.DRAFT, review_outcome=ReviewOutcome.RETURNED)
    snapshot = ClaimSnapshot.objects.create(
        claim=claim, number=1, created_by=biller, status="flagged", risk="high", data={"findings": []}
    )
    review = ClaimReview.objects.create(
        claim=claim,
        snapshot=snapshot,
        reason=QueueReason.FLAGGED,
        outcome=ReviewOutcome.RETURNED,
        note=note,
        decided_by=supervisor,
        decided_at=snapshot.created_at,
    )
    OverrideDecision.objects.create(
        review=review,
        finding_key="2:DRG-ORAL-MEDICARE",
        rule="DRG-ORAL-MEDICARE",
        line_number=2,
        decision=OverrideDecisionChoice.REJECTED,
        note="Oral drugs are Part D",
        decided_by=supervisor,
        decided_at=snapshot.created_at,
    )
    return claim


# --- returned claims ---------------------------------------------------------------------------------------
def test_the_return_note_stands_at_the_top_of_the_entry_page(biller_client, biller, supervisor):
    claim = returned(biller, supervisor)
    response = biller_client.get(reverse("claims:claim_edit", args=[claim.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    note = html.index('data-testid="return-note"')
    assert note < html.index('id="claim-form"')
    text = text_of(response)
    assert "Returned by supervisor" in text and "Bill J8499 to Part D; attach the MAR" in text
    assert "DRG-ORAL-MEDICARE (line 2): override rejected: Oral drugs are Part D" in text


def test_a_returned_claim_is_marked_in_the_billers_list(biller_client, biller, supervisor):
    claim = returned(biller, supervisor)
    other = make_claim(biller)
    html = biller_client.get(reverse("claims:claim_list")).content.decode()
    row = html.split(f'data-claim="{claim.pk}"', 1)[1].split("</tr>", 1)[0]
    other_row = html.split(f'data-claim="{other.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "data-returned" in row and "Returned" in row
    assert "data-returned" not in other_row


def test_the_mark_goes_when_the_claim_is_sent_again(biller_client, biller, supervisor):
    claim = returned(biller, supervisor)
    Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.READY, review_outcome="")
    html = biller_client.get(reverse("claims:claim_list")).content.decode()
    assert "data-returned" not in html
    assert (
        'data-testid="return-note"'
        not in biller_client.get(reverse("claims:claim_detail", args=[claim.pk])).content.decode()
    )


def test_the_claim_page_shows_the_return_note_and_the_queue_reason(biller_client, biller, supervisor):
    claim = returned(biller, supervisor)
    assert "Bill J8499 to Part D" in text_of(biller_client.get(reverse("claims:claim_detail", args=[claim.pk])))
    queued = make_claim(biller, status=ClaimStatus.READY, queue_reason=QueueReason.RISK_SAMPLE)
    response = biller_client.get(reverse("claims:claim_detail", args=[queued.pk]))
    assert 'data-queue-reason="risk_sample"' in response.content.decode()
    assert "Waiting for review: Risk-weighted sample" in text_of(response)


# --- the claim's own patient ----------------------------------------------------------------------------
def test_the_claim_page_shows_the_patient_as_entered_on_the_claim(biller_client, biller):
    patient = make_patient(last_name="Garcia", first_name="Maria")
    claim = make_claim(biller, patient=patient, patient_last_name="Garcia-Lopez")
    text = text_of(biller_client.get(reverse("claims:claim_detail", args=[claim.pk])))
    assert "Garcia-Lopez, Maria" in text and "Patient record: Garcia, Maria" in text


def test_the_entry_form_opens_with_the_patient_as_entered_on_the_claim(biller_client, biller):
    claim = make_claim(biller, patient=make_patient(last_name="Garcia"), patient_last_name="Garcia-Lopez")
    response = biller_client.get(reverse("claims:claim_edit", args=[claim.pk]))
    assert response.context["form"].initial["patient_last_name"] == "Garcia-Lopez"


# --- history -----------------------------------------------------------------------------------------------
def test_the_history_tab_tells_the_trail_in_plain_words(client, biller):
    from claims import services

    biller.first_name, biller.last_name = "Maria", "Lopez"
    biller.save()
    claim = make_claim(biller)
    claim.refresh_from_db()
    line = claim.lines.get()
    line.code = "96374"
    services.claim_save(claim=claim, lines=[line], patient=claim.patient, user=biller, version=claim.version)
    client.force_login(biller)
    response = client.get(reverse("claims:claim_history", args=[claim.pk]))
    assert response.status_code == 200
    assert "Maria Lopez changed line 1 code from 99213 to 96374" in text_of(response)
    assert 'data-testid="history-csv"' not in response.content.decode()  # billers do not export


def test_viewing_a_claim_page_is_on_the_trail(biller_client, biller):
    claim = make_claim(biller)
    for name, page in (
        ("claims:claim_detail", "claim page"),
        ("claims:claim_history", "history"),
        ("claims:claim_edit", "entry"),
    ):
        biller_client.get(reverse(name, args=[claim.pk]))
        event = AuditEvent.objects.filter(action="claim.viewed", claim_id=claim.pk).last()
        assert (event.data["page"], event.actor) == (page, biller)


def test_the_claim_list_is_on_the_trail_with_the_claims_shown(biller_client, biller):
    claims = [make_claim(biller) for _ in range(3)]
    biller_client.get(reverse("claims:claim_list"))
    event = AuditEvent.objects.get(action="claims.listed")
    assert sorted(event.data["claims"]) == sorted(claim.pk for claim in claims)


def test_supervisors_export_a_claims_trail_as_csv(supervisor_client, biller):
    claim = make_claim(biller)
    supervisor_client.get(reverse("claims:claim_detail", args=[claim.pk]))
    response = supervisor_client.get(reverse("claims:claim_history_csv", args=[claim.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    assert "claim.viewed" in body and "attachment" in response["Content-Disposition"]
    assert AuditEvent.objects.filter(action="claim.trail_exported", claim_id=claim.pk).exists()


# --- voiding -----------------------------------------------------------------------------------------------
def test_a_biller_voids_a_draft_from_its_page(biller_client, biller):
    claim = make_claim(biller)
    assert 'data-testid="void"' in biller_client.get(reverse("claims:claim_detail", args=[claim.pk])).content.decode()
    response = biller_client.post(
        reverse("claims:claim_void", args=[claim.pk]), {"reason": "Entered twice"}, follow=True
    )
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.VOIDED and "Voided: Entered twice" in text_of(response)


def test_voiding_without_a_reason_keeps_the_claim(biller_client, biller):
    claim = make_claim(biller)
    response = biller_client.post(reverse("claims:claim_void", args=[claim.pk]), {"reason": " "}, follow=True)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.DRAFT and "Say why the claim is voided" in text_of(response)


# --- the admin ---------------------------------------------------------------------------------------------
def test_nobody_deletes_a_claim_in_the_admin(admin_client_logged, biller):
    claim = make_claim(biller, status=ClaimStatus.FLAGGED)
    assert admin_client_logged.get(reverse("admin:claims_claim_delete", args=[claim.pk])).status_code == 403
    response = admin_client_logged.post(
        reverse("admin:claims_claim_changelist"), {"action": "delete_selected", "_selected_action": [claim.pk]}
    )
    assert Claim.objects.filter(pk=claim.pk).exists() and response.status_code in (200, 302)
    changelist = admin_client_logged.get(reverse("admin:claims_claim_changelist")).content.decode()
    assert "delete_selected" not in changelist


def test_correcting_a_patient_in_the_admin_is_on_the_trail(admin_client_logged, biller):
    patient = make_patient(last_name="Garcia")
    claim = make_claim(biller, patient=patient)
    url = reverse("admin:claims_patient_change", args=[patient.pk])
    data = {
        "last_name": "Garcia-Lopez",
        "first_name": patient.first_name,
        "date_of_birth": "1950-03-01",
        "sex": "F",
        "member_id": patient.member_id,
    }
    assert admin_client_logged.post(url, data).status_code == 302
    patient.refresh_from_db()
    claim.refresh_from_db()
    assert patient.last_name == "Garcia-Lopez" and claim.patient_last_name == "Garcia"
    event = AuditEvent.objects.get(action="patient.changed")
    assert event.changes == [["patient record last name", "Garcia", "Garcia-Lopez"]]
    assert admin_client_logged.get(reverse("admin:claims_patient_delete", args=[patient.pk])).status_code == 403


def test_billers_no_longer_change_patient_records(biller):
    assert not biller.has_perm("claims.change_patient")


def test_an_earlier_grant_of_changing_patients_is_taken_back_from_billers_on_migrate():
    from django.contrib.auth.models import Group, Permission

    from claims.roles import roles_ensure

    billers, supervisors = Group.objects.get(name="Billing staff"), Group.objects.get(name="Supervisors")
    change_patient = Permission.objects.get(content_type__app_label="claims", codename="change_patient")
    billers.permissions.add(change_patient)  # as an earlier release granted it
    roles_ensure()
    assert not billers.permissions.filter(pk=change_patient.pk).exists()
    assert supervisors.permissions.filter(pk=change_patient.pk).exists()


def test_adding_a_provider_in_the_admin_is_on_the_trail(admin_client_logged):
    data = {
        "name": "Dr. Ana Lopez",
        "kind": "clinician",
        "npi": "1234567893",
        "specialty": "11",
        "group_tin": "311234567",
        "active": "on",
    }
    assert admin_client_logged.post(reverse("admin:claims_provider_add"), data).status_code == 302
    provider = Provider.objects.get()
    event = AuditEvent.objects.get(action="provider.created")
    assert event.object_id == str(provider.pk) and ["provider NPI", None, "1234567893"] in event.changes


def test_supervisors_set_the_sampling_shares_in_the_admin(client, supervisor):
    supervisor.is_staff = True
    supervisor.save()
    client.force_login(supervisor)
    assert client.get(reverse("admin:claims_reviewsettings_changelist")).status_code == 200
    row = ReviewSettings.objects.get()
    url = reverse("admin:claims_reviewsettings_change", args=[row.pk])
    response = client.post(url, {"risk_sample_percent": "25", "random_sample_percent": "5"})
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.risk_sample_percent, row.random_sample_percent) == (25, 5)
    assert AuditEvent.objects.get(action="review_settings.changed").changes == [
        ["risk-weighted sample %", "10", "25"],
        ["random sample %", "2", "5"],
    ]
    assert client.post(url, {"risk_sample_percent": "120", "random_sample_percent": "5"}).status_code == 200


def test_sampling_shares_start_at_10_and_2_percent():
    row = ReviewSettings.current()
    assert (row.risk_sample_percent, row.random_sample_percent) == (10, 2)
    assert ReviewSettings.current().pk == row.pk and ReviewSettings.objects.count() == 1


def test_the_dashboard_offers_the_trail_export_to_supervisors_only(client, supervisor, django_user_model):
    client.force_login(supervisor)
    html = client.get(reverse("claims:dashboard")).content.decode()
    assert 'data-testid="trail-export"' in html and reverse("audit:trail_export") in html
    reviewer_only = django_user_model.objects.create_user("reviewer.only")
    from django.contrib.auth.models import Permission

    reviewer_only.user_permissions.add(Permission.objects.get(codename="review_claim"))
    client.force_login(reviewer_only)
    assert 'data-testid="trail-export"' not in client.get(reverse("claims:dashboard")).content.decode()
