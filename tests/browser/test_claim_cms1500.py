"""The rest of the CMS-1500 on the entry page, in a browser: the sections, "self" hiding the insured's boxes,
the pickers filling boxes 5 and 33 and showing the payer's ID, and a save keeping it all."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from claims.choices import ClaimStatus, ProviderKind
from claims.models import Claim, Payer, Provider

from .test_claim_entry import fill_header, fill_line

pytestmark = pytest.mark.browser


def section(page: Page, heading: str):
    return page.locator("details", has=page.locator("summary", has_text=heading))


def open_section(page: Page, heading: str) -> None:
    details = section(page, heading)
    if details.get_attribute("open") is None:
        details.locator("summary").click()


def test_sections_show_the_boxes_that_apply(biller_page, artifact_path):
    page = biller_page
    page.goto("/claims/new/")
    open_section(page, "Patient and insured")
    insured = page.get_by_label("Insured's last name (4)")
    expect(insured).to_be_hidden()  # relationship self: boxes 4, 7, 11a are the patient's
    page.get_by_label("Patient's relationship to insured (6)").select_option("01")
    expect(insured).to_be_visible()
    page.get_by_label("Patient's relationship to insured (6)").select_option("18")
    expect(insured).to_be_hidden()

    open_section(page, "Other insurance")
    other = page.get_by_label("Other insured's last name (9)")
    expect(other).to_be_hidden()
    page.get_by_label("There is another health benefit plan (11d)").check()
    expect(other).to_be_visible()

    open_section(page, "Condition and dates")
    state = page.get_by_label("Auto accident state (10b)")
    expect(state).to_be_hidden()
    page.get_by_label("Auto accident (10b)").check()
    expect(state).to_be_visible()
    page.screenshot(path=artifact_path("cms1500-sections.png"), full_page=True)


def test_pickers_fill_boxes_5_and_33_and_show_the_payer_id(biller_page, biller):
    from tests.claims.factories import make_claim, make_patient

    Payer.objects.filter(name="Medicare Part B").update(payer_id="MCRB1", city="Springfield", state="IL",
                                                         zip_code="62701", address_line1="PO Box 1")  # fmt: skip
    Provider.objects.create(
        name="Demo Family Practice Group", kind=ProviderKind.ORGANISATION, npi="1666666668", group_tin="311234567",
        address_line1="100 Demo Medical Plaza", city="Springfield", state="IL", zip_code="62701", phone="2175550100",
    )  # fmt: skip
    rivera = make_patient(last_name="Rivera", first_name="Ana", member_id="XQ7700123", date_of_birth=date(1948, 5, 30),
                          address_line1="7 Elm Street", city="Peoria", state="IL", zip_code="61602",
                          phone="3095550199")  # fmt: skip
    make_claim(biller, patient=rivera, payer=Payer.objects.get(name="Medicare Part B"), status=ClaimStatus.READY)
    page = biller_page
    page.goto("/claims/new/")
    page.get_by_label("Known patient").fill("rivera")
    page.locator("#patient-suggestions").get_by_role("option").filter(has_text="Rivera, Ana").click()
    open_section(page, "Patient and insured")
    expect(page.get_by_label("Patient's address (5)")).to_have_value("7 Elm Street")
    expect(page.get_by_label("Patient's ZIP code")).to_have_value("61602")
    expect(page.get_by_label("Patient's phone")).to_have_value("3095550199")
    payer_info = page.locator("[data-cms1500-payer-info]")
    expect(payer_info).to_have_text(re.compile(r"Payer ID MCRB1 · PO Box 1, Springfield"))

    group = "Demo Family Practice Group · NPI 1666666668 · TIN 311234567"
    page.get_by_label("Billing provider", exact=True).select_option(label=group)
    open_section(page, "Service facility and billing provider")
    expect(page.get_by_label("Billing name (33)")).to_have_value("Demo Family Practice Group")
    expect(page.get_by_label("Billing address", exact=True)).to_have_value("100 Demo Medical Plaza")
    expect(page.get_by_label("Billing phone")).to_have_value("2175550100")


def test_a_claim_with_the_boxes_is_saved_and_opened_again(biller_page):
    page = biller_page
    page.goto("/claims/new/")
    fill_header(page)
    fill_line(page, 1, "99213", "95.00")
    open_section(page, "Patient and insured")
    page.get_by_label("Patient's address (5)").fill("12 Main Street")
    page.get_by_label("Patient's state").fill("il")
    page.get_by_label("Patient's ZIP code").fill("62701-1234")
    page.get_by_label("Patient's phone").fill("(217) 555-0142")
    open_section(page, "Resubmission")
    page.get_by_label("Resubmission code (22)").select_option("7")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".alert-danger")).to_contain_text("Nothing was saved")
    expect(page.locator("#id_original_reference")).to_be_visible()  # its section opened with the message
    page.get_by_label("Original reference number (22)").fill("PAYERICN0001")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".alert-success")).to_contain_text("saved as a draft")
    claim = Claim.objects.get()
    assert (claim.patient_state, claim.patient_zip_code, claim.patient_phone) == ("IL", "627011234", "2175550142")
    assert (claim.frequency_code, claim.original_reference) == ("7", "PAYERICN0001")
    assert (claim.insured_last_name, claim.insured_address_line1) == ("Doe", "12 Main Street")  # self
    expect(page.get_by_label("Original reference number (22)")).to_have_value("PAYERICN0001")
