"""Claim entry: the page, the live check, saving, checking and submitting, and every validation message."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims.choices import ClaimStatus
from claims.models import Claim, ClaimFinding, Patient
from tests.claims.factories import make_claim, make_line, make_patient, make_payer

from .entry_helpers import entry_data, rules_under_line
from .page_forms import form_data

NEW = reverse("claims:claim_new")
LIVE = reverse("claims:live_check")
ROUTE = "DRG-ROUTE-MISMATCH"
ORAL = "DRG-ORAL-MEDICARE"


pytestmark = pytest.mark.usefixtures("starter_data_for_module")  # tests/claims/conftest.py


@pytest.fixture
def medicare(db):
    return make_payer()


def oral_drug_claim(payer, **header):
    return entry_data(
        payer,
        [{"code": "96372", "charge": "25.00"}, {"code": "J8499", "charge": "10.00"}],
        **header,
    )


# --- the page ------------------------------------------------------------------------------------------
def test_entry_page_needs_login(client):
    response = client.get(NEW)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_entry_page_needs_the_add_permission(client, outsider):
    client.force_login(outsider)
    assert client.get(NEW).status_code == 403


def test_new_claim_page_has_one_line_and_the_hooks(biller_client):
    html = biller_client.get(NEW).content.decode()
    assert html.count('class="claim-line') == 2  # the first line and the template for new ones
    assert 'data-line="1"' in html
    assert 'id="findings-lines-0"' in html
    assert 'id="line-template"' in html
    assert 'data-risk="unchecked"' in html


def test_fields_follow_the_paper_form(biller_client):
    """Tab order is the document order: payer, 1a, 2, 3, 21, 23, lines (24A, 24B, 24D, 24E, 24F, 24G), 24J, 25, 33a."""
    html = biller_client.get(NEW).content.decode()
    page = re.sub(r'<template id="line-template">.*?</template>', "", html, flags=re.S)
    names = re.findall(r'<(?:input|select|textarea)[^>]*name="([^"]+)"', page)
    wanted = [
        "payer",
        "member_id",
        "patient_last_name",
        "patient_first_name",
        "patient_dob",
        "patient_sex",
        "diagnosis_a",
        "diagnosis_l",
        "prior_auth_number",
        "date_of_service",
        "place_of_service",
        "lines-0-date_of_service",
        "lines-0-place_of_service",
        "lines-0-code",
        "lines-0-modifier_1",
        "lines-0-pointer_1",
        "lines-0-charge",
        "lines-0-units",
        "lines-0-ndc",
        "rendering_npi",
        "group_tin",
        "billing_npi",
    ]
    positions = [names.index(name) for name in wanted]
    assert positions == sorted(positions)


def test_new_claim_from_a_claim_is_prefilled_with_its_patient_as_entered(biller_client, biller, db):
    patient = make_patient(last_name="Roe", first_name="Rita", date_of_birth="1948-05-02", member_id="7AB1CD2EF34")
    claim = make_claim(biller, patient=patient)
    html = biller_client.get(NEW, {"from_claim": claim.pk}).content.decode()
    assert 'value="7AB1CD2EF34"' in html and 'value="Roe"' in html and 'value="1948-05-02"' in html


def test_new_claim_for_this_patient_fills_box_5_too(biller_client, biller, db):
    claim = make_claim(biller, patient=make_patient(last_name="Roe", member_id="7AB1CD2EF34"))
    Claim.objects.filter(pk=claim.pk).update(
        patient_address_line1="12 Elm St", patient_city="Albany", patient_state="NY", patient_zip_code="12203",
        patient_phone="5185550100",
    )  # fmt: skip
    html = biller_client.get(NEW, {"from_claim": claim.pk}).content.decode()
    for name, value in [("address_line1", "12 Elm St"), ("city", "Albany"), ("state", "NY"), ("zip_code", "12203")]:
        assert re.search(rf'<input [^>]*name="patient_{name}"[^>]*value="{value}"', html), name
    assert re.search(r'<input [^>]*name="patient_phone"[^>]*value="[^"]*518[^"]*"', html)


def test_prefill_from_a_claim_the_biller_cannot_see_is_not_found(biller_client, other_biller, db):
    patient = make_patient(last_name="Roe", member_id="7AB1CD2EF34")
    theirs = make_claim(other_biller, patient=patient)
    response = biller_client.get(NEW, {"from_claim": theirs.pk})
    assert response.status_code == 404 and "7AB1CD2EF34" not in response.content.decode()
    for bad in ("abc", "", "²", "99999999"):
        assert biller_client.get(NEW, {"from_claim": bad}).status_code == 404


def test_prefill_by_patient_id_is_gone(biller_client, db):
    patient = make_patient(last_name="Roe", member_id="7AB1CD2EF34")
    html = biller_client.get(NEW, {"patient": patient.pk}).content.decode()
    assert "7AB1CD2EF34" not in html and 'value="Roe"' not in html


# --- the live check ------------------------------------------------------------------------------------
def test_live_check_puts_each_finding_under_its_line(biller_client, medicare):
    response = biller_client.post(LIVE, oral_drug_claim(medicare))
    assert response.status_code == 200
    html = response.content.decode()
    assert ROUTE in rules_under_line(html, "lines-0")
    assert ROUTE not in rules_under_line(html, "lines-1")
    assert ORAL in rules_under_line(html, "lines-1")
    assert 'hx-swap-oob="true"' in html
    assert 'data-risk="high"' in html
    assert 'data-category="DRUG"' in html
    assert not Claim.objects.exists()  # the live check saves nothing


def test_fixing_the_line_makes_its_warning_disappear(biller_client, medicare):
    data = oral_drug_claim(medicare)
    data["lines-1-code"] = "J1100"
    html = biller_client.post(LIVE, data).content.decode()
    assert ROUTE not in html and ORAL not in html


def test_live_check_marks_drug_lines(biller_client, medicare):
    data = entry_data(medicare, [{"code": "99213"}, {"code": "J1100", "units": "10"}])
    html = biller_client.post(LIVE, data).content.decode()
    assert re.search(r'id="findings-lines-0" data-drug="0"', html)
    assert re.search(r'id="findings-lines-1" data-drug="1"', html)


def test_removed_line_is_not_checked(biller_client, medicare):
    data = oral_drug_claim(medicare)
    data["lines-1-DELETE"] = "on"
    html = biller_client.post(LIVE, data).content.decode()
    assert ROUTE not in html
    assert 'id="findings-lines-1"' not in html  # no box for a removed line


def test_live_check_waits_for_payer_and_date(biller_client, medicare):
    data = oral_drug_claim(medicare)
    data.pop("payer")
    html = biller_client.post(LIVE, data).content.decode()
    assert "Enter the payer to see the warnings" in html
    assert 'data-rule="' not in html


def test_diagnosis_boxes_are_icd10cm_look_ups_of_the_date_of_service(biller_client):
    html = biller_client.get(NEW).content.decode()
    lookup = reverse("codes:diagnosis_lookup")
    for letter in "abcdefghijkl":
        box = re.search(rf'<input [^>]*id="id_diagnosis_{letter}"[^>]*>', html)[0]
        assert "data-code-autocomplete" in box and f'hx-get="{lookup}"' in box
        assert 'hx-include="#id_date_of_service"' in box and f'hx-target="#id_diagnosis_{letter}-suggestions"' in box
        assert f'id="id_diagnosis_{letter}-suggestions"' in html


def test_words_left_in_a_diagnosis_box_are_not_saved(biller_client, medicare):
    """Words typed to look a code up are not a code: a clear message at the box, nothing saved."""
    data = entry_data(medicare, [{"code": "99213"}], diagnosis_a="leiomyoma of uterus")
    response = biller_client.post(NEW, {**data, "action": "save"})
    assert "A diagnosis code has at most 8 characters (with the dot)." in response.content.decode()
    assert not Claim.objects.exists()


def test_live_check_shows_entry_problems_at_the_line(biller_client, medicare):
    data = oral_drug_claim(medicare)
    data["lines-1-pointer_1"] = "C"
    html = biller_client.post(LIVE, data).content.decode()
    box = html.split('id="findings-lines-1"')[1]
    assert "Pointer C: no diagnosis C is entered in box 21." in box
    assert ORAL in rules_under_line(html, "lines-1")  # the rest of the line is still checked


@pytest.mark.parametrize(
    ("change", "box", "field_id", "message"),
    [
        ({"lines-1-pointer_1": "C"}, 'id="findings-lines-1"', "id_lines-1-pointer_1", "Pointer C: no diagnosis C"),
        ({"lines-0-units": "0"}, 'id="findings-lines-0"', "id_lines-0-units", "Units (24G): Units must be above 0."),
        ({"billing_npi": "12345"}, 'id="claim-summary"', "id_billing_npi", "Billing NPI (33a): An NPI has 10 digits."),
    ],
)
def test_entry_problems_link_to_their_field_in_the_live_check_and_on_the_page(
    biller_client, medicare, change, box, field_id, message
):
    data = {**oral_drug_claim(medicare), **change}
    live = biller_client.post(LIVE, data).content.decode()
    page = biller_client.post(NEW, {**data, "action": "save"}).content.decode()
    for html in (live, page):
        section = html.split(box)[1]
        link = re.search(r'data-entry-error>.*?<a class="alert-link[^"]*" href="#([^"]+)">([^<]+)</a>', section, re.S)
        assert link, f"no linked entry problem after {box}"
        assert link.group(1) == field_id
        assert message in link.group(2)
        assert f'id="{field_id}"' in page  # the link leads to the field on the page


def test_live_check_keeps_typed_reasons(biller_client, medicare):
    data = oral_drug_claim(medicare)
    data[f"ack-lines-1-{ORAL}"] = "Patient asked for a denial for the secondary payer"
    html = biller_client.post(LIVE, data).content.decode()
    assert "Patient asked for a denial for the secondary payer</textarea>" in html


def test_live_check_uses_the_patients_sent_claims_as_history(biller_client, biller, medicare):
    patient = Patient.objects.create(
        last_name="Doe", first_name="Jane", date_of_birth="1950-03-01", sex="F", member_id="1EG4TE5MK72"
    )
    make_claim(biller, patient=patient, lines=["99213"], status=ClaimStatus.READY)
    data = entry_data(medicare, [{"code": "99213"}])
    html = biller_client.post(LIVE, data).content.decode()
    assert "Known patient Doe, Jane: 1 other claim" in html


def test_the_known_patient_notice_counts_only_claims_the_biller_may_see(biller_client, biller, other_biller, medicare):
    patient = make_patient(member_id="1EG4TE5MK72", date_of_birth="1950-03-01")  # the patient the form names
    make_claim(other_biller, patient=patient)
    make_claim(other_biller, patient=patient)
    make_claim(biller, patient=patient)
    html = biller_client.post(LIVE, oral_drug_claim(medicare)).content.decode()
    assert re.search(r"Known patient [^:]+: 1 other claim;", html)


def test_live_check_of_another_billers_claim_is_refused(client, biller, medicare, django_user_model):
    from django.contrib.auth.models import Group

    other = django_user_model.objects.create_user("other-biller")
    other.groups.add(Group.objects.get(name="Billing staff"))
    claim = make_claim(biller)
    client.force_login(other)
    response = client.post(LIVE, {**oral_drug_claim(medicare), "claim_id": claim.pk})
    assert response.status_code == 404


def test_live_check_costs_the_same_queries_for_1_and_50_lines(biller_client, medicare):
    def queries(count: int) -> int:
        lines = [{"code": "99213" if i % 2 else "J1100"} for i in range(count)]
        with CaptureQueriesContext(connection) as captured:
            response = biller_client.post(LIVE, entry_data(medicare, lines))
        assert response.status_code == 200
        return len(captured)

    queries(1)  # warm-up: caches filled once per process are not the live check's cost
    assert queries(1) == queries(50)


def test_entry_page_costs_the_same_queries_for_1_and_50_lines(biller_client, biller, medicare):
    def queries(count: int) -> int:
        claim = make_claim(biller, payer=medicare, lines=[make_line("99213") for _ in range(count)])
        with CaptureQueriesContext(connection) as captured:
            response = biller_client.get(reverse("claims:claim_edit", args=[claim.pk]))
        assert response.status_code == 200
        assert response.content.decode().count('class="claim-line') == count + 1
        return len(captured)

    queries(1)
    assert queries(1) == queries(50)


# --- validation messages --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"patient_dob": "2026-04-01"}, "patient_dob", "is after the date of service"),
        ({"patient_dob": "2099-01-01"}, "patient_dob", "The date of birth is in the future."),
        ({"lines-0-pointer_1": "D"}, "lines-0-pointer_1", "Pointer D: no diagnosis D is entered in box 21."),
        ({"lines-1-ndc": "0409-37-01"}, "lines-1-ndc", "is not in a labeler form"),
        ({"lines-1-ndc": "0409379501"}, "lines-1-ndc", "A 10-digit NDC is ambiguous"),
        ({"lines-1-ndc": "ABC"}, "lines-1-ndc", "An NDC has only digits and dashes"),
        ({"lines-0-units": "two"}, "lines-0-units", "Enter a number."),
        ({"lines-0-units": "0"}, "lines-0-units", "Units must be above 0."),
        ({"lines-0-charge": "-5"}, "lines-0-charge", "A charge cannot be negative."),
        ({"lines-0-code": "9637"}, "lines-0-code", "is not a CPT or HCPCS code"),
        ({"lines-0-modifier_1": "2"}, "lines-0-modifier_1", "is not a modifier"),
        (
            {"lines-0-modifier_1": "25", "lines-0-modifier_2": "25"},
            "lines-0-modifier_2",
            "Modifier 25 is entered twice.",
        ),
        ({"billing_npi": "12345"}, "billing_npi", "An NPI has 10 digits."),
        ({"group_tin": "31-12"}, "group_tin", "A tax ID has 9 digits."),
        ({"place_of_service": "1A"}, "place_of_service", "A place of service is a two-digit CMS code"),
        ({"diagnosis_a": "", "diagnosis_b": "E11.9"}, "diagnosis_a", "Diagnosis A is empty but later ones are not"),
        ({"diagnosis_a": "12345"}, "diagnosis_a", "is not an ICD-10-CM code"),
        ({"lines-1-dose_discarded": "5"}, "lines-1-dose_amount", "Enter the dose given as well"),
        ({"lines-1-dose_amount": "5"}, "lines-1-dose_unit", "Say the unit of the dose"),
    ],
)
def test_bad_input_gets_a_message_at_the_field_and_keeps_what_was_typed(
    biller_client, medicare, change, field, message
):
    data = {**oral_drug_claim(medicare), **change}
    response = biller_client.post(NEW, {**data, "action": "save"})
    assert response.status_code == 422
    html = response.content.decode()
    assert message in html
    assert re.search(
        rf'name="{field}"[^>]*class="[^"]*is-invalid|class="[^"]*is-invalid[^"]*"[^>]*name="{field}"', html
    )
    assert 'value="Jane"' in html and 'value="J8499"' in html  # nothing typed is lost
    assert not Claim.objects.exists()


def test_a_claim_needs_a_line(biller_client, medicare):
    data = oral_drug_claim(medicare)
    data["lines-0-DELETE"] = data["lines-1-DELETE"] = "on"
    response = biller_client.post(NEW, {**data, "action": "save"})
    assert response.status_code == 422
    assert "Enter at least one service line." in response.content.decode()


def test_ndc_in_a_labeler_form_is_zero_filled(biller_client, medicare):
    data = entry_data(medicare, [{"code": "J1100", "ndc": "0409-3795-01", "ndc_unit": "ML", "ndc_quantity": "1"}])
    biller_client.post(NEW, {**data, "action": "save"})
    assert Claim.objects.get().lines.get().ndc == "00409379501"


# --- save, check, submit -----------------------------------------------------------------------------
def test_save_creates_a_draft_with_its_patient_and_lines(biller_client, biller, medicare):
    response = biller_client.post(NEW, {**oral_drug_claim(medicare), "action": "save"})
    claim = Claim.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("claims:claim_edit", args=[claim.pk])
    assert claim.status == ClaimStatus.DRAFT and claim.created_by == biller
    assert [(line.number, line.code, line.dx_pointers) for line in claim.lines.all()] == [
        (1, "96372", "A"),
        (2, "J8499", "A"),
    ]
    assert claim.patient.member_id == "1EG4TE5MK72" and claim.diagnoses == ["J45.909"]


def test_check_button_saves_checks_and_shows_the_findings_without_javascript(biller_client, medicare):
    response = biller_client.post(NEW, {**oral_drug_claim(medicare), "action": "check"}, follow=True)
    claim = Claim.objects.get()
    assert claim.status == ClaimStatus.CHECKED and claim.risk == "high"
    assert set(claim.findings.values_list("rule", flat=True)) >= {ROUTE, ORAL}
    html = response.content.decode()
    assert ROUTE in rules_under_line(html, "lines-0")
    assert ORAL in rules_under_line(html, "lines-1")
    assert "checked: " in html


def test_submit_with_errors_left_is_refused_and_loses_nothing(biller_client, medicare):
    response = biller_client.post(NEW, {**oral_drug_claim(medicare), "action": "submit"}, follow=True)
    claim = Claim.objects.get()
    assert claim.status == ClaimStatus.CHECKED
    html = response.content.decode()
    assert "saved but not submitted" in html and ROUTE in html


def test_submit_with_every_error_acknowledged_goes_to_flagged(biller_client, medicare):
    biller_client.post(NEW, {**oral_drug_claim(medicare), "action": "check"})
    claim = Claim.objects.get()
    data = {**oral_drug_claim(medicare), "version": claim.version, "claim_id": claim.pk, "action": "submit"}
    data["lines-TOTAL_FORMS"] = "2"
    for finding in claim.findings.all():
        data[f"ack-lines-{finding.line_number - 1}-{finding.rule}"] = f"Reason for {finding.rule}"
    response = biller_client.post(reverse("claims:claim_edit", args=[claim.pk]), data)
    claim.refresh_from_db()
    assert response.status_code == 302 and response["Location"] == claim.get_absolute_url()
    assert claim.status == ClaimStatus.FLAGGED
    reasons = dict(claim.findings.values_list("rule", "override_reason"))
    assert reasons[ORAL] == f"Reason for {ORAL}"


def test_clean_claim_submits_to_ready(biller_client, medicare):
    data = entry_data(medicare, [{"code": "99213"}], diagnosis_a="J45.909")
    response = biller_client.post(NEW, {**data, "action": "submit"})
    claim = Claim.objects.get()
    assert claim.status == ClaimStatus.READY, list(claim.findings.values_list("rule", "message"))
    assert response["Location"] == claim.get_absolute_url()
    assert list(claim.status_changes.values_list("to_status", flat=True)) == ["draft", "ready"]


def test_editing_a_checked_claim_returns_it_to_draft(biller_client, medicare):
    biller_client.post(NEW, {**oral_drug_claim(medicare), "action": "check"})
    claim = Claim.objects.get()
    data = {**oral_drug_claim(medicare), "version": claim.version, "claim_id": claim.pk, "action": "save"}
    data["lines-1-code"] = "J1100"
    biller_client.post(reverse("claims:claim_edit", args=[claim.pk]), data)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.DRAFT
    assert list(claim.lines.values_list("code", flat=True)) == ["96372", "J1100"]


def test_concurrent_edit_is_refused_and_keeps_the_typed_form(biller_client, medicare):
    biller_client.post(NEW, {**oral_drug_claim(medicare), "action": "save"})
    claim = Claim.objects.get()
    Claim.objects.filter(pk=claim.pk).update(version=claim.version + 1)  # someone else saved meanwhile
    data = {**oral_drug_claim(medicare), "version": claim.version, "claim_id": claim.pk, "action": "save"}
    data["lines-1-code"] = "J1100"
    response = biller_client.post(reverse("claims:claim_edit", args=[claim.pk]), data)
    assert response.status_code == 409
    html = response.content.decode()
    assert "was changed by someone else" in html and 'value="J1100"' in html
    assert list(claim.lines.values_list("code", flat=True)) == ["96372", "J8499"]


# --- edit conflicts: a save of another version than the claim's is refused, with everything typed kept -----
def edit_url(claim) -> str:
    return reverse("claims:claim_edit", args=[claim.pk])


def opened(client, claim) -> dict[str, str]:
    """The edit page's form as a browser would post it now (line ids, version, claim id)."""
    data = form_data(client.get(edit_url(claim)).content.decode())
    assert data["version"] == str(Claim.objects.get(pk=claim.pk).version) and data["lines-0-id"]
    return data


@pytest.fixture
def two_line_claim(biller_client, medicare):
    biller_client.post(NEW, {**oral_drug_claim(medicare), "action": "save"})
    return Claim.objects.get()


def test_an_edit_updates_lines_in_place(biller_client, two_line_claim):
    claim = two_line_claim
    ids = list(claim.lines.values_list("pk", flat=True))
    data = opened(biller_client, claim)
    data.update({"lines-1-code": "J1100", "action": "save"})
    assert biller_client.post(edit_url(claim), data).status_code == 302
    assert list(claim.lines.values_list("pk", "code")) == [(ids[0], "96372"), (ids[1], "J1100")]
    data = opened(biller_client, claim)  # and again: the ids the page gives are still the lines' ids
    data.update({"lines-0-DELETE": "on", "action": "save"})
    assert biller_client.post(edit_url(claim), data).status_code == 302
    assert list(claim.lines.values_list("pk", "number", "code")) == [(ids[1], 1, "J1100")]


def _someone_else(claim, change) -> None:
    """Another user (a supervisor) opens the claim, changes it and saves, through the page."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    other = get_user_model().objects.create_user("supervisor.other")
    other.groups.add(Group.objects.get(name="Supervisors"))
    client = Client()
    client.force_login(other)
    data = opened(client, claim)
    change(data)
    data["action"] = "save"
    assert client.post(edit_url(claim), data).status_code == 302


def _add_line(data: dict[str, str]) -> None:
    index = int(data["lines-TOTAL_FORMS"])
    data.update({f"lines-{index}-code": "99213", f"lines-{index}-units": "1", f"lines-{index}-charge": "80.00"})
    data["lines-TOTAL_FORMS"] = str(index + 1)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda data: data.update({"lines-0-charge": "99.00"}), id="line-edited"),
        pytest.param(lambda data: data.update({"lines-1-DELETE": "on"}), id="line-deleted"),
        pytest.param(_add_line, id="line-added"),
        pytest.param(lambda data: data.update({"patient_first_name": "Janet"}), id="header-edited"),
    ],
)
def test_a_stale_save_is_refused_and_keeps_everything_typed(biller_client, two_line_claim, change):
    claim = two_line_claim
    mine = opened(biller_client, claim)  # the biller opens the claim ...
    _someone_else(claim, change)  # ... someone else saves it meanwhile ...
    theirs = list(claim.lines.values_list("pk", "number", "code", "charge"))
    version = Claim.objects.get(pk=claim.pk).version
    mine.update({"lines-1-code": "J1100", "lines-1-narrative": "typed by the biller", "action": "save"})
    response = biller_client.post(edit_url(claim), mine)  # ... and the biller saves the old version
    html = response.content.decode()
    assert response.status_code == 409
    assert "was changed by someone else" in html and "reload the claim" in html
    assert "Select a valid choice" not in html
    kept = form_data(html)
    assert kept["lines-1-code"] == "J1100" and kept["lines-1-narrative"] == "typed by the biller"
    assert kept["lines-0-code"] == "96372" and kept["version"] == mine["version"]
    assert list(claim.lines.values_list("pk", "number", "code", "charge")) == theirs  # the other save stands
    assert Claim.objects.get(pk=claim.pk).version == version


@pytest.mark.parametrize("version", [None, "", "abc", "-1", "0x2", "١"])
def test_a_save_without_a_usable_version_is_refused(biller_client, two_line_claim, version):
    claim = two_line_claim
    data = opened(biller_client, claim)
    data.update({"lines-0-code": "J1100", "action": "save"})
    if version is None:
        del data["version"]
    else:
        data["version"] = version
    response = biller_client.post(edit_url(claim), data)
    assert response.status_code == 409 and "reload the claim" in response.content.decode()
    assert form_data(response.content.decode())["lines-0-code"] == "J1100"
    assert list(claim.lines.values_list("code", flat=True)) == ["96372", "J8499"]
    assert Claim.objects.get(pk=claim.pk).version == claim.version


def test_flagged_claim_cannot_be_edited(biller_client, biller, medicare):
    claim = make_claim(biller, payer=medicare, status=ClaimStatus.FLAGGED)
    response = biller_client.get(reverse("claims:claim_edit", args=[claim.pk]))
    assert response.status_code == 302 and response["Location"] == claim.get_absolute_url()


def test_another_billers_claim_is_not_found(client, biller, medicare, django_user_model):
    from django.contrib.auth.models import Group

    other = django_user_model.objects.create_user("other-biller")
    other.groups.add(Group.objects.get(name="Billing staff"))
    claim = make_claim(biller, payer=medicare)
    client.force_login(other)
    assert client.get(reverse("claims:claim_edit", args=[claim.pk])).status_code == 404


def test_supervisor_may_edit_any_claim(client, supervisor, biller, medicare):
    claim = make_claim(biller, payer=medicare)
    client.force_login(supervisor)
    assert client.get(reverse("claims:claim_edit", args=[claim.pk])).status_code == 200


def test_edit_page_shows_the_stored_reasons(biller_client, biller, medicare):
    claim = make_claim(biller, payer=medicare, lines=[make_line("96372"), make_line("J8499")])
    ClaimFinding.objects.create(
        claim=claim, line_number=2, rule=ORAL, category="DRUG", severity="ERROR", message="m", override_reason="GY"
    )
    html = biller_client.get(reverse("claims:claim_edit", args=[claim.pk])).content.decode()
    assert ORAL in rules_under_line(html, "lines-1")
    assert f'name="ack-lines-1-{ORAL}"' in html and ">GY</textarea>" in html


def test_claim_level_error_is_acknowledged_at_the_summary(biller_client, medicare):
    data = entry_data(medicare, [{"code": "99213"}], diagnosis_a="J45.90")  # a header, not a billable code
    html = biller_client.post(LIVE, data).content.decode()
    summary = html.split('id="findings-lines-0"')[0]
    assert 'data-rule="FMT-DX-INVALID"' in summary and 'name="ack-claim-FMT-DX-INVALID"' in summary
    response = biller_client.post(NEW, {**data, "action": "submit", "ack-claim-FMT-DX-INVALID": "Payer's own list"})
    claim = Claim.objects.get()
    assert response.status_code == 302 and claim.status == ClaimStatus.FLAGGED
    finding = claim.findings.get(rule="FMT-DX-INVALID")
    assert finding.line_number is None and finding.override_reason == "Payer's own list"


def test_add_line_without_javascript_keeps_the_form_and_adds_a_blank_line(biller_client, medicare):
    data = {**oral_drug_claim(medicare), "action": "add_line"}
    response = biller_client.post(NEW, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="lines-TOTAL_FORMS" value="3"' in html and 'id="line-lines-2"' in html
    assert 'value="J8499"' in html and 'value="Jane"' in html
    assert not Claim.objects.exists()


def test_drug_fields_are_marked_for_hiding_on_other_lines_only(biller_client, biller, medicare):
    claim = make_claim(biller, payer=medicare, lines=[make_line("99213"), make_line("J1100")])
    html = biller_client.get(reverse("claims:claim_edit", args=[claim.pk])).content.decode()
    first, second = html.split('id="line-lines-1"')[0], html.split('id="line-lines-1"')[1].split("line-template")[0]
    assert "data-drug-hidden" in first.split('id="line-lines-0"')[1]
    assert "data-drug-hidden" not in second


LINE_CASES = [
    {},
    {"lines-0-pointer_1": "D"},
    {"lines-0-pointer_1": "a", "lines-0-pointer_2": "A"},
    {"lines-1-ndc": "0409-3795-01", "lines-1-ndc_unit": "ML", "lines-1-ndc_quantity": "1.5"},
    {"lines-1-ndc": "0409379501"},
    {"lines-0-units": "two", "lines-0-charge": ""},
    {"lines-0-units": "0", "lines-0-charge": "-5"},
    {"lines-0-code": "inj musc"},
    {"lines-0-modifier_1": "25", "lines-0-modifier_2": "25", "lines-0-modifier_3": "5"},
    {"lines-1-dose_discarded": "5", "lines-1-container": "jar"},
    {"lines-1-dose_amount": "5", "lines-1-dose_unit": "MG", "lines-1-date_of_service": "2026-03-10"},
    {"lines-1-place_of_service": "2", "lines-1-narrative": "dexamethasone 4 mg IM"},
    {"lines-1-DELETE": "on"},
    {"lines-TOTAL_FORMS": "3", "lines-2-units": "1"},  # a blank new line
]


@pytest.mark.parametrize("change", LINE_CASES)
def test_live_reader_reads_lines_as_the_formset_does(medicare, change):
    """The live check reads posted lines without forms; it must clean them exactly as saving does."""
    from django.http import QueryDict

    from claims import services
    from claims.entry import formset_readings
    from claims.forms import ClaimForm, LineFormSet, read_lines

    data = QueryDict(mutable=True)
    for key, value in {**oral_drug_claim(medicare), **change}.items():
        data[key] = str(value)
    form = ClaimForm(data, instance=Claim())
    form.is_valid()
    formset = LineFormSet(data, instance=form.instance, prefix="lines", diagnoses=form.diagnosis_letters())
    formset.is_valid()
    by_forms = formset_readings(formset)
    by_reader = read_lines(data, form.diagnosis_letters())

    def summary(readings):
        return [
            (r.prefix, r.deleted, r.blank, sorted(r.errors), services.line_fields(r.line) if r.line else None)
            for r in readings
        ]

    assert summary(by_reader) == summary(by_forms)


def test_an_added_line_left_blank_is_ignored_on_save(biller_client, medicare):
    data = {**oral_drug_claim(medicare), "lines-TOTAL_FORMS": "3", "lines-2-units": "1", "action": "save"}
    response = biller_client.post(NEW, data)
    assert response.status_code == 302
    assert list(Claim.objects.get().lines.values_list("code", flat=True)) == ["96372", "J8499"]


def test_units_and_charge_are_required_on_a_line(biller_client, medicare):
    data = {**oral_drug_claim(medicare), "lines-0-units": "", "lines-0-charge": "", "action": "save"}
    html = biller_client.post(NEW, data).content.decode()
    assert "Enter the line&#x27;s charge." in html and "This field is required." in html


def test_live_check_says_which_checks_did_not_run(biller_client, medicare):
    """Starter data only (no CPT code set, no fee-schedule file of the year): CPT validity is not checked
    and the summary says so, with the lines; the risk badge does not read "no risk"."""
    html = biller_client.post(LIVE, entry_data(medicare, [{"code": "99213"}])).content.decode()
    summary = html.split('id="claim-summary"', 1)[1].split("</section>", 1)[0]
    text = " ".join(re.sub(r"<[^>]+>", " ", summary).split())
    assert "CPT code validity (line 1): no CPT code set loaded" in text
    assert 'data-unchecked-check="CODE_VALIDITY"' in summary
    assert 'data-risk="none"' in summary and 'data-not-run="1"' in summary
    assert "No errors or warnings; 1 check not run" in text
