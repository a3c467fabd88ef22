"""The rest of the CMS-1500 (boxes 4-11d, 14, 17, 19, 22, 26, 28, 32, 33): validation, saving and reloading
through the entry page, what the rules read from them, the claim page, and the demo data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from html import unescape

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import strip_tags

from audit.models import AuditEvent as Event
from claims import services
from claims.check_input import claim_input
from claims.choices import ProviderKind, Relationship
from claims.cms1500 import CMS1500_FIELDS
from claims.models import Claim, Patient, Payer, Provider
from claims.rules.inputs import ScrubInputError, parse_claim
from claims.selectors import claim_findings
from tests.claims.factories import claim_header, make_claim, make_line, make_patient, make_payer

from .entry_helpers import entry_data
from .page_forms import form_data

NEW = reverse("claims:claim_new")
LIVE = reverse("claims:live_check")

pytestmark = pytest.mark.usefixtures("starter_data_for_module")  # tests/claims/conftest.py


@pytest.fixture
def medicare(db):
    return make_payer()


@pytest.fixture
def secondary(db):
    return make_payer("Commercial PPO (test)", "commercial", payer_id="60054")


def edit_url(claim) -> str:
    return reverse("claims:claim_edit", args=[claim.pk])


# Every box, as a biller types it (phone and ZIP with their punctuation, a state in small letters).
TYPED = {
    "patient_address_line1": "12 Main Street",
    "patient_address_line2": "Apt 4B",
    "patient_city": "Springfield",
    "patient_state": "il",
    "patient_zip_code": "62701-1234",
    "patient_phone": "(217) 555-0142",
    "patient_relationship": "01",
    "insured_last_name": "Doe",
    "insured_first_name": "John",
    "insured_address_line1": "99 Oak Avenue",
    "insured_address_line2": "",
    "insured_city": "Chicago",
    "insured_state": "IL",
    "insured_zip_code": "60601",
    "insured_group_number": "GRP-7781",
    "insured_dob": "1948-07-04",
    "insured_sex": "M",
    "other_claim_id": "PC-2026-118",
    "insured_plan_name": "Medicare Part B",
    "has_other_plan": "on",
    "other_insured_last_name": "Doe",
    "other_insured_first_name": "Jane",
    "other_insured_member_id": "XYZ123456789",
    "other_insured_group_number": "55012",
    "other_insured_plan_name": "Acme PPO Gold",
    "employment_related": "on",
    "auto_accident": "on",
    "auto_accident_state": "wi",
    "other_accident": "",
    "current_illness_date": "2026-03-01",
    "current_illness_qualifier": "431",
    "referring_qualifier": "DN",
    "referring_last_name": "Referrer",
    "referring_first_name": "Rita",
    "referring_npi": "1245678903",
    "additional_info": "Accident report on file",
    "frequency_code": "7",
    "original_reference": "PAYERICN0001",
    "patient_account_number": "ACCT-000123",
    "facility_name": "Springfield Outpatient Center",
    "facility_address_line1": "500 Hospital Drive",
    "facility_address_line2": "Suite 100",
    "facility_city": "Springfield",
    "facility_state": "IL",
    "facility_zip_code": "627011234",
    "facility_npi": "1987654328",
    "billing_name": "Springfield Family Practice",
    "billing_address_line1": "1 Clinic Way",
    "billing_address_line2": "",
    "billing_city": "Springfield",
    "billing_state": "IL",
    "billing_zip_code": "62702",
    "billing_phone": "217.555.0100",
}
# ... and as the claim keeps them.
STORED = {
    **TYPED,
    "patient_state": "IL",
    "patient_zip_code": "627011234",
    "patient_phone": "2175550142",
    "has_other_plan": True,
    "employment_related": True,
    "auto_accident": True,
    "auto_accident_state": "WI",
    "other_accident": False,
    "insured_dob": date(1948, 7, 4),
    "current_illness_date": date(2026, 3, 1),
    "billing_phone": "2175550100",
}


def every_box(secondary) -> dict:
    return {**TYPED, "secondary_payer": secondary.pk}


def saved_claim(client, payer, **boxes) -> tuple:
    data = entry_data(payer, [{"code": "99213", "charge": "120.00"}], **boxes)
    response = client.post(NEW, {**data, "action": "save"})
    return response, Claim.objects.order_by("-pk").first()


# --- saving and reloading every box through the entry page ------------------------------------------------------
def test_every_box_is_saved_and_shown_again_on_the_entry_page(biller_client, medicare, secondary):
    response, claim = saved_claim(biller_client, medicare, **every_box(secondary))
    assert response.status_code == 302, response.content.decode()[:2000]
    for name, value in STORED.items():
        assert getattr(claim, name) == value, name
    assert claim.secondary_payer == secondary
    assert set(STORED) | {"secondary_payer"} == set(CMS1500_FIELDS)  # the test covers every box

    page = form_data(biller_client.get(edit_url(claim)).content.decode())
    for name, value in STORED.items():
        shown = page.get(name, "")
        expected = {True: "on", False: ""}.get(value, value) if isinstance(value, bool) else value
        expected = expected.isoformat() if isinstance(expected, date) else expected
        assert shown == expected, name
    assert page["secondary_payer"] == str(secondary.pk)


def test_an_edit_of_a_box_is_saved_and_on_the_trail(biller_client, medicare, secondary):
    _, claim = saved_claim(biller_client, medicare, **every_box(secondary))
    data = form_data(biller_client.get(edit_url(claim)).content.decode())
    data.update(
        {"additional_info": "Corrected accident date", "frequency_code": "8", "has_other_plan": "", "action": "save"}
    )
    data.pop("has_other_plan")  # an unticked box is not posted
    assert biller_client.post(edit_url(claim), data).status_code == 302
    claim.refresh_from_db()
    assert (claim.additional_info, claim.frequency_code) == ("Corrected accident date", "8")
    assert claim.has_other_plan is False
    event = Event.objects.filter(action="claim.changed", claim_id=claim.pk).latest("pk")
    assert ["additional claim information (19)", "Accident report on file", "Corrected accident date"] in event.changes
    assert ["resubmission code (22)", "7", "8"] in event.changes


def test_relationship_self_copies_the_patient_into_the_insured_boxes(biller_client, medicare):
    boxes = {"patient_relationship": "18", "insured_last_name": "Someone Else", "patient_city": "Peoria",
             "patient_state": "IL", "patient_zip_code": "61602", "patient_address_line1": "4 Elm St"}  # fmt: skip
    response, claim = saved_claim(biller_client, medicare, **boxes)
    assert response.status_code == 302
    assert (claim.insured_last_name, claim.insured_first_name) == ("Doe", "Jane")  # the patient of entry_data
    assert (claim.insured_dob, claim.insured_sex) == (date(1950, 3, 1), "F")
    assert (claim.insured_address_line1, claim.insured_city, claim.insured_zip_code) == ("4 Elm St", "Peoria", "61602")


def test_relationship_is_self_and_the_claim_original_when_not_posted(biller_client, medicare):
    response, claim = saved_claim(biller_client, medicare)
    assert response.status_code == 302
    assert (claim.patient_relationship, claim.frequency_code) == (Relationship.SELF, "1")


def test_a_new_patient_record_gets_the_address_and_phone_of_box_5(biller_client, medicare):
    boxes = {"patient_address_line1": "4 Elm St", "patient_city": "Peoria", "patient_state": "IL",
             "patient_zip_code": "61602", "patient_phone": "309-555-0199"}  # fmt: skip
    saved_claim(biller_client, medicare, **boxes)
    patient = Patient.objects.get(member_id="1EG4TE5MK72")
    assert (patient.address_line1, patient.city, patient.state, patient.zip_code, patient.phone) == (
        "4 Elm St", "Peoria", "IL", "61602", "3095550199"
    )  # fmt: skip


def test_box_33_is_filled_from_the_practice_provider_of_the_billing_npi(biller_client, medicare):
    Provider.objects.create(
        name="Demo Billing Group", kind=ProviderKind.ORGANISATION, npi="1333444556", group_tin="311234567",
        address_line1="1 Clinic Way", city="Springfield", state="IL", zip_code="62702", phone="2175550100",
    )  # fmt: skip
    response, claim = saved_claim(biller_client, medicare, billing_npi="1333444556")
    assert response.status_code == 302
    assert (claim.billing_name, claim.billing_address_line1, claim.billing_city, claim.billing_phone) == (
        "Demo Billing Group", "1 Clinic Way", "Springfield", "2175550100"
    )  # fmt: skip
    # a box 33 typed on the claim is kept
    _, typed = saved_claim(biller_client, medicare, billing_npi="1333444556", billing_name="Our Group LLC")
    assert (typed.billing_name, typed.billing_city) == ("Our Group LLC", "Springfield")


def test_total_charge_is_the_sum_of_the_lines(biller, medicare):
    claim = make_claim(biller, lines=[make_line(charge=Decimal("120.00")), make_line("36415", charge=Decimal("9.5"))])
    assert claim.total_charge == Decimal("129.50")


# --- validation: at the field, nothing saved ---------------------------------------------------------------------
BAD_BOXES = [
    ({"patient_state": "XX"}, "patient_state", "XX is not a US state: use the two-letter USPS code, e.g. NY."),
    ({"insured_state": "Illinois", "patient_relationship": "01"}, "insured_state", "at most 2 characters"),
    ({"patient_zip_code": "6270"}, "patient_zip_code", "A ZIP code has 5 or 9 digits, e.g. 10001 or 10001-2345."),
    ({"billing_zip_code": "627011"}, "billing_zip_code", "A ZIP code has 5 or 9 digits"),
    ({"patient_phone": "555-0142"}, "patient_phone", "A phone number has 10 digits, area code first"),
    ({"billing_phone": "+1 217 555 0100"}, "billing_phone", "A phone number has 10 digits"),
    ({"referring_qualifier": "DN", "referring_last_name": "Referrer", "referring_npi": "1234567890"},
     "referring_npi", "1234567890 is not a valid NPI"),
    ({"facility_npi": "1987654321"}, "facility_npi", "1987654321 is not a valid NPI"),
    ({"frequency_code": "7"}, "original_reference",
     "A replacement of a prior claim needs the original reference number (22)"),
    ({"frequency_code": "8"}, "original_reference", "A void of a prior claim needs the original reference number"),
    ({"auto_accident": "on"}, "auto_accident_state", "An auto accident (10b) needs the state where it happened."),
    ({"other_accident": "on"}, "current_illness_date",
     "An accident (10b, 10c) needs the date of the injury (14, qualifier 431)"),
    ({"has_other_plan": "on"}, "other_insured_last_name",
     "Another plan (11d yes) needs the other insured's last name, first name, member ID (9)."),
    ({"has_other_plan": "on"}, "secondary_payer", "Another plan (11d yes) needs the other payer."),
    ({"current_illness_date": "2026-03-10", "current_illness_qualifier": "431"}, "current_illness_date",
     "The date of current illness 03/10/2026 is after the date of service 03/09/2026."),
    ({"current_illness_date": "2026-03-01"}, "current_illness_qualifier",
     "A date of current illness (14) needs its qualifier: 431 or 484."),
    ({"current_illness_qualifier": "484"}, "current_illness_date",
     "The qualifier (14) needs the date of current illness."),
    ({"referring_last_name": "Referrer", "referring_npi": "1245678903"}, "referring_qualifier",
     "A referring or ordering provider (17) needs its qualifier: DN or DK."),
    ({"referring_qualifier": "DK"}, "referring_last_name",
     "The referring or ordering provider (17) needs a last name and NPI (17b)."),
]  # fmt: skip


@pytest.mark.parametrize(("boxes", "field", "message"), BAD_BOXES)
def test_a_bad_box_is_refused_at_its_field_and_nothing_is_saved(biller_client, medicare, boxes, field, message):
    response = biller_client.post(NEW, {**entry_data(medicare, [{"code": "99213"}], **boxes), "action": "save"})
    assert response.status_code == 422
    assert not Claim.objects.exists()
    errors = response.context["form"].errors
    assert any(message in error for error in errors.get(field, [])), errors
    kept = form_data(response.content.decode())
    for name, value in boxes.items():  # nothing typed is lost
        assert kept.get(name) == value, name


def test_the_other_payer_cannot_be_the_claims_own(biller_client, medicare):
    boxes = {"has_other_plan": "on", "other_insured_last_name": "Doe", "other_insured_first_name": "J",
             "other_insured_member_id": "X1", "secondary_payer": medicare.pk}  # fmt: skip
    response = biller_client.post(NEW, {**entry_data(medicare, [{"code": "99213"}], **boxes), "action": "save"})
    assert response.status_code == 422
    assert response.context["form"].errors["secondary_payer"] == ["The other payer (9d) is the claim's own payer."]


def test_the_live_check_lists_a_bad_box_with_the_other_problems(biller_client, medicare):
    data = entry_data(medicare, [{"code": "99213"}], auto_accident="on")
    html = unescape(biller_client.post(LIVE, data).content.decode())
    assert "An auto accident (10b) needs the state where it happened." in html


def test_model_clean_says_the_same_for_a_claim_saved_without_the_form(biller, medicare):
    claim = Claim(payer=medicare, **claim_header(), frequency_code="7", auto_accident=True)
    with pytest.raises(ValidationError) as raised:
        claim.clean()
    assert set(raised.value.message_dict) == {"original_reference", "auto_accident_state", "current_illness_date"}


@pytest.mark.parametrize(
    ("model", "values", "field"),
    [
        (Payer, {"name": "P", "payer_type": "medicare", "state": "ZZ"}, "state"),
        (Payer, {"name": "P", "payer_type": "medicare", "zip_code": "1234"}, "zip_code"),
        (Provider, {"name": "D", "npi": "1234567893", "group_tin": "311234567", "phone": "12345"}, "phone"),
        (Patient, {"last_name": "D", "first_name": "J", "date_of_birth": date(1950, 1, 1), "sex": "F",
                   "member_id": "M1", "phone": "1115550100"}, "phone"),  # no area code starts with 1
    ],
)  # fmt: skip
def test_payer_provider_and_patient_addresses_are_validated(db, model, values, field):
    with pytest.raises(ValidationError) as raised:
        model(**values).full_clean()
    assert field in raised.value.message_dict


# --- the rules read them ------------------------------------------------------------------------------------------
def sent_claim(user, payer, patient, **fields):
    return make_claim(user, payer=payer, patient=patient, status="ready", lines=["99213"], **fields)


@pytest.mark.parametrize(("frequency", "reference", "flagged"), [("7", "PAYERICN0001", False), ("7", "", True),
                                                                  ("1", "", True)])  # fmt: skip
def test_a_corrected_claim_with_its_original_reference_is_no_duplicate(biller, medicare, frequency, reference, flagged):
    patient = make_patient()
    sent_claim(biller, medicare, patient)
    corrected = make_claim(biller, payer=medicare, patient=patient, lines=["99213"], frequency_code=frequency,
                           original_reference=reference)  # fmt: skip
    result = claim_findings(claim=corrected, lines=list(corrected.lines.all()))
    assert ("DUP-HISTORY" in {finding.rule for finding in result.findings}) is flagged


def test_the_engine_input_carries_the_boxes_the_rules_read(biller, medicare):
    claim = make_claim(biller, payer=medicare, frequency_code="7", original_reference="PCN9", auto_accident=True,
                       auto_accident_state="NY")  # fmt: skip
    read = claim_input(claim, claim.lines.all())
    assert (read.frequency_code, read.original_reference, read.accident_type, read.accident_state) == (
        "7", "PCN9", "auto", "NY"
    )  # fmt: skip
    assert read.replaces_earlier_claim


@pytest.mark.parametrize(
    ("boxes", "read"),
    [
        ({"auto_accident": True, "auto_accident_state": "ny"}, ("auto", "NY")),
        # the entry form says at the field that the state is missing; the check goes on without the accident
        ({"auto_accident": True, "auto_accident_state": ""}, ("", "")),
        ({"other_accident": True}, ("other", "")),
        ({}, ("", "")),
    ],
)
def test_the_engine_input_reads_the_accident_as_entered(biller, medicare, boxes, read):
    claim = make_claim(biller, payer=medicare, **boxes)
    accident = claim_input(claim, claim.lines.all())
    assert (accident.accident_type, accident.accident_state) == read


SCRUB_CLAIM = {"id": "C1", "payer_type": "medicare", "dos": "2026-03-09", "lines": [{"line": 1, "code": "99213"}]}


def test_scrub_input_fields_are_optional():
    parsed = parse_claim(SCRUB_CLAIM)
    assert (parsed.original_reference, parsed.accident_type, parsed.accident_state) == ("", "", "")
    assert not parsed.replaces_earlier_claim


def test_scrub_input_reads_another_accident_without_a_state():
    parsed = parse_claim({**SCRUB_CLAIM, "accident": {"type": "other"}})
    assert (parsed.accident_type, parsed.accident_state) == ("other", "")


@pytest.mark.parametrize(
    ("accident", "field", "message"),
    [
        ({"type": "auto"}, "accident.state", "is required for an auto accident (box 10b)"),
        ({"type": "auto", "state": ""}, "accident.state", "is required for an auto accident (box 10b)"),
        ({"type": "auto", "state": "New York"}, "accident.state", "is not a two-letter state code"),
        ({"type": "boat", "state": "NY"}, "accident.type", "must be one of auto, other"),
        ({"state": "NY"}, "accident.type", "is required"),
        ("auto", "accident", "must be a JSON object"),
    ],
)
def test_an_accident_without_its_state_is_an_input_error(accident, field, message):
    with pytest.raises(ScrubInputError) as raised:
        parse_claim({**SCRUB_CLAIM, "accident": accident})
    assert raised.value.field == field and raised.value.claim_id == "C1"
    assert message in str(raised.value)


# --- the pages ------------------------------------------------------------------------------------------------------
def test_the_entry_page_has_the_sections_and_its_script(biller_client, medicare):
    html = biller_client.get(NEW).content.decode()
    for heading in ("Patient and insured (5, 6, 4, 7, 11)", "Other insurance (11d, 9, 9a, 9d)",
                    "Condition and dates (10, 14)", "Referring or ordering provider (17, 17b)",
                    "Service facility and billing provider (32, 33)",
                    "Resubmission, account number and notes (22, 26, 19)"):  # fmt: skip
        assert f'<summary class="card-header h6 mb-0">{heading}</summary>' in html
    assert 'data-cms1500-group="insured"' in html and 'data-cms1500-group="other-plan"' in html
    assert "js/claim-cms1500.js" in html
    assert "<details" in html and " open>" not in html.split('data-cms1500')[1]  # a fresh claim: all closed


def test_a_section_holding_an_error_is_open(biller_client, medicare):
    data = entry_data(medicare, [{"code": "99213"}], auto_accident="on")
    response = biller_client.post(NEW, {**data, "action": "save"})
    html = response.content.decode()
    assert 'data-cms1500-section="condition-dates" open>' in html
    assert 'data-cms1500-section="referring">' in html


def test_the_patient_picker_offers_box_5(biller_client):
    make_patient(last_name="Zebulon", address_line1="4 Elm St", city="Peoria", state="IL", zip_code="61602",
                 phone="3095550199")  # fmt: skip
    html = biller_client.post(reverse("claims:patient_search"), {"q": "Zebulon"}).content.decode()
    assert 'data-address-line1="4 Elm St"' in html and 'data-zip-code="61602"' in html
    assert 'data-phone="3095550199"' in html


def test_the_claim_page_shows_the_boxes(biller_client, medicare, secondary):
    _, claim = saved_claim(biller_client, medicare, **every_box(secondary))
    html = biller_client.get(claim.get_absolute_url()).content.decode()
    boxes = " ".join(strip_tags(unescape(html)).split())
    for text in (
        "12 Main Street, Apt 4B, Springfield, IL 62701-1234 · (217) 555-0142",
        "Relationship to insured Spouse",
        "Doe, John",
        "Doe, Jane, XYZ123456789, Commercial PPO (test), 55012, Acme PPO Gold",
        "employment, auto accident (WI)",
        "03/01/2026 (qual. 431)",
        "DN Referrer, Rita · NPI 1245678903",
        "Accident report on file",
        "7 · replacement of a prior claim, original reference PAYERICN0001",
        "ACCT-000123",
        "Total charge $120.00",
        "Springfield Outpatient Center · 500 Hospital Drive, Suite 100, Springfield, IL 62701-1234 · NPI 1987654328",
        "Springfield Family Practice · 1 Clinic Way, Springfield, IL 62702 · (217) 555-0100",
    ):
        assert text in boxes, text


# --- demo data --------------------------------------------------------------------------------------------------------
def test_demo_providers_have_an_address_and_phone(db):
    from io import StringIO

    from django.core.management import call_command

    call_command("load_demo_providers", stdout=StringIO())
    group = Provider.objects.get(kind=ProviderKind.ORGANISATION)
    assert group.address_line1 and group.city and group.state and group.zip_code and group.phone
    for provider in Provider.objects.all():
        provider.full_clean()


# --- the shared records -------------------------------------------------------------------------------------------
def test_a_supervisor_corrects_a_patient_address_on_the_trail(supervisor):
    patient = make_patient()
    services.patient_update(patient=patient, user=supervisor, changes={"city": "Peoria", "phone": "3095550199"})
    patient.refresh_from_db()
    assert (patient.city, patient.phone) == ("Peoria", "3095550199")
    event = Event.objects.filter(action="patient.changed").latest("pk")
    assert ["patient record city", "", "Peoria"] in event.changes


def test_a_new_patient_record_without_an_address_has_no_empty_changes_on_the_trail(biller):
    patient = services.patient_add(
        patient=Patient(last_name="Doe", first_name="J", date_of_birth=date(1950, 1, 1), sex="F", member_id="m9"),
        user=biller,
    )
    labels = [label for label, _, _ in Event.objects.get(action="patient.created", object_id=str(patient.pk)).changes]
    assert labels == ["member ID", "last name", "first name", "date of birth", "sex"]


def test_a_provider_address_is_kept_through_the_service(biller):
    provider = Provider(name="Group", kind=ProviderKind.ORGANISATION, npi="1333444556", group_tin="311234567",
                        address_line1="1 Clinic Way", city="Springfield", state="IL", zip_code="62702",
                        phone="2175550100")  # fmt: skip
    services.provider_save(provider=provider, user=biller)
    event = Event.objects.filter(action="provider.created").latest("pk")
    assert ["provider phone", None, "2175550100"] in event.changes
