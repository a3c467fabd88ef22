"""Passwords: at least 12 characters (with Django's other validators), and a page where every signed-in user
changes their own, staying signed in."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from audit.models import AuditEvent
from claims.management.commands.create_demo_users import password_generate

pytestmark = pytest.mark.django_db

URL = reverse("accounts:password_change")
NEW = "Quiet-harbor-lamp7"


def change(client, old, new, again=None):
    return client.post(URL, {"old_password": old, "new_password1": new, "new_password2": again or new})


def test_eleven_characters_are_too_few_twelve_are_enough():
    with pytest.raises(ValidationError, match="at least 12 characters"):
        validate_password("Kx7#mQ2$vLp")  # 11
    validate_password("Kx7#mQ2$vLp9")  # 12


def test_the_other_validators_still_apply(django_user_model):
    user = django_user_model(username="margaret.hollingsworth")
    with pytest.raises(ValidationError, match="too common"):
        validate_password("password1234")
    with pytest.raises(ValidationError, match="entirely numeric"):
        validate_password("839274619283")
    with pytest.raises(ValidationError, match="too similar"):
        validate_password("Hollingsworth", user=user)


def test_demo_account_passwords_pass_the_validators():
    for _ in range(20):
        password = password_generate()
        assert len(password) == 20
        validate_password(password)


def test_the_page_is_in_the_user_menu(biller_client):
    page = biller_client.get("/codes/").content.decode()
    assert f'href="{URL}">Change password</a>' in page
    assert f'href="{reverse("accounts:two_factor_setup")}">Two-factor sign-in</a>' in page


def test_a_biller_changes_their_password_and_stays_signed_in(client, biller):
    client.post(reverse("login"), {"username": "biller", "password": "pw-biller-1"})
    page = client.get(URL)
    assert page.status_code == 200 and b"Change your password" in page.content
    response = change(client, "pw-biller-1", NEW)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert b"Your password was changed." in client.get(response["Location"], follow=True).content
    assert SESSION_KEY in client.session and client.get("/codes/").status_code == 200  # still signed in
    biller.refresh_from_db()
    assert biller.check_password(NEW)
    assert AuditEvent.objects.get(action="password.changed").actor == biller
    assert not any(NEW in str(event.data) + event.summary for event in AuditEvent.objects.all())


def test_eleven_characters_are_refused_on_the_page(biller_client, biller):
    response = change(biller_client, "pw-biller-1", "Kx7#mQ2$vLp")
    assert response.status_code == 200
    assert b"This password is too short. It must contain at least 12 characters." in response.content
    biller.refresh_from_db()
    assert biller.check_password("pw-biller-1")


def test_the_current_password_must_be_right(biller_client, biller):
    response = change(biller_client, "not-my-password", NEW)
    assert response.status_code == 200 and b"Your old password was entered incorrectly" in response.content
    biller.refresh_from_db()
    assert not biller.check_password(NEW)


def test_other_sessions_of_the_user_end_when_the_password_changes(client, biller, django_user_model):
    from django.test import Client

    other = Client()
    other.post(reverse("login"), {"username": "biller", "password": "pw-biller-1"})
    client.post(reverse("login"), {"username": "biller", "password": "pw-biller-1"})
    change(client, "pw-biller-1", NEW)
    assert client.get("/codes/").status_code == 200
    assert other.get("/codes/").status_code == 302  # the old session's password hash no longer matches


def test_the_page_needs_a_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
