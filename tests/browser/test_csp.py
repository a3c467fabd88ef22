"""The Content-Security-Policy in a real browser: every main page works with nothing inline, and Chromium
reports no violation (no blocked inline style or script, no htmx indicator style, no Chart.js style, none in
the admin). A check of the detector itself proves it would see one."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .test_claim_entry import fill_header, fill_line
from .test_review_flow import flagged_claim

pytestmark = pytest.mark.browser

RECORD_VIOLATIONS = """() => {
    window.cspViolations = [];
    document.addEventListener("securitypolicyviolation", (event) => {
        window.cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
            + ` at ${event.sourceFile || document.location.pathname}:${event.lineNumber}`);
    });
}"""


def watched(page: Page) -> Page:
    """The page, recording CSP violations: Chromium's console messages and the DOM's events."""
    page.csp_console = []
    page.on(
        "console",
        lambda message: page.csp_console.append(message.text) if "Content Security Policy" in message.text else None,
    )
    page.add_init_script(script=f"({RECORD_VIOLATIONS})()")
    return page


def violations(page: Page) -> list[str]:
    return page.csp_console + page.evaluate("window.cspViolations || []")


def visit(page: Page, path: str) -> list[str]:
    response = page.goto(path)
    assert response.status == 200, f"{path}: {response.status}"
    assert "default-src 'self'" in response.headers["content-security-policy"], path
    page.wait_for_load_state("networkidle")
    return [f"{path}: {violation}" for violation in violations(page)]


def test_the_detector_sees_a_blocked_inline_style(biller_page):
    page = watched(biller_page)
    page.goto("/codes/")
    page.evaluate("""() => { const style = document.createElement("style");
        style.textContent = "body { color: red }"; document.head.append(style); }""")
    page.wait_for_timeout(200)
    found = violations(page)
    assert any("style-src" in violation for violation in found), found
    assert page.evaluate("getComputedStyle(document.body).color") != "rgb(255, 0, 0)"  # the policy held


def test_biller_pages_and_the_live_check_run_without_a_violation(biller_page):
    page = watched(biller_page)
    problems = visit(page, "/codes/") + visit(page, "/codes/99213/") + visit(page, "/claims/rules/")
    problems += visit(page, "/claims/")
    problems += visit(page, "/claims/new/")
    fill_header(page)
    fill_line(page, 1, "96372", "25.00")
    expect(page.locator("#claim-summary [data-risk]")).to_be_visible()  # the live check answered (htmx)
    indicator = page.locator("#check-indicator")
    expect(indicator).to_have_css("visibility", "hidden")  # our CSS, not htmx's
    assert page.evaluate("document.querySelectorAll('style').length") == 0  # htmx injected no <style>

    code = page.locator('.claim-line[data-line="1"]').get_by_label("CPT/HCPCS (24D)")
    code.fill("9921")
    suggestions = page.locator(".code-suggestion-list").first
    expect(suggestions).to_be_visible()
    expect(suggestions).to_have_css("z-index", "1000")  # the moved inline style
    problems += [f"/claims/new/ (typing): {violation}" for violation in violations(page)]
    assert problems == []


def test_supervisor_pages_and_dashboard_charts_without_a_violation(starter_data, logged_in_page, biller, supervisor):
    claim = flagged_claim(biller)
    page = watched(logged_in_page(supervisor))
    problems = visit(page, f"/claims/{claim.pk}/") + visit(page, f"/claims/{claim.pk}/history/")
    problems += visit(page, "/claims/review/") + visit(page, f"/claims/{claim.pk}/review/")
    problems += visit(page, "/claims/dashboard/")
    expect(page.locator("[data-chart-card] canvas").first).to_be_visible()  # Chart.js drew under the policy
    assert page.locator("[data-chart-card] canvas").first.evaluate("canvas => canvas.width") > 0
    problems += [f"/claims/dashboard/ (charts): {violation}" for violation in violations(page)]
    assert problems == []


def test_admin_pages_run_without_a_violation(starter_data, logged_in_page, admin_user, biller):
    claim = flagged_claim(biller)
    page = watched(logged_in_page(admin_user))
    problems = []
    for path in [
        "/admin/",
        "/admin/codes/procedurecode/",
        "/admin/codes/procedurecode/?q=992",
        "/admin/codes/release/",
        "/admin/codes/release/import/",
        "/admin/claims/claim/",
        f"/admin/claims/claim/{claim.pk}/change/",
        "/admin/claims/payer/add/",
        "/admin/auth/user/",
        f"/admin/auth/user/{admin_user.pk}/change/",
    ]:
        problems += visit(page, path)
    assert problems == []
