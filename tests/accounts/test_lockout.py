"""Sign-in throttling (django-axes): five failures lock the account, and separately the address; the login
page says why, until when and whom to ask; an administrator unlocks in the admin; it is on the audit trail."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from accounts.network import client_ip
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db

LIMIT = 5


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_IPWARE_PROXY_COUNT = None


def sign_in(client, username, password, ip="10.1.1.1", **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip, **extra)


def signed_in(client) -> bool:
    return SESSION_KEY in client.session


def fail(client, username, times, ip="10.1.1.1"):
    for _ in range(times):
        response = sign_in(client, username, "not-the-password", ip=ip)
    return response


def test_four_failures_still_let_the_right_password_in(client, biller):
    fail(client, "biller", LIMIT - 1)
    response = sign_in(client, "biller", "pw-biller-1")
    assert response.status_code == 302 and signed_in(client)


def test_the_fifth_failure_locks_the_account_with_a_clear_message(client, biller, settings):
    settings.CLAIMDESK_UNLOCK_CONTACT = "the billing office manager"
    fail(client, "biller", LIMIT - 1)
    response = fail(client, "biller", 1)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Sign-in is locked for now" in page
    assert "after <strong>" in page and "(in 15 minutes)" in page  # when it unlocks
    assert "ask the billing office manager to unlock it" in page  # whom to ask
    assert 'value="biller"' in page and "not-the-password" not in page  # the user name kept, the password not
    assert "Log in to ClaimDesk" in page and "<form" in page  # the login page itself, not axes' plain text


def test_a_locked_account_refuses_the_right_password_from_any_address(client, biller):
    for n in range(LIMIT):  # one failure each from five addresses: the account is what is locked
        sign_in(client, "biller", "wrong", ip=f"10.2.0.{n}")
    response = sign_in(Client(), "biller", "pw-biller-1", ip="10.9.9.9")
    assert response.status_code == 429 and b"Sign-in is locked" in response.content
    assert not signed_in(client)


def test_an_address_with_five_failures_is_locked_for_every_account(client, biller, supervisor):
    for name in ("anna", "ben", "carl", "dora", "eve"):  # five different user names, one address
        sign_in(client, name, "guess", ip="10.3.3.3")
    response = sign_in(client, "biller", "pw-biller-1", ip="10.3.3.3")
    assert response.status_code == 429 and not signed_in(client)
    other = Client()
    assert sign_in(other, "biller", "pw-biller-1", ip="10.4.4.4").status_code == 302  # the account is not locked
    assert signed_in(other)


def test_the_cool_off_time_comes_from_the_settings(client, biller, settings):
    from datetime import timedelta

    settings.AXES_COOLOFF_TIME = timedelta(minutes=30)
    response = fail(client, "biller", LIMIT)
    assert response.status_code == 429 and b"(in 30 minutes)" in response.content


def test_the_password_is_never_stored_with_the_failed_attempts(client, biller):
    fail(client, "biller", 2)
    attempt = AccessAttempt.objects.get()
    assert "not-the-password" not in attempt.post_data
    assert not AuditEvent.objects.filter(summary__contains="not-the-password").exists()
    assert not any("not-the-password" in str(event.data) for event in AuditEvent.objects.all())


def test_failed_and_locked_sign_ins_are_on_the_audit_trail(client, biller):
    fail(client, "biller", LIMIT + 1, ip="10.5.5.5")
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions == ["sign_in.failed"] * (LIMIT - 1) + ["sign_in.locked"] * 2  # the try while locked too
    event = AuditEvent.objects.filter(action="sign_in.locked").first()
    assert event.object_id == str(biller.pk) and event.data == {"username": "biller", "ip_address": "10.5.5.5"}


def test_an_unknown_user_name_is_not_written_down(client):
    sign_in(client, "MySecretPassword!", "x")  # typed into the wrong field
    event = AuditEvent.objects.get(action="sign_in.failed")
    assert "MySecretPassword" not in event.summary and event.data["username"] is None
    assert "unknown user name" in event.summary


def _changelist():
    return reverse("admin:axes_accessattempt_changelist")


def test_an_administrator_unlocks_a_user_name_in_the_admin(client, biller, admin_client_logged):
    fail(client, "biller", LIMIT, ip="10.6.6.6")
    assert sign_in(client, "biller", "pw-biller-1", ip="10.7.7.7").status_code == 429
    attempt = AccessAttempt.objects.filter(username="biller").first()
    response = admin_client_logged.post(
        _changelist(), {"action": "unlock_usernames", "_selected_action": [attempt.pk]}, follow=True
    )
    assert response.status_code == 200 and b"Unlocked biller" in response.content
    assert not AccessAttempt.objects.filter(username="biller").exists()
    fresh = Client()
    assert sign_in(fresh, "biller", "pw-biller-1", ip="10.7.7.7").status_code == 302 and signed_in(fresh)
    event = AuditEvent.objects.get(action="sign_in.unlocked")
    assert event.actor_name == "admin" and event.data["usernames"] == ["biller"]


def test_an_administrator_unlocks_an_address_in_the_admin(client, biller, admin_client_logged):
    for name in ("anna", "ben", "carl", "dora", "eve"):
        sign_in(client, name, "guess", ip="10.8.8.8")
    assert sign_in(client, "biller", "pw-biller-1", ip="10.8.8.8").status_code == 429
    attempt = AccessAttempt.objects.filter(ip_address="10.8.8.8").first()
    admin_client_logged.post(_changelist(), {"action": "unlock_addresses", "_selected_action": [attempt.pk]})
    assert not AccessAttempt.objects.filter(ip_address="10.8.8.8").exists()
    assert sign_in(client, "biller", "pw-biller-1", ip="10.8.8.8").status_code == 302


def test_deleting_the_attempts_in_the_admin_unlocks_too(client, biller, admin_client_logged):
    fail(client, "biller", LIMIT)
    pks = list(AccessAttempt.objects.values_list("pk", flat=True))
    response = admin_client_logged.post(
        _changelist(), {"action": "delete_selected", "_selected_action": pks, "post": "yes"}, follow=True
    )
    assert response.status_code == 200 and not AccessAttempt.objects.exists()
    assert sign_in(client, "biller", "pw-biller-1").status_code == 302


def test_the_admin_lists_who_is_locked_out(client, biller, admin_client_logged):
    fail(client, "biller", LIMIT, ip="10.6.6.6")
    page = admin_client_logged.get(_changelist()).content.decode()
    assert "biller" in page and "10.6.6.6" in page and "Locked Out" in page


def test_a_forwarded_for_header_is_ignored_without_a_configured_proxy(client, biller):
    for n in range(LIMIT):  # an attacker rotating X-Forwarded-For from one connection
        sign_in(client, f"user{n}", "guess", ip="10.10.0.1", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"10.10.0.1"}
    response = sign_in(client, "biller", "pw-biller-1", ip="10.10.0.1", HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert response.status_code == 429


def test_behind_a_configured_proxy_the_forwarded_address_counts(client, biller, settings):
    settings.AXES_IPWARE_PROXY_COUNT = 1
    for n in range(LIMIT):  # five clients behind one proxy: none of them is locked by the others
        sign_in(client, f"user{n}", "guess", ip="10.0.0.2", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {f"203.0.113.{n}" for n in range(LIMIT)}
    response = sign_in(client, "biller", "pw-biller-1", ip="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.50")
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (None, "1.2.3.4", "10.0.0.9"),  # no proxy configured: the connection's address
        (1, "1.2.3.4", "1.2.3.4"),
        (1, "6.6.6.6, 1.2.3.4", "1.2.3.4"),  # the client wrote 6.6.6.6 itself; the proxy appended 1.2.3.4
        (2, "6.6.6.6, 1.2.3.4, 10.0.0.5", "1.2.3.4"),
        (2, "1.2.3.4", "10.0.0.9"),  # fewer entries than proxies: not believed
        (1, "not-an-address", "10.0.0.9"),
        (1, "", "10.0.0.9"),
    ],
)
def test_client_ip(rf, settings, proxies, forwarded, expected):
    settings.AXES_IPWARE_PROXY_COUNT = proxies
    request = rf.get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected
