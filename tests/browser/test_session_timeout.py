"""The idle sign-out warning in the browser (static/js/session-timeout.js), with the idle time set short:
the warning appears before the sign-out, "Stay signed in" keeps the session, and without it the page goes
to the login page, which says why."""

import re

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from accounts.services import ACTIVE_AT

pytestmark = pytest.mark.browser

IDLE_SECONDS = 15
WARNING_SECONDS = 10


@pytest.fixture
def short_idle(settings):
    settings.CLAIMDESK_SESSION_IDLE_MINUTES = IDLE_SECONDS / 60
    settings.CLAIMDESK_SESSION_WARNING_SECONDS = WARNING_SECONDS


def active_at() -> float:
    (session,) = Session.objects.all()
    return session.get_decoded()[ACTIVE_AT]


def test_the_idle_warning_keeps_or_ends_the_session(short_idle, logged_in_page, biller, artifact_path):
    page = logged_in_page(biller)
    page.goto("/codes/")
    dialog = page.get_by_role("dialog", name="Are you still there?")
    expect(dialog).to_be_hidden()
    expect(dialog).to_be_visible(timeout=(IDLE_SECONDS - WARNING_SECONDS + 4) * 1000)
    expect(dialog).to_contain_text(re.compile(r"You will be signed out in \d+ s"))
    page.screenshot(path=artifact_path("session-timeout-warning.png"))

    before = active_at()
    dialog.get_by_role("button", name="Stay signed in").click()
    expect(dialog).to_be_hidden()
    assert active_at() > before  # the server's idle clock started again

    # No answer this time: the page follows the server to the login page, which says why.
    expect(dialog).to_be_visible(timeout=(IDLE_SECONDS - WARNING_SECONDS + 4) * 1000)
    expect(page).to_have_title("Log in · ClaimDesk", timeout=(WARNING_SECONDS + 6) * 1000)
    expect(page.get_by_role("alert")).to_contain_text("without activity")
    assert "next=%2Fcodes%2F" in page.url
