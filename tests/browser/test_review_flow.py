"""A flagged claim goes from biller to supervisor and back, then on to approved, in the browser.

The supervisor opens the queue and the flagged claim, accepts one override, rejects another with a note
and returns the claim; the biller sees the note in their list, on the claim and on the entry page, fixes
the drug line and submits again; the claim comes back to the queue and the supervisor approves it.
Screenshots of the queue, the review page and the dashboard are kept as test artifacts."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from claims import services
from claims.choices import ClaimStatus, QueueReason, ReviewOutcome
from claims.models import Claim, Patient
from tests.claims.factories import claim_header, make_line, make_payer

pytestmark = pytest.mark.browser

ROUTE = "DRG-ROUTE-MISMATCH"
ORAL = "DRG-ORAL-MEDICARE"
NO_MODIFIER = "PTP-MI1-NOMOD"
REJECTION = "J8499 is an oral drug: Medicare Part B does not pay it. Bill the injected drug."


def flagged_claim(biller) -> Claim:
    """The biller's claim with an injection, an oral drug and an office visit, every error acknowledged."""
    lines = [
        make_line("99213", charge=Decimal("95")),
        make_line("96372", charge=Decimal("25")),
        make_line("J8499", charge=Decimal("10")),
    ]
    patient = Patient(
        last_name="Doe", first_name="Jane", date_of_birth=date(1950, 3, 1), sex="F", member_id="1EG4TE5MK72"
    )
    claim = services.claim_save(
        claim=Claim(**claim_header(), payer=make_payer()), lines=lines, patient=patient, user=biller
    )
    services.claim_check(claim=claim, user=biller)
    overrides = {finding.key: f"Documented: {finding.rule}" for finding in claim.findings.all()}
    claim = services.claim_submit(claim=claim, user=biller, overrides=overrides, draw=lambda: 0.99)
    assert claim.status == ClaimStatus.FLAGGED
    return claim


def decision(page: Page, key: str):
    return page.locator(f'[data-decision-for="{key}"]')


def test_flagged_claim_returned_fixed_and_approved(starter_data, logged_in_page, biller, supervisor, artifact_path):
    claim = flagged_claim(biller)
    reviewer = logged_in_page(supervisor)

    # The supervisor's queue lists the flagged claim; its review page shows the overrides.
    reviewer.goto("/claims/review/")
    row = reviewer.locator(f'tr[data-claim="{claim.pk}"]')
    expect(row).to_be_visible()
    expect(row).to_contain_text("Flagged")
    reviewer.screenshot(path=artifact_path("review-queue.png"), full_page=True)
    row.get_by_role("link", name=claim.number, exact=True).click()
    expect(reviewer.get_by_role("heading", name=f"Review of {claim.number}")).to_be_visible()
    expect(decision(reviewer, f"2:{ROUTE}")).to_be_visible()
    reviewer.screenshot(path=artifact_path("review-page.png"), full_page=True)

    # Accept one override, reject another with a note, return the claim with a note.
    decision(reviewer, f"2:{ROUTE}").get_by_label("Accept", exact=True).check()
    oral = decision(reviewer, f"3:{ORAL}")
    oral.get_by_label("Reject", exact=True).check()
    oral.get_by_label("Note to the biller").fill(REJECTION)
    reviewer.locator("#review-note").fill("Line 3: bill the drug that was injected, then send it again.")
    reviewer.get_by_role("button", name="Return to the biller").click()
    expect(reviewer.get_by_role("alert").filter(has_text="returned")).to_be_visible()
    claim.refresh_from_db()
    assert (claim.status, claim.review_outcome) == (ClaimStatus.DRAFT, ReviewOutcome.RETURNED)

    # The biller sees it marked in their list, the note on the claim and at the top of the entry page.
    page = logged_in_page(biller)
    page.goto("/claims/")
    expect(page.locator(f'tr[data-claim="{claim.pk}"] [data-returned]')).to_be_visible()
    page.locator(f'tr[data-claim="{claim.pk}"]').get_by_role("link", name=claim.number, exact=True).click()
    expect(page.get_by_test_id("return-note")).to_contain_text("bill the drug that was injected")
    expect(page.get_by_test_id("return-note")).to_contain_text(REJECTION)
    page.get_by_role("link", name="Edit").first.click()
    expect(page.get_by_test_id("return-note")).to_contain_text("bill the drug that was injected")

    # Fix the drug line; the route and oral-drug errors go; acknowledge the warning left; submit again.
    expect(page.locator("#claim-form")).not_to_have_class(re.compile(r"\bno-js\b"))  # the live check is wired
    code = page.locator('.claim-line[data-line="3"]').get_by_label("CPT/HCPCS (24D)")
    code.fill("J1100")
    code.press("Tab")  # as a biller moves on: the change is checked again
    expect(page.locator(f'[data-rule="{ORAL}"]')).to_have_count(0, timeout=15_000)
    expect(page.locator(f'[data-rule="{ROUTE}"]')).to_have_count(0)
    warning = page.locator('.claim-line[data-line="1"]').locator(f'[data-rule="{NO_MODIFIER}"]')
    expect(warning).to_be_visible()
    acknowledge = page.locator('.claim-line[data-line="1"] .finding-ack')
    if not acknowledge.get_by_label(f"Reason for sending the claim despite {NO_MODIFIER}").is_visible():
        acknowledge.locator("summary").click()
    acknowledge.get_by_label(f"Reason for sending the claim despite {NO_MODIFIER}").fill(
        "Separate problem-oriented visit documented."
    )
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("alert").filter(has_text="submitted")).to_be_visible()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.READY and claim.queue_reason == QueueReason.RESUBMITTED
    assert not claim.is_returned

    # Back in the queue: the reviewer sees what changed, accepts the override left and approves.
    reviewer.goto("/claims/review/")
    reviewer.locator(f'tr[data-claim="{claim.pk}"]').get_by_role("link", name=claim.number, exact=True).click()
    expect(reviewer.locator("body")).to_contain_text("J8499")
    expect(reviewer.locator("body")).to_contain_text("J1100")
    decision(reviewer, f"1:{NO_MODIFIER}").get_by_label("Accept", exact=True).check()
    reviewer.get_by_role("button", name="Approve").click()
    expect(reviewer.get_by_role("alert").filter(has_text="approved")).to_be_visible()
    claim.refresh_from_db()
    assert (claim.status, claim.review_outcome) == (ClaimStatus.REVIEWED, ReviewOutcome.APPROVED)

    # The trail of it all is intact.
    call_command("verify_audit_log")

    reviewer.goto("/claims/dashboard/?dos_from=2026-01-01&dos_to=2026-12-31")  # the claim's date of service
    expect(reviewer.locator('table[data-chart="by_rule"]')).to_contain_text(NO_MODIFIER)
    expect(reviewer.locator('[data-chart-card="by_rule"] canvas')).to_be_visible()
    reviewer.screenshot(path=artifact_path("dashboard.png"), full_page=True)
    for name in ("review-queue.png", "review-page.png", "dashboard.png"):
        assert artifact_path(name).stat().st_size > 10_000
