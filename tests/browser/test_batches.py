"""Checking a file in the background, in a real browser: the upload, the progress bar htmx refreshes, the
move to the results when the worker is done, a claim's findings, and not one CSP violation on the way."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.batches.conftest import document_bytes, make_claims

from .test_csp import violations, watched

pytestmark = pytest.mark.browser


def test_a_file_is_checked_in_the_background_and_its_results_shown(biller_page, settings, tmp_path):
    settings.CLAIMDESK_BATCH_CHUNK_SIZE = 5
    upload = tmp_path / "march.json"
    upload.write_bytes(document_bytes(make_claims(12)))
    page = watched(biller_page)
    page.goto("/batches/")
    page.get_by_role("link", name="Check a file").click()
    page.get_by_label("File of claims (JSON)").set_input_files(upload)
    page.get_by_role("button", name="Check in the background").click()

    progress = page.get_by_test_id("batch-progress")
    expect(progress).to_contain_text("0 of 12 claims checked (0 of 3 parts)")
    bar = page.locator(".progress-bar")
    # 0 %: our CSS class. `to_have_css` waits for the page's stylesheets; reading the width at once raced
    # batches.css on a loaded machine (the bar was as wide as its "0%" label).
    expect(bar).to_have_css("width", "0px")
    # The page polls while the worker runs (the worker of `make run`, here in the test process).
    call_command("db_worker", batch=True, reload=False, startup_delay=False, interval=0, verbosity=0, stdout=StringIO())
    expect(page).to_have_url(re.compile(r"/batches/\d+/results/$"), timeout=10_000)
    expect(page.get_by_test_id("risk-counts")).to_be_visible()
    expect(page.locator('[data-testid="rule-counts"] tr[data-rule="COD-EFFECTIVE"]')).to_be_visible()

    page.get_by_role("link", name="C-00004").click()
    expect(page.get_by_test_id("findings").locator('[data-rule="COD-EFFECTIVE"]')).to_have_count(2)
    assert violations(page) == []
