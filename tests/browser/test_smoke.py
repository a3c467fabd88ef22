"""Smoke tests of the browser set-up: a logged-in biller in Chromium against the live server."""

import os
import re

import pytest
from playwright.sync_api import expect

from codes.models import ProcedureCode

pytestmark = pytest.mark.browser


def test_biller_searches_the_code_look_up_by_words(biller_page, artifact_path):
    page = biller_page
    page.goto("/codes/")
    expect(page.get_by_role("heading", name="Code look-up")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("biller")  # logged in, no password typed

    search = page.get_by_label("Code or words")
    search.fill("injection muscle")
    search.press("Enter")

    table = page.get_by_role("table", name="Procedure codes")
    expect(table.get_by_role("link", name="96372", exact=True)).to_be_visible()
    expect(table).to_contain_text("Injection under the skin or into muscle")
    assert "q=injection+muscle" in page.url
    page.screenshot(path=artifact_path("code-look-up.png"), full_page=True)
    assert artifact_path("code-look-up.png").stat().st_size > 0


def test_anonymous_visitor_gets_the_login_page(page):
    page.goto("/codes/")
    expect(page).to_have_title("Log in · ClaimDesk")


def test_starter_data_copy_holds_what_the_commands_load(starter_data, _starter_snapshot):
    """The fast copy the ``starter_data`` fixture restores equals a load by the commands, and new rows still fit."""
    from django.core.management import call_command

    from claims.models import Payer
    from codes.models import Release

    from .conftest import _reference_models, _restore

    models = _reference_models()

    def counts():
        return {model._meta.label: model.objects.count() for model in models}

    def empty():
        for model in reversed(models):
            model.objects.all().delete()

    empty()
    call_command("load_starter_data", "--icd10cm-year", "2025", "--icd10cm-year", "2026", stdout=open(os.devnull, "w"))  # noqa: SIM115
    call_command("load_starter_payers", stdout=open(os.devnull, "w"))  # noqa: SIM115
    loaded = counts()
    codes_loaded = set(ProcedureCode.objects.values_list("code", "label", "termination_date", "is_drug"))
    empty()
    _restore(_starter_snapshot["rows"])
    assert counts() == loaded
    assert loaded["codes.ProcedureCode"] > 500 and loaded["codes.PTPEdit"] > 1000 and loaded["claims.Payer"] == 3
    assert set(ProcedureCode.objects.values_list("code", "label", "termination_date", "is_drug")) == codes_loaded
    # primary-key sequences follow the copied rows: new rows do not collide
    Payer.objects.create(name="Another payer", payer_type=Payer.objects.first().payer_type)
    Release.objects.create(source="hcpcs", label="Later", effective_date="2026-04-01", file_name="x", sha256="0" * 64)


# --- code autocomplete on the claim entry page ----------------------------------------------------

RECORD_CODE_EVENTS = """() => {
    window.codeEvents = [];
    for (const type of ["input", "change"]) {
        document.addEventListener(type, (event) => {
            if (event.target.matches("[data-code-autocomplete]")) window.codeEvents.push(type);
        });
    }
}"""

RECORD_SUBMIT = """() => {
    window.formSubmitted = false;
    document.addEventListener("submit", (event) => { window.formSubmitted = true; event.preventDefault(); }, true);
}"""


def first_line_code(page):
    return page.locator(".claim-line").first.locator("[data-code-autocomplete]")


def test_biller_finds_a_code_by_words_and_picks_it(biller_page, artifact_path):
    page = biller_page
    page.goto("/claims/new/")
    code = first_line_code(page)
    suggestions = page.locator(".claim-line").first.locator(".code-suggestions")

    code.press_sequentially("tendon sheath", delay=20)
    option = suggestions.get_by_role("option", name=re.compile("20550"))
    expect(option).to_contain_text("Injection of a tendon sheath or ligament")
    expect(option).to_contain_text("Surgery")
    expect(code).to_have_attribute("aria-expanded", "true")
    page.screenshot(path=artifact_path("code-autocomplete.png"))

    page.evaluate(RECORD_CODE_EVENTS)
    option.click()
    expect(code).to_have_value("20550")
    expect(code).to_be_focused()
    expect(code).to_have_attribute("aria-expanded", "false")
    expect(suggestions.get_by_role("option")).to_have_count(0)
    assert page.evaluate("window.codeEvents") == ["input", "change"]  # the live check hears the pick
    page.wait_for_timeout(600)  # longer than the 250 ms debounce: the picked code does not reopen the list
    expect(suggestions.get_by_role("listbox")).to_have_count(0)


def test_biller_picks_a_code_with_the_keyboard(biller_page):
    page = biller_page
    page.goto("/claims/new/")
    code = first_line_code(page)
    suggestions = page.locator(".claim-line").first.locator(".code-suggestions")

    code.press_sequentially("9921", delay=20)
    options = suggestions.get_by_role("option")
    expect(options.first).to_contain_text("99211")
    code.press("ArrowDown")
    code.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    expect(code).to_have_attribute("aria-activedescendant", options.nth(1).get_attribute("id"))
    code.press("ArrowUp")
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    code.press("ArrowDown")
    page.evaluate(RECORD_SUBMIT)
    code.press("Enter")
    expect(code).to_have_value("99212")
    expect(options).to_have_count(0)
    assert page.evaluate("window.formSubmitted") is False  # Enter picked the code, it did not submit the form

    code.fill("")
    code.press_sequentially("tendon", delay=20)
    expect(options.first).to_be_visible()
    code.press("Escape")
    expect(options).to_have_count(0)
    expect(code).to_have_attribute("aria-expanded", "false")

    code.press_sequentially(" sheath", delay=20)
    expect(options.first).to_be_visible()
    page.get_by_role("heading", name=re.compile("Service lines")).click()  # a click elsewhere closes the list
    expect(options).to_have_count(0)


def test_suggestions_arriving_after_the_biller_moved_on_are_not_shown(biller_page):
    page = biller_page
    page.goto("/claims/new/")
    code = first_line_code(page)
    suggestions = page.locator(".claim-line").first.locator(".code-suggestions")
    with page.expect_response(re.compile(r"/codes/autocomplete/")) as answer:
        code.fill("99213")
        code.press("Tab")  # on to the modifiers before the suggestions come back
    assert answer.value.ok
    page.wait_for_timeout(200)  # the answer has been handled
    expect(code).not_to_be_focused()
    expect(suggestions.get_by_role("listbox")).to_have_count(0)
    expect(code).to_have_attribute("aria-expanded", "false")
