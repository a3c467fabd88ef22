"""Autocomplete of the claim entry form's code fields: GET /codes/autocomplete/ (an htmx partial)."""

import re
from datetime import date, timedelta

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from codes.views import code_autocomplete

from .factories import make_code

pytestmark = pytest.mark.django_db

URL = reverse("codes:code_autocomplete")


def offered(response) -> list[str]:
    """The codes offered, in order (the data-code-option of each option button)."""
    assert response.status_code == 200
    return re.findall(r'data-code-option="([^"]+)"', response.content.decode())


def option_html(response, code: str) -> str:
    """The markup of one option button."""
    match = re.search(rf'<button[^>]*data-code-option="{code}".*?</button>', response.content.decode(), re.S)
    assert match, f"{code} not offered"
    return match.group(0)


@pytest.fixture
def some_codes():
    make_code("99213", label="Office visit, established patient, low complexity")
    make_code("99214", label="Office visit, established patient, moderate complexity")
    make_code("99417", label="Prolonged office visit, each 15 minutes", is_add_on=True)
    make_code("0591T", label="Health and well-being coaching, not with 99214")
    make_code(
        "J1100",
        short_description="Dexamethasone sodium phos",
        long_description="Injection, dexamethasone sodium phosphate, 1 mg",
        is_drug=True,
    )
    make_code("G0008", short_description="Admin influenza virus vac", termination_date=date(2026, 3, 31))
    make_code("Q5999", short_description="Future biosimilar", added_date=date(2026, 7, 1))


# --- access --------------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_login(client, some_codes):
    response = client.get(URL, {"q": "992"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_route_is_not_taken_for_a_code_by_the_detail_page(biller_client, some_codes):
    assert URL == "/codes/autocomplete/"
    assert offered(biller_client.get(URL, {"q": "j11"})) == ["J1100"]


# --- what is matched -----------------------------------------------------------------------------


def test_code_prefix_matches_codes_starting_with_it_whatever_the_case(biller_client, some_codes):
    assert offered(biller_client.get(URL, {"q": "9941"})) == ["99417"]
    assert offered(biller_client.get(URL, {"q": "j11"})) == ["J1100"]
    assert offered(biller_client.get(URL, {"q": "0591t"})) == ["0591T"]
    assert offered(biller_client.get(URL, {"q": "g0"})) == ["G0008"]


def test_exact_code_comes_first_then_code_prefix_then_words(biller_client, some_codes):
    # 0591T's label mentions 99214: it is offered, but after the code itself.
    assert offered(biller_client.get(URL, {"q": "99214"})) == ["99214", "0591T"]
    make_code("99211", label="Office visit, may not need a physician")
    make_code("99212", label="Office visit, established patient, straightforward")
    make_code("0001A", label="Vaccine administration, see 9921x")
    assert offered(biller_client.get(URL, {"q": "99212"})) == ["99212"]
    # codes starting with the text, by code, before codes whose words contain it
    assert offered(biller_client.get(URL, {"q": "9921"})) == ["99211", "99212", "99213", "99214", "0001A", "0591T"]


def test_words_must_all_appear_in_label_or_descriptors(biller_client, some_codes):
    assert offered(biller_client.get(URL, {"q": "office"})) == ["99213", "99214", "99417"]
    assert offered(biller_client.get(URL, {"q": "Office MODERATE"})) == ["99214"]
    assert offered(biller_client.get(URL, {"q": "moderate office"})) == ["99214"]
    # the short and the long description are searched too
    assert offered(biller_client.get(URL, {"q": "influenza"})) == ["G0008"]
    assert offered(biller_client.get(URL, {"q": "dexamethasone phosphate"})) == ["J1100"]


def test_at_most_ten_codes_are_offered(biller_client):
    for n in range(12):
        make_code(f"{20500 + n}", label=f"Injection of trigger point, variant {n}")
    codes = offered(biller_client.get(URL, {"q": "trigger point"}))
    assert codes == [f"{20500 + n}" for n in range(10)]


def test_fewer_than_two_characters_give_an_empty_partial(biller_client, some_codes):
    for text in ["", "9", "  J ", "o"]:
        response = biller_client.get(URL, {"q": text})
        assert response.status_code == 200
        assert response.content.decode().strip() == "", text


def test_no_match_says_so_without_offering_anything(biller_client, some_codes):
    response = biller_client.get(URL, {"q": "xyzzy"})
    assert offered(response) == []
    html = response.content.decode()
    assert "No code matches" in html and "xyzzy" in html
    assert 'role="listbox"' not in html


# --- what each option shows ----------------------------------------------------------------------


def test_option_markup_follows_the_entry_form_contract(biller_client, some_codes):
    response = biller_client.get(URL, {"q": "office"})
    html = response.content.decode()
    assert '<div class="list-group shadow position-absolute w-100' in html
    assert html.count('role="listbox"') == 1
    button = option_html(response, "99214")
    assert 'type="button"' in button
    assert 'class="list-group-item list-group-item-action' in button
    assert 'role="option"' in button
    assert '<span class="code-mono fw-semibold">99214</span>' in button


def test_option_shows_our_label_else_the_short_descriptor_and_the_section(biller_client, some_codes):
    visit = option_html(biller_client.get(URL, {"q": "99214"}), "99214")
    assert "Office visit, established patient, moderate complexity" in visit
    assert "Evaluation and Management" in visit
    drug = option_html(biller_client.get(URL, {"q": "J1100"}), "J1100")
    assert "Dexamethasone sodium phos" in drug
    assert "Injection, dexamethasone sodium phosphate" not in drug  # the short descriptor, not the long text
    assert "Drugs administered other than orally" in drug


def test_a_code_without_label_or_short_descriptor_shows_no_other_text(biller_client):
    make_code("29888", long_description="Licensed long descriptor of the practice")
    option = option_html(biller_client.get(URL, {"q": "29888"}), "29888")
    assert "no description loaded" in option
    assert "Licensed long descriptor" not in option


def test_terminated_badge_is_judged_on_the_date_of_service(biller_client, some_codes):
    after = option_html(biller_client.get(URL, {"q": "G0008", "dos": "2026-04-01"}), "G0008")
    assert "Terminated 2026-03-31" in after
    assert 'data-code-status="terminated"' in after
    last_valid_day = option_html(biller_client.get(URL, {"q": "G0008", "dos": "2026-03-31"}), "G0008")
    assert "Terminated" not in last_valid_day and "data-code-status" not in last_valid_day


def test_not_yet_valid_badge_is_judged_on_the_date_of_service(biller_client, some_codes):
    before = option_html(biller_client.get(URL, {"q": "Q5999", "dos": "2026-06-30"}), "Q5999")
    assert "Not yet valid" in before
    assert 'data-code-status="not_yet"' in before
    first_day = option_html(biller_client.get(URL, {"q": "Q5999", "dos": "2026-07-01"}), "Q5999")
    assert "Not yet valid" not in first_day


def test_status_defaults_to_today_without_a_date_of_service(biller_client):
    today = timezone.localdate()
    make_code("G0009", short_description="Ended yesterday", termination_date=today - timedelta(days=1))
    make_code("G0010", short_description="Ends today", termination_date=today)
    response = biller_client.get(URL, {"q": "G00"})
    assert "Terminated" in option_html(response, "G0009")
    assert "Terminated" not in option_html(response, "G0010")


# --- parameter names the entry form sends --------------------------------------------------------


def test_text_comes_from_the_line_code_input_when_there_is_no_q(biller_client, some_codes):
    assert offered(biller_client.get(URL, {"lines-3-code": "j11"})) == ["J1100"]
    # q wins over a code input
    assert offered(biller_client.get(URL, {"q": "9941", "lines-3-code": "j11"})) == ["99417"]
    # an empty q is no text: the code input's is used
    assert offered(biller_client.get(URL, {"q": "", "lines-0-code": "j11"})) == ["J1100"]


def test_date_of_service_of_the_line_wins_over_the_claims(biller_client, some_codes):
    params = {"lines-0-code": "G0008", "lines-0-date_of_service": "2026-04-01", "date_of_service": "2026-03-01"}
    assert "Terminated 2026-03-31" in option_html(biller_client.get(URL, params), "G0008")
    params = {"lines-0-code": "G0008", "lines-0-date_of_service": "2026-03-01", "date_of_service": "2026-04-01"}
    assert "Terminated" not in option_html(biller_client.get(URL, params), "G0008")


def test_empty_line_date_falls_back_to_the_claims_date_of_service(biller_client, some_codes):
    params = {"lines-0-code": "G0008", "lines-0-date_of_service": "", "date_of_service": "2026-04-01"}
    assert "Terminated 2026-03-31" in option_html(biller_client.get(URL, params), "G0008")
    params = {"lines-0-code": "G0008", "lines-0-date_of_service": "not a date", "date_of_service": "2026-03-30"}
    assert "Terminated" not in option_html(biller_client.get(URL, params), "G0008")


def test_dos_parameter_wins_and_us_dates_are_read(biller_client, some_codes):
    params = {"q": "G0008", "dos": "04/01/2026", "date_of_service": "2026-03-01"}
    assert "Terminated 2026-03-31" in option_html(biller_client.get(URL, params), "G0008")


# --- cost ----------------------------------------------------------------------------------------


def test_one_query_whatever_the_number_of_codes(rf: RequestFactory, biller, some_codes, django_assert_num_queries):
    for n in range(20):
        make_code(f"{20500 + n}", label=f"Injection of trigger point, variant {n}")
    for params in ({"q": "trigger"}, {"q": "99214"}, {"q": "xyzzy"}):
        request = rf.get(URL, params)
        request.user = biller
        with django_assert_num_queries(1):
            response = code_autocomplete(request)
        assert response.status_code == 200
