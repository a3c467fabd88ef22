"""The entry page's live check as a new user meets it: quiet about fields not left yet, loud after *Check*; one
reason for several findings."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from claims.models import Claim

from .test_claim_entry import fill_header, fill_line, line

pytestmark = pytest.mark.browser

ROUTE = "DRG-ROUTE-MISMATCH"
ORAL = "DRG-ORAL-MEDICARE"


def test_a_fresh_claim_says_nothing_of_fields_not_left_until_check(biller_page: Page, artifact_path):
    page = biller_page
    page.goto("/claims/new/")
    place = page.get_by_label("Place of service")
    place.fill("11")
    place.press("Tab")  # leaves the place: the only field touched
    summary = page.locator("#claim-summary")
    expect(summary.locator("[data-incomplete]")).to_be_visible()
    expect(summary).to_contain_text("in fields not filled in yet")
    expect(page.get_by_text("This field is required")).to_have_count(0)
    expect(page.locator("#claim-form .is-invalid")).to_have_count(0)
    expect(summary.locator('[data-risk="none"]')).to_have_count(0)  # never "no risk" for an incomplete claim

    code = line(page, 1).get_by_label("CPT/HCPCS (24D)")
    code.fill("992")  # half typed, still in the field
    page.wait_for_timeout(900)
    expect(page.get_by_text("is not a CPT or HCPCS code")).to_have_count(0)
    suggestions = line(page, 1).get_by_role("listbox")
    expect(suggestions).to_be_visible()
    assert suggestions.bounding_box()["width"] >= 400  # wider than the narrow code field: descriptions readable
    page.screenshot(path=artifact_path("entry-fresh-quiet.png"))

    page.get_by_role("button", name="Check").click()  # asks for everything
    expect(page.get_by_text("Nothing was saved: correct the fields marked below.")).to_be_visible()
    expect(page.get_by_label("Member ID (1a)")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.locator("[data-entry-error]").filter(has_text="is not a CPT or HCPCS code")).to_have_count(1)
    assert not Claim.objects.exists()


def test_one_reason_acknowledges_the_selected_findings(biller_page: Page, artifact_path):
    page = biller_page
    page.goto("/claims/new/")
    fill_header(page)
    fill_line(page, 1, "96372", "25.00")
    page.get_by_role("button", name="Add line").click()
    fill_line(page, 2, "J8499", "10.00")
    route = line(page, 1).locator(f'[data-rule="{ROUTE}"]')
    oral = line(page, 2).locator(f'[data-rule="{ORAL}"]')
    expect(route).to_be_visible()
    expect(oral).to_be_visible()
    several = page.locator("#ack-several")
    expect(several).to_be_visible()

    errors = page.locator('.finding[data-severity="ERROR"]')
    rules = [errors.nth(i).get_attribute("data-rule") for i in range(errors.count())]
    assert {ROUTE, ORAL} <= set(rules)
    for rule in rules:
        page.get_by_label(f"Select {rule} for one shared reason").check()
    several.get_by_label(re.compile("Reason for every finding ticked")).fill("Secondary payer asked for the denial")
    several.get_by_role("button", name="Acknowledge the selected").click()
    expect(several).to_contain_text(f"Acknowledged {len(rules)} findings")
    for rule in rules:
        expect(page.get_by_label(f"Reason for sending the claim despite {rule}")).to_have_value(
            "Secondary payer asked for the denial"
        )
    page.screenshot(path=artifact_path("entry-one-reason.png"), full_page=True)
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("alert").filter(has_text="submitted: flagged for review")).to_be_visible()
    claim = Claim.objects.get()
    reasons = dict(claim.findings.filter(severity="ERROR").values_list("rule", "override_reason"))
    assert reasons == dict.fromkeys(rules, "Secondary payer asked for the denial")
