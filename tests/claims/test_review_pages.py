"""The supervisors' review queue and review page: who may open them, the queue's rows, filters, counts, sorts
and bulk assignment, and the review page's snapshot, decisions and refusals. Claims are set up through the
real services (save, submit with overrides, sampling draws), so snapshots and reviews are what they would be."""

from __future__ import annotations

import itertools
import re
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import strip_tags

from audit.models import AuditEvent
from claims import services
from claims.choices import ClaimStatus, OverrideDecisionChoice, QueueReason, ReviewOutcome, Severity
from claims.models import Claim, ClaimReview, OverrideDecision, Patient
from claims.selectors import claim_open_review
from tests.claims.factories import claim_header, make_claim, make_line, make_payer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("starter_data_for_module")]

TODAY = date(2026, 3, 12)
ORAL = "DRG-ORAL-MEDICARE"
ROUTE = "DRG-ROUTE-MISMATCH"
QUEUE = reverse("claims:review_queue")
ASSIGN = reverse("claims:review_assign")
ORAL_DRUG = ("96372", "J8499")  # four errors (route, NDC, NOC detail, oral drug): flagged once acknowledged
DUPLICATE = ("99213", "99213")  # one error: DUP-LINE on line 2
WARNING_ONLY = ("20610", "99213")  # a PTP warning on line 2: low risk, ready
CLEAN = ("99213",)  # no finding: no risk, ready
_members = itertools.count(1)


@pytest.fixture
def supervisor2(django_user_model):
    user = django_user_model.objects.create_user("supervisor2", first_name="Sam", last_name="Second")
    user.groups.add(Group.objects.get(name="Supervisors"))
    return user


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def new_patient(**fields) -> Patient:
    values = {"last_name": "Doe", "first_name": "Jane", "date_of_birth": date(1950, 3, 1), "sex": "F"}
    values.update(fields)
    values.setdefault("member_id", f"1EG4TE5MK{next(_members):03d}")
    return Patient(**values)


def saved(user, codes=ORAL_DRUG, *, patient: Patient | None = None, **header) -> Claim:
    claim = Claim(**{**claim_header(), "payer": header.pop("payer", None) or make_payer(), **header})
    lines = [make_line(code, charge=Decimal("25")) for code in codes]
    return services.claim_save(claim=claim, lines=lines, patient=patient or new_patient(), user=user)


def submit(claim: Claim, user, *, draw: float = 0.99, warnings: bool = False) -> Claim:
    """Submit with a reason for every error (and warning): flagged when errors, else ready and sampled when
    ``draw`` is below the chance."""
    services.claim_check(claim=claim, user=user, today=TODAY)
    severities = (Severity.ERROR, Severity.WARNING) if warnings else (Severity.ERROR,)
    overrides = {f.key: f"reason for {f.rule}" for f in claim.findings.filter(severity__in=severities)}
    return services.claim_submit(claim=claim, user=user, overrides=overrides, today=TODAY, draw=lambda: draw)


def flagged(user, codes=ORAL_DRUG, **header) -> Claim:
    claim = submit(saved(user, codes, **header), user)
    assert claim.status == ClaimStatus.FLAGGED and claim.queue_reason == QueueReason.FLAGGED
    return claim


def risk_sampled(user, **header) -> Claim:
    claim = submit(saved(user, WARNING_ONLY, **header), user, draw=0.0, warnings=True)
    assert claim.status == ClaimStatus.READY and claim.queue_reason == QueueReason.RISK_SAMPLE
    return claim


def random_sampled(user, **header) -> Claim:
    claim = submit(saved(user, CLEAN, **header), user, draw=0.0)
    assert claim.status == ClaimStatus.READY and claim.queue_reason == QueueReason.RANDOM_SAMPLE
    return claim


def not_sampled(user, **header) -> Claim:
    claim = submit(saved(user, CLEAN, **header), user, draw=0.99)
    assert claim.status == ClaimStatus.READY and claim.queue_reason == ""
    return claim


def rows(response) -> list[int]:
    """The claim ids of the queue's rows, in order."""
    assert response.status_code == 200
    return [int(pk) for pk in re.findall(r'<tr data-claim="(\d+)" data-review="\d+">', response.content.decode())]


def counts(response, kind: str) -> dict[str, int]:
    """The queue's counts per reason or risk, as the badges show them."""
    html = response.content.decode()
    return {value: int(n) for value, n in re.findall(rf'data-{kind}="([a-z_]+)" data-count="(\d+)"', html)}


def no_inline_code(html: str) -> bool:
    """No inline script or style (the coming Content Security Policy allows files only)."""
    inline_script = re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    return not inline_script and " style=" not in html and "<style" not in html and " on" + "click=" not in html


def text(response) -> str:
    return " ".join(strip_tags(response.content.decode()).split())


def detail_url(claim: Claim) -> str:
    return reverse("claims:review_detail", args=[claim.pk])


def decide_url(claim: Claim) -> str:
    return reverse("claims:review_decide", args=[claim.pk])


def decide(client, claim: Claim, action: str, *, note: str = "", decisions=None, version=None, follow=False):
    """Post the review page's form: ``decisions`` maps a finding key to (decision, note)."""
    claim.refresh_from_db()
    review = claim_open_review(claim)
    data = {
        "action": action,
        "note": note,
        "version": claim.version if version is None else version,
        "review": review.pk if review else "",
    }
    for key, (decision, decision_note) in (decisions or {}).items():
        suffix = re.sub(r"[^A-Za-z0-9-]", "_", key)
        data[f"decision-{suffix}"] = decision
        data[f"note-{suffix}"] = decision_note
    return client.post(decide_url(claim), data, follow=follow)


def override_keys(claim: Claim) -> list[str]:
    return [f["key"] for f in claim_open_review(claim).snapshot.data["findings"] if f["override"]]


def accept_all(claim: Claim) -> dict[str, tuple[str, str]]:
    return {key: (OverrideDecisionChoice.ACCEPTED, "") for key in override_keys(claim)}


# --- who may open the pages ----------------------------------------------------------------------------
@pytest.mark.parametrize("persona", ["biller", "outsider"])
def test_the_four_pages_are_for_reviewers_only(request, persona, biller):
    claim = flagged(biller)
    client = client_of(request.getfixturevalue(persona))
    assert client.get(QUEUE).status_code == 403
    assert client.get(detail_url(claim)).status_code == 403
    review = claim_open_review(claim)
    assert client.post(ASSIGN, {"review": [review.pk], "action": "me"}).status_code == 403
    response = client.post(decide_url(claim), {"action": "approve", "version": claim.version, "review": review.pk})
    assert response.status_code == 403
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.FLAGGED and claim_open_review(claim).assignee is None


def test_anonymous_users_are_sent_to_the_login_page(client, biller):
    claim = flagged(biller)
    for url in (QUEUE, detail_url(claim)):
        response = client.get(url)
        assert response.status_code == 302 and "login" in response["Location"]


def test_assign_and_decide_take_posts_only(supervisor_client, biller):
    claim = flagged(biller)
    assert supervisor_client.get(ASSIGN).status_code == 405
    assert supervisor_client.get(decide_url(claim)).status_code == 405


# --- the queue -------------------------------------------------------------------------------------------
def test_queue_lists_flagged_and_sampled_claims_not_the_others(supervisor_client, supervisor, biller):
    flag = flagged(biller)
    risk = risk_sampled(biller)
    chance = random_sampled(biller)
    plain = not_sampled(biller)
    draft = saved(biller)
    response = supervisor_client.get(QUEUE)
    shown = rows(response)
    assert set(shown) == {flag.pk, risk.pk, chance.pk}
    assert plain.pk not in shown and draft.pk not in shown
    page = text(response)
    assert "Flagged (errors overridden)" in page and "Risk-weighted sample" in page and "Random sample" in page
    assert "Doe, Jane" in page and "Medicare Part B" in page and "biller" in page
    html = response.content.decode()
    assert f'href="{detail_url(flag)}"' in html
    assert re.search(rf'data-claim="{flag.pk}".*?data-errors="4" data-warnings="\d+" data-overrides="4"', html, re.S)
    assert counts(response, "reason") == {"flagged": 1, "risk_sample": 1, "random_sample": 1, "resubmitted": 0}
    assert counts(response, "risk")["high"] == 1 and counts(response, "risk")["low"] == 1
    assert no_inline_code(html)
    listed = AuditEvent.objects.filter(action="claims.listed", actor=supervisor).latest("sequence")
    assert sorted(listed.data["claims"]) == sorted(shown) and listed.data["page"] == "review queue"


def test_decided_claims_leave_the_queue(supervisor_client, supervisor, biller):
    claim = flagged(biller, DUPLICATE)
    other = random_sampled(biller)
    services.override_decide(
        claim=claim, user=supervisor, finding_key=override_keys(claim)[0], decision=OverrideDecisionChoice.ACCEPTED
    )
    services.review_approve(claim=claim, user=supervisor)
    assert rows(supervisor_client.get(QUEUE)) == [other.pk]


def test_the_patient_is_named_as_entered_on_the_claim(supervisor_client, biller):
    first = flagged(biller, DUPLICATE, patient=new_patient(member_id="XQ1000001", last_name="Rivera", first_name="Ana"))
    # the same patient record, named differently on a later claim: each row shows its own claim's name
    second = flagged(
        biller, DUPLICATE, patient=new_patient(member_id="XQ1000001", last_name="Rivera-Diaz", first_name="Ana")
    )
    assert first.patient_id == second.patient_id
    page = text(supervisor_client.get(QUEUE))
    assert "Rivera, Ana" in page and "Rivera-Diaz, Ana" in page


@pytest.fixture
def queue(biller, other_biller, supervisor, supervisor2):
    """Five claims waiting: two billers, two payers, reasons, risks, dates, one assigned to each supervisor."""
    aetna = make_payer("Aetna PPO", "commercial")
    claims = {
        "oral": flagged(biller, ORAL_DRUG, date_of_service=date(2026, 3, 2)),
        "dup": flagged(other_biller, DUPLICATE, payer=aetna, date_of_service=date(2026, 3, 4)),
        "risk": risk_sampled(biller, date_of_service=date(2026, 3, 6)),
        "random": random_sampled(other_biller, date_of_service=date(2026, 3, 8)),
        "random2": random_sampled(biller, payer=aetna, date_of_service=date(2026, 3, 10)),
    }
    services.review_assign(claims=[claims["oral"]], assignee=supervisor, user=supervisor)
    services.review_assign(claims=[claims["risk"], claims["random"]], assignee=supervisor2, user=supervisor)
    return claims


def _ids(queue, *names) -> set[int]:
    return {queue[name].pk for name in names}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"reason": "flagged"}, ("oral", "dup")),
        ({"reason": "random_sample"}, ("random", "random2")),
        ({"risk": "high"}, ("oral", "dup")),
        ({"risk": "low"}, ("risk",)),
        ({"risk": "none"}, ("random", "random2")),
        ({"category": "DRUG"}, ("oral",)),
        ({"category": "NCCI_PTP"}, ("risk",)),
        ({"rule": ORAL}, ("oral",)),
        ({"rule": "dup-"}, ("dup",)),  # a rule ID's start, in any case
        ({"rule": "PTP-"}, ("risk",)),
        ({"dos_from": "2026-03-04", "dos_to": "2026-03-08"}, ("dup", "risk", "random")),
        ({"dos_from": "2026-03-09"}, ("random2",)),
        ({"assignee": "null"}, ("dup", "random2")),
        ({"mine": "on"}, ("oral",)),
    ],
)
def test_each_filter_narrows_the_rows(supervisor_client, queue, params, expected):
    assert set(rows(supervisor_client.get(QUEUE, params))) == _ids(queue, *expected)


def test_filters_by_biller_payer_and_assignee(supervisor_client, queue, other_biller, supervisor2):
    assert set(rows(supervisor_client.get(QUEUE, {"biller": other_biller.pk}))) == _ids(queue, "dup", "random")
    aetna = make_payer("Aetna PPO", "commercial")
    assert set(rows(supervisor_client.get(QUEUE, {"payer": aetna.pk}))) == _ids(queue, "dup", "random2")
    assert set(rows(supervisor_client.get(QUEUE, {"assignee": supervisor2.pk}))) == _ids(queue, "risk", "random")
    both = {"payer": aetna.pk, "reason": "flagged"}
    assert set(rows(supervisor_client.get(QUEUE, both))) == _ids(queue, "dup")


def test_counts_follow_the_other_filters(supervisor_client, queue):
    whole = supervisor_client.get(QUEUE)
    assert counts(whole, "reason") == {"flagged": 2, "risk_sample": 1, "random_sample": 2, "resubmitted": 0}
    assert counts(whole, "risk") == {"high": 2, "medium": 0, "low": 1, "none": 2}
    aetna = make_payer("Aetna PPO", "commercial")
    narrowed = supervisor_client.get(QUEUE, {"payer": aetna.pk})
    assert counts(narrowed, "reason") == {"flagged": 1, "risk_sample": 0, "random_sample": 1, "resubmitted": 0}
    assert counts(narrowed, "risk") == {"high": 1, "medium": 0, "low": 0, "none": 1}
    # a reason picked: the reason counts still say what the other reasons would show, the risks narrow
    picked = supervisor_client.get(QUEUE, {"reason": "flagged"})
    assert counts(picked, "reason") == {"flagged": 2, "risk_sample": 1, "random_sample": 2, "resubmitted": 0}
    assert counts(picked, "risk") == {"high": 2, "medium": 0, "low": 0, "none": 0}
    # ... and the select's options carry the same counts
    html = picked.content.decode()
    assert re.search(r'<option value="risk_sample"[^>]*>Risk-weighted sample \(1\)</option>', html)
    assert re.search(r'<option value="flagged"[^>]*selected[^>]*>Flagged \(errors overridden\) \(2\)</option>', html)


def test_reversed_dates_are_a_form_error(supervisor_client, queue):
    response = supervisor_client.get(QUEUE, {"dos_from": "2026-03-09", "dos_to": "2026-03-01"})
    assert rows(response) == []
    page = text(response)
    assert "is before the “from” date" in page and "Correct the filter above" in page


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("", ("oral", "dup", "risk", "random", "random2")),  # oldest in the queue first
        ("-created_at", ("random2", "random", "risk", "dup", "oral")),
        ("date_of_service", ("oral", "dup", "risk", "random", "random2")),
        ("-date_of_service", ("random2", "random", "risk", "dup", "oral")),
        ("risk", ("random", "random2", "risk", "oral", "dup")),
        ("-risk", ("oral", "dup", "risk", "random", "random2")),
        ("reason", ("oral", "dup", "risk", "random", "random2")),
        ("-reason", ("random", "random2", "risk", "oral", "dup")),
    ],
)
def test_sorting(supervisor_client, queue, sort, expected):
    params = {"sort": sort} if sort else {}
    assert rows(supervisor_client.get(QUEUE, params)) == [queue[name].pk for name in expected]


def test_25_a_page(supervisor_client, biller):
    claims = [random_sampled(biller) for _ in range(27)]
    assert len(rows(supervisor_client.get(QUEUE))) == 25
    assert rows(supervisor_client.get(QUEUE, {"page": 2})) == [claim.pk for claim in claims[25:]]


def test_my_queue_is_what_is_assigned_to_me(queue, supervisor2):
    client = client_of(supervisor2)
    response = client.get(QUEUE, {"mine": "on"})
    assert set(rows(response)) == _ids(queue, "risk", "random")
    assert "My queue" in text(response)


def test_an_empty_queue_says_so(supervisor_client, biller):
    not_sampled(biller)
    response = supervisor_client.get(QUEUE)
    assert rows(response) == [] and "No claims wait for review" in text(response)


# --- bulk assignment --------------------------------------------------------------------------------------
def test_bulk_assign_gives_the_ticked_claims_to_a_reviewer(supervisor_client, queue, supervisor2):
    reviews = [claim_open_review(queue[name]) for name in ("dup", "random2")]
    response = supervisor_client.post(
        ASSIGN,
        {"review": [r.pk for r in reviews], "assignee": supervisor2.pk, "action": "assign", "query": "reason=flagged"},
    )
    assert response.status_code == 302 and response["Location"] == f"{QUEUE}?reason=flagged"
    for review in reviews:
        review.refresh_from_db()
        assert review.assignee == supervisor2 and review.assigned_at
    page = text(supervisor_client.get(response["Location"]))
    assert "Assigned 2 claims to Sam Second (supervisor2)." in page
    assert AuditEvent.objects.filter(action="review.assigned", claim_id=queue["dup"].pk).exists()


def test_bulk_assign_refuses_claims_the_reviewer_edited(supervisor_client, biller, supervisor2):
    edited = saved(biller, DUPLICATE)
    services.claim_save(
        claim=edited,
        lines=[make_line("99213"), make_line("99213")],
        patient=new_patient(),
        user=supervisor2,
        version=edited.version,
    )
    edited = flagged_from(edited, biller)
    other = flagged(biller, DUPLICATE)
    reviews = [claim_open_review(edited), claim_open_review(other)]
    response = supervisor_client.post(
        ASSIGN, {"review": [r.pk for r in reviews], "assignee": supervisor2.pk, "action": "assign"}, follow=True
    )
    page = text(response)
    assert "Assigned 1 claim to Sam Second (supervisor2)." in page
    assert f"Not assigned (1 claim): supervisor2 created or edited {edited.number}." in page
    assert claim_open_review(edited).assignee is None and claim_open_review(other).assignee == supervisor2


def flagged_from(claim: Claim, user) -> Claim:
    claim = submit(claim, user)
    assert claim.status == ClaimStatus.FLAGGED
    return claim


def test_assign_to_me_and_unassign(supervisor_client, supervisor, queue):
    review = claim_open_review(queue["dup"])
    response = supervisor_client.post(ASSIGN, {"review": [review.pk], "action": "me"}, follow=True)
    assert "Assigned 1 claim to supervisor." in text(response)
    review.refresh_from_db()
    assert review.assignee == supervisor
    supervisor_client.post(ASSIGN, {"review": [review.pk], "assignee": "none", "action": "assign"})
    review.refresh_from_db()
    assert review.assignee is None


def test_assign_needs_ticked_claims_and_a_reviewer(supervisor_client, queue):
    page = text(supervisor_client.post(ASSIGN, {"action": "assign", "assignee": "none"}, follow=True))
    assert "Tick at least one claim to assign." in page
    review = claim_open_review(queue["dup"])
    page = text(supervisor_client.post(ASSIGN, {"review": [review.pk], "action": "assign"}, follow=True))
    assert "Choose the reviewer to assign the ticked claims to." in page


def test_assign_to_me_from_the_review_page(supervisor_client, supervisor, biller):
    claim = flagged(biller)
    review = claim_open_review(claim)
    assert 'value="me">Assign to me</button>' in supervisor_client.get(detail_url(claim)).content.decode()
    response = supervisor_client.post(ASSIGN, {"review": [review.pk], "action": "me", "next": detail_url(claim)})
    assert response.status_code == 302 and response["Location"] == detail_url(claim)
    review.refresh_from_db()
    assert review.assignee == supervisor
    assert 'value="me">Assign to me</button>' not in supervisor_client.get(detail_url(claim)).content.decode()
    # an address elsewhere is not followed: back to the queue
    response = supervisor_client.post(ASSIGN, {"review": [review.pk], "action": "me", "next": "https://evil.example/"})
    assert response["Location"] == QUEUE


def test_billers_are_not_offered_as_reviewers(supervisor_client, queue, biller, other_biller):
    review = claim_open_review(queue["dup"])
    response = supervisor_client.post(ASSIGN, {"review": [review.pk], "assignee": biller.pk, "action": "assign"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.assignee is None
    html = supervisor_client.get(QUEUE).content.decode()
    select = re.search(r'<select name="assignee"[^>]*id="assign_assignee"[^>]*>.*?</select>', html, re.S)
    assert select and "supervisor2" in select.group(0) and ">biller<" not in select.group(0)


# --- the review page -----------------------------------------------------------------------------------
def test_review_page_shows_the_snapshot_its_findings_and_rules(supervisor_client, supervisor, biller):
    claim = flagged(biller)
    response = supervisor_client.get(detail_url(claim))
    assert response.status_code == 200
    html = response.content.decode()
    page = text(response)
    assert "Review of " + claim.number in page
    assert "Doe, Jane" in page and "Medicare Part B" in page and "03/09/2026" in page and "J45.909" in page
    assert 'data-line="1"' in html and 'data-line="2"' in html
    # each finding: its rule linked to the catalogue, the rule's explanation, source, the biller's reason
    rule_list = reverse("claims:rule_list")
    assert f'href="{rule_list}#{ORAL}"' in html and f'href="{rule_list}#{ROUTE}"' in html
    assert f"reason for {ORAL}" in page and "Biller's reason (biller" in page
    assert "About DRG-ORAL-MEDICARE" in page and "Source:" in page
    # one decision control per override, named safely
    assert html.count('type="radio"') == 8
    assert f'name="decision-2_{ORAL}"' in html and f'name="note-2_{ORAL}"' in html
    assert f'name="version" value="{claim.version}"' in html
    assert no_inline_code(html)
    # the page shows patient data: the look is on the trail
    viewed = AuditEvent.objects.filter(action="claim.viewed", claim_id=claim.pk)
    assert viewed.count() == 1 and viewed.get().actor == supervisor and viewed.get().data == {"page": "review"}


def test_review_page_lists_the_patients_other_claims(supervisor_client, biller):
    claim = flagged(biller, patient=new_patient(member_id="ZZ9000001"))
    others = [make_claim(biller, patient=claim.patient, date_of_service=date(2025, 1, day)) for day in range(1, 23)]
    make_claim(biller)  # another patient
    html = supervisor_client.get(detail_url(claim)).content.decode()
    listed = re.search(r'data-testid="other-claims">(.*?)</ul>', html, re.S).group(1)
    shown = [int(pk) for pk in re.findall(r'data-claim="(\d+)"', listed)]
    assert len(shown) == 20 and claim.pk not in shown and set(shown) <= {o.pk for o in others}


def test_a_claim_never_in_the_queue_has_no_review_page(supervisor_client, biller):
    assert supervisor_client.get(detail_url(not_sampled(biller))).status_code == 404
    assert supervisor_client.get(detail_url(saved(biller))).status_code == 404
    assert supervisor_client.get(reverse("claims:review_detail", args=[999999])).status_code == 404


def test_accept_one_override_and_reject_another_with_a_note(supervisor_client, supervisor, biller):
    claim = flagged(biller)
    response = decide(
        supervisor_client,
        claim,
        "save",
        decisions={f"2:{ORAL}": ("accepted", ""), f"1:{ROUTE}": ("rejected", "Route does not match the drug")},
        follow=True,
    )
    assert "Saved 2 override decisions" in text(response)
    decisions = {d.finding_key: d for d in OverrideDecision.objects.filter(review__claim=claim)}
    assert decisions[f"2:{ORAL}"].decision == "accepted" and decisions[f"2:{ORAL}"].decided_by == supervisor
    assert decisions[f"1:{ROUTE}"].decision == "rejected"
    assert decisions[f"1:{ROUTE}"].note == "Route does not match the drug"
    # the page shows the recorded decisions, checked
    html = supervisor_client.get(detail_url(claim)).content.decode()
    assert re.search(rf'id="decision-1_{ROUTE}-rejected" value="rejected" checked', html)
    assert "Route does not match the drug</textarea>" in html
    # posting the same decisions again records nothing new
    again = decide(
        supervisor_client,
        claim,
        "save",
        decisions={f"2:{ORAL}": ("accepted", ""), f"1:{ROUTE}": ("rejected", "Route does not match the drug")},
        follow=True,
    )
    assert "No override decision changed." in text(again)
    assert AuditEvent.objects.filter(action__startswith="override.", claim_id=claim.pk).count() == 2


def test_rejecting_without_a_note_is_refused_and_nothing_is_saved(supervisor_client, biller):
    claim = flagged(biller)
    response = decide(
        supervisor_client,
        claim,
        "save",
        decisions={f"2:{ORAL}": ("accepted", "fine"), f"1:{ROUTE}": ("rejected", "")},
        note="my claim note",
    )
    assert response.status_code == 422
    page = text(response)
    assert f"Say why the override of {ROUTE} is rejected" in page
    html = response.content.decode()
    assert f'id="note-1_{ROUTE}-error"' in html and "is-invalid" in html
    # what was typed is kept
    assert re.search(rf'id="decision-2_{ORAL}-accepted" value="accepted" checked', html)
    assert "fine</textarea>" in html and "my claim note</textarea>" in html
    assert not OverrideDecision.objects.filter(review__claim=claim).exists()


def test_a_note_without_a_decision_is_kept_and_asked_for(supervisor_client, biller):
    claim = flagged(biller)
    response = decide(supervisor_client, claim, "save", decisions={f"1:{ROUTE}": ("", "half-typed note")})
    assert response.status_code == 422
    assert f"Accept or reject the override of {ROUTE} (line 1): it has a note." in text(response)
    assert "half-typed note</textarea>" in response.content.decode()


def test_approve_is_refused_with_a_rejected_override(supervisor_client, biller):
    claim = flagged(biller)
    decisions = accept_all(claim)
    decisions[f"1:{ROUTE}"] = ("rejected", "Wrong route")
    response = decide(supervisor_client, claim, "approve", decisions=decisions, note="ok")
    assert response.status_code == 422
    page = text(response)
    assert f"cannot be approved with a rejected override ({ROUTE} (line 1): Wrong route)" in page
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.FLAGGED and claim_open_review(claim) is not None
    html = response.content.decode()
    assert re.search(rf'id="decision-1_{ROUTE}-rejected" value="rejected" checked', html)
    assert "Wrong route</textarea>" in html and ">ok</textarea>" in html


def test_approve_with_every_override_accepted(supervisor_client, supervisor, biller):
    claim = flagged(biller)
    response = decide(supervisor_client, claim, "approve", decisions=accept_all(claim), note="Looks right")
    assert response.status_code == 302 and response["Location"] == QUEUE
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.REVIEWED and claim.review_outcome == ReviewOutcome.APPROVED
    review = ClaimReview.objects.get(claim=claim)
    assert review.outcome == ReviewOutcome.APPROVED and review.note == "Looks right" and review.decided_by == supervisor
    assert review.decisions.count() == 4
    page = text(supervisor_client.get(QUEUE))
    assert f"Approved {claim.number}: it is ready to send." in page
    # the page of a decided claim is read only
    decided = supervisor_client.get(detail_url(claim))
    assert decided.status_code == 200
    assert 'data-testid="review-decided"' in decided.content.decode()
    assert 'type="radio"' not in decided.content.decode() and "Approved by supervisor" in text(decided)


def test_approve_refuses_undecided_overrides(supervisor_client, biller):
    claim = flagged(biller)
    response = decide(supervisor_client, claim, "approve", decisions={f"2:{ORAL}": ("accepted", "")})
    assert response.status_code == 422 and "Decide on every override before approving" in text(response)


def test_sampled_claim_without_overrides_is_approved(supervisor_client, biller):
    claim = random_sampled(biller)
    response = decide(supervisor_client, claim, "approve")
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.REVIEWED and claim.review_outcome == ReviewOutcome.APPROVED


def test_return_with_a_note_sends_the_claim_back_to_draft(supervisor_client, biller):
    claim = flagged(biller)
    decisions = {f"1:{ROUTE}": ("rejected", "Route does not match")}
    response = decide(supervisor_client, claim, "return", decisions=decisions, note="Fix the route", follow=True)
    assert f"Returned {claim.number} to its biller" in text(response)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.DRAFT and claim.review_outcome == ReviewOutcome.RETURNED and claim.is_editable
    review = ClaimReview.objects.get(claim=claim)
    assert review.outcome == ReviewOutcome.RETURNED and review.note == "Fix the route"
    assert review.decisions.get().note == "Route does not match"


def test_return_without_a_note_keeps_what_was_typed(supervisor_client, biller):
    claim = flagged(biller)
    decisions = {f"1:{ROUTE}": ("rejected", "Route does not match")}
    response = decide(supervisor_client, claim, "return", decisions=decisions, note="  ")
    assert response.status_code == 422
    assert "Say why the claim is returned" in text(response)
    assert "Route does not match</textarea>" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.FLAGGED
    assert not OverrideDecision.objects.filter(review__claim=claim).exists()  # one transaction: nothing kept


def test_a_stale_version_is_a_conflict(supervisor_client, biller):
    claim = flagged(biller)
    response = decide(
        supervisor_client, claim, "return", note="Please fix", version=claim.version - 1, decisions=accept_all(claim)
    )
    assert response.status_code == 409
    assert "changed since you opened it" in text(response)
    assert "Please fix</textarea>" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.FLAGGED
    assert not OverrideDecision.objects.filter(review__claim=claim).exists()


@pytest.mark.parametrize("version", ["", "abc", "٣"])
def test_a_decision_without_a_version_is_refused(supervisor_client, biller, version):
    claim = flagged(biller)
    response = decide(supervisor_client, claim, "approve", note="Fine", version=version, decisions=accept_all(claim))
    assert response.status_code == 409
    assert "without saying which version" in text(response)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.FLAGGED
    assert not OverrideDecision.objects.filter(review__claim=claim).exists()


def test_deciding_after_another_reviewer_did_keeps_the_typed_note(supervisor_client, supervisor2, biller):
    claim = flagged(biller, DUPLICATE)
    version = claim.version
    review = claim_open_review(claim)
    services.review_return(claim=claim, user=supervisor2, note="Returned first")
    response = supervisor_client.post(
        decide_url(claim), {"action": "return", "note": "My own note", "version": version, "review": review.pk}
    )
    assert response.status_code == 409
    page = text(response)
    assert "changed since you opened it" in page and "What you typed (not saved)" in page and "My own note" in page
    assert "Returned to the biller by supervisor2" in page


def test_unknown_action_is_refused(supervisor_client, biller):
    claim = flagged(biller)
    assert decide(supervisor_client, claim, "maybe").status_code == 422


def test_nobody_reviews_a_claim_they_edited(biller, supervisor2):
    claim = saved(biller)
    lines = [make_line(code, charge=Decimal("25")) for code in ORAL_DRUG]
    services.claim_save(
        claim=claim, lines=lines, patient=new_patient(), user=supervisor2, version=claim.version
    )  # a supervisor edits it
    claim = flagged_from(claim, biller)
    client = client_of(supervisor2)
    response = client.get(detail_url(claim))
    html = response.content.decode()
    assert 'data-testid="self-review"' in html
    assert "You created or edited this claim: another supervisor must review it." in text(response)
    fieldsets = re.findall(r"<fieldset[^>]*>", html)
    assert len(fieldsets) == 5 and all(" disabled" in fieldset for fieldset in fieldsets)  # 4 overrides, the claim
    refused = decide(client, claim, "approve", decisions=accept_all(claim))
    assert refused.status_code == 422
    assert f"You created or edited {claim.number}: another supervisor must review it." in text(refused)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.FLAGGED


def test_a_claim_that_came_back_shows_what_changed(supervisor_client, supervisor, biller):
    claim = flagged(biller)
    decide(
        supervisor_client,
        claim,
        "return",
        decisions={f"1:{ROUTE}": ("rejected", "96372 is not for an oral drug")},
        note="Bill the administration correctly",
    )
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.DRAFT
    lines = [make_line("96374", charge=Decimal("25")), make_line("J8499", charge=Decimal("10"))]
    services.claim_save(
        claim=claim, lines=lines, patient=new_patient(member_id=claim.member_id), user=biller, version=claim.version
    )
    claim = flagged_from(claim, biller)
    review = claim_open_review(claim)
    assert review.snapshot.number == 2
    response = supervisor_client.get(detail_url(claim))
    html = response.content.decode()
    page = text(response)
    # the new submission is the one under review
    assert 'href="/codes/96374/"' in html and 'href="/codes/96372/"' not in html and "Submission 2" in page
    changes = re.search(r'data-testid="change-list">(.*?)</ul>', html, re.S).group(1)
    assert "line 1 code: 96372 → 96374" in changes and "line 2 charge: 25 → 10" in changes
    assert "Bill the administration correctly" in page and "96372 is not for an oral drug" in page
    # the decisions of the previous review are not carried over: the new submission is decided afresh
    assert not review.decisions.exists() and not re.search(r'type="radio"[^>]*checked', html)


def test_the_finding_changes_between_submissions(supervisor_client, biller):
    claim = flagged(biller, DUPLICATE)
    decide(supervisor_client, claim, "return", note="Duplicate line")
    claim.refresh_from_db()
    services.claim_save(
        claim=claim,
        lines=[make_line(c, charge=Decimal("25")) for c in ORAL_DRUG],
        patient=new_patient(member_id=claim.member_id),
        user=biller,
        version=claim.version,
    )
    claim = flagged_from(claim, biller)
    html = supervisor_client.get(detail_url(claim)).content.decode()
    assert 'data-removed="2:DUP-LINE"' in html
    assert f'data-added="2:{ORAL}"' in html and f'data-added="1:{ROUTE}"' in html


# --- query counts -----------------------------------------------------------------------------------------
def _queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "params", [{}, {"sort": "-risk", "category": "DRUG"}, {"mine": "on", "reason": "flagged"}, {"assignee": "null"}]
)
def test_queue_query_count_is_the_same_for_one_and_twenty_reviews(supervisor_client, supervisor, biller, params):
    def add(n):
        claims = [flagged(biller) for _ in range(n)]
        services.review_assign(claims=claims, assignee=supervisor, user=supervisor)

    add(1)
    one = _queries(supervisor_client, QUEUE, params)
    add(19)
    twenty = _queries(supervisor_client, QUEUE, params)
    assert len(rows(supervisor_client.get(QUEUE, params))) == (20 if params != {"assignee": "null"} else 0)
    assert one == twenty


def test_review_page_query_count_is_the_same_for_one_and_twenty_lines(supervisor_client, biller):
    small = flagged(biller, ("J8499",))
    large = flagged(biller, ("J8499",) + ("96372",) * 19)
    assert len(claim_open_review(large).snapshot.data["lines"]) == 20
    assert len(claim_open_review(large).snapshot.data["findings"]) >= 20
    assert _queries(supervisor_client, detail_url(small)) == _queries(supervisor_client, detail_url(large))


def test_review_page_query_count_of_a_claim_that_came_back(supervisor_client, supervisor, biller):
    def came_back(codes):
        claim = flagged(biller, codes)
        services.review_return(claim=claim, user=supervisor, note="again")
        claim.refresh_from_db()
        lines = [make_line(code, charge=Decimal("25")) for code in codes]
        services.claim_save(
            claim=claim, lines=lines, patient=new_patient(member_id=claim.member_id), user=biller, version=claim.version
        )
        return flagged_from(claim, biller)

    small, large = came_back(("J8499",)), came_back(("J8499",) + ("96372",) * 19)
    assert _queries(supervisor_client, detail_url(small)) == _queries(supervisor_client, detail_url(large))


def test_review_page_says_which_checks_did_not_run(supervisor_client, biller):
    """Starter data only: CPT validity cannot be checked; the claim is not shown as "no risk"."""
    claim = random_sampled(biller)
    snapshot = claim.reviews.get().snapshot
    assert snapshot.data["unchecked_checks"] == [
        {"category": "CODE_VALIDITY", "check": "CPT code validity", "reason": "no CPT code set loaded", "lines": [1]}
    ]
    response = supervisor_client.get(detail_url(claim))
    html = response.content.decode()
    page = text(response)
    assert "Not checked, so not passed either: CPT code validity (line 1): no CPT code set loaded" in page
    assert 'data-not-run="1"' in html and "No errors or warnings; 1 check not run" in page
    assert 'data-not-run="1"' in supervisor_client.get(QUEUE).content.decode()  # the queue's badge too
