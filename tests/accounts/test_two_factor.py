"""Two-factor sign-in: setting up an authenticator app (QR code and key), the six-digit code after the
password, required for supervisors and administrators when CLAIMDESK_REQUIRE_2FA is on, the admin open only
to verified sessions, and an administrator removing a lost authenticator app."""

from __future__ import annotations

import base64
import re
import time
from binascii import unhexlify
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.admin import ClaimDeskAdminSite
from accounts.qr import qr_svg_data_uri
from accounts.services import SETUP_KEY
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db

PAGE = "/codes/"
SETUP = reverse("accounts:two_factor_setup")
VERIFY = reverse("accounts:two_factor_verify")


def code_for(key: str, *, offset_steps: int = 0) -> str:
    totp = TOTP(unhexlify(key), step=30, t0=0, digits=6)
    totp.time = time.time() + offset_steps * 30
    return f"{totp.token():06d}"


def add_authenticator(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def sign_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


@pytest.fixture
def require_2fa(settings):
    settings.CLAIMDESK_REQUIRE_2FA = True


@pytest.fixture
def staff_supervisor(supervisor):
    supervisor.is_staff = True  # as the demo supervisor: keeps providers in the admin
    supervisor.save()
    return supervisor


# --- setting up -----------------------------------------------------------------------------------


def test_the_setup_page_shows_a_qr_code_and_the_key(biller_client):
    response = biller_client.get(SETUP)
    page = response.content.decode()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    key = biller_client.session[SETUP_KEY]
    secret = base64.b32encode(unhexlify(key)).decode()
    shown = re.search(r'id="authenticator-key">([^<]*)<', page).group(1)
    assert shown.replace(" ", "") == secret
    src = re.search(r'<img src="(data:image/svg\+xml;base64,[^"]+)"', page).group(1)
    svg = base64.b64decode(src.split(",", 1)[1]).decode()
    assert svg.startswith("<svg") and "style" not in svg and "<script" not in svg
    assert "authenticator app" in page and "six-digit code" in page.lower()


def test_the_qr_code_holds_the_key_for_the_authenticator_app(biller_client, biller):
    """The page draws the QR code of otpauth://totp/ClaimDesk:biller?secret=KEY&issuer=ClaimDesk."""
    page = biller_client.get(SETUP).content.decode()
    key = biller_client.session[SETUP_KEY]
    device = TOTPDevice(user=biller, key=key)
    assert qr_svg_data_uri(device.config_url) in page
    url = urlsplit(device.config_url)
    params = parse_qs(url.query)
    assert url.scheme == "otpauth" and url.path == "/ClaimDesk%3Abiller"
    assert params["secret"] == [base64.b32encode(unhexlify(key)).decode()] and params["issuer"] == ["ClaimDesk"]


def test_the_key_stays_the_same_while_setting_up(biller_client):
    biller_client.get(SETUP)
    key = biller_client.session[SETUP_KEY]
    biller_client.get(SETUP)
    assert biller_client.session[SETUP_KEY] == key
    assert not TOTPDevice.objects.exists()  # nothing is stored before the first code confirms it


def test_a_first_code_turns_it_on(biller_client, biller):
    biller_client.get(SETUP)
    key = biller_client.session[SETUP_KEY]
    response = biller_client.post(SETUP, {"code": code_for(key)}, follow=True)
    assert response.status_code == 200
    device = TOTPDevice.objects.get(user=biller)
    assert device.confirmed and device.key == key
    assert biller_client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id  # this session is verified
    assert SETUP_KEY not in biller_client.session
    assert b"Your authenticator app is set up" in response.content
    event = AuditEvent.objects.get(action="two_factor.set_up")
    assert event.actor == biller and key not in str(event.data) + event.summary


def test_a_wrong_first_code_turns_nothing_on(biller_client, biller):
    biller_client.get(SETUP)
    key = biller_client.session[SETUP_KEY]
    response = biller_client.post(SETUP, {"code": code_for(key, offset_steps=10)})
    assert response.status_code == 200 and b"That code does not match" in response.content
    assert not TOTPDevice.objects.exists()
    response = biller_client.post(SETUP, {"code": "12345"})
    assert b"Type the six digits your authenticator app shows." in response.content


def test_setting_up_again_replaces_the_old_app(biller_client, biller):
    old = add_authenticator(biller)
    session = biller_client.session  # signed in with the old app's code: the page is open
    session[DEVICE_ID_SESSION_KEY] = old.persistent_id
    session.save()
    biller_client.get(SETUP)
    key = biller_client.session[SETUP_KEY]
    biller_client.post(SETUP, {"code": code_for(key)})
    assert list(TOTPDevice.objects.filter(user=biller).values_list("key", flat=True)) == [key]


# --- the code after the password ------------------------------------------------------------------


def test_with_an_authenticator_the_password_alone_is_not_enough(client, biller, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # no wait after the wrong code (its own test below)
    device = add_authenticator(biller)
    response = sign_in(client, "biller", "pw-biller-1")
    assert response.status_code == 302
    blocked = client.get(PAGE)
    assert blocked.status_code == 302 and blocked["Location"] == f"{VERIFY}?next=%2Fcodes%2F"
    assert client.get(reverse("claims:claim_list")).status_code == 302
    page = client.get(blocked["Location"])
    assert page.status_code == 200 and b"Enter your six-digit code" in page.content
    wrong = client.post(VERIFY, {"code": code_for(device.key, offset_steps=20), "next": PAGE})
    assert wrong.status_code == 200 and b"That code does not match" in wrong.content
    assert client.get(PAGE).status_code == 302
    right = client.post(VERIFY, {"code": code_for(device.key), "next": PAGE})
    assert right.status_code == 302 and right["Location"] == PAGE
    assert client.get(PAGE).status_code == 200


def test_a_code_is_good_only_once(client, biller):
    device = add_authenticator(biller)
    code = code_for(device.key)
    sign_in(client, "biller", "pw-biller-1")
    assert client.post(VERIFY, {"code": code}).status_code == 302
    other = Client()
    sign_in(other, "biller", "pw-biller-1")
    assert b"That code does not match" in other.post(VERIFY, {"code": code}).content


def test_wrong_codes_slow_down_further_tries(client, biller):
    from datetime import timedelta

    device = add_authenticator(biller)
    sign_in(client, "biller", "pw-biller-1")
    for _ in range(2):
        client.post(VERIFY, {"code": code_for(device.key, offset_steps=40)})
    response = client.post(VERIFY, {"code": code_for(device.key)})  # right, but too soon after the wrong ones
    assert b"Too many wrong codes. Wait 1 second, then try again" in response.content
    assert client.get(PAGE).status_code == 302
    assert AuditEvent.objects.filter(action="two_factor.code_failed").count() == 1  # the one that was checked
    device.refresh_from_db()
    device.throttling_failure_timestamp -= timedelta(seconds=5)  # the wait is over
    device.save()
    assert client.post(VERIFY, {"code": code_for(device.key)}).status_code == 302
    assert client.get(PAGE).status_code == 200


def test_the_verify_page_cannot_be_skipped_to_set_up_a_new_app(client, biller):
    """Someone with only the password must not replace the user's authenticator app."""
    add_authenticator(biller)
    sign_in(client, "biller", "pw-biller-1")
    response = client.get(SETUP)
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)


def test_an_unsafe_next_is_ignored(client, biller):
    device = add_authenticator(biller)
    sign_in(client, "biller", "pw-biller-1")
    response = client.post(VERIFY, {"code": code_for(device.key), "next": "https://evil.example/"})
    assert response["Location"] == reverse("home")


def test_htmx_requests_are_sent_to_the_code_page(client, biller):
    add_authenticator(biller)
    sign_in(client, "biller", "pw-biller-1")
    response = client.get(reverse("codes:code_autocomplete") + "?code=99", HTTP_HX_REQUEST="true")
    assert response.status_code == 403 and response["HX-Redirect"].startswith(VERIFY)


def test_logging_out_works_before_the_code(client, biller):
    add_authenticator(biller)
    sign_in(client, "biller", "pw-biller-1")
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and SESSION_KEY not in client.session


# --- required for supervisors and administrators --------------------------------------------------


@pytest.mark.usefixtures("require_2fa")
@pytest.mark.parametrize("who", ["supervisor", "admin_user"])
def test_when_required_supervisors_and_administrators_must_set_up_first(client, request, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    for url in (PAGE, reverse("home"), reverse("accounts:password_change"), reverse("admin:index")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(SETUP), url
    assert client.get(SETUP).status_code == 200
    assert b"Supervisors and administrators sign in with a password" in client.get(SETUP).content
    key = client.session[SETUP_KEY]
    client.post(SETUP, {"code": code_for(key)})
    assert client.get(PAGE).status_code == 200


@pytest.mark.usefixtures("require_2fa")
def test_when_required_billers_may_still_go_without(biller_client):
    assert biller_client.get(PAGE).status_code == 200
    assert b"Supervisors and administrators" not in biller_client.get(SETUP).content


def test_when_not_required_supervisors_and_administrators_go_without(client, supervisor, admin_user):
    for user in (supervisor, admin_user):
        client.force_login(user)
        assert client.get(PAGE).status_code == 200


@pytest.mark.usefixtures("require_2fa")
def test_when_required_the_password_sign_in_leads_to_the_setup(client, supervisor):
    response = sign_in(client, "supervisor", "pw-supervisor-1")
    follow = client.get(response["Location"])
    assert follow.status_code == 302 and follow["Location"].startswith(SETUP)


@pytest.mark.usefixtures("require_2fa")
def test_when_required_a_session_api_call_before_the_setup_is_refused(client, supervisor):
    client.force_login(supervisor)
    response = client.post(reverse("claims:api_scrub"), data="{}", content_type="application/json")
    assert response.status_code == 401 and "two-factor" in response.json()["error"]


# --- the admin ------------------------------------------------------------------------------------


@pytest.mark.usefixtures("require_2fa")
def test_when_required_the_admin_opens_only_after_the_code(client, staff_supervisor):
    device = add_authenticator(staff_supervisor)
    sign_in(client, "supervisor", "pw-supervisor-1")
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    client.post(VERIFY, {"code": code_for(device.key)})
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_admin_site_itself_refuses_an_unverified_session_when_required(rf, settings, admin_user):
    """Behind the middleware, the admin site checks too (admin.site is a ClaimDeskAdminSite)."""
    from django.contrib import admin

    assert isinstance(admin.site, ClaimDeskAdminSite)
    request = rf.get("/admin/")
    request.user = admin_user
    admin_user.is_verified = lambda: False
    settings.CLAIMDESK_REQUIRE_2FA = True
    assert admin.site.has_permission(request) is False
    admin_user.is_verified = lambda: True
    assert admin.site.has_permission(request) is True
    settings.CLAIMDESK_REQUIRE_2FA = False
    admin_user.is_verified = lambda: False
    assert admin.site.has_permission(request) is True
    request.user = AnonymousUser()
    assert admin.site.has_permission(request) is False


def test_an_administrator_removes_a_lost_authenticator_app(client, biller, admin_client_logged):
    device = add_authenticator(biller)
    url = reverse("admin:otp_totp_totpdevice_delete", args=[device.pk])
    assert admin_client_logged.get(url).status_code == 200
    response = admin_client_logged.post(url, {"post": "yes"})
    assert response.status_code == 302 and not TOTPDevice.objects.exists()
    event = AuditEvent.objects.get(action="two_factor.removed")
    assert event.actor_name == "admin" and event.object_id == str(biller.pk) and "biller" in event.summary
    sign_in(client, "biller", "pw-biller-1")
    assert client.get(PAGE).status_code == 200  # no code asked any more


def test_an_administrator_removes_several_from_the_list(biller, supervisor, admin_client_logged):
    devices = [add_authenticator(biller), add_authenticator(supervisor)]
    admin_client_logged.post(
        reverse("admin:otp_totp_totpdevice_changelist"),
        {"action": "delete_selected", "_selected_action": [d.pk for d in devices], "post": "yes"},
    )
    assert not TOTPDevice.objects.exists()
    assert AuditEvent.objects.filter(action="two_factor.removed").count() == 2


def test_the_admin_never_shows_the_secret(biller, admin_client_logged):
    device = add_authenticator(biller)
    page = admin_client_logged.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk])).content.decode()
    assert device.key not in page
    listing = admin_client_logged.get(reverse("admin:otp_totp_totpdevice_changelist")).content.decode()
    assert "qrcode" not in listing.lower()
