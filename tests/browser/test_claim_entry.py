"""A biller's day in the browser: enter a claim, see warnings appear under the right line as they type,
fix one, acknowledge another with a reason, submit. Chromium drives the real page against the live server."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from claims.choices import ClaimStatus
from claims.models import Claim

pytestmark = pytest.mark.browser

ROUTE = "DRG-ROUTE-MISMATCH"
ORAL = "DRG-ORAL-MEDICARE"
NO_MODIFIER = "PTP-MI1-NOMOD"


def line(page: Page, number: int):
    return page.locator(f'.claim-line[data-line="{number}"]')


def fill_header(page: Page) -> None:
    page.locator("#id_payer").select_option(label="Medicare Part B")
    page.get_by_label("Member ID (1a)").fill("1EG4TE5MK72")
    page.get_by_label("Patient last name (2)").fill("Doe")
    page.get_by_label(re.compile(r"^\s*First name")).fill("Jane")
    page.get_by_label("Date of birth (3)").fill("1950-03-01")
    page.get_by_label(re.compile(r"^\s*Sex")).select_option("F")
    page.get_by_label("A.", exact=True).fill("J45.909")
    page.get_by_label("Date of service").fill("2026-03-09")
    page.get_by_label("Place of service").fill("11")
    page.get_by_label("Rendering NPI (24J)").fill("1234567893")
    page.get_by_label("Specialty").fill("11")
    page.get_by_label("Group TIN (25)").fill("311234567")
    page.get_by_label("Billing NPI (33a)").fill("1234567893")


def fill_line(page: Page, number: int, code: str, charge: str) -> None:
    row = line(page, number)
    row.get_by_label("CPT/HCPCS (24D)").fill(code)
    row.get_by_label("Diagnosis pointer 1").select_option("A")
    row.get_by_label("Charge $ (24F)").fill(charge)
    row.get_by_label("Units (24G)").fill("1")


def add_line(page: Page, number: int, code: str, charge: str) -> None:
    page.get_by_role("button", name="Add line").click()
    expect(line(page, number)).to_be_visible()
    fill_line(page, number, code, charge)


def test_biller_enters_fixes_acknowledges_and_submits(biller_page, artifact_path):
    page = biller_page
    page.goto("/claims/new/")
    page.evaluate("window.enteredWithoutReload = true")
    fill_header(page)
    fill_line(page, 1, "99213", "95.00")
    add_line(page, 2, "96372", "25.00")
    add_line(page, 3, "J8499", "10.00")

    # The route mismatch appears on the administration line (2), the oral-drug error on the drug line (3).
    route = line(page, 2).locator(f'[data-rule="{ROUTE}"]')
    expect(route).to_be_visible()
    expect(route).to_have_attribute("data-category", "DRUG")
    expect(route).to_contain_text("cannot be billed with an oral drug (J8499)")
    expect(line(page, 3).locator(f'[data-rule="{ORAL}"]')).to_be_visible()
    expect(line(page, 1).locator(f'[data-rule="{ROUTE}"]')).to_have_count(0)
    expect(page.locator("#claim-summary [data-risk]")).to_have_attribute("data-risk", "high")
    assert page.evaluate("window.enteredWithoutReload") is True  # no page load happened
    page.screenshot(path=artifact_path("entry-warnings.png"), full_page=True)
    assert artifact_path("entry-warnings.png").stat().st_size > 10_000

    # Fix: the drug actually injected. Its warnings go; the drug fields appear on the drug line.
    line(page, 3).get_by_label("CPT/HCPCS (24D)").fill("J1100")
    expect(page.locator(f'[data-rule="{ROUTE}"]')).to_have_count(0)
    expect(page.locator(f'[data-rule="{ORAL}"]')).to_have_count(0)
    expect(line(page, 3).get_by_label("NDC", exact=True)).to_be_visible()
    expect(line(page, 1).get_by_label("NDC", exact=True)).to_be_hidden()

    # A warning remains on the E/M line: acknowledge it with a reason, and submit.
    warning = line(page, 1).locator(f'[data-rule="{NO_MODIFIER}"]')
    expect(warning).to_be_visible()
    expect(warning).to_have_attribute("data-severity", "WARNING")
    acknowledge = line(page, 1).locator(".finding-ack")
    acknowledge.locator("summary").click()
    acknowledge.get_by_label(f"Reason for sending the claim despite {NO_MODIFIER}").fill(
        "Separate problem-oriented visit documented; payer told us not to append 25."
    )
    page.get_by_role("button", name="Submit").click()

    expect(page.get_by_role("alert").filter(has_text="submitted: ready to send")).to_be_visible()
    claim = Claim.objects.get()
    assert claim.status == ClaimStatus.READY
    assert list(claim.lines.values_list("code", flat=True)) == ["99213", "96372", "J1100"]
    finding = claim.findings.get(rule=NO_MODIFIER)
    assert finding.line_number == 1 and finding.override_reason.startswith("Separate problem-oriented visit")
    assert re.search(rf"/claims/{claim.pk}/$", page.url)


def test_removing_a_line_removes_its_warnings(biller_page):
    page = biller_page
    page.goto("/claims/new/")
    fill_header(page)
    fill_line(page, 1, "96372", "25.00")
    add_line(page, 2, "J8499", "10.00")
    expect(line(page, 2).locator(f'[data-rule="{ORAL}"]')).to_be_visible()
    expect(line(page, 1).locator(f'[data-rule="{ROUTE}"]')).to_be_visible()

    line(page, 2).get_by_role("button", name="Remove line").click()
    expect(page.locator(".claim-line[data-line]")).to_have_count(1)
    expect(page.locator(f'[data-rule="{ORAL}"]:visible')).to_have_count(0)
    expect(page.locator(f'[data-rule="{ROUTE}"]:visible')).to_have_count(0)  # no oral drug left to mismatch


def test_removing_a_middle_line_renumbers_the_rest(biller_page):
    page = biller_page
    page.goto("/claims/new/")
    fill_header(page)
    fill_line(page, 1, "99213", "95.00")
    add_line(page, 2, "J8499", "10.00")
    add_line(page, 3, "96372", "25.00")
    expect(line(page, 3).locator(f'[data-rule="{ROUTE}"]')).to_be_visible()
    line(page, 2).get_by_role("button", name="Remove line").click()
    expect(line(page, 2).get_by_label("CPT/HCPCS (24D)")).to_have_value("96372")
    expect(line(page, 2).locator(".line-number")).to_have_text("2")
    expect(page.locator(f'[data-rule="{ROUTE}"]:visible')).to_have_count(0)


def test_autocomplete_finds_a_code_by_words(biller_page):
    page = biller_page
    page.goto("/claims/new/")
    fill_header(page)
    code = line(page, 1).get_by_label("CPT/HCPCS (24D)")
    code.fill("injection muscle")
    option = line(page, 1).get_by_role("option").filter(has_text="96372")
    expect(option).to_be_visible()
    option.click()
    expect(code).to_have_value("96372")
    expect(line(page, 1).get_by_role("listbox")).to_have_count(0)


def test_diagnosis_boxes_look_up_icd10cm_codes_by_words(biller_page):
    """Box 21 looks codes up in the ICD-10-CM edition of the date of service's fiscal year (FY2026 here)."""
    page = biller_page
    page.goto("/claims/new/")
    page.get_by_label("Date of service").fill("2026-03-09")
    box = page.get_by_label("A.", exact=True)
    box.fill("leiomyoma of uterus")
    listbox = page.locator("#id_diagnosis_a-suggestions").get_by_role("listbox")
    expect(listbox).to_have_attribute("data-edition", re.compile(r"^FY2026"))
    option = listbox.get_by_role("option").filter(has_text="D25.9")
    expect(option).to_contain_text("Billable")
    option.click()
    expect(box).to_have_value("D25.9")
    expect(page.locator("#id_diagnosis_a-suggestions").get_by_role("listbox")).to_have_count(0)


def test_diagnosis_pointers_offer_the_entered_diagnoses(biller_page):
    page = biller_page
    page.goto("/claims/new/")
    page.get_by_label("A.", exact=True).fill("J45.909")
    page.get_by_label("B.", exact=True).fill("E11.9")
    pointer = line(page, 1).get_by_label("Diagnosis pointer 1")
    expect(pointer.locator("option[value='B']")).to_have_text("B · E11.9")
    expect(pointer.locator("option[value='C']")).to_be_disabled()


def test_entry_works_without_javascript(starter_data, logged_in_page, biller):
    page = logged_in_page(biller, java_script_enabled=False)
    page.goto("/claims/new/")
    fill_header(page)
    fill_line(page, 1, "96372", "25.00")
    page.get_by_role("button", name="Add line").click()  # a plain submit button: the page comes back with a line more
    fill_line(page, 2, "J8499", "10.00")
    expect(line(page, 2).get_by_label("NDC", exact=True)).to_be_visible()  # drug fields are never hidden without JS
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_role("alert").filter(has_text="checked")).to_be_visible()
    assert Claim.objects.get().status == ClaimStatus.CHECKED
    expect(line(page, 1).locator(f'[data-rule="{ROUTE}"]')).to_be_visible()
    expect(line(page, 2).get_by_label("CPT/HCPCS (24D)")).to_have_value("J8499")

    line(page, 2).get_by_label("Remove this line when saving").check()
    page.get_by_role("button", name="Check").click()
    expect(page.locator(".claim-line[data-line]")).to_have_count(1)
    expect(page.locator(f'[data-rule="{ROUTE}"]')).to_have_count(0)
    assert list(Claim.objects.get().lines.values_list("code", flat=True)) == ["96372"]


def test_picking_a_known_patient_fills_the_patient_and_payer(biller_page, biller, artifact_path):
    from datetime import date

    from tests.claims.factories import make_claim, make_patient, make_payer

    rivera = make_patient(last_name="Rivera", first_name="Ana", member_id="XQ7700123", date_of_birth=date(1948, 5, 30))
    make_claim(biller, patient=rivera, payer=make_payer("Medicare Part B"), status=ClaimStatus.READY)
    make_patient(last_name="Rivers", first_name="Bo", member_id="ZZ1100999")
    page = biller_page
    requested: list[tuple[str, str, str]] = []  # method, address, body of every request the page makes
    page.on("request", lambda request: requested.append((request.method, request.url, request.post_data or "")))
    page.goto("/claims/new/")
    search = page.get_by_label("Known patient")
    page.evaluate("window.enteredWithoutReload = true")
    search.fill("rivera")
    search.press("Enter")  # nothing highlighted: the search box never submits the claim form
    expect(page.locator("#patient-suggestions").get_by_role("option")).to_have_count(1)
    assert page.evaluate("window.enteredWithoutReload") is True
    search.fill("rivera 05/30/1948")
    suggestions = page.locator("#patient-suggestions")
    option = suggestions.get_by_role("option").filter(has_text="Rivera, Ana")
    expect(option).to_be_visible()
    expect(suggestions.get_by_role("option")).to_have_count(1)
    expect(option).to_contain_text("1 claim, latest")
    page.screenshot(path=artifact_path("patient-picker.png"))
    search.press("ArrowDown")
    expect(search).to_have_attribute("aria-activedescendant", re.compile(r"patient-suggestions-option-0"))
    search.press("Enter")  # picks; does not submit the claim form

    expect(page.get_by_label("Member ID (1a)")).to_have_value("XQ7700123")
    expect(page.get_by_label("Patient last name (2)")).to_have_value("Rivera")
    expect(page.get_by_label(re.compile(r"^\s*First name"))).to_have_value("Ana")
    expect(page.get_by_label("Date of birth (3)")).to_have_value("1948-05-30")
    expect(page.get_by_label(re.compile(r"^\s*Sex"))).to_have_value("F")
    expect(page.locator("#id_payer option:checked")).to_have_text("Medicare Part B")
    expect(search).to_have_value("")
    expect(suggestions.get_by_role("listbox")).to_have_count(0)
    expect(page.get_by_label("A.", exact=True)).to_be_focused()
    # The live check ran on the filled fields: the summary knows the patient and their claim.
    expect(page.locator("[data-existing-patient]")).to_contain_text("Known patient Rivera, Ana: 1 other claim")
    assert page.url.endswith("/claims/new/")
    # The search went in the body of POSTs (only the search text), never in an address.
    searches = [(method, body) for method, url, body in requested if "/claims/patients/" in url]
    assert searches and all(method == "POST" and body.startswith("q=") and "&" not in body for method, body in searches)
    assert not [url for _, url, _ in requested if re.search(r"rivera|05%2F30|1948|XQ7700", url, re.I)]


def test_an_entry_problem_links_to_its_field(biller_page):
    page = biller_page
    page.goto("/claims/new/")
    fill_header(page)
    fill_line(page, 1, "99213", "95.00")
    units = line(page, 1).get_by_label("Units (24G)")
    units.fill("0")
    problem = line(page, 1).locator("[data-entry-error]").get_by_role("link", name="Units must be above 0")
    page.wait_for_timeout(900)  # past the live check's pause: still nothing said while the field is being typed in
    expect(problem).to_have_count(0)
    units.press("Tab")  # left: now it is said, at the line and at the field (as a save marks it)
    expect(problem).to_be_visible()
    expect(units).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(line(page, 1).locator(".line-units .invalid-feedback")).to_contain_text("Units must be above 0")
    page.get_by_label("Member ID (1a)").focus()
    problem.click()
    expect(units).to_be_focused()
    units.fill("2")
    expect(line(page, 1).locator("[data-entry-error]")).to_have_count(0)
    expect(units).not_to_have_class(re.compile(r"\bis-invalid\b"))
    expect(line(page, 1).locator(".line-units .invalid-feedback")).to_have_count(0)


def test_picking_providers_fills_their_npis_and_clears_the_npi_error(biller_page, artifact_path):
    from claims.choices import ProviderKind
    from claims.models import Provider

    Provider.objects.create(
        name="Dr. Ana Lopez, MD", kind=ProviderKind.CLINICIAN, npi="1555555550", specialty="66", group_tin="311234567"
    )
    Provider.objects.create(
        name="Family Practice Group", kind=ProviderKind.ORGANISATION, npi="1666666668", group_tin="319876543"
    )
    page = biller_page
    page.goto("/claims/new/")
    fill_header(page)
    fill_line(page, 1, "99213", "95.00")
    page.get_by_label("Rendering NPI (24J)").fill("1555555551")  # mis-keyed: the check digit fails
    npi_error = page.locator('#claim-summary [data-rule="FMT-NPI-LUHN"]')
    expect(npi_error).to_be_visible()

    page.get_by_label("Rendering provider").select_option(label="Dr. Ana Lopez, MD · NPI 1555555550 · specialty 66")
    expect(page.get_by_label("Rendering NPI (24J)")).to_have_value("1555555550")
    expect(page.get_by_label("Specialty", exact=True)).to_have_value("66")
    expect(npi_error).to_have_count(0)
    page.get_by_label("Billing provider").select_option(label="Family Practice Group · NPI 1666666668 · TIN 319876543")
    expect(page.get_by_label("Billing NPI (33a)")).to_have_value("1666666668")
    expect(page.get_by_label("Group TIN (25)")).to_have_value("311234567")  # the rendering provider's stays
    page.get_by_label("Billing provider").scroll_into_view_if_needed()
    page.screenshot(path=artifact_path("provider-pickers.png"))

    # An NPI typed by hand shows whether it is a listed provider.
    page.get_by_label("Rendering NPI (24J)").fill("1234567893")
    expect(page.get_by_label("Rendering provider")).to_have_value("")
