"""load_demo_claims: a demo set of claims told through the services (every status and risk, a working queue)."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from audit.models import AuditEvent
from claims import demo
from claims.choices import ClaimStatus, QueueReason, ReviewOutcome, Risk, Severity
from claims.models import Claim, ClaimReview, Patient

from .conftest import rolled_back

pytestmark = pytest.mark.django_db
COUNT = 40
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def debug_on(settings):
    """The test runner turns DEBUG off; the demo is loaded on development machines, with it on."""
    settings.DEBUG = True


def load(*args: str) -> str:
    out = StringIO()
    call_command("load_demo_claims", *args, stdout=out)
    return out.getvalue()


def audit_chain_problems() -> str:
    """What ``verify_audit_log`` says about the chain ("" when it is intact)."""
    try:
        call_command("verify_audit_log", stdout=StringIO())
    except CommandError as error:
        return str(error)
    return ""


# --- what is missing is said, and nothing is loaded -----------------------------------------------------------
def test_missing_starter_data_is_a_clear_error():
    with pytest.raises(CommandError, match=r"starter reference data is missing: .*load_starter_data"):
        load("--count", str(COUNT))
    assert not Claim.objects.exists() and not Patient.objects.exists()
    assert not get_user_model().objects.filter(username="biller.maria").exists()


def test_missing_payers_are_named(monkeypatch):
    monkeypatch.setattr(demo, "starter_missing", lambda: [])
    with pytest.raises(CommandError, match=r"starter payers are missing .*load_starter_payers"):
        load("--count", str(COUNT))


def test_too_few_claims_cannot_tell_the_stories():
    with pytest.raises(CommandError, match=f"at least {demo.MINIMUM_COUNT} claims"):
        load("--count", "5")


def test_refused_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        load()


def test_the_plan_is_the_same_on_every_run():
    now = timezone.make_aware(datetime(2026, 12, 3, 10, 30))

    def plan() -> list[tuple]:
        planner = demo.Planner(COUNT, now=now)
        encounters = planner.encounters(planner.patients())
        return [(e.patient.member_id, e.biller, e.dos, e.fate, e.mistake, e.visit) for e in encounters]

    first = plan()
    assert first == plan() and len(first) == COUNT
    assert all(dos <= now.date() for _, _, dos, *_ in first)


# --- the demo, loaded once for the class below ---------------------------------------------------------------------
@pytest.fixture(scope="class")
def demo_loaded(django_db_setup, django_db_blocker, tmp_path_factory) -> str:
    """Starter data, payers, demo accounts and providers, then the demo claims; all undone after the class (the
    tests above run on an empty database)."""
    with rolled_back(django_db_blocker), override_settings(DEBUG=True, PASSWORD_HASHERS=FAST_HASHER):
        call_command("load_starter_data", "--icd10cm-year", "2025", "--icd10cm-year", "2026", stdout=StringIO())
        call_command("load_starter_payers", stdout=StringIO())
        accounts = tmp_path_factory.mktemp("demo") / "demo-accounts.txt"
        call_command("create_demo_users", "--file", str(accounts), stdout=StringIO())
        call_command("load_demo_providers", stdout=StringIO())
        yield load("--count", str(COUNT))


@pytest.mark.usefixtures("demo_loaded")
class TestDemoClaims:
    def test_the_summary_counts_the_claims_and_the_queue(self, demo_loaded):
        assert f"loaded {COUNT} demo claims" in demo_loaded and "waiting for review" in demo_loaded

    def test_every_status_occurs(self):
        # Sent claims come from an 837P export (the edi app), which the claims demo loader does not make.
        assert set(Claim.objects.values_list("status", flat=True)) == set(ClaimStatus.values) - {ClaimStatus.SENT}

    def test_every_risk_level_occurs(self):
        assert set(Risk.values) <= set(Claim.objects.values_list("risk", flat=True))

    def test_flagged_claims_wait_in_the_queue_with_their_reasons(self):
        waiting = ClaimReview.objects.filter(outcome="", reason=QueueReason.FLAGGED).select_related("claim", "snapshot")
        assert len(waiting) >= 3
        for review in waiting:
            assert review.claim.status == ClaimStatus.FLAGGED
            errors = [f for f in review.snapshot.data["findings"] if f["severity"] == Severity.ERROR]
            assert errors and all(f["override"]["reason"] for f in errors)
        assignees = {review.assignee.username if review.assignee else None for review in waiting}
        assert {"supervisor", "supervisor.dana", None} <= assignees

    def test_a_sampled_ready_claim_waits_in_the_queue(self):
        sampled = ClaimReview.objects.filter(
            outcome="", reason__in=[QueueReason.RISK_SAMPLE, QueueReason.RANDOM_SAMPLE]
        ).select_related("claim")
        assert sampled and all(review.claim.status == ClaimStatus.READY for review in sampled)

    def test_open_reviews_have_different_ages(self):
        now = timezone.now()
        waiting = ClaimReview.objects.filter(outcome="").values_list("created_at", flat=True)
        ages = [(now - created) / timedelta(days=1) for created in waiting]
        assert min(ages) < 1 and any(1 <= age <= 7 for age in ages) and max(ages) > 7

    def test_claims_were_approved_returned_and_sent_again(self):
        approved = ClaimReview.objects.filter(outcome=ReviewOutcome.APPROVED)
        assert approved and all(review.claim.status == ClaimStatus.REVIEWED for review in approved)
        returned = Claim.objects.filter(reviews__outcome=ReviewOutcome.RETURNED).distinct()
        assert any(claim.is_returned for claim in returned)  # waiting for the biller
        assert any(claim.snapshots.count() > 1 for claim in returned)  # edited and sent again
        assert all(review.note for review in ClaimReview.objects.filter(outcome=ReviewOutcome.RETURNED))

    def test_the_reviewer_is_never_the_biller(self):
        for review in ClaimReview.objects.exclude(outcome="").select_related("claim"):
            assert review.decided_by_id != review.claim.created_by_id
        assert set(ClaimReview.objects.exclude(decided_by=None).values_list("decided_by__username", flat=True)) <= {
            "supervisor",
            "supervisor.dana",
        }

    def test_voided_claims_say_why(self):
        voided = Claim.objects.filter(status=ClaimStatus.VOIDED)
        assert voided and all(claim.void_reason for claim in voided)

    def test_several_billers_payers_and_providers(self):
        claims = Claim.objects.all()
        assert len(set(claims.values_list("created_by__username", flat=True))) >= 3
        assert len(set(claims.values_list("payer__name", flat=True))) == 3
        assert len(set(claims.values_list("rendering_npi", flat=True))) == 2
        maria = get_user_model().objects.get(username="biller.maria")
        assert maria.get_full_name() == "Maria Lopez" and not maria.has_usable_password()
        assert get_user_model().objects.get(username="supervisor.dana").has_perm("claims.review_claim")

    def test_patients_are_clearly_fictitious(self):
        patients = Patient.objects.all()
        assert patients and all(p.member_id.startswith("DEMO") and p.first_name == "Demo" for p in patients)
        assert set(patients.values_list("sex", flat=True)) == {"F", "M"}
        assert all(claim.member_id.startswith("DEMO") for claim in Claim.objects.all())
        assert Claim.objects.values("patient").distinct().count() < COUNT  # some patients have several claims

    def test_the_rest_of_the_cms1500_is_filled_and_valid(self):
        claims = list(Claim.objects.select_related("payer", "secondary_payer").prefetch_related("lines"))
        for claim in claims:
            claim.full_clean(exclude=["patient", "created_by"])  # every box as the entry form would accept it
            assert claim.patient_address_line1 and claim.patient_zip_code and claim.patient_phone.startswith("217555")
            assert claim.billing_name == "Demo Family Practice Group" and claim.billing_phone == "2175550100"
            assert claim.patient_account_number.startswith("DEMO-")
        assert {claim.patient_relationship for claim in claims} == {"18", "01"}
        assert any(claim.has_other_plan and claim.secondary_payer for claim in claims)
        assert any(claim.referring_qualifier == "DN" and claim.referring_npi for claim in claims)
        assert any(claim.current_illness_date for claim in claims)
        assert any(claim.facility_npi for claim in claims)
        spouse = next(claim for claim in claims if claim.patient_relationship == "01")
        assert spouse.insured_first_name == "Spouse" and spouse.insured_dob < spouse.patient_dob
        patient = Patient.objects.exclude(address_line1="").first()
        assert patient is not None and patient.phone

    def test_dates_are_spread_and_never_in_the_future(self):
        today = timezone.localdate()
        assert max(Claim.objects.values_list("date_of_service", flat=True)) <= today
        checked = list(Claim.objects.exclude(first_checked_at=None).values_list("first_checked_at", flat=True))
        assert max(checked) - min(checked) > timedelta(days=14)
        assert all(timezone.localtime(at).date() <= today for at in checked)

    def test_the_audit_chain_verifies(self):
        assert AuditEvent.objects.filter(action="review.approved").exists()
        assert audit_chain_problems() == ""

    def test_running_again_adds_nothing(self):
        claims, events, patients = Claim.objects.count(), AuditEvent.objects.count(), Patient.objects.count()
        assert load() == f"demo claims already loaded: {COUNT} claims\n"
        after = Claim.objects.count(), AuditEvent.objects.count(), Patient.objects.count()
        assert after == (claims, events, patients)
