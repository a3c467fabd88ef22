"""Admin of payers, demographic edits and API tokens (the key is shown once and never stored)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from claims.models import ApiToken, DemographicEdit, Payer

pytestmark = pytest.mark.django_db


def admin_url(model, view="changelist", *args):
    return reverse(f"admin:claims_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", [Payer, DemographicEdit, ApiToken])
@pytest.mark.parametrize("view", ["changelist", "add"])
def test_pages_load(admin_client_logged, model, view):
    assert admin_client_logged.get(admin_url(model, view)).status_code == 200


# --- payers ----------------------------------------------------------------------------------------


def payer_form(**fields):
    values = {
        "name": "Acme Health",
        "payer_type": "commercial",
        "timely_filing_days": "120",
        "apply_ncci": "on",
        "rejects_s_codes": "unknown",
        "ndc_required_all_drug_lines": "unknown",
        "pa_required_codes": "J1745, Q5103",
        "pa_required_ranges": "J9000-J9999",
        "preferred_products": '{"infliximab": {"preferred": ["Q5103"], "non_preferred": ["J1745"]}}',
        "notes": "",
    }
    values.update(fields)
    return values


def test_add_payer(admin_client_logged):
    response = admin_client_logged.post(admin_url(Payer, "add"), payer_form())
    assert response.status_code == 302, response.context["adminform"].form.errors
    payer = Payer.objects.get()
    assert payer.timely_filing_days == 120 and payer.apply_ncci
    assert payer.pa_codes == ["J1745", "Q5103"] and payer.pa_ranges == [("J9000", "J9999")]
    assert payer.rejects_s_codes is None  # blank: the payer type's default


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("pa_required_ranges", "J9000", "is not a range like J9000-J9999"),
        ("preferred_products", '{"infliximab": ["Q5103"]}', "needs 'preferred' and 'non_preferred' lists"),
        ("preferred_products", '["Q5103"]', "Must be an object of product families"),
    ],
)
def test_payer_clean_rejects_bad_settings(admin_client_logged, field, value, error):
    response = admin_client_logged.post(admin_url(Payer, "add"), payer_form(**{field: value}))
    assert response.status_code == 200
    assert error in " ".join(response.context["adminform"].form.errors[field])
    assert not Payer.objects.exists()


def test_payer_list_filters_by_type_and_searches(admin_client_logged):
    Payer.objects.create(name="Medicare Part B", payer_type="medicare")
    Payer.objects.create(name="Ohio Medicaid", payer_type="medicaid")
    Payer.objects.create(name="Acme Health", payer_type="commercial")
    response = admin_client_logged.get(admin_url(Payer), {"payer_type__exact": "medicaid"})
    assert [p.name for p in response.context["cl"].result_list] == ["Ohio Medicaid"]
    response = admin_client_logged.get(admin_url(Payer), {"q": "acme"})
    assert [p.name for p in response.context["cl"].result_list] == ["Acme Health"]


# --- demographic edits --------------------------------------------------------------------------------


def test_demographic_edit_is_editable_and_filtered(admin_client_logged):
    edit = DemographicEdit.objects.create(
        kind="diagnosis", code_from="O00", code_to="O9A", sex="F", description="Pregnancy", source="CMS MCE"
    )
    DemographicEdit.objects.create(
        kind="procedure", code_from="99381", code_to="99381", age_max=0, description="Infant", source="CPT"
    )
    response = admin_client_logged.get(admin_url(DemographicEdit), {"kind__exact": "diagnosis", "sex__exact": "F"})
    listed = list(response.context["cl"].result_list)
    assert edit in listed
    assert {(e.kind, e.sex) for e in listed} == {("diagnosis", "F")}
    data = {
        "kind": "diagnosis",
        "code_from": "O00",
        "code_to": "O9A",
        "sex": "F",
        "age_min": "12",
        "age_max": "55",
        "description": "Pregnancy, childbirth and the puerperium",
        "source": "CMS Medicare Code Editor, maternity edit",
        "hint": "Check the patient's sex and the diagnosis.",
        "active": "on",
    }
    response = admin_client_logged.post(admin_url(DemographicEdit, "change", edit.pk), data)
    assert response.status_code == 302
    edit.refresh_from_db()
    assert (edit.age_min, edit.age_max, edit.source) == (12, 55, "CMS Medicare Code Editor, maternity edit")


# --- API tokens --------------------------------------------------------------------------------------


def test_admin_creates_a_token_and_sees_the_key_once(admin_client_logged, biller, client):
    response = admin_client_logged.post(admin_url(ApiToken, "add"), {"user": biller.pk, "name": "export"}, follow=True)
    assert response.status_code == 200
    token = ApiToken.objects.get()
    assert (token.user, token.name, token.active) == (biller, "export", True)
    texts = [str(m) for m in response.context["messages"]]
    [shown] = [t for t in texts if "not be shown again" in t]
    key = re.search(r": (\S+) — copy it now", shown).group(1)
    assert key.startswith(token.prefix) and len(key) > 30
    assert token.key_hash == ApiToken.hash_key(key) != key  # only the hash is stored

    # The key works for the API (an empty batch is refused as input: 400, not 401) ...
    response = client.post(
        "/api/claims/scrub/", '{"claims": []}', content_type="application/json", HTTP_AUTHORIZATION=f"Token {key}"
    )
    assert response.status_code == 400
    assert "no claims" in response.json()["error"]
    # ... and no admin page shows it again.
    for url in (admin_url(ApiToken), admin_url(ApiToken, "change", token.pk)):
        page = admin_client_logged.get(url).content.decode()
        assert key not in page
        assert token.prefix in page


def test_token_list_shows_prefix_user_last_use_expiry_and_state(admin_client_logged, biller, admin_user):
    from datetime import timedelta

    from django.utils import timezone

    from claims.api_tokens import api_token_revoke

    ApiToken.issue(user=biller, name="live")
    expired, _ = ApiToken.issue(user=biller, name="old")
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))
    revoked, _ = ApiToken.issue(user=biller, name="gone")
    api_token_revoke(token=revoked, revoked_by=admin_user)
    response = admin_client_logged.get(admin_url(ApiToken))
    cl = response.context["cl"]
    assert cl.list_display == [
        "action_checkbox",
        "name",
        "prefix",
        "user",
        "created_at",
        "last_used_at",
        "expires_at",
        "state_label",
        "revoked_at",
    ]
    states = {token.name: cl.model_admin.state_label(token) for token in cl.result_list}
    assert states == {"live": "Active", "old": "Expired", "gone": "Revoked"}
    html = response.content.decode()
    assert "Revoke the selected API tokens" in html


def test_token_can_be_renamed_but_not_rekeyed_reactivated_or_extended(admin_client_logged, biller, admin_user):
    from claims.api_tokens import api_token_revoke

    token, _ = ApiToken.issue(user=biller, name="export")
    api_token_revoke(token=token, revoked_by=admin_user)
    token.refresh_from_db()
    old_hash, old_expiry = token.key_hash, token.expires_at
    response = admin_client_logged.post(
        admin_url(ApiToken, "change", token.pk),
        {"name": "export (old)", "active": "on", "expires_at_0": "2099-01-01", "expires_at_1": "00:00:00"},
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert (token.name, token.active, token.key_hash, token.user) == ("export (old)", False, old_hash, biller)
    assert token.expires_at == old_expiry


def test_admin_sets_the_expiry_when_issuing(admin_client_logged, biller):
    response = admin_client_logged.post(
        admin_url(ApiToken, "add"),
        {"user": biller.pk, "name": "short", "expires_at_0": "2099-06-30", "expires_at_1": "12:00:00"},
        follow=True,
    )
    assert response.status_code == 200
    token = ApiToken.objects.get()
    from django.utils import timezone

    assert timezone.localtime(token.expires_at).strftime("%Y-%m-%d %H:%M") == "2099-06-30 12:00"
    assert any("expires on 2099-06-30" in str(m) for m in response.context["messages"])


@pytest.mark.parametrize(("day", "words"), [("2001-01-01", "in the future"), ("2101-01-01", "outside the dates")])
def test_admin_refuses_an_expiry_in_the_past_or_beyond_2100(admin_client_logged, biller, day, words):
    response = admin_client_logged.post(
        admin_url(ApiToken, "add"), {"user": biller.pk, "name": "bad", "expires_at_0": day, "expires_at_1": "00:00:00"}
    )
    assert response.status_code == 200
    assert words in str(response.context["adminform"].form.errors["expires_at"])
    assert not ApiToken.objects.exists()


def test_issue_is_on_the_audit_trail(admin_client_logged, biller, admin_user):
    from audit.models import AuditEvent

    admin_client_logged.post(admin_url(ApiToken, "add"), {"user": biller.pk, "name": "export"})
    token = ApiToken.objects.get()
    event = AuditEvent.objects.get(action="api_token.issued")
    assert (event.actor, event.object_type, event.object_id) == (admin_user, "api_token", str(token.pk))
    assert token.prefix in event.summary and "biller" in event.summary
    assert token.key_hash not in str(event.data)


def test_revoke_action_revokes_records_who_and_when_and_is_on_the_trail(admin_client_logged, biller, admin_user):
    from audit.models import AuditEvent

    token, key = ApiToken.issue(user=biller, name="export")
    other, _ = ApiToken.issue(user=biller, name="keep")
    response = admin_client_logged.post(
        admin_url(ApiToken), {"action": "revoke_tokens", "_selected_action": [token.pk]}, follow=True
    )
    assert response.status_code == 200
    token.refresh_from_db()
    other.refresh_from_db()
    assert (token.active, token.revoked_by, token.state) == (False, admin_user, "revoked")
    assert token.revoked_at is not None
    assert other.state == "active"
    assert any("Revoked 1 API token" in str(m) for m in response.context["messages"])
    event = AuditEvent.objects.get(action="api_token.revoked")
    assert (event.actor, event.object_id) == (admin_user, str(token.pk))
    assert event.changes == [["API token state", "active", "revoked"]]
    # The API now refuses the key, saying why.
    api = admin_client_logged.__class__()
    answer = api.post("/api/claims/scrub/", "{}", content_type="application/json", HTTP_AUTHORIZATION=f"Token {key}")
    assert answer.status_code == 401 and "revoked" in answer.json()["error"]
    # Revoking again changes nothing and records nothing.
    response = admin_client_logged.post(
        admin_url(ApiToken), {"action": "revoke_tokens", "_selected_action": [token.pk]}, follow=True
    )
    assert any("already revoked" in str(m) for m in response.context["messages"])
    assert AuditEvent.objects.filter(action="api_token.revoked").count() == 1


def test_claims_are_read_only_in_the_admin(admin_client_logged, biller):
    from claims.choices import ClaimStatus
    from tests.claims.factories import make_claim, make_line

    claim = make_claim(biller, lines=[make_line("96372"), make_line("J8499")], status=ClaimStatus.CHECKED)
    page = admin_client_logged.get(f"/admin/claims/claim/{claim.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "J8499" in html and 'name="_save"' not in html
    assert admin_client_logged.get("/admin/claims/claim/add/").status_code == 403
    listing = admin_client_logged.get("/admin/claims/claim/", {"q": "J8499"})
    assert claim.number in listing.content.decode()


def test_patients_are_searchable_in_the_admin(admin_client_logged, db):
    from tests.claims.factories import make_patient

    make_patient(last_name="Quigley", member_id="9QX1")
    response = admin_client_logged.get("/admin/claims/patient/", {"q": "9QX1"})
    assert "Quigley" in response.content.decode()
