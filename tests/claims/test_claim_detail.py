"""The claim page: header, claim-level findings, each line with its findings, status history, a fixed query count."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import strip_tags
from django.utils.timezone import localtime

from claims.choices import Category, ClaimStatus, Container, NDCUnit, ReviewOutcome, Risk, Severity
from claims.models import Claim, ClaimFinding, ClaimStatusChange

from .factories import make_claim, make_line, make_patient

pytestmark = pytest.mark.django_db


def url(claim: Claim) -> str:
    return reverse("claims:claim_detail", args=[claim.pk])


def add_finding(claim, *, line, rule, severity=Severity.ERROR, category=Category.DRUG, **fields):
    return ClaimFinding.objects.create(
        claim=claim,
        line_number=line,
        rule=rule,
        category=category,
        severity=severity,
        message=fields.pop("message", f"Message of {rule}."),
        **fields,
    )


def line_block(html: str, number: int) -> str:
    """The HTML of the container of line ``number`` (up to the next line or the end of the lines)."""
    start = html.index(f'data-line="{number}"')
    rest = html[start + 1 :]
    ends = [rest.find(marker) for marker in ('data-line="', 'id="h-history"') if rest.find(marker) >= 0]
    return rest[: min(ends)]


def text_of(html: str) -> str:
    return " ".join(unescape(strip_tags(html)).split())


# --- access -------------------------------------------------------------------------------------------
def test_url_and_login_required(client, biller):
    claim = make_claim(biller)
    assert url(claim) == f"/claims/{claim.pk}/"
    response = client.get(url(claim))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_another_billers_claim_is_not_found(biller_client, other_biller):
    theirs = make_claim(other_biller)
    assert biller_client.get(url(theirs)).status_code == 404


def test_supervisor_opens_any_billers_claim(client, supervisor, biller):
    claim = make_claim(biller)
    client.force_login(supervisor)
    assert client.get(url(claim)).status_code == 200


def test_user_without_claim_permissions_is_refused(client, outsider, biller):
    claim = make_claim(biller)
    client.force_login(outsider)
    assert client.get(url(claim)).status_code == 403


def test_missing_claim_is_not_found(biller_client):
    assert biller_client.get(reverse("claims:claim_detail", args=[999999])).status_code == 404


# --- header -------------------------------------------------------------------------------------------
def test_header_shows_the_claim_as_entered(biller_client, biller):
    patient = make_patient(
        last_name="Rivera", first_name="Ana", date_of_birth=date(1948, 7, 4), sex="F", member_id="1EG4TE5MK73"
    )
    claim = make_claim(
        biller,
        patient=patient,
        billing_npi="1234567893",
        rendering_npi="1497758544",
        rendering_specialty="08",
        group_tin="311234567",
        place_of_service="22",
        date_of_service=date(2026, 3, 9),
        diagnoses=["J45.909", "E11.9", "I10"],
        prior_auth_number="PA-7781",
        status=ClaimStatus.CHECKED,
        risk=Risk.MEDIUM,
        checked_at=datetime(2026, 3, 10, 14, 5, tzinfo=UTC),
        reference_releases={"hcpcs": "2026 January", "ptp": "2024 Q2"},
        unchecked_categories=[Category.MUE],
    )
    html = biller_client.get(url(claim)).content.decode()
    text = text_of(html)
    for expected in [
        claim.number,
        "Checked",
        "Medium risk",
        "Medicare Part B",
        "Rivera, Ana",
        "07/04/1948",
        "Female",
        "1EG4TE5MK73",
        "1234567893",
        "1497758544",
        "08",
        "311234567",
        "22",
        "03/09/2026",
        "PA-7781",
        "hcpcs: 2026 January",
        "ptp: 2024 Q2",
        "MUE (units)",
    ]:
        assert expected in text, expected
    assert 'data-risk="medium"' in html
    assert 'data-status="checked"' in html
    diagnoses = html.split('data-testid="diagnoses"', 1)[1].split("</ol>", 1)[0]
    items = [(letter, text_of(item)) for letter, item in re.findall(r'<li data-letter="(\w)">(.*?)</li>', diagnoses)]
    assert items == [("A", "A J45.909"), ("B", "B E11.9"), ("C", "C I10")]
    assert "Not checked yet" not in text


def test_unchecked_claim_says_so(biller_client, biller):
    claim = make_claim(biller)
    html = biller_client.get(url(claim)).content.decode()
    assert "Not checked yet" in html
    assert "The claim has not been checked yet." in html
    assert 'data-risk="unchecked"' in html


def test_edit_and_new_claim_for_this_patient_buttons(biller_client, biller):
    claim = make_claim(biller)
    html = biller_client.get(url(claim)).content.decode()
    assert f'href="{reverse("claims:claim_edit", args=[claim.pk])}"' in html
    link = f'{reverse("claims:claim_new")}?from_claim={claim.pk}'
    assert f'href="{link}"' in html and "?patient=" not in html
    prefilled = biller_client.get(link).content.decode()  # the patient as entered on this claim
    assert f'value="{claim.member_id}"' in prefilled and f'value="{claim.patient_last_name}"' in prefilled


def test_no_edit_button_once_the_claim_is_flagged_or_approved(biller_client, biller):
    flagged = make_claim(biller, status=ClaimStatus.FLAGGED)
    approved = make_claim(biller, status=ClaimStatus.REVIEWED, review_outcome=ReviewOutcome.APPROVED)
    for claim in (flagged, approved):
        html = biller_client.get(url(claim)).content.decode()
        assert reverse("claims:claim_edit", args=[claim.pk]) not in html
        assert f"?from_claim={claim.pk}" in html
    assert "Reviewed: Approved" in text_of(biller_client.get(url(approved)).content.decode())


# --- lines and findings -------------------------------------------------------------------------------
def test_each_line_shows_its_fields(biller_client, biller):
    drug = make_line(
        "J1745",
        modifiers=["JZ"],
        units=Decimal("30"),
        charge=Decimal("2400.50"),
        dx_pointers="BA",
        ndc="57894003001",
        ndc_unit=NDCUnit.UN,
        ndc_quantity=Decimal("3"),
        dose_amount=Decimal("300"),
        dose_unit="mg",
        dose_discarded=Decimal("0"),
        container=Container.SINGLE_DOSE,
        narrative="infliximab 300 mg",
    )
    visit = make_line("99213", modifiers=["25"], date_of_service=date(2026, 3, 8), place_of_service="11")
    claim = make_claim(biller, lines=[visit, drug], diagnoses=["M05.79", "K50.90"])
    html = biller_client.get(url(claim)).content.decode()
    first, second = text_of(line_block(html, 1)), text_of(line_block(html, 2))
    assert "99213" in first and "25" in first and "03/08/2026" in first
    assert "NDC" not in first
    for expected in [
        "J1745",
        "JZ",
        "Units 30",
        "$2400.50",
        "B (K50.90), A (M05.79)",
        "as claim",
        "57894003001",
        "3 UN",
        "Dose given 300 mg",
        "Discarded 0 mg",
        "Single-dose vial",
        "infliximab 300 mg",
    ]:
        assert expected in second, expected


def test_line_findings_sit_under_their_own_line_and_claim_findings_above(biller_client, biller):
    claim = make_claim(biller, lines=["99213", "96372", "J8499"], status=ClaimStatus.CHECKED, risk=Risk.HIGH)
    add_finding(claim, line=None, rule="TF-LATE", category=Category.TIMELY_FILING, message="Filed late.")
    add_finding(claim, line=3, rule="DRUG-ROUTE", message="Oral drug with an injection.", hint="Remove 96372.")
    add_finding(claim, line=2, rule="MOD-25", severity=Severity.WARNING, category=Category.MODIFIER)
    html = biller_client.get(url(claim)).content.decode()
    claim_level = html.split('data-testid="claim-findings"', 1)[1].split('id="h-lines"', 1)[0]
    assert 'data-rule="TF-LATE"' in claim_level
    assert 'data-category="TIMELY_FILING"' in claim_level
    assert html.index('data-rule="TF-LATE"') < html.index('data-line="1"')
    assert "data-rule=" not in line_block(html, 1)
    assert 'data-rule="MOD-25"' in line_block(html, 2)
    assert 'data-rule="DRUG-ROUTE"' not in line_block(html, 2)
    third = line_block(html, 3)
    assert 'data-rule="DRUG-ROUTE"' in third and 'data-category="DRUG"' in third
    assert "Oral drug with an injection." in third and "Remove 96372." in third


def test_override_reasons_show_with_the_finding(biller_client, biller):
    claim = make_claim(biller, lines=["96372", "J8499"], status=ClaimStatus.FLAGGED, risk=Risk.HIGH)
    add_finding(
        claim,
        line=2,
        rule="DRUG-ROUTE",
        override_reason="Patient could not swallow; given by injection per chart.",
        overridden_by=biller,
    )
    block = text_of(line_block(biller_client.get(url(claim)).content.decode(), 2))
    assert "Acknowledged by biller: Patient could not swallow; given by injection per chart." in block


def test_findings_of_a_line_no_longer_on_the_claim_are_still_shown(biller_client, biller):
    claim = make_claim(biller, lines=["99213"])
    add_finding(claim, line=4, rule="MUE-LINE", category=Category.MUE)
    html = biller_client.get(url(claim)).content.decode()
    claim_level = html.split('data-testid="claim-findings"', 1)[1].split('id="h-lines"', 1)[0]
    assert 'data-rule="MUE-LINE"' in claim_level


# --- history and the patient's other claims -----------------------------------------------------------
def test_status_history_in_order_with_who_when_and_note(biller_client, biller, supervisor):
    claim = make_claim(biller, status=ClaimStatus.FLAGGED)
    for from_status, to_status, user, note in [
        ("", ClaimStatus.DRAFT, biller, "Created"),
        (ClaimStatus.DRAFT, ClaimStatus.CHECKED, biller, "Checked: risk high"),
        (ClaimStatus.CHECKED, ClaimStatus.FLAGGED, supervisor, "Errors acknowledged"),
    ]:
        ClaimStatusChange.objects.create(
            claim=claim, from_status=from_status, to_status=to_status, user=user, note=note
        )
    html = biller_client.get(url(claim)).content.decode()
    history = html.split('data-testid="status-history"', 1)[1].split("</table>", 1)[0]
    rows = [text_of(row) for row in re.findall(r"<tr data-to-status=[^>]*>(.*?)</tr>", history, re.S)]
    assert len(rows) == 3
    assert "New → Draft" in rows[0] and "biller" in rows[0] and "Created" in rows[0]
    assert "Draft → Checked" in rows[1] and "Checked: risk high" in rows[1]
    assert "Checked → Flagged for review" in rows[2] and "supervisor" in rows[2] and "Errors acknowledged" in rows[2]
    change = ClaimStatusChange.objects.filter(claim=claim).first()
    assert f"{localtime(change.at):%m/%d/%Y %H:%M}" in rows[0]  # the practice's time zone, not UTC


def test_patients_other_claims_are_listed_as_far_as_the_user_may_see(biller_client, biller, other_biller):
    patient = make_patient()
    claim = make_claim(biller, patient=patient)
    earlier = make_claim(biller, patient=patient, date_of_service=date(2026, 1, 5))
    someone_elses = make_claim(other_biller, patient=patient)
    make_claim(biller)  # another patient
    html = biller_client.get(url(claim)).content.decode()
    others = html.split('data-testid="other-claims"', 1)[1].split("</ul>", 1)[0]
    assert f'href="{url(earlier)}"' in others
    assert earlier.number in others
    assert someone_elses.number not in html
    assert claim.number not in others
    assert others.count("<li") == 1


def test_supervisor_sees_every_other_claim_of_the_patient(client, supervisor, biller, other_biller):
    patient = make_patient()
    claim = make_claim(biller, patient=patient)
    theirs = make_claim(other_biller, patient=patient)
    client.force_login(supervisor)
    html = client.get(url(claim)).content.decode()
    assert theirs.number in html.split('data-testid="other-claims"', 1)[1]


# --- speed: a fixed number of queries -----------------------------------------------------------------
def _claim_with_lines(user, count: int) -> Claim:
    patient = make_patient()
    claim = make_claim(user, patient=patient, lines=["99213"] * count, status=ClaimStatus.FLAGGED, risk=Risk.HIGH)
    add_finding(claim, line=None, rule="TF-LATE", category=Category.TIMELY_FILING)
    for number in range(1, count + 1):
        add_finding(
            claim, line=number, rule="MUE-LINE", category=Category.MUE, override_reason="ok", overridden_by=user
        )
    for to_status in (ClaimStatus.DRAFT, ClaimStatus.CHECKED, ClaimStatus.FLAGGED):
        ClaimStatusChange.objects.create(claim=claim, to_status=to_status, user=user)
    make_claim(user, patient=patient)
    return claim


@pytest.mark.parametrize("role", ["biller", "supervisor"])
def test_query_count_is_the_same_for_one_and_twenty_lines(client, request, role):
    user = request.getfixturevalue(role)
    client.force_login(user)
    counts = []
    for lines in (1, 20):
        claim = _claim_with_lines(user, lines)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url(claim))
        assert response.status_code == 200
        assert response.content.decode().count('data-rule="MUE-LINE"') == lines
        counts.append(len(captured))
    assert counts[0] == counts[1]


# --- checks that did not run ------------------------------------------------------------------------------
NOT_RUN = [
    {"category": "CODE_VALIDITY", "check": "CPT code validity", "reason": "no CPT code set loaded", "lines": [1, 2]},
    {"category": "MUE", "check": "MUE (units)", "reason": "no MUE limits (practitioner) loaded", "lines": None},
]


def test_claim_page_lists_each_check_that_did_not_run_and_why(biller_client, biller):
    claim = make_claim(
        biller,
        status=ClaimStatus.CHECKED,
        risk=Risk.NONE,
        checked_at=datetime(2026, 3, 10, 14, 5, tzinfo=UTC),
        unchecked_categories=[Category.CODE_VALIDITY, Category.MUE],
        unchecked_checks=NOT_RUN,
    )
    html = biller_client.get(url(claim)).content.decode()
    text = text_of(html)
    assert "CPT code validity (lines 1, 2): no CPT code set loaded" in text
    assert "MUE (units): no MUE limits (practitioner) loaded" in text
    # no findings, but not "no risk" either
    assert 'data-not-run="2"' in html and "No errors or warnings; 2 checks not run" in text
    assert "No risk found" not in text


def test_a_claim_with_no_risk_and_every_check_run_says_no_risk(biller_client, biller):
    claim = make_claim(biller, status=ClaimStatus.CHECKED, risk=Risk.NONE, checked_at=datetime(2026, 3, 10, tzinfo=UTC))
    html = biller_client.get(url(claim)).content.decode()
    assert "No risk found" in text_of(html) and "data-not-run" not in html


def test_checking_a_claim_stores_the_checks_that_did_not_run(biller_client, biller):
    """No reference data at all: every table is missing, and CPT validity is not checked on either line."""
    from claims import services

    claim = make_claim(biller, lines=[make_line("99213"), make_line("99201")])
    services.claim_check(claim=claim, user=biller, today=date(2026, 3, 12))
    claim.refresh_from_db()
    cpt = [entry for entry in claim.unchecked_checks if entry["check"] == "CPT code validity"]
    assert cpt == [NOT_RUN[0]]
    assert claim.unchecked_categories == sorted({entry["category"] for entry in claim.unchecked_checks})
    assert {
        "category": "NCCI_PTP",
        "check": "NCCI PTP (unbundling)",
        "reason": "no NCCI PTP edits (practitioner) loaded",
        "lines": None,
    } in claim.unchecked_checks
    text = text_of(biller_client.get(url(claim)).content.decode())
    assert "CPT code validity (lines 1, 2): no CPT code set loaded" in text
    assert "NCCI PTP (unbundling): no NCCI PTP edits (practitioner) loaded" in text
