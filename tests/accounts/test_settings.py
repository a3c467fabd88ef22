"""The accounts settings: the order django-axes and django-otp need, and the environment variables."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings

STRONG_KEY = "x7$Kq9!vLm2#pR8@wZ4^tY6&nB3*hJ5(gF1)dS0-aQ" * 2


NAMES = (
    "CLAIMDESK_REQUIRE_2FA",
    "AXES_FAILURE_LIMIT",
    "AXES_COOLOFF_TIME",
    "AXES_IPWARE_PROXY_COUNT",
    "CLAIMDESK_SESSION_IDLE_MINUTES",
    "CLAIMDESK_SESSION_MAX_HOURS",
    "SESSION_COOKIE_AGE",
)


def settings_with(**env) -> dict[str, str]:
    """The accounts settings (repr of each) when ClaimDesk starts with these environment variables."""
    base = {key: val for key, val in os.environ.items() if not key.startswith(("DJANGO_", "CLAIMDESK_", "AXES_"))}
    base.update(DJANGO_SECRET_KEY=STRONG_KEY, DJANGO_ALLOWED_HOSTS="claims.example.org", **env)
    code = (
        "import django; django.setup(); from django.conf import settings\n"
        f"for name in {NAMES!r}: print(name, repr(getattr(settings, name)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**base, "DJANGO_SETTINGS_MODULE": "billing_site.settings"},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [line.split(" ", 1) for line in result.stdout.splitlines() if line.split(" ", 1)[0] in NAMES]
    return dict(lines)


def test_axes_checks_first_and_answers_last():
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"
    middleware = settings.MIDDLEWARE
    auth = middleware.index("django.contrib.auth.middleware.AuthenticationMiddleware")
    otp = middleware.index("django_otp.middleware.OTPMiddleware")
    limits = middleware.index("accounts.middleware.SessionLimitsMiddleware")
    gate = middleware.index("accounts.middleware.TwoFactorMiddleware")
    messages = middleware.index("django.contrib.messages.middleware.MessageMiddleware")
    assert auth < otp < gate and messages < limits < gate


def test_the_account_and_the_address_are_locked_separately():
    assert settings.AXES_LOCKOUT_PARAMETERS == ["username", "ip_address"]


def test_the_production_defaults():
    production = settings_with(DJANGO_DEBUG="0")
    assert production == {
        "CLAIMDESK_REQUIRE_2FA": "True",
        "AXES_FAILURE_LIMIT": "5",
        "AXES_COOLOFF_TIME": "datetime.timedelta(seconds=900)",
        "AXES_IPWARE_PROXY_COUNT": "None",
        "CLAIMDESK_SESSION_IDLE_MINUTES": "15.0",
        "CLAIMDESK_SESSION_MAX_HOURS": "12.0",
        "SESSION_COOKIE_AGE": str(12 * 3600),
    }


def test_two_factor_is_off_by_default_only_on_a_developers_machine():
    assert settings_with(DJANGO_DEBUG="1")["CLAIMDESK_REQUIRE_2FA"] == "False"
    assert settings_with(DJANGO_DEBUG="0", CLAIMDESK_REQUIRE_2FA="0")["CLAIMDESK_REQUIRE_2FA"] == "False"
    assert settings_with(DJANGO_DEBUG="1", CLAIMDESK_REQUIRE_2FA="1")["CLAIMDESK_REQUIRE_2FA"] == "True"


def test_the_environment_sets_the_limits():
    configured = settings_with(
        DJANGO_DEBUG="0",
        CLAIMDESK_LOCKOUT_FAILURES="8",
        CLAIMDESK_LOCKOUT_MINUTES="30",
        AXES_IPWARE_PROXY_COUNT="1",
        CLAIMDESK_SESSION_IDLE_MINUTES="10",
        CLAIMDESK_SESSION_MAX_HOURS="9",
    )
    assert configured == {
        "CLAIMDESK_REQUIRE_2FA": "True",
        "AXES_FAILURE_LIMIT": "8",
        "AXES_COOLOFF_TIME": "datetime.timedelta(seconds=1800)",
        "AXES_IPWARE_PROXY_COUNT": "1",
        "CLAIMDESK_SESSION_IDLE_MINUTES": "10.0",
        "CLAIMDESK_SESSION_MAX_HOURS": "9.0",
        "SESSION_COOKIE_AGE": str(9 * 3600),
    }


def test_the_tests_run_with_two_factor_not_required():
    """tests/conftest.py turns it off for the suite (force_login has no code); tests/accounts turn it on."""
    assert settings.CLAIMDESK_REQUIRE_2FA is False
