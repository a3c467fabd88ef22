"""Review workflow services: snapshots, sampling, the queue, decisions on overrides and claims, voiding,
patient and provider records — and the audit event each action writes."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from audit.models import AuditEvent
from claims import services
from claims.choices import ClaimStatus, OverrideDecisionChoice, QueueReason, Risk
from claims.models import (
    Claim,
    ClaimNotDeletable,
    ClaimReview,
    ClaimSnapshot,
    Patient,
    Provider,
    ReviewSettings,
    SnapshotImmutable,
)
from claims.selectors import claim_editor_ids
from tests.claims.factories import claim_header, make_line, make_payer

TODAY = date(2026, 3, 12)
ORAL = "DRG-ORAL-MEDICARE"
ROUTE = "DRG-ROUTE-MISMATCH"
NOT_SAMPLED = 0.99  # a draw above every share
SAMPLED = 0.0


pytestmark = pytest.mark.usefixtures("starter_data_for_module")  # tests/claims/conftest.py


def entered_patient(**fields) -> Patient:
    values = {"last_name": "Doe", "first_name": "Jane", "date_of_birth": date(1950, 3, 1), "sex": "F"}
    values.update(fields)
    values.setdefault("member_id", "1EG4TE5MK72")
    return Patient(**values)


def save(user, lines=None, **patient_fields) -> Claim:
    lines = lines or [make_line("96372", charge=Decimal("25")), make_line("J8499", charge=Decimal("10"))]
    claim = Claim(**{**claim_header(), "payer": make_payer()})
    return services.claim_save(claim=claim, lines=lines, patient=entered_patient(**patient_fields), user=user)


REASONS = {f"1:{ROUTE}": "Route documented as IM", f"2:{ORAL}": "Secondary payer covers it"}


def flag(user, **patient_fields) -> Claim:
    """A claim submitted with every error acknowledged (route and oral-drug ones with their own reasons):
    flagged, in the queue."""
    claim = save(user, **patient_fields)
    services.claim_check(claim=claim, user=user, today=TODAY)
    overrides = {f.key: REASONS.get(f.key, f"Reason for {f.rule}") for f in claim.findings.filter(severity="ERROR")}
    return services.claim_submit(claim=claim, user=user, overrides=overrides, today=TODAY, draw=lambda: NOT_SAMPLED)


def override_keys(claim: Claim) -> list[str]:
    return [f["key"] for f in claim.snapshots.order_by("-number").first().data["findings"] if f["override"]]


def accept_all(claim: Claim, user, *, but: str = "") -> None:
    for key in override_keys(claim):
        if key != but:
            services.override_decide(claim=claim, user=user, finding_key=key, decision="accepted")


@pytest.fixture
def second_supervisor(django_user_model):
    user = django_user_model.objects.create_user("supervisor2", first_name="Dana", last_name="Brooks")
    user.groups.add(Group.objects.get(name="Supervisors"))
    return user


@pytest.fixture
def flagged(db, biller):
    return flag(biller)


# --- snapshots ----------------------------------------------------------------------------------------
def test_submitting_freezes_header_patient_lines_findings_and_overrides(flagged, biller):
    snapshot = flagged.snapshots.get()
    assert (snapshot.number, snapshot.status, snapshot.risk, snapshot.created_by) == (1, "flagged", "high", biller)
    data = snapshot.data
    assert data["header"]["member_id"] == "1EG4TE5MK72" and data["header"]["patient_last_name"] == "Doe"
    assert data["header"]["billing_npi"] == "1234567893" and data["header"]["payer"] == "Medicare Part B"
    assert [line["code"] for line in data["lines"]] == ["96372", "J8499"]
    overridden = {f["key"]: f["override"] for f in data["findings"] if f["override"]}
    assert overridden["2:" + ORAL]["reason"] == "Secondary payer covers it"
    assert overridden["2:" + ORAL]["by_id"] == biller.pk and overridden["2:" + ORAL]["at"]
    assert all(f["data_release"] for f in data["findings"] if f["rule"] == ORAL)
    assert data["reference_releases"] == flagged.reference_releases


def test_a_snapshot_cannot_be_changed_or_deleted(flagged):
    snapshot = flagged.snapshots.get()
    snapshot.risk = Risk.NONE
    with pytest.raises(SnapshotImmutable):
        snapshot.save()
    with pytest.raises(SnapshotImmutable):
        snapshot.delete()


def test_a_later_edit_makes_a_new_snapshot_and_leaves_the_old_one(flagged, biller, supervisor):
    first = flagged.snapshots.get()
    frozen = dict(first.data)
    services.review_return(claim=flagged, user=supervisor, note="Use the IM drug code")
    claim = Claim.objects.get(pk=flagged.pk)
    services.claim_save(
        claim=claim, lines=[make_line("99213")], patient=entered_patient(), user=biller, version=claim.version
    )
    services.claim_submit(claim=claim, user=biller, today=TODAY, draw=lambda: SAMPLED)
    snapshots = list(ClaimSnapshot.objects.filter(claim=flagged).order_by("number"))
    assert [s.number for s in snapshots] == [1, 2]
    assert snapshots[1].queue_reason == QueueReason.RESUBMITTED  # back to the queue, whatever the draw
    assert ClaimReview.objects.get(claim=flagged, outcome="").reason == QueueReason.RESUBMITTED
    assert snapshots[0].data == frozen
    assert [line["code"] for line in snapshots[1].data["lines"]] == ["99213"]
    changes = services.claim_changes(snapshots[0].data, snapshots[1].data)
    assert ["line 1 code", "96372", "99213"] in changes
    assert ["line 2", "J8499 × 1 $10", ""] in changes


# --- sampling -------------------------------------------------------------------------------------------
def test_flagged_claims_always_enter_the_queue(flagged):
    review = ClaimReview.objects.get(claim=flagged)
    assert review.reason == QueueReason.FLAGGED and review.is_open and flagged.queue_reason == QueueReason.FLAGGED
    errors = flagged.findings.filter(severity="ERROR").count()
    assert errors >= 2 and flagged.snapshots.get().sampling == f"flagged: {errors} error(s) acknowledged by the biller"


def test_a_sampled_ready_claim_enters_the_queue_with_its_reason(db, biller):
    claim = save(biller, lines=[make_line("99213")])
    claim = services.claim_submit(claim=claim, user=biller, today=TODAY, draw=lambda: SAMPLED)
    assert claim.status == ClaimStatus.READY and claim.queue_reason == QueueReason.RANDOM_SAMPLE  # risk none
    assert not claim.is_editable
    snapshot = claim.snapshots.get()
    assert snapshot.sampling.startswith("random sample: chance 2.00%, drew 0.0000")
    event = AuditEvent.objects.get(claim_id=claim.pk, action="review.sampled")
    assert event.data["reason"] == QueueReason.RANDOM_SAMPLE and "drew 0.0000" in event.data["explanation"]


def test_an_unsampled_ready_claim_records_why_not(db, biller):
    claim = services.claim_submit(
        claim=save(biller, lines=[make_line("99213")]), user=biller, today=TODAY, draw=lambda: 0.5
    )
    assert claim.queue_reason == "" and not ClaimReview.objects.filter(claim=claim).exists()
    event = AuditEvent.objects.get(claim_id=claim.pk, action="review.not_sampled")
    assert "not sampled: none risk" in event.summary and "drew 0.5000" in event.summary


@pytest.mark.parametrize(
    ("risk", "expected_risk_chance"),
    [(Risk.NONE, 0.0), (Risk.LOW, 0.05), (Risk.MEDIUM, 0.10), (Risk.HIGH, 0.20)],
)
def test_risk_weighted_chances_follow_the_settings(db, risk, expected_risk_chance):
    assert services.sampling_chances(risk, ReviewSettings.current()) == pytest.approx((expected_risk_chance, 0.02))


@pytest.mark.parametrize("risk", [Risk.NONE, Risk.LOW, Risk.MEDIUM])
def test_the_shares_hold_on_10000_claims(db, risk):
    """Both shares hold statistically: within 4 standard deviations of the expected count, for 10,000 draws."""
    review_settings = ReviewSettings.current()
    rng = random.Random(20261203)
    draws = [services.sampling_draw(risk, review_settings, draw=rng.random) for _ in range(10_000)]
    risk_chance, random_chance = services.sampling_chances(risk, review_settings)
    expected = {
        QueueReason.RISK_SAMPLE: risk_chance,
        QueueReason.RANDOM_SAMPLE: (1 - risk_chance) * random_chance,
    }
    for reason, chance in expected.items():
        count = sum(1 for draw in draws if draw.reason == reason)
        spread = 4 * (10_000 * chance * (1 - chance)) ** 0.5
        assert abs(count - 10_000 * chance) <= max(spread, 1), (reason, count)
    assert all(draw.explanation for draw in draws)


def test_supervisors_change_the_shares(db, supervisor):
    row = ReviewSettings.current()
    row.risk_sample_percent, row.random_sample_percent = Decimal(50), Decimal(0)
    services.review_settings_save(settings_row=row, user=supervisor)
    assert services.sampling_chances(Risk.MEDIUM, ReviewSettings.current()) == pytest.approx((0.5, 0.0))


# --- decisions ------------------------------------------------------------------------------------------
def test_accept_every_override_then_approve(flagged, supervisor):
    assert {f"1:{ROUTE}", f"2:{ORAL}"} <= set(override_keys(flagged))
    accept_all(flagged, supervisor)
    claim = services.review_approve(claim=flagged, user=supervisor, version=flagged.version)
    assert (claim.status, claim.review_outcome, claim.queue_reason) == ("reviewed", "approved", "")
    review = ClaimReview.objects.get(claim=claim)
    assert (review.outcome, review.decided_by) == ("approved", supervisor)
    assert not claim.is_editable


def test_approving_with_a_rejected_override_is_refused_with_the_reason(flagged, supervisor):
    accept_all(flagged, supervisor, but=f"2:{ORAL}")
    services.override_decide(
        claim=flagged, user=supervisor, finding_key=f"2:{ORAL}", decision="rejected", note="Oral drug: bill Part D"
    )
    with pytest.raises(services.ReviewError, match=rf"rejected override \({ORAL} \(line 2\): Oral drug: bill Part D\)"):
        services.review_approve(claim=flagged, user=supervisor)
    assert Claim.objects.get(pk=flagged.pk).status == ClaimStatus.FLAGGED


def test_approving_needs_every_override_decided(flagged, supervisor):
    accept_all(flagged, supervisor, but=f"2:{ORAL}")
    with pytest.raises(services.ReviewError, match=f"Decide on every override before approving: {ORAL}"):
        services.review_approve(claim=flagged, user=supervisor)


def test_rejecting_needs_a_note_and_a_known_override(flagged, supervisor):
    with pytest.raises(services.ReviewError, match="Say why the override"):
        services.override_decide(claim=flagged, user=supervisor, finding_key=f"2:{ORAL}", decision="rejected")
    with pytest.raises(services.ReviewError, match="has no override 3:NOPE"):
        services.override_decide(claim=flagged, user=supervisor, finding_key="3:NOPE", decision="accepted")


def test_a_decision_can_be_changed_before_the_claim_is_decided(flagged, supervisor):
    key = f"2:{ORAL}"
    services.override_decide(claim=flagged, user=supervisor, finding_key=key, decision="rejected", note="No")
    services.override_decide(claim=flagged, user=supervisor, finding_key=key, decision="accepted")
    review = ClaimReview.objects.get(claim=flagged)
    assert list(review.decisions.values_list("finding_key", "decision")) == [(key, OverrideDecisionChoice.ACCEPTED)]


def test_return_with_a_note_sends_the_claim_back_to_draft_marked(flagged, supervisor, biller):
    claim = services.review_return(claim=flagged, user=supervisor, note="Bill the oral drug to Part D")
    assert (claim.status, claim.review_outcome, claim.queue_reason) == ("draft", "returned", "")
    assert claim.is_returned and claim.is_editable
    assert ClaimReview.objects.get(claim=claim).note == "Bill the oral drug to Part D"
    with pytest.raises(services.ReviewError, match="Say why"):
        services.review_return(claim=flag(biller, member_id="OTHER1"), user=supervisor, note="  ")


def test_nobody_reviews_a_claim_they_created_or_edited(db, biller, supervisor, second_supervisor):
    own = flag(supervisor)
    with pytest.raises(services.ReviewError, match="another supervisor must review it"):
        services.review_approve(claim=own, user=supervisor)
    edited = save(biller, member_id="EDITED1")
    services.claim_save(
        claim=edited,
        lines=[make_line("96372"), make_line("J8499")],
        patient=entered_patient(member_id="EDITED1"),
        user=supervisor,
        version=edited.version,
    )
    services.claim_check(claim=edited, user=biller, today=TODAY)
    overrides = {f.key: "r" for f in edited.findings.filter(severity="ERROR")}
    edited = services.claim_submit(
        claim=edited, user=biller, overrides=overrides, today=TODAY, draw=lambda: NOT_SAMPLED
    )
    assert supervisor.pk in claim_editor_ids(edited)
    with pytest.raises(services.ReviewError, match="another supervisor"):
        services.override_decide(claim=edited, user=supervisor, finding_key=f"1:{ROUTE}", decision="accepted")
    services.override_decide(claim=edited, user=second_supervisor, finding_key=f"1:{ROUTE}", decision="accepted")


def test_billers_do_not_review(flagged, other_biller):
    with pytest.raises(services.ReviewError, match="Only supervisors"):
        services.review_return(claim=flagged, user=other_biller, note="x")


def test_a_stale_review_page_is_refused(flagged, supervisor):
    with pytest.raises(services.StaleClaimError, match="changed since you opened it"):
        services.review_return(claim=flagged, user=supervisor, note="x", version=flagged.version - 1)


def test_a_claim_not_in_the_queue_is_not_reviewed(db, biller, supervisor):
    claim = save(biller)
    with pytest.raises(services.ReviewError, match="not waiting for review"):
        services.review_approve(claim=claim, user=supervisor)


# --- assignment -------------------------------------------------------------------------------------------
def test_bulk_assign_refuses_claims_the_reviewer_edited(db, biller, supervisor, second_supervisor):
    mine = flag(supervisor, member_id="SUP1")
    other = flag(biller, member_id="BIL1")
    result = services.review_assign(claims=[mine, other], assignee=supervisor, user=second_supervisor)
    assert result.assigned == [other]
    assert [(claim, reason) for claim, reason in result.refused] == [(mine, f"supervisor created or edited {mine}.")]
    assert ClaimReview.objects.get(claim=other).assignee == supervisor
    assert ClaimReview.objects.get(claim=mine).assignee is None


def test_only_reviewers_assign_and_are_assigned(flagged, biller, supervisor):
    with pytest.raises(services.ReviewError, match="Only supervisors assign"):
        services.review_assign(claims=[flagged], assignee=supervisor, user=biller)
    with pytest.raises(services.ReviewError, match="biller cannot review"):
        services.review_assign(claims=[flagged], assignee=biller, user=supervisor)


# --- voiding and deleting -------------------------------------------------------------------------------
def test_claims_cannot_be_deleted(flagged):
    with pytest.raises(ClaimNotDeletable, match="void it instead"):
        flagged.delete()
    with pytest.raises(ClaimNotDeletable, match="void them instead"):
        Claim.objects.filter(pk=flagged.pk).delete()
    assert Claim.objects.filter(pk=flagged.pk).exists()


def test_a_biller_voids_their_own_draft_with_a_reason(db, biller):
    claim = save(biller)
    with pytest.raises(services.ClaimError, match="Say why"):
        services.claim_void(claim=claim, user=biller, reason="")
    claim = services.claim_void(claim=claim, user=biller, reason="Entered twice")
    assert (claim.status, claim.void_reason) == ("voided", "Entered twice") and not claim.is_editable
    with pytest.raises(services.ClaimError, match="already voided"):
        services.claim_void(claim=claim, user=biller, reason="again")


def test_claims_waiting_for_review_are_not_voided(flagged, supervisor):
    with pytest.raises(services.ClaimError, match="waiting for review"):
        services.claim_void(claim=flagged, user=supervisor, reason="dup")


def test_a_biller_cannot_void_someone_elses_claim(db, biller, other_biller):
    with pytest.raises(services.ClaimError, match="Only a supervisor"):
        services.claim_void(claim=save(biller), user=other_biller, reason="not mine")


# --- patient and provider records -------------------------------------------------------------------------
def test_correcting_a_patient_record_is_a_supervisors_action(flagged, biller, supervisor):
    patient = flagged.patient
    with pytest.raises(services.ClaimError, match="Only supervisors"):
        services.patient_update(patient=patient, user=biller, changes={"last_name": "Roe"})
    services.patient_update(patient=patient, user=supervisor, changes={"last_name": "Roe"})
    patient.refresh_from_db()
    flagged.refresh_from_db()
    assert patient.last_name == "Roe" and flagged.patient_last_name == "Doe"


# --- the audit trail: an event for every action ---------------------------------------------------------
def _created(biller, supervisor, second_supervisor):
    return save(biller)


def _changed(biller, supervisor, second_supervisor):
    claim = save(biller)
    lines = [make_line("96374", charge=Decimal("25")), make_line("J8499", charge=Decimal("10"))]
    services.claim_save(claim=claim, lines=lines, patient=entered_patient(), user=biller, version=claim.version)
    return claim


def _checked(biller, supervisor, second_supervisor):
    claim = save(biller)
    services.claim_check(claim=claim, user=biller, today=TODAY)
    return claim


def _overridden(biller, supervisor, second_supervisor):
    return flag(biller)


def _sampled(biller, supervisor, second_supervisor):
    return services.claim_submit(
        claim=save(biller, lines=[make_line("99213")]), user=biller, today=TODAY, draw=lambda: 0.0
    )


def _not_sampled(biller, supervisor, second_supervisor):
    return services.claim_submit(
        claim=save(biller, lines=[make_line("99213")]), user=biller, today=TODAY, draw=lambda: 0.9
    )


def _assigned(biller, supervisor, second_supervisor):
    claim = flag(biller)
    services.review_assign(claims=[claim], assignee=supervisor, user=second_supervisor)
    return claim


def _accepted(biller, supervisor, second_supervisor):
    claim = flag(biller)
    services.override_decide(claim=claim, user=supervisor, finding_key=f"1:{ROUTE}", decision="accepted")
    return claim


def _rejected(biller, supervisor, second_supervisor):
    claim = flag(biller)
    services.override_decide(claim=claim, user=supervisor, finding_key=f"1:{ROUTE}", decision="rejected", note="n")
    return claim


def _approved(biller, supervisor, second_supervisor):
    claim = flag(biller)
    accept_all(claim, supervisor)
    return services.review_approve(claim=claim, user=supervisor)


def _returned(biller, supervisor, second_supervisor):
    return services.review_return(claim=flag(biller), user=supervisor, note="Fix it")


def _voided(biller, supervisor, second_supervisor):
    return services.claim_void(claim=save(biller), user=biller, reason="Duplicate")


def _viewed(biller, supervisor, second_supervisor):
    claim = save(biller)
    services.claim_viewed_record(claim=claim, user=supervisor, page="claim page")
    return claim


@pytest.mark.parametrize(
    ("action", "act", "expected"),
    [
        ("claim.created", _created, "created CLM-"),
        ("claim.changed", _changed, "changed line 1 code from 96372 to 96374"),
        ("claim.checked", _checked, "checked CLM-"),
        ("finding.overridden", _overridden, f"acknowledged {ORAL} (error) on line 2: Secondary payer covers it"),
        ("claim.submitted", _overridden, "(submission 1): flagged for review"),
        ("review.sampled", _sampled, "random sample: chance 2.00%"),
        ("review.not_sampled", _not_sampled, "not sampled: none risk"),
        ("review.assigned", _assigned, "set reviewer to supervisor"),
        ("override.accepted", _accepted, f"accepted the override of {ROUTE} on line 1"),
        ("override.rejected", _rejected, f"rejected the override of {ROUTE} on line 1: n"),
        ("review.approved", _approved, "approved CLM-"),
        ("review.returned", _returned, "returned CLM-"),
        ("claim.voided", _voided, "voided CLM-"),
        ("claim.viewed", _viewed, "viewed CLM-"),
    ],
)
def test_every_claim_action_writes_an_audit_event(db, biller, supervisor, second_supervisor, action, act, expected):
    before = AuditEvent.objects.count()
    claim = act(biller, supervisor, second_supervisor)
    events = AuditEvent.objects.filter(claim_id=claim.pk, action=action)
    assert events.exists(), f"no {action} event"
    assert any(expected in sentence for event in events for sentence in event.sentences()), [
        event.sentences() for event in events
    ]
    assert AuditEvent.objects.count() > before
    assert all(event.hash == event.compute_hash() for event in AuditEvent.objects.all())


def test_a_change_event_reads_in_plain_words(db, biller):
    biller.first_name, biller.last_name = "Maria", "Lopez"
    biller.save()
    claim = _changed(biller, None, None)
    event = AuditEvent.objects.get(claim_id=claim.pk, action="claim.changed")
    assert event.sentences() == ["Maria Lopez changed line 1 code from 96372 to 96374"]
    assert event.summary == f"changed {claim.number}"  # the CSV's and the admin's one-line account
    assert event.actor == biller


@pytest.mark.parametrize(
    ("action", "act"),
    [
        ("patient.created", lambda biller, supervisor: save(biller)),
        (
            "patient.changed",
            lambda biller, supervisor: services.patient_update(
                patient=save(biller).patient, user=supervisor, changes={"first_name": "Janet"}
            ),
        ),
        (
            "provider.created",
            lambda biller, supervisor: services.provider_save(
                provider=Provider(name="Dr. A", npi="1234567893", group_tin="311234567"), user=supervisor
            ),
        ),
        (
            "review_settings.changed",
            lambda biller, supervisor: services.review_settings_save(
                settings_row=ReviewSettings.current(), user=supervisor
            ),
        ),
    ],
)
def test_record_changes_write_an_audit_event(db, biller, supervisor, action, act):
    act(biller, supervisor)
    assert AuditEvent.objects.filter(action=action).count() == 1


def test_a_provider_change_is_recorded_field_by_field(db, supervisor):
    provider = services.provider_save(
        provider=Provider(name="Dr. A", npi="1234567893", group_tin="311234567"), user=supervisor
    )
    provider.specialty = "11"
    services.provider_save(provider=provider, user=supervisor)
    event = AuditEvent.objects.get(action="provider.changed")
    assert event.changes == [["provider specialty", "", "11"]]


def test_listing_claims_is_recorded_with_the_claims_shown(db, biller):
    claim = save(biller)
    services.claims_listed_record(claim_ids=[claim.pk], user=biller, page="claim list")
    event = AuditEvent.objects.get(action="claims.listed")
    assert event.data == {"claims": [claim.pk], "page": "claim list"}
