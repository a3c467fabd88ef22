"""Session limits: signed out after 15 minutes without activity and 12 hours after signing in, with a
message; the page's background checks are not activity; "Stay signed in" is; API tokens are not touched."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.services import ACTIVE_AT, SIGNED_IN_AT
from claims.models import ApiToken

pytestmark = pytest.mark.django_db

PAGE = "/codes/"


def clocks_back(client, *, active_minutes=0.0, signed_in_minutes=None):
    """Move the session's clocks into the past, as if that much time had gone by."""
    session = client.session
    now = timezone.now().timestamp()
    session[ACTIVE_AT] = now - active_minutes * 60
    session[SIGNED_IN_AT] = now - (signed_in_minutes if signed_in_minutes is not None else active_minutes) * 60
    session.save()


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_signing_in_starts_both_clocks(client, biller):
    client.post(reverse("login"), {"username": "biller", "password": "pw-biller-1"})
    session = client.session
    assert abs(session[SIGNED_IN_AT] - timezone.now().timestamp()) < 5
    assert session[ACTIVE_AT] == session[SIGNED_IN_AT]


def test_fourteen_minutes_idle_is_still_signed_in_and_counts_as_activity(biller_client):
    clocks_back(biller_client, active_minutes=14)
    assert biller_client.get(PAGE).status_code == 200
    assert timezone.now().timestamp() - biller_client.session[ACTIVE_AT] < 5  # the clock started again


def test_fifteen_minutes_idle_signs_out_with_the_reason(biller_client):
    clocks_back(biller_client, active_minutes=15.1)
    response = biller_client.get(PAGE)
    assert response.status_code == 302 and response["Location"] == f"{reverse('login')}?next={PAGE}"
    assert SESSION_KEY not in biller_client.session
    page = biller_client.get(response["Location"])
    assert b"You were signed out after 15 minutes without activity." in page.content
    assert biller_client.get(PAGE).status_code == 302  # and stays signed out


def test_the_idle_sign_out_follows_the_clock(client, biller):
    """Time itself moves on (timezone.now patched), no session values touched."""
    start = timezone.now()
    with mock.patch("accounts.services.timezone.now", return_value=start):
        client.post(reverse("login"), {"username": "biller", "password": "pw-biller-1"})
    with mock.patch("accounts.services.timezone.now", return_value=start + timedelta(minutes=10)):
        assert client.get(PAGE).status_code == 200  # activity at 10 minutes
    with mock.patch("accounts.services.timezone.now", return_value=start + timedelta(minutes=24)):
        assert client.get(PAGE).status_code == 200  # 14 minutes after it
    with mock.patch("accounts.services.timezone.now", return_value=start + timedelta(minutes=39, seconds=1)):
        response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_twelve_hours_after_signing_in_signs_out_however_busy(biller_client):
    clocks_back(biller_client, active_minutes=0.5, signed_in_minutes=12 * 60 + 1)
    response = biller_client.get(PAGE, follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("login"))
    assert any("a session lasts at most 12 hours" in message for message in messages_of(response))
    assert SESSION_KEY not in biller_client.session


def test_the_limits_come_from_the_settings(biller_client, settings):
    settings.CLAIMDESK_SESSION_IDLE_MINUTES = 5
    clocks_back(biller_client, active_minutes=6)
    response = biller_client.get(PAGE, follow=True)
    assert "You were signed out after 5 minutes without activity. Please log in again." in messages_of(response)


def test_the_session_cookie_lasts_no_longer_than_the_absolute_limit(settings):
    assert settings.SESSION_COOKIE_AGE == 12 * 3600


def test_a_background_check_is_not_activity(biller_client):
    clocks_back(biller_client, active_minutes=10)
    before = biller_client.session[ACTIVE_AT]
    response = biller_client.get(reverse("accounts:session"), HTTP_X_CLAIMDESK_BACKGROUND="1")
    assert response.status_code == 200 and 290 <= response.json()["seconds_left"] <= 300
    assert biller_client.session[ACTIVE_AT] == before


def test_stay_signed_in_starts_the_idle_clock_again(biller_client):
    clocks_back(biller_client, active_minutes=14.5)
    response = biller_client.post(reverse("accounts:session"), HTTP_X_CLAIMDESK_BACKGROUND="1")
    assert response.status_code == 200 and response.json()["seconds_left"] >= 895
    assert timezone.now().timestamp() - biller_client.session[ACTIVE_AT] < 5
    clocks_back(biller_client, active_minutes=0, signed_in_minutes=20)
    assert biller_client.get(PAGE).status_code == 200


def test_stay_signed_in_needs_the_csrf_token(biller):
    client = Client(enforce_csrf_checks=True)
    client.force_login(biller)
    assert client.post(reverse("accounts:session")).status_code == 403


def test_stay_signed_in_comes_too_late_after_the_limit(biller_client):
    clocks_back(biller_client, active_minutes=16)
    response = biller_client.post(reverse("accounts:session"), HTTP_ACCEPT="application/json")
    assert response.status_code == 401 and response["HX-Redirect"].startswith(reverse("login"))
    assert SESSION_KEY not in biller_client.session


def test_an_htmx_request_after_the_limit_is_sent_to_the_login_page(biller_client):
    clocks_back(biller_client, active_minutes=16)
    response = biller_client.get(
        reverse("codes:code_autocomplete") + "?code=99", HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="http://testserver/codes/"
    )
    assert response.status_code == 401
    assert response["HX-Redirect"] == f"{reverse('login')}?next=%2Fcodes%2F"


def test_the_api_with_a_token_is_not_affected(client, biller):
    _, key = ApiToken.issue(user=biller, name="practice system")
    response = client.post(
        reverse("claims:api_scrub"), data="{}", content_type="application/json", HTTP_AUTHORIZATION=f"Token {key}"
    )
    assert response.status_code == 400  # the API's own answer to an empty body, not a redirect
    assert SIGNED_IN_AT not in client.session


def test_an_authorization_header_does_not_keep_an_idle_session_alive_on_a_page(biller_client):
    clocks_back(biller_client, active_minutes=16)
    response = biller_client.get(PAGE, HTTP_AUTHORIZATION="Token anything")
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert SESSION_KEY not in biller_client.session


def test_the_api_with_an_expired_session_answers_401_not_a_redirect(biller_client):
    clocks_back(biller_client, active_minutes=16)
    response = biller_client.post(reverse("claims:api_scrub"), data="{}", content_type="application/json")
    assert response.status_code == 401 and response["Content-Type"].startswith("application/json")


def test_pages_carry_the_timings_for_the_warning(biller_client, settings):
    settings.CLAIMDESK_SESSION_IDLE_MINUTES = 2
    page = biller_client.get(PAGE).content.decode()
    assert '<meta name="claimdesk-session" content="signed-in" data-idle-seconds="120" ' in page
    assert 'data-warning-seconds="60"' in page
    assert f'data-session-url="{reverse("accounts:session")}"' in page
    assert "js/session-timeout.js" in page


def test_the_login_page_has_no_session_warning(client):
    page = client.get(reverse("login")).content.decode()
    assert "claimdesk-session" not in page and "session-timeout.js" not in page


def test_seconds_left_is_the_sooner_of_the_two_limits(rf, settings):
    settings.CLAIMDESK_SESSION_MAX_HOURS = 1
    now = timezone.now().timestamp()
    session = {ACTIVE_AT: now - 60, SIGNED_IN_AT: now - 3600 + 120}
    assert 118 <= services.session_idle_seconds_left(session=session) <= 120


def test_activity_is_written_at_most_every_half_minute(biller_client):
    clocks_back(biller_client, active_minutes=0.25)  # 15 s ago
    before = biller_client.session[ACTIVE_AT]
    assert biller_client.get(PAGE).status_code == 200
    assert biller_client.session[ACTIVE_AT] == before  # no session write for this page
    clocks_back(biller_client, active_minutes=0.55)  # 33 s ago
    biller_client.get(PAGE)
    assert timezone.now().timestamp() - biller_client.session[ACTIVE_AT] < 5


def test_stay_signed_in_is_written_at_once(biller_client):
    clocks_back(biller_client, active_minutes=0.2)
    before = biller_client.session[ACTIVE_AT]
    biller_client.post(reverse("accounts:session"))
    assert biller_client.session[ACTIVE_AT] > before + 10
