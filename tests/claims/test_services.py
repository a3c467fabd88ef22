"""The claim workflow services: every transition, the audit trail, the history the rules read."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from audit.models import AuditEvent
from claims import selectors, services
from claims.check_input import claim_input
from claims.choices import ClaimStatus, ReviewOutcome
from claims.models import Claim, ClaimFinding, ClaimLine, Patient
from claims.rules.inputs import HistoryItem, PatientInput, parse_claim
from claims.selectors import claim_findings, patient_history
from tests.claims.factories import claim_header, make_claim, make_line, make_patient, make_payer

TODAY = date(2026, 3, 12)
ORAL = "DRG-ORAL-MEDICARE"


pytestmark = pytest.mark.usefixtures("starter_data_for_module")  # tests/claims/conftest.py


def new_claim(**fields) -> Claim:
    return Claim(**{**claim_header(), "payer": make_payer(), **fields})


def new_patient(**fields) -> Patient:
    values = {"last_name": "Doe", "first_name": "Jane", "date_of_birth": date(1950, 3, 1), "sex": "F"}
    values.update(fields)
    values.setdefault("member_id", "1EG4TE5MK72")
    return Patient(**values)


def oral_drug_lines():
    return [make_line("96372", charge=Decimal("25")), make_line("J8499", charge=Decimal("10"))]


@pytest.fixture
def saved(db, biller):
    return services.claim_save(claim=new_claim(), lines=oral_drug_lines(), patient=new_patient(), user=biller)


# --- save --------------------------------------------------------------------------------------------
def test_save_creates_a_draft_numbers_the_lines_and_records_it(saved, biller):
    assert saved.status == ClaimStatus.DRAFT and saved.version == 1 and saved.created_by == biller
    assert list(saved.lines.values_list("number", "code")) == [(1, "96372"), (2, "J8499")]
    assert list(saved.status_changes.values_list("from_status", "to_status", "note")) == [("", "draft", "Created")]


def test_save_finds_the_patient_by_member_id_and_birth_date_and_keeps_their_record(saved, biller):
    again = services.claim_save(
        claim=new_claim(),
        lines=[make_line("99213")],
        patient=new_patient(member_id="1eg4te5mk72", last_name="Doe-Smith"),
        user=biller,
    )
    assert again.patient_id == saved.patient_id
    assert Patient.objects.count() == 1 and Patient.objects.get().last_name == "Doe"  # the record is not renamed
    assert (again.member_id, again.patient_last_name) == ("1EG4TE5MK72", "Doe-Smith")  # the claim keeps its own
    saved.refresh_from_db()
    assert saved.patient_last_name == "Doe"  # another claim of the patient is untouched


def test_a_submitted_claim_never_changes_because_of_another_claim(saved, biller):
    services.claim_check(claim=saved, user=biller, today=TODAY)
    overrides = {finding.key: "reason" for finding in saved.findings.all()}
    submitted = services.claim_submit(claim=saved, user=biller, overrides=overrides, today=TODAY, draw=lambda: 0.99)
    snapshot = submitted.snapshots.get()
    before = (snapshot.data, submitted.patient_last_name, submitted.patient_sex)
    services.claim_save(
        claim=new_claim(), lines=[make_line("99213")], patient=new_patient(last_name="Renamed", sex="M"), user=biller
    )
    submitted.refresh_from_db()
    snapshot.refresh_from_db()
    assert (snapshot.data, submitted.patient_last_name, submitted.patient_sex) == before
    assert snapshot.data["header"]["patient_last_name"] == "Doe"


def test_update_raises_the_version_and_replaces_the_lines(saved, biller):
    saved.status = ClaimStatus.CHECKED
    Claim.objects.filter(pk=saved.pk).update(status=ClaimStatus.CHECKED)
    updated = services.claim_save(
        claim=saved, lines=[make_line("99213")], patient=new_patient(), user=biller, version=1
    )
    assert updated.version == 2 and updated.status == ClaimStatus.DRAFT
    assert list(updated.lines.values_list("code", flat=True)) == ["99213"]
    assert list(updated.status_changes.values_list("to_status", "note"))[-1] == ("draft", "Edited")


def test_stale_version_saves_nothing(saved, biller):
    Claim.objects.filter(pk=saved.pk).update(version=5)
    with pytest.raises(services.StaleClaimError, match="changed by someone else"):
        services.claim_save(claim=saved, lines=[make_line("99213")], patient=new_patient(), user=biller, version=1)
    assert list(saved.lines.values_list("code", flat=True)) == ["96372", "J8499"]


def test_a_save_without_the_version_saves_nothing(saved, biller):
    with pytest.raises(services.StaleClaimError, match="reload the claim"):
        services.claim_save(claim=saved, lines=[make_line("99213")], patient=new_patient(), user=biller, version=None)
    saved.refresh_from_db()
    assert saved.version == 1 and list(saved.lines.values_list("code", flat=True)) == ["96372", "J8499"]
    assert not AuditEvent.objects.filter(action="claim.changed").exists()


def _stored(claim: Claim) -> list[tuple[int, int, str]]:
    return list(claim.lines.order_by("number").values_list("pk", "number", "code"))


def test_lines_are_updated_in_place_added_and_removed(saved, biller):
    (first, _, _), (second, _, _) = _stored(saved)
    lines = list(saved.lines.order_by("number"))
    lines[1].code = "J1100"  # edited: keeps its id
    updated = services.claim_save(
        claim=saved, lines=[lines[1], make_line("99213")], patient=new_patient(), user=biller, version=saved.version
    )  # line 1 removed, line 2 moves up, a new line 2
    stored = _stored(updated)
    assert [(number, code) for _, number, code in stored] == [(1, "J1100"), (2, "99213")]
    assert stored[0][0] == second and first not in {pk for pk, _, _ in stored}
    assert not ClaimLine.objects.filter(pk=first).exists()


def test_the_trail_tells_line_changes_by_line_not_by_position(saved, biller):
    lines = list(saved.lines.order_by("number"))
    lines[1].units = Decimal("2")
    services.claim_save(
        claim=saved, lines=[lines[1], make_line("99213")], patient=new_patient(), user=biller, version=1
    )
    changes = AuditEvent.objects.get(action="claim.changed").changes
    assert changes == [
        ["line 1", "96372 × 1 $25", ""],
        ["line 1 (was line 2)", "J8499 × 1 $10", "J8499 × 2 $10"],
        ["line 1 units", "1", "2"],
        ["line 2", "", "99213 × 1 $100"],
    ]


def test_a_new_line_where_a_removed_one_stood_reads_as_an_edit_of_that_line(saved, biller):
    fresh = [make_line("96374", charge=Decimal("25")), make_line("J8499", charge=Decimal("10"))]
    services.claim_save(claim=saved, lines=fresh, patient=new_patient(), user=biller, version=1)
    assert AuditEvent.objects.get(action="claim.changed").changes == [["line 1 code", "96372", "96374"]]


def test_a_save_without_changes_keeps_the_lines_and_says_nothing_on_the_trail(saved, biller):
    before = _stored(saved)
    lines = list(saved.lines.order_by("number"))
    updated = services.claim_save(claim=saved, lines=lines, patient=new_patient(), user=biller, version=1)
    assert updated.version == 2 and _stored(updated) == before
    assert not AuditEvent.objects.filter(action="claim.changed").exists()


def test_a_line_of_another_claim_is_refused(saved, biller):
    other = make_claim(biller, lines=["99214"])
    stranger = other.lines.get()
    with pytest.raises(services.StaleClaimError, match="changed by someone else"):
        services.claim_save(claim=saved, lines=[stranger], patient=new_patient(), user=biller, version=1)
    assert other.lines.get().code == "99214" and _stored(saved)[0][2] == "96372"
    saved.refresh_from_db()
    assert saved.version == 1  # the whole save was rolled back


@pytest.mark.parametrize(
    ("status", "outcome"), [(ClaimStatus.FLAGGED, ""), (ClaimStatus.REVIEWED, ReviewOutcome.APPROVED)]
)
def test_a_claim_under_review_or_approved_cannot_be_changed(saved, biller, status, outcome):
    Claim.objects.filter(pk=saved.pk).update(status=status, review_outcome=outcome)
    with pytest.raises(services.ClaimError, match="can no longer be changed"):
        services.claim_save(
            claim=saved, lines=[make_line("99213")], patient=new_patient(), user=biller, version=saved.version
        )


def test_a_returned_claim_can_be_changed_again_and_stays_marked_until_sent(saved, biller):
    Claim.objects.filter(pk=saved.pk).update(status=ClaimStatus.DRAFT, review_outcome=ReviewOutcome.RETURNED)
    saved.refresh_from_db()
    updated = services.claim_save(
        claim=saved, lines=[make_line("99213")], patient=new_patient(), user=biller, version=saved.version
    )
    assert updated.status == ClaimStatus.DRAFT and updated.is_returned
    sent = services.claim_submit(claim=updated, user=biller, today=TODAY, draw=lambda: 0.99)
    assert sent.status == ClaimStatus.READY and not sent.is_returned and sent.review_outcome == ""
    assert sent.queue_reason == "resubmitted"  # a returned claim sent again is reviewed again


# --- check -------------------------------------------------------------------------------------------
def test_check_stores_the_findings_risk_and_releases(saved, biller):
    result = services.claim_check(claim=saved, user=biller, today=TODAY)
    saved.refresh_from_db()
    assert saved.status == ClaimStatus.CHECKED and saved.risk == "high" and saved.checked_at
    stored = set(saved.findings.values_list("line_number", "rule"))
    assert stored == {(f.line, f.rule) for f in result.findings}
    assert (1, "DRG-ROUTE-MISMATCH") in stored and (2, ORAL) in stored
    assert saved.reference_releases == result.reference_data and "hcpcs" in saved.reference_releases
    assert list(saved.status_changes.values_list("to_status", flat=True)) == ["draft", "checked"]


def test_claim_input_reads_a_line_as_the_scrub_format_does(saved):
    """The entry page reads the records into the engine's inputs; the batch check reads the same line from its
    scrub-format JSON: both give the same input."""
    line = saved.lines.get(number=2)
    line.ndc, line.ndc_unit, line.ndc_quantity = "00409379501", "ML", Decimal("1.500")
    line.dose_amount, line.dose_unit, line.dose_discarded, line.container = (
        Decimal("4"),
        "mg",
        Decimal("0"),
        "single_dose",
    )
    line.modifiers = ["JZ"]
    read = claim_input(saved, [line])
    assert (read.payer_type, read.payer_name) == ("medicare", "Medicare Part B")
    assert read.patient == PatientInput(dob=date(1950, 3, 1), sex="F")
    scrub_line = {
        "line": 2,
        "code": "J8499",
        "modifiers": ["JZ"],
        "units": "1",
        "charge": "10",
        "dx_pointers": ["A"],
        "ndc": "00409379501",
        "ndc_unit": "ML",
        "ndc_qty": "1.5",
        "dose": {"amount": "4", "unit": "mg", "discarded": "0"},
        "container": "single_dose",
        "narrative": None,
        "dos": None,
        "pos": None,
    }
    header = {"payer_type": "medicare", "dos": saved.date_of_service.isoformat(), "pos": saved.place_of_service}
    parsed = parse_claim({**header, "rendering_npi": saved.rendering_npi, "lines": [scrub_line]})
    assert read.lines == parsed.lines


# --- submit ------------------------------------------------------------------------------------------
def test_submit_with_errors_left_keeps_the_claim_checked(saved, biller):
    with pytest.raises(services.UnacknowledgedFindings) as raised:
        services.claim_submit(
            claim=saved, user=biller, overrides={f"2:{ORAL}": "GY for the secondary payer"}, today=TODAY
        )
    assert ORAL not in {f.rule for f in raised.value.findings}
    saved.refresh_from_db()
    assert saved.status == ClaimStatus.CHECKED
    # the reason given so far is kept with the stored finding
    assert saved.findings.get(rule=ORAL).override_reason == "GY for the secondary payer"


def test_blank_reasons_do_not_acknowledge(saved, biller):
    services.claim_check(claim=saved, user=biller, today=TODAY)
    overrides = {finding.key: "   " for finding in saved.findings.all()}
    with pytest.raises(services.UnacknowledgedFindings):
        services.claim_submit(claim=saved, user=biller, overrides=overrides, today=TODAY)


def test_submit_with_every_error_acknowledged_is_flagged(saved, biller):
    services.claim_check(claim=saved, user=biller, today=TODAY)
    overrides = {finding.key: f"reason {finding.rule}" for finding in saved.findings.all()}
    claim = services.claim_submit(claim=saved, user=biller, overrides=overrides, today=TODAY)
    assert claim.status == ClaimStatus.FLAGGED
    finding = claim.findings.get(rule=ORAL)
    assert finding.override_reason == f"reason {ORAL}" and finding.overridden_by == biller and finding.overridden_at
    assert claim.status_changes.last().note.startswith("Submitted with")


def test_reasons_survive_a_new_check(saved, biller):
    with pytest.raises(services.UnacknowledgedFindings):
        services.claim_submit(claim=saved, user=biller, overrides={f"2:{ORAL}": "kept"}, today=TODAY)
    services.claim_check(claim=saved, user=biller, today=TODAY)
    assert saved.findings.get(rule=ORAL).override_reason == "kept"


def test_clean_claim_is_ready(db, biller):
    claim = services.claim_save(claim=new_claim(), lines=[make_line("99213")], patient=new_patient(), user=biller)
    claim = services.claim_submit(claim=claim, user=biller, today=TODAY)
    assert claim.status == ClaimStatus.READY and claim.risk == "none"
    assert claim.status_changes.last().note == "Submitted clean"


def test_flagged_claim_cannot_be_submitted_again(saved, biller):
    Claim.objects.filter(pk=saved.pk).update(status=ClaimStatus.FLAGGED)
    with pytest.raises(services.ClaimError, match="cannot be submitted again"):
        services.claim_submit(claim=saved, user=biller, today=TODAY)


# --- history -------------------------------------------------------------------------------------------
def test_history_holds_the_patients_sent_claims_only(db, biller):
    patient = make_patient()
    history_claim = make_claim(
        biller, patient=patient, lines=["99203"], status=ClaimStatus.READY, date_of_service=date(2025, 1, 14)
    )
    make_claim(biller, patient=patient, lines=["99213"], status=ClaimStatus.FLAGGED)
    make_claim(biller, patient=patient, lines=["99214"], status=ClaimStatus.DRAFT)
    make_claim(
        biller, patient=patient, lines=["99215"], status=ClaimStatus.REVIEWED, review_outcome=ReviewOutcome.RETURNED
    )
    make_claim(biller, lines=["99212"], status=ClaimStatus.READY)  # another patient
    current = make_claim(biller, patient=patient, lines=["99211"], status=ClaimStatus.READY)
    history = patient_history(patient, exclude_claim=current.pk)
    assert [item.code for item in history] == ["99203", "99213"]
    assert history[1].status == "flagged"
    assert history[0] == HistoryItem(
        code="99203",
        modifiers=(),
        dos=date(2025, 1, 14),
        rendering_npi="1234567893",
        specialty="11",
        group_tin="311234567",
        diagnoses=("J45.909",),
        status="ready",  # ClaimDesk's own word: no payer has accepted it
        claim=history_claim.number,
        units=Decimal(1),
        pos="11",
    )


def test_an_earlier_sent_claim_makes_a_duplicate(db, biller):
    patient = make_patient()
    earlier = make_claim(biller, patient=patient, lines=["99213"], status=ClaimStatus.READY)
    claim = make_claim(biller, patient=patient, lines=["99213"])
    result = claim_findings(claim=claim, lines=list(claim.lines.all()), today=TODAY)
    assert (1, "DUP-HISTORY") in {(f.line, f.rule) for f in result.findings}
    [finding] = [f for f in result.findings if f.rule == "DUP-HISTORY"]
    assert f"is already on claim {earlier.number} (ready to send)." in finding.message  # not "accepted"


def test_history_of_a_new_patient_is_empty(db):
    assert patient_history(new_patient()) == ()


def test_stored_findings_key(db, biller):
    claim = make_claim(biller)
    line_finding = ClaimFinding(claim=claim, line_number=2, rule="X")
    claim_finding = ClaimFinding(claim=claim, line_number=None, rule="Y")
    assert (line_finding.key, claim_finding.key) == ("2:X", "0:Y")


def test_a_new_patient_added_by_another_save_at_the_same_moment_is_used_not_an_error(biller, monkeypatch):
    """Two billers save the first claims of the same new patient at once: the second insert meets the first's
    record (a unique-constraint error, its validation having run before that record was there); the claim is
    filed under that record instead of failing."""
    other = services.claim_save(claim=new_claim(), lines=[make_line("99213")], patient=new_patient(), user=biller)
    real_find = selectors.patient_matching_member
    calls = []

    def not_yet_committed(**kwargs):  # the other save's record is not visible on the first look
        calls.append(kwargs)
        return None if len(calls) == 1 else real_find(**kwargs)

    monkeypatch.setattr(services, "patient_matching_member", not_yet_committed)  # as services looks it up
    monkeypatch.setattr(Patient, "validate_constraints", lambda self, exclude=None: None)
    claim = services.claim_save(claim=new_claim(), lines=[make_line("99214")], patient=new_patient(), user=biller)
    assert claim.patient_id == other.patient_id and Patient.objects.count() == 1 and len(calls) == 2


def test_checking_and_submitting_lock_the_claim_row_only_not_its_payer_or_patient(saved, biller):
    """``select_for_update`` with ``select_related`` locks every joined row by default: a check then held the
    payer's row, so every other check or save of a claim of that payer (an 837P import's parts, two billers)
    waited for it to commit. Only the claim's own row is locked."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no row locks (FOR UPDATE is not written at all)")
    with CaptureQueriesContext(connection) as queries:
        services.claim_check(claim=saved, user=biller, today=TODAY)
        with pytest.raises(services.UnacknowledgedFindings):
            services.claim_submit(claim=saved, user=biller, today=TODAY)
    locking = [query["sql"] for query in queries.captured_queries if "FOR UPDATE" in query["sql"]]
    assert len(locking) >= 2
    assert all(sql.rstrip().endswith('FOR UPDATE OF "claims_claim"') for sql in locking), locking
