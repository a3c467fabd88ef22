"""The entry form's patient picker: which patients a search finds, and what each offered patient carries."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims.choices import PayerType
from claims.models import Patient
from claims.selectors import PATIENTS_OFFERED, patient_q

from .factories import make_claim, make_patient, make_payer

pytestmark = pytest.mark.django_db

URL = reverse("claims:patient_search")


def found(text: str) -> list[str]:
    return list(Patient.objects.filter(patient_q(text)).order_by("member_id").values_list("member_id", flat=True))


def offered(response) -> list[str]:
    """The patient ids offered, in order (data-patient-option of each option button)."""
    assert response.status_code == 200
    return re.findall(r'data-patient-option="(\d+)"', response.content.decode())


def option_html(response, patient: Patient) -> str:
    match = re.search(rf'<button[^>]*data-patient-option="{patient.pk}".*?</button>', response.content.decode(), re.S)
    assert match, f"patient {patient.pk} not offered"
    return match.group(0)


@pytest.fixture
def garcias():
    return [
        make_patient(last_name="Garcia", first_name="Maria", member_id="AA100", date_of_birth=date(1958, 3, 14)),
        make_patient(last_name="Garcia", first_name="Luis", member_id="AB200", date_of_birth=date(1961, 7, 2)),
        make_patient(last_name="Garcias", first_name="Maria", member_id="BB300", date_of_birth=date(1990, 1, 5)),
    ]


# --- what a search finds ----------------------------------------------------------------------------------
def test_member_id_prefix_in_any_case(garcias):
    assert found("aa1") == ["AA100"]
    assert found("ab2") == ["AB200"]


def test_name_words_must_all_match_in_any_order(garcias):
    assert found("garcia") == ["AA100", "AB200", "BB300"]
    assert found("Garcia, Maria") == ["AA100", "BB300"]
    assert found("maria garcias") == ["BB300"]
    assert found("garcia nobody") == []


@pytest.mark.parametrize("born", ["03/14/1958", "1958-03-14", "03-14-1958"])
def test_a_date_of_birth_narrows_a_name_or_stands_alone(garcias, born):
    assert found(f"Garcia {born}") == ["AA100"]
    assert found(born) == ["AA100"]


def test_a_date_that_is_no_date_finds_nobody_by_birth(garcias):
    assert found("Garcia 02/30/1958") == []


def test_blank_text_matches_nothing_in_particular():
    assert patient_q("  ") == patient_q("")


# --- the partial -------------------------------------------------------------------------------------------
def test_fewer_than_two_characters_offer_nothing_and_say_nothing(biller_client, garcias):
    response = biller_client.post(URL, {"q": "g"})
    assert offered(response) == []
    assert response.content.decode().strip() == ""


def test_no_match_says_a_new_patient_is_added_on_saving(biller_client, garcias):
    response = biller_client.post(URL, {"q": "Okafor"})
    text = response.content.decode()
    assert offered(response) == []
    assert "No known patient matches “Okafor”" in text
    assert 'role="status"' in text


def test_patients_are_offered_by_name_then_date_of_birth(biller_client, garcias):
    maria, luis, marias = garcias
    assert offered(biller_client.post(URL, {"q": "garcia"})) == [str(luis.pk), str(maria.pk), str(marias.pk)]


def test_an_option_carries_the_fields_it_fills_and_says_who_it_is(biller_client, garcias):
    maria = garcias[0]
    html = option_html(biller_client.post(URL, {"q": "AA1"}), maria)
    assert 'role="option"' in html
    for attribute, value in {
        "data-member-id": "AA100",
        "data-last-name": "Garcia",
        "data-first-name": "Maria",
        "data-dob": "1958-03-14",
        "data-sex": "F",
        "data-payer": "",
    }.items():
        assert f'{attribute}="{value}"' in html
    assert "Garcia, Maria" in html
    assert "born 03/14/1958" in html
    assert "no claims yet" in html


def test_an_option_offers_the_payer_of_the_latest_claim_and_counts_claims(biller_client, biller, other_biller, garcias):
    """For a supervisor, who sees every biller's claims."""
    maria = garcias[0]
    medicare = make_payer()
    commercial = make_payer("Commercial PPO", PayerType.COMMERCIAL)
    make_claim(biller, patient=maria, payer=medicare, date_of_service=date(2026, 1, 5))
    make_claim(other_biller, patient=maria, payer=commercial, date_of_service=date(2026, 4, 20))
    make_claim(biller, patient=maria, payer=medicare, date_of_service=date(2026, 2, 11))
    html = option_html(supervisor_client(biller_client, other_biller).post(URL, {"q": "AA100"}), maria)
    assert f'data-payer="{commercial.pk}"' in html
    assert "3 claims, latest 04/20/2026 with Commercial PPO" in html


def supervisor_client(client, other_biller):
    """The client signed in as a supervisor (who sees every biller's claims)."""
    from django.contrib.auth.models import Group

    supervisor = type(other_biller).objects.create_user("supervisor.search")
    supervisor.groups.add(Group.objects.get(name="Supervisors"))
    client.force_login(supervisor)
    return client


def test_a_biller_is_told_only_of_their_own_claims_of_the_patient(biller_client, biller, other_biller, garcias):
    """The patient is shared; another biller's claims are not: neither counted nor their payer offered."""
    maria = garcias[0]
    medicare = make_payer()
    commercial = make_payer("Commercial PPO", PayerType.COMMERCIAL)
    make_claim(biller, patient=maria, payer=medicare, date_of_service=date(2026, 1, 5))
    make_claim(other_biller, patient=maria, payer=commercial, date_of_service=date(2026, 4, 20))
    make_claim(biller, patient=maria, payer=medicare, date_of_service=date(2026, 2, 11))
    html = option_html(biller_client.post(URL, {"q": "AA100"}), maria)
    assert f'data-payer="{medicare.pk}"' in html and "Commercial PPO" not in html
    assert "2 claims, latest 02/11/2026 with Medicare Part B" in html
    make_claim(other_biller, patient=garcias[1], payer=commercial)
    html = option_html(biller_client.post(URL, {"q": "AB200"}), garcias[1])
    assert "no claims yet" in html and 'data-payer=""' in html and "Commercial PPO" not in html


def test_the_search_is_posted_never_in_the_address(biller_client, garcias):
    assert biller_client.get(URL, {"q": "garcia"}).status_code == 405
    html = biller_client.get(reverse("claims:claim_new")).content.decode()
    picker = re.search(r"<input[^>]*data-patient-search[^>]*>", html, re.S).group(0)
    assert f'hx-post="{URL}"' in picker and 'hx-params="q"' in picker and "hx-get" not in picker
    assert re.search(r'<form id="patient-search-form" method="post"', html)


def test_a_lone_surrogate_in_the_search_is_no_server_error(biller_client, garcias):
    body = "q=" + "gar%ED%A0%80cia"  # the UTF-8 bytes a lone surrogate would have: read as U+FFFD
    response = biller_client.post(URL, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200 and "No known patient matches" in response.content.decode()


def test_at_most_a_handful_are_offered(biller_client):
    for number in range(PATIENTS_OFFERED + 3):
        make_patient(last_name="Nguyen", member_id=f"NG{number:03d}")
    assert len(offered(biller_client.post(URL, {"q": "nguyen"}))) == PATIENTS_OFFERED


def test_the_search_text_is_escaped(biller_client):
    response = biller_client.post(URL, {"q": "<script>x"})
    assert "<script>x" not in response.content.decode()
    assert "&lt;script&gt;x" in response.content.decode()


def test_query_count_does_not_grow_with_the_patients_offered(biller_client, biller):
    for number in range(PATIENTS_OFFERED):
        patient = make_patient(last_name="Kim", member_id=f"KM{number:03d}")
        make_claim(biller, patient=patient)
    biller_client.post(URL, {"q": "kim"})  # session and permissions cached
    with CaptureQueriesContext(connection) as many:
        assert len(offered(biller_client.post(URL, {"q": "kim"}))) == PATIENTS_OFFERED
    with CaptureQueriesContext(connection) as one:
        assert len(offered(biller_client.post(URL, {"q": "KM000"}))) == 1
    assert len(many) == len(one)


# --- who may search -----------------------------------------------------------------------------------------
def test_anonymous_visitor_is_sent_to_log_in(client):
    response = client.post(URL, {"q": "garcia"})
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_user_who_may_not_enter_claims_is_refused(client, outsider, garcias):
    client.force_login(outsider)
    assert client.post(URL, {"q": "garcia"}).status_code == 403


def test_supervisor_may_search(supervisor_client, garcias):
    assert len(offered(supervisor_client.post(URL, {"q": "garcia"}))) == 3
