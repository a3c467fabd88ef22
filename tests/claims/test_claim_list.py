"""The claim list: who sees which claims, the filters, sorting, pages, badges, and a fixed query count."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.timezone import localtime

from claims.choices import Category, ClaimStatus, PayerType, ReviewOutcome, Risk, Severity
from claims.models import Claim, ClaimFinding

from .factories import make_claim, make_patient, make_payer

pytestmark = pytest.mark.django_db

URL = reverse("claims:claim_list")


def add_finding(claim: Claim, *, severity=Severity.ERROR, category=Category.NCCI_PTP, line=1, rule="PTP-MI0"):
    return ClaimFinding.objects.create(
        claim=claim, line_number=line, rule=rule, category=category, severity=severity, message="A finding."
    )


def numbers(response) -> list[str]:
    """Claim numbers in the order the page shows them."""
    return [f"CLM-{int(pk):06d}" for pk in re.findall(r'<tr data-claim="(\d+)"', response.content.decode())]


def searched(client, text: str, **filters) -> object:
    """Search the list as the page does: the text posted (kept in the session), then the list, with filters."""
    query = "&".join(f"{name}={value}" for name, value in filters.items())
    response = client.post(f"{URL}?{query}" if query else URL, {"q": text})
    assert response.status_code == 302 and "q=" not in response["Location"]
    return client.get(response["Location"])


def row_html(response, claim: Claim) -> str:
    html = response.content.decode()
    return html.split(f'data-claim="{claim.pk}"', 1)[1].split("</tr>", 1)[0]


# --- who sees what ------------------------------------------------------------------------------------
def test_url_is_claims_and_home_sends_billers_there(biller_client):
    assert URL == "/claims/"
    response = biller_client.get("/")
    assert response.status_code == 302
    assert response["Location"] == URL


def test_home_sends_someone_without_claim_access_to_the_code_look_up(client, outsider):
    client.force_login(outsider)
    response = client.get("/")
    assert response["Location"] == reverse("codes:code_list")


def test_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_user_without_claim_permissions_is_refused(client, outsider):
    client.force_login(outsider)
    assert client.get(URL).status_code == 403


def test_biller_sees_only_the_claims_they_created(biller_client, biller, other_biller):
    mine = make_claim(biller)
    theirs = make_claim(other_biller)
    response = biller_client.get(URL)
    assert response.status_code == 200
    assert numbers(response) == [mine.number]
    assert theirs.number not in response.content.decode()
    assert b"My claims" in response.content


def test_biller_has_no_created_by_column_and_no_mine_only_filter(biller_client, biller):
    make_claim(biller)
    response = biller_client.get(URL)
    assert "created_by" not in [column.name for column in response.context["table"].columns]
    assert "mine" not in response.context["filter"].form.fields
    assert b"Mine only" not in response.content


def test_supervisor_sees_every_claim_with_who_created_it(supervisor_client, biller, other_biller):
    first = make_claim(biller)
    second = make_claim(other_biller)
    response = supervisor_client.get(URL)
    assert sorted(numbers(response)) == sorted([first.number, second.number])
    assert b"All claims" in response.content
    assert "Created by" in response.content.decode()
    assert ">biller2<" in row_html(response, second)


def test_supervisor_can_narrow_to_their_own_claims(supervisor_client, supervisor, biller):
    own = make_claim(supervisor)
    make_claim(biller)
    response = supervisor_client.get(URL, {"mine": "on"})
    assert numbers(response) == [own.number]
    assert b"Mine only" in response.content
    assert b'<h1 class="h3 mb-3">My claims</h1>' in response.content


def test_administrator_sees_all_claims(client, admin_user, biller, other_biller):
    make_claim(biller)
    make_claim(other_biller)
    client.force_login(admin_user)
    assert len(numbers(client.get(URL))) == 2


# --- columns ------------------------------------------------------------------------------------------
def test_row_shows_number_patient_payer_dos_status_and_last_change(biller_client, biller):
    payer = make_payer("Acme Health", PayerType.COMMERCIAL)
    patient = make_patient(last_name="Rivera", first_name="Ana")
    claim = make_claim(biller, payer=payer, patient=patient, date_of_service=date(2026, 2, 14))
    response = biller_client.get(URL)
    row = row_html(response, claim)
    text = unescape(strip_tags(row))
    assert re.fullmatch(r"CLM-\d{6}", claim.number)
    assert f'href="{reverse("claims:claim_detail", args=[claim.pk])}"' in row
    assert claim.number in text
    assert "Rivera, Ana" in text
    assert "Acme Health" in text
    assert "02/14/2026" in text
    assert "Draft" in text and 'data-status="draft"' in row and "bi-pencil" in row
    assert f"{localtime(claim.updated_at):%m/%d/%Y %H:%M}" in text  # the practice's time zone, not UTC


@pytest.mark.parametrize(
    ("risk", "icon", "label"),
    [
        (Risk.HIGH, "bi-x-octagon-fill", "High risk"),
        (Risk.MEDIUM, "bi-exclamation-triangle-fill", "Medium risk"),
        (Risk.LOW, "bi-info-circle-fill", "Low risk"),
        (Risk.NONE, "bi-check-circle-fill", "No risk found"),
        ("", "bi-question-circle", "Not checked"),
    ],
)
def test_risk_badge_has_icon_text_and_data_risk(biller_client, biller, risk, icon, label):
    claim = make_claim(biller, risk=risk)
    row = row_html(biller_client.get(URL), claim)
    assert f'data-risk="{risk or "unchecked"}"' in row
    badge = row.split("data-risk=", 1)[1].split("</span>", 1)[0]
    assert icon in badge
    assert label in badge


def test_a_claim_with_checks_not_run_is_not_shown_as_no_risk(biller_client, biller):
    not_run = [
        {"category": "CODE_VALIDITY", "check": "CPT code validity", "reason": "no CPT code set loaded", "lines": [1]}
    ]
    claim = make_claim(biller, risk=Risk.NONE, unchecked_categories=["CODE_VALIDITY"], unchecked_checks=not_run)
    row = row_html(biller_client.get(URL), claim)
    assert 'data-risk="none"' in row and 'data-not-run="1"' in row
    assert "No errors or warnings; 1 check not run" in row and "No risk found" not in row


def test_finding_counts_are_those_of_the_stored_findings(biller_client, biller):
    claim = make_claim(biller, risk=Risk.HIGH, status=ClaimStatus.CHECKED)
    add_finding(claim, severity=Severity.ERROR, rule="A")
    add_finding(claim, severity=Severity.ERROR, rule="B")
    add_finding(claim, severity=Severity.WARNING, rule="C")
    add_finding(claim, severity=Severity.INFO, rule="D")
    clean = make_claim(biller, risk=Risk.NONE, status=ClaimStatus.CHECKED)
    response = biller_client.get(URL)
    row = row_html(response, claim)
    assert 'data-errors="2" data-warnings="1"' in row
    assert "2 errors" in row and "1 warning" in row
    clean_row = row_html(response, clean)
    assert 'data-errors="0" data-warnings="0"' in clean_row
    assert "None" in strip_tags(clean_row)


def test_edit_link_only_on_claims_the_user_may_still_change(biller_client, biller):
    draft = make_claim(biller)
    flagged = make_claim(biller, status=ClaimStatus.FLAGGED)
    approved = make_claim(biller, status=ClaimStatus.REVIEWED, review_outcome=ReviewOutcome.APPROVED)
    returned = make_claim(biller, status=ClaimStatus.REVIEWED, review_outcome=ReviewOutcome.RETURNED)
    response = biller_client.get(URL)
    for claim, editable in [(draft, True), (flagged, False), (approved, False), (returned, True)]:
        has_link = reverse("claims:claim_edit", args=[claim.pk]) in row_html(response, claim)
        assert has_link is editable, claim.status


def test_supervisor_gets_an_edit_link_on_a_billers_claim(supervisor_client, biller):
    claim = make_claim(biller)
    row = row_html(supervisor_client.get(URL), claim)
    assert reverse("claims:claim_edit", args=[claim.pk]) in row


# --- filters ------------------------------------------------------------------------------------------
def test_filter_by_status(biller_client, biller):
    make_claim(biller, status=ClaimStatus.DRAFT)
    ready = make_claim(biller, status=ClaimStatus.READY)
    assert numbers(biller_client.get(URL, {"status": ClaimStatus.READY})) == [ready.number]


def test_filter_by_payer(biller_client, biller):
    make_claim(biller)
    acme = make_payer("Acme Health", PayerType.COMMERCIAL)
    claim = make_claim(biller, payer=acme)
    assert numbers(biller_client.get(URL, {"payer": acme.pk})) == [claim.number]


def test_filter_by_date_of_service_range_includes_both_ends(biller_client, biller):
    dates = [date(2026, 1, 1), date(2026, 1, 10), date(2026, 1, 20), date(2026, 1, 31)]
    claims = {dos: make_claim(biller, date_of_service=dos) for dos in dates}
    response = biller_client.get(URL, {"dos_from": "2026-01-10", "dos_to": "2026-01-20"})
    assert sorted(numbers(response)) == sorted([claims[dates[1]].number, claims[dates[2]].number])
    only_from = biller_client.get(URL, {"dos_from": "2026-01-20"})
    assert sorted(numbers(only_from)) == sorted([claims[dates[2]].number, claims[dates[3]].number])
    only_to = biller_client.get(URL, {"dos_to": "2026-01-01"})
    assert numbers(only_to) == [claims[dates[0]].number]


def test_from_date_after_to_date_is_a_clear_form_error(biller_client, biller):
    make_claim(biller, date_of_service=date(2026, 1, 15))
    response = biller_client.get(URL, {"dos_from": "2026-02-01", "dos_to": "2026-01-01"})
    assert response.status_code == 200
    errors = response.context["filter"].form.errors
    assert "dos_to" in errors
    assert "before the “from” date" in errors["dos_to"][0]
    assert "before the “from” date" in unescape(response.content.decode())
    assert numbers(response) == []
    assert b"Correct the filter above" in response.content


def test_a_malformed_date_is_a_field_error_not_a_crash(biller_client, biller):
    make_claim(biller)
    response = biller_client.get(URL, {"dos_from": "2026-13-45"})
    assert response.status_code == 200
    assert "dos_from" in response.context["filter"].form.errors


@pytest.mark.parametrize("risk", [Risk.HIGH, Risk.NONE, "unchecked"])
def test_filter_by_risk(biller_client, biller, risk):
    claims = {value: make_claim(biller, risk=value) for value in (Risk.HIGH, Risk.MEDIUM, Risk.NONE, "")}
    expected = claims["" if risk == "unchecked" else risk]
    assert numbers(biller_client.get(URL, {"risk": risk})) == [expected.number]


def test_filter_by_category_lists_each_matching_claim_once(biller_client, biller):
    twice = make_claim(biller)
    add_finding(twice, category=Category.MUE, rule="MUE-LINE", line=1)
    add_finding(twice, category=Category.MUE, rule="MUE-LINE", line=2)
    other = make_claim(biller)
    add_finding(other, category=Category.DRUG, rule="DRUG-NDC")
    make_claim(biller)
    response = biller_client.get(URL, {"category": Category.MUE})
    assert numbers(response) == [twice.number]
    assert response.context["table"].paginator.count == 1


@pytest.mark.parametrize("query", ["CLM-{pk:06d}", "clm{pk}", "{pk}"])
def test_search_by_claim_number(biller_client, biller, query):
    make_claim(biller, patient=make_patient(last_name="Other"))
    claim = make_claim(biller, patient=make_patient(last_name="Target"))
    assert numbers(searched(biller_client, query.format(pk=claim.pk))) == [claim.number]


def test_search_by_patient_name_words_and_member_id(biller_client, biller):
    ana = make_claim(biller, patient=make_patient(last_name="Rivera", first_name="Ana", member_id="XQ7700123"))
    make_claim(biller, patient=make_patient(last_name="Rivers", first_name="Bo", member_id="ZZ1100999"))
    assert numbers(searched(biller_client, "rivera")) == [ana.number]
    assert numbers(searched(biller_client, "Rivera, Ana")) == [ana.number]
    assert numbers(searched(biller_client, "ana rivera")) == [ana.number]
    assert numbers(searched(biller_client, "xq7700")) == [ana.number]


def test_search_never_shows_another_billers_claim(biller_client, biller, other_biller):
    theirs = make_claim(other_biller, patient=make_patient(last_name="Rivera"))
    assert numbers(searched(biller_client, "Rivera")) == []
    assert numbers(searched(biller_client, theirs.number)) == []


def test_the_search_is_never_in_the_address_and_stays_for_paging_and_sorting(biller_client, biller):
    for number in range(30):
        make_claim(biller, patient=make_patient(last_name="Rivera", member_id=f"XQ77{number:05d}"))
    other = make_claim(biller, patient=make_patient(last_name="Okafor", member_id="OK1"))
    response = biller_client.post(f"{URL}?status=draft&page=2&sort=risk", {"q": "Rivera"})
    assert response["Location"] == f"{URL}?status=draft&sort=risk"  # the filters kept, back to page 1
    first = biller_client.get(response["Location"])
    html = first.content.decode()
    assert first.context["table"].paginator.count == 30 and other.number not in numbers(first)
    links = re.findall(r'href="([^"]*)"', html)
    assert links and not [link for link in links if "Rivera" in link or "q=" in link]
    assert 'value="Rivera"' in html and "data-clear-search" in html
    page_two = biller_client.get(URL, {"status": "draft", "sort": "risk", "page": 2})
    assert page_two.context["table"].paginator.count == 30 and len(numbers(page_two)) == 5
    assert biller_client.get(URL, {"sort": "-date_of_service"}).context["table"].paginator.count == 30
    cleared = biller_client.post(URL, {"clear": "1", "q": "Rivera"})
    assert biller_client.get(cleared["Location"]).context["table"].paginator.count == 31


def test_a_search_in_the_address_is_ignored(biller_client, biller):
    make_claim(biller, patient=make_patient(last_name="Rivera"))
    make_claim(biller, patient=make_patient(last_name="Okafor"))
    assert len(numbers(biller_client.get(URL, {"q": "Rivera"}))) == 2
    html = biller_client.get(URL).content.decode()
    assert re.search(
        r'<form[^>]*method="post"[^>]*class="claim-search|<form[^>]*class="claim-search[^"]*"[^>]*method="post"', html
    )
    assert not re.search(r'<form[^>]*method="get"[^>]*>(?:(?!</form>).)*name="q"', html, re.S)


def test_the_search_is_each_users_own(client, biller, other_biller):
    make_claim(biller, patient=make_patient(last_name="Rivera"))
    make_claim(biller, patient=make_patient(last_name="Okafor"))
    client.force_login(biller)
    assert len(numbers(searched(client, "Rivera"))) == 1
    client.force_login(other_biller)  # a new session: no search
    assert "data-clear-search" not in client.get(URL).content.decode()


def test_an_invalid_search_is_refused_with_a_message(biller_client, biller):
    make_claim(biller)
    response = biller_client.post(URL, {"q": "x" * 101}, follow=True)
    assert "Search: Ensure this value has at most 100 characters" in response.content.decode()
    assert response.context["table"].paginator.count == 1


def test_filters_combine(biller_client, biller):
    acme = make_payer("Acme Health", PayerType.COMMERCIAL)
    wanted = make_claim(biller, payer=acme, status=ClaimStatus.CHECKED, risk=Risk.HIGH)
    make_claim(biller, payer=acme, status=ClaimStatus.CHECKED, risk=Risk.NONE)
    make_claim(biller, status=ClaimStatus.CHECKED, risk=Risk.HIGH)
    response = biller_client.get(URL, {"payer": acme.pk, "status": "checked", "risk": "high"})
    assert numbers(response) == [wanted.number]


def test_no_match_says_so_and_keeps_the_filters(biller_client, biller):
    make_claim(biller, status=ClaimStatus.DRAFT)
    response = biller_client.get(URL, {"status": ClaimStatus.READY})
    assert b"No claims match these filters." in response.content
    assert b'data-testid="claims-empty"' not in response.content
    assert b'<option value="ready" selected>' in response.content


# --- sorting and pages --------------------------------------------------------------------------------
def test_newest_claim_first_by_default_and_number_sorts_both_ways(biller_client, biller):
    claims = [make_claim(biller) for _ in range(3)]
    newest_first = [c.number for c in reversed(claims)]
    assert numbers(biller_client.get(URL)) == newest_first
    assert numbers(biller_client.get(URL, {"sort": "number"})) == newest_first[::-1]
    assert numbers(biller_client.get(URL, {"sort": "-number"})) == newest_first


def test_sort_by_date_of_service(biller_client, biller):
    late = make_claim(biller, date_of_service=date(2026, 3, 1))
    early = make_claim(biller, date_of_service=date(2026, 1, 1))
    middle = make_claim(biller, date_of_service=date(2026, 2, 1))
    assert numbers(biller_client.get(URL, {"sort": "date_of_service"})) == [early.number, middle.number, late.number]
    assert numbers(biller_client.get(URL, {"sort": "-date_of_service"})) == [late.number, middle.number, early.number]


def test_sort_by_status_follows_the_workflow(biller_client, biller):
    order = [ClaimStatus.DRAFT, ClaimStatus.CHECKED, ClaimStatus.READY, ClaimStatus.FLAGGED, ClaimStatus.REVIEWED]
    claims = {status: make_claim(biller, status=status) for status in reversed(order)}
    assert numbers(biller_client.get(URL, {"sort": "status"})) == [claims[s].number for s in order]
    assert numbers(biller_client.get(URL, {"sort": "-status"})) == [claims[s].number for s in reversed(order)]


def test_sort_by_risk_goes_from_unchecked_to_high(biller_client, biller):
    order = ["", Risk.NONE, Risk.LOW, Risk.MEDIUM, Risk.HIGH]
    claims = {risk: make_claim(biller, risk=risk) for risk in (Risk.MEDIUM, "", Risk.HIGH, Risk.NONE, Risk.LOW)}
    assert numbers(biller_client.get(URL, {"sort": "risk"})) == [claims[r].number for r in order]
    assert numbers(biller_client.get(URL, {"sort": "-risk"}))[0] == claims[Risk.HIGH].number


def test_sort_by_last_change(biller_client, biller):
    first, second, third = (make_claim(biller) for _ in range(3))
    base = first.updated_at
    for claim, minutes in [(first, 30), (second, 10), (third, 20)]:
        Claim.objects.filter(pk=claim.pk).update(updated_at=base + timedelta(minutes=minutes))
    assert numbers(biller_client.get(URL, {"sort": "updated_at"})) == [second.number, third.number, first.number]
    assert numbers(biller_client.get(URL, {"sort": "-updated_at"})) == [first.number, third.number, second.number]


def test_headers_link_to_the_sort_and_say_which_one_is_on(biller_client, biller):
    make_claim(biller)
    html = biller_client.get(URL, {"sort": "-risk", "status": "draft"}).content.decode()
    header = html.split("<thead>", 1)[1].split("</thead>", 1)[0]
    assert 'href="?sort=risk&amp;status=draft"' in header or 'href="?status=draft&amp;sort=risk"' in header
    assert "sort=date_of_service" in header and "sort=number" in header and "sort=updated_at" in header
    assert "sort=patient" not in header and "sort=payer" not in header
    assert header.count("aria-sort=") == 1
    assert 'aria-sort="descending"' in header.split("Risk", 1)[0].rsplit("<th", 1)[1]


def test_columns_without_a_meaningful_order_are_not_sortable(biller_client, biller):
    make_claim(biller)
    table = biller_client.get(URL).context["table"]
    sortable = {column.name for column in table.columns if column.orderable}
    assert sortable == {"number", "date_of_service", "status", "risk", "updated_at"}


def test_twenty_five_claims_a_page(biller_client, biller):
    claims = [make_claim(biller) for _ in range(27)]
    first = biller_client.get(URL)
    assert len(numbers(first)) == 25
    assert first.context["table"].paginator.num_pages == 2
    assert b"?page=2" in first.content
    second = biller_client.get(URL, {"page": 2})
    assert numbers(second) == [claims[1].number, claims[0].number]


def test_page_size_cannot_be_raised_without_limit(biller_client, biller):
    for _ in range(3):
        make_claim(biller)
    table = biller_client.get(URL, {"per_page": 100000}).context["table"]
    assert table.paginator.per_page == 100


def test_page_beyond_the_last_shows_the_last(biller_client, biller):
    claims = [make_claim(biller) for _ in range(2)]
    response = biller_client.get(URL, {"page": 9})
    assert response.status_code == 200
    assert numbers(response) == [claims[1].number, claims[0].number]
    assert "data-errors" in row_html(response, claims[0])


# --- empty state --------------------------------------------------------------------------------------
def test_biller_without_claims_gets_a_friendly_start(biller_client, biller, other_biller):
    make_claim(other_biller)
    response = biller_client.get(URL)
    html = response.content.decode()
    assert 'data-testid="claims-empty"' in html
    assert "No claims yet." in html
    empty = html.split('data-testid="claims-empty"', 1)[1]
    assert f'href="{reverse("claims:claim_new")}"' in empty
    assert "New claim" in empty


def test_navigation_has_claims_first_and_a_new_claim_button(biller_client):
    html = biller_client.get(URL).content.decode()
    nav = html.split('id="nav-main"', 1)[1].split("</nav>", 1)[0]
    links = re.findall(r'class="nav-link[^"]*" href="([^"]+)"', nav)
    assert links[0] == URL
    assert f'href="{reverse("claims:claim_new")}"' in nav


# --- speed: a fixed number of queries -----------------------------------------------------------------
def _claims_with_findings(user, count: int) -> None:
    payers = [make_payer("Acme Health", PayerType.COMMERCIAL), make_payer()]
    for index in range(count):
        claim = make_claim(user, payer=payers[index % 2], risk=Risk.HIGH, status=ClaimStatus.CHECKED)
        add_finding(claim, severity=Severity.ERROR)
        add_finding(claim, severity=Severity.WARNING, rule="MOD-25")


def _queries(client, params) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL, params)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("role", ["biller", "supervisor"])
@pytest.mark.parametrize("params", [{}, {"category": Category.NCCI_PTP, "sort": "risk"}, {"q": "Doe", "mine": "on"}])
def test_query_count_is_the_same_for_one_and_thirty_claims(client, request, role, params):
    user = request.getfixturevalue(role)
    client.force_login(user)
    params = {**params, "per_page": 50}
    if "q" in params:  # the search is posted and kept in the session
        client.post(URL, {"q": params.pop("q")})
    _claims_with_findings(user, 1)
    one = _queries(client, params)
    _claims_with_findings(user, 29)
    thirty = _queries(client, params)
    assert len(numbers(client.get(URL, params))) == 30
    assert one == thirty
