"""The entry page at a laptop's size (1280×900): Enter never submits, the focused field is never under the sticky
Save/Check/Submit bar, and a service line's main fields fit one row. Screenshots go to var/test-artifacts/."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from claims.models import Claim
from tests.claims.factories import make_claim, make_line

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1280, "height": 900}
CODES = ["99213", "96372", "J1100", "36415", "81002", "93000", "71046", "85025", "80053", "90471"]


def ten_line_claim(user) -> Claim:
    lines = [make_line(code, units=Decimal(1), charge=Decimal("50.00")) for code in CODES]
    return make_claim(user, lines=lines)


@pytest.fixture
def laptop_page(starter_data, logged_in_page, biller) -> Page:
    # reduced motion: Bootstrap's smooth scrolling would leave a scroll half done when the position is measured
    return logged_in_page(biller, viewport=LAPTOP, reduced_motion="reduce")


def line(page: Page, number: int):
    return page.locator(f'.claim-line[data-line="{number}"]')


def test_enter_in_a_field_neither_submits_nor_adds_a_line(laptop_page, biller):
    claim = ten_line_claim(biller)
    page = laptop_page
    page.goto(f"/claims/{claim.pk}/edit/")
    page.evaluate("window.enteredWithoutReload = true")
    charge = line(page, 1).get_by_label("Charge $ (24F)")
    charge.fill("60.00")
    charge.press("Enter")
    units = line(page, 2).get_by_label("Units (24G)")
    units.press("Enter")
    page.get_by_label("Member ID (1a)").press("Enter")
    line(page, 3).get_by_label("Diagnosis pointer 1").press("Enter")
    page.wait_for_timeout(300)  # a submission would have started by now
    assert page.evaluate("window.enteredWithoutReload") is True
    expect(page.locator(".claim-line[data-line]")).to_have_count(10)
    expect(line(page, 3).get_by_label("Diagnosis pointer 1")).to_be_focused()
    expect(charge).to_have_value("60.00")
    assert Claim.objects.get().lines.count() == 10  # nothing saved


def test_tabbing_down_ten_lines_never_hides_the_focused_field_under_the_bar(laptop_page, biller, artifact_path):
    claim = ten_line_claim(biller)
    page = laptop_page
    page.goto(f"/claims/{claim.pk}/edit/")
    expect(line(page, 1).locator(".line-findings")).to_be_attached()
    page.screenshot(path=artifact_path("entry-1280-top.png"))
    page.screenshot(path=artifact_path("entry-1280-full.png"), full_page=True)
    page.locator("#id_place_of_service").focus()  # the header's last field: Tab goes on into the lines
    checked = 0
    for _ in range(400):
        page.keyboard.press("Tab")
        state = page.evaluate(
            """() => {
              const el = document.activeElement;
              const bar = document.querySelector('.entry-actions').getBoundingClientRect();
              const box = el.getBoundingClientRect();
              return {inLines: !!el.closest('#lines'), id: el.id || el.tagName, bottom: box.bottom,
                      top: box.top, barTop: bar.top, height: box.height};
            }"""
        )
        if not state["inLines"]:
            break
        if state["height"] == 0:
            continue
        checked += 1
        assert state["bottom"] <= state["barTop"], f"{state['id']} is under the bar: {state}"
        assert state["top"] >= 0, f"{state['id']} is above the window: {state}"
    assert checked > 100  # every field of ten lines was visited
    page.screenshot(path=artifact_path("entry-1280-last-line.png"))


def _rows(page: Page, number: int) -> int:
    """How many rows the line's main fields (date … units) take: distinct tops of their inputs."""
    return page.evaluate(
        """(n) => {
          const line = document.querySelector(`.claim-line[data-line="${n}"]`);
          const names = ['date_of_service', 'place_of_service', 'code', 'modifier_1', 'modifier_4',
                         'pointer_1', 'pointer_4', 'charge', 'units'];
          const tops = names.map((name) => {
            const el = line.querySelector(`[name$="-${name}"]`);
            return Math.round(el.getBoundingClientRect().top);
          });
          tops.sort((a, b) => a - b);  // a row: tops within 8 px of the row's first
          let rows = 0, first = -Infinity;
          for (const top of tops) { if (top - first > 8) { rows += 1; first = top; } }
          return rows;
        }""",
        number,
    )


@pytest.mark.parametrize("width", [1280, 1920])
def test_a_lines_main_fields_fit_one_row(starter_data, logged_in_page, biller, artifact_path, width):
    claim = ten_line_claim(biller)
    page = logged_in_page(biller, viewport={"width": width, "height": 900})
    page.goto(f"/claims/{claim.pk}/edit/")
    expect(line(page, 10)).to_be_visible()
    line(page, 3).scroll_into_view_if_needed()
    page.screenshot(path=artifact_path(f"entry-{width}-lines.png"))
    for number in (1, 3, 10):
        assert _rows(page, number) == 1, f"line {number} takes {_rows(page, number)} rows at {width} px"


def test_the_ndc_unit_shows_whole_at_1280(laptop_page, biller):
    claim = ten_line_claim(biller)
    page = laptop_page
    page.goto(f"/claims/{claim.pk}/edit/")
    unit = line(page, 3).get_by_label("NDC unit")  # J1100: a drug line shows its drug fields
    expect(unit).to_be_visible()
    unit.select_option("F2")
    room, text = page.evaluate(
        """(el) => {
          const style = getComputedStyle(el);
          const canvas = document.createElement('canvas').getContext('2d');
          canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
          const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
          return [room, canvas.measureText(el.selectedOptions[0].textContent).width];
        }""",
        unit.element_handle(),
    )
    assert text <= room, f"'F2 · international unit' needs {text:.0f} px, the box has {room:.0f}"


def test_a_bad_modifier_after_a_failed_save_stays_readable_and_in_place(laptop_page, biller, artifact_path):
    claim = ten_line_claim(biller)
    page = laptop_page
    page.goto(f"/claims/{claim.pk}/edit/")
    line(page, 1).get_by_label("Modifier 2").fill("Z!")
    page.get_by_role("button", name="Save draft").click()
    bad = line(page, 1).get_by_label("Modifier 2")
    expect(bad).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(line(page, 1).locator(".line-modifiers .invalid-feedback")).to_contain_text("is not a modifier")
    line(page, 1).scroll_into_view_if_needed()
    page.screenshot(path=artifact_path("entry-1280-bad-modifier.png"))

    def lefts(number: int) -> list[float]:
        return [
            line(page, number).get_by_label(f"Modifier {i}").bounding_box()["x"] for i in range(1, 5)
        ]  # the boxes of a line with an error stand where those of a line without one do

    assert lefts(1) == lefts(2)
    shown = bad.evaluate(
        """(el) => {
          const style = getComputedStyle(el);
          return el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
        }"""
    )
    assert shown >= 18, f"only {shown} px left for the two characters"
    expect(bad).to_have_value("Z!")
