"""The entry page's rough edges (issue 12): the live check says nothing of fields not left yet, typing errors are not
acknowledgeable, an incomplete claim is not "no risk", one reason for several findings, acknowledging is no edit,
units shown as typed, the modifiers' messages, and *New claim for this patient* fills the payer."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from claims import services
from claims.choices import ClaimStatus
from claims.models import Claim
from tests.claims.factories import make_claim, make_line, make_payer

from .entry_helpers import entry_data

NEW = reverse("claims:claim_new")
LIVE = reverse("claims:live_check")
ROUTE = "DRG-ROUTE-MISMATCH"
ORAL = "DRG-ORAL-MEDICARE"

pytestmark = pytest.mark.usefixtures("starter_data_for_module")  # tests/claims/conftest.py


@pytest.fixture
def medicare(db):
    return make_payer()


def fresh_claim(**fields) -> dict:
    """What a new claim's form posts when only some fields are typed: everything else empty, one line."""
    data = {
        "payer": "",
        **{name: "" for name in entry_data(make_payer(), [])},
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "50",
        "lines-0-units": "1",
    }
    data.update(fields)
    return data


def oral_drug_claim(payer, **header):
    return entry_data(payer, [{"code": "96372", "charge": "25.00"}, {"code": "J8499", "charge": "10.00"}], **header)


# --- item 3: nothing said about a field not left yet ---------------------------------------------------------
def test_a_fresh_claim_with_only_the_place_typed_shows_no_required_messages(biller_client):
    data = fresh_claim(place_of_service="11", touched="place_of_service")
    html = biller_client.post(LIVE, data).content.decode()
    assert "This field is required" not in html and "data-entry-error" not in html
    assert "data-incomplete=" in html and "in fields not filled in yet" in html  # but it is not complete
    # without the list of fields left (no JavaScript) every problem is said, as before
    everything = biller_client.post(LIVE, {k: v for k, v in data.items() if k != "touched"}).content.decode()
    assert everything.count("This field is required") >= 5


def test_a_half_typed_code_is_not_judged_until_the_field_is_left(biller_client, medicare):
    data = {**oral_drug_claim(medicare), "lines-0-code": "992"}
    typing = [name for name in data if not name.startswith("lines-0-code") and "FORMS" not in name]
    html = biller_client.post(LIVE, {**data, "touched": ",".join(typing)}).content.decode()
    assert "is not a CPT or HCPCS code" not in html
    left = biller_client.post(LIVE, {**data, "touched": ",".join([*typing, "lines-0-code"])}).content.decode()
    assert re.search(r'href="#id_lines-0-code">[^<]*&#x27;992&#x27; is not a CPT or HCPCS code', left)


def test_a_field_left_empty_is_said_once_left(biller_client, medicare):
    data = {**oral_drug_claim(medicare), "member_id": ""}
    assert (
        "Member ID (1a): This field is required."
        not in biller_client.post(LIVE, {**data, "touched": "payer"}).content.decode()
    )
    html = biller_client.post(LIVE, {**data, "touched": "payer,member_id"}).content.decode()
    assert re.search(r'href="#id_member_id">Member ID \(1a\): This field is required', html)


# --- item 4: typing errors are not acknowledgeable; an incomplete claim is not "no risk" ----------------------
def test_units_typed_wrong_get_no_acknowledge_box(biller_client, medicare):
    data = entry_data(medicare, [{"code": "99213", "units": "abc"}])
    html = biller_client.post(LIVE, data).content.decode()
    assert 'data-rule="FMT-UNITS"' in html
    assert 'name="ack-lines-0-FMT-UNITS"' not in html and "data-must-fix" in html
    assert "Acknowledge" not in html.split('id="findings-lines-0"')[1]


def test_the_must_fix_rules_are_format_rules_that_exist():
    from claims.rules import load_rule_modules, registry

    load_rule_modules()
    known = {rule.id: rule for rule in registry.all()}
    assert services.MUST_FIX_RULES <= set(known)
    assert {known[rule].category for rule in services.MUST_FIX_RULES} == {"FORMAT"}


def test_a_reason_for_a_typing_error_does_not_send_the_claim(biller_client, medicare):
    data = entry_data(medicare, [{"code": "99213"}], billing_npi="1234567890")  # check digit fails
    html = biller_client.post(LIVE, data).content.decode()
    assert 'data-rule="FMT-NPI-LUHN"' in html and 'name="ack-claim-FMT-NPI-LUHN"' not in html
    response = biller_client.post(
        NEW, {**data, "action": "submit", "ack-claim-FMT-NPI-LUHN": "NPI confirmed"}, follow=True
    )
    claim = Claim.objects.get()
    assert claim.status == ClaimStatus.CHECKED
    assert claim.findings.get(rule="FMT-NPI-LUHN").override_reason == ""
    html = response.content.decode()
    assert "cannot be acknowledged): FMT-NPI-LUHN" in html


def test_the_summary_says_incomplete_not_no_risk_while_fields_are_missing(biller_client, medicare):
    data = entry_data(medicare, [{"code": "99213"}], member_id="", patient_last_name="")
    html = biller_client.post(LIVE, data).content.decode()
    summary = html.split('id="findings-lines-0"')[0]
    assert 'data-incomplete="2"' in summary and "The claim is incomplete: 2 entries are missing" in summary
    assert 'data-risk="none"' not in summary and "No risk found" not in summary
    complete = biller_client.post(LIVE, entry_data(medicare, [{"code": "99213"}])).content.decode()
    assert "data-incomplete" not in complete and 'data-risk="' in complete


# --- item 6: units as typed; a bad modifier's message under the boxes -----------------------------------------
def test_saved_units_show_without_trailing_zeros(biller_client, biller, medicare):
    lines = [make_line("99213", units=Decimal("4.000")), make_line("36415", units=Decimal("2.5"))]
    claim = make_claim(biller, payer=medicare, lines=lines)
    html = biller_client.get(reverse("claims:claim_edit", args=[claim.pk])).content.decode()
    assert re.search(r'name="lines-0-units" value="4"', html) and re.search(r'name="lines-1-units" value="2.5"', html)
    assert "4.000" not in html


def test_a_bad_modifiers_message_is_under_the_four_boxes(biller_client, medicare):
    data = {**oral_drug_claim(medicare), "lines-0-modifier_2": "Z!", "action": "save"}
    html = biller_client.post(NEW, data).content.decode()
    group = re.search(
        r'aria-labelledby="lines-0-modifiers-label">(.*?)</div>\s*</div>\s*(<div class="invalid.*?</div>)', html, re.S
    )
    assert group, "the modifiers group and the message after it"
    assert "invalid-feedback" not in group.group(1)  # nothing inside the row of boxes to push them aside
    assert "Modifier 2: &#x27;Z!&#x27; is not a modifier" in group.group(2)
    assert 'aria-describedby="id_lines-0-modifier_2-error"' in group.group(1)


# --- item 7: one reason for several; acknowledging is no edit; the payer filled ------------------------------
def test_one_reason_acknowledges_several_findings(biller_client, medicare):
    biller_client.post(NEW, {**oral_drug_claim(medicare), "action": "check"})
    claim = Claim.objects.get()
    errors = list(claim.findings.filter(severity="ERROR"))
    assert {f.rule for f in errors} >= {ROUTE, ORAL}
    data = {**oral_drug_claim(medicare), "version": claim.version, "claim_id": claim.pk, "action": "submit"}
    data["select-ack"] = [f"ack-lines-{f.line_number - 1}-{f.rule}" for f in errors]
    data["select-reason"] = "Secondary payer asked for the denial"
    response = biller_client.post(reverse("claims:claim_edit", args=[claim.pk]), data)
    claim.refresh_from_db()
    assert response.status_code == 302 and claim.status == ClaimStatus.FLAGGED
    assert {f.override_reason for f in claim.findings.filter(severity="ERROR")} == {
        "Secondary payer asked for the denial"
    }


def test_a_findings_own_reason_wins_over_the_shared_one(biller_client, medicare):
    data = {**oral_drug_claim(medicare)}
    data["select-ack"] = [f"ack-lines-0-{ROUTE}", f"ack-lines-1-{ORAL}"]
    data["select-reason"] = "shared"
    data[f"ack-lines-1-{ORAL}"] = "its own"
    html = biller_client.post(LIVE, data).content.decode()
    assert ">shared</textarea>" in html and ">its own</textarea>" in html
    assert html.count('name="select-ack"') >= 2 and html.count("checked>") >= 2  # the picks are kept


def test_acknowledging_and_submitting_writes_no_edited_status_change(biller_client, medicare):
    biller_client.post(NEW, {**oral_drug_claim(medicare), "action": "check"})
    claim = Claim.objects.get()
    data = {**oral_drug_claim(medicare), "version": claim.version, "claim_id": claim.pk, "action": "submit"}
    for finding in claim.findings.filter(severity="ERROR"):
        data[f"ack-lines-{finding.line_number - 1}-{finding.rule}"] = f"Reason for {finding.rule}"
    biller_client.post(reverse("claims:claim_edit", args=[claim.pk]), data)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.FLAGGED
    changes = list(claim.status_changes.order_by("pk").values_list("from_status", "to_status", "note"))
    assert [(old, new) for old, new, _ in changes] == [("", "draft"), ("draft", "checked"), ("checked", "flagged")]
    assert "Edited" not in [note for _, _, note in changes]
    overridden = AuditEvent.objects.filter(action="finding.overridden", claim_id=claim.pk).count()
    assert overridden == claim.findings.filter(severity="ERROR").count()  # the acknowledgements are on the trail


def test_a_changed_field_with_the_reasons_is_still_an_edit(biller_client, medicare):
    biller_client.post(NEW, {**oral_drug_claim(medicare), "action": "check"})
    claim = Claim.objects.get()
    data = {**oral_drug_claim(medicare), "version": claim.version, "claim_id": claim.pk, "action": "save"}
    data["lines-0-charge"] = "30.00"
    biller_client.post(reverse("claims:claim_edit", args=[claim.pk]), data)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.DRAFT
    assert claim.status_changes.order_by("pk").last().note == "Edited"


def test_new_claim_for_this_patient_fills_the_payer_too(biller_client, biller):
    aetna = make_payer("Aetna", payer_type="COMMERCIAL")
    make_payer()  # another payer on the list
    claim = make_claim(biller, payer=aetna)
    html = biller_client.get(NEW, {"from_claim": claim.pk}).content.decode()
    assert re.search(rf'<option value="{aetna.pk}" selected>Aetna</option>', html)


def test_the_rule_catalogue_marks_the_rules_that_cannot_be_acknowledged(biller_client):
    html = biller_client.get(reverse("claims:rule_list")).content.decode()
    marked = set(re.findall(r'data-rule="([^"]+)">(?:(?!</tr>).)*?data-must-fix', html, re.S))
    assert marked == services.MUST_FIX_RULES
