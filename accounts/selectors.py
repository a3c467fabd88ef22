"""Reads about accounts: who must use two-factor sign-in, which authenticator a user has."""

from __future__ import annotations

from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from claims.roles import SUPERVISORS


def two_factor_required(user) -> bool:
    """Supervisors and administrators must sign in with an authenticator app when CLAIMDESK_REQUIRE_2FA is on."""
    if not settings.CLAIMDESK_REQUIRE_2FA or not user.is_authenticated:
        return False
    return user.is_staff or user.is_superuser or user.groups.filter(name=SUPERVISORS).exists()


def authenticator_of(user) -> TOTPDevice | None:
    """The user's confirmed authenticator app, if they set one up."""
    if not user.is_authenticated:
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def two_factor_step(user) -> str | None:
    """What a signed-in user still owes before using ClaimDesk: "verify" (a six-digit code), "setup"
    (an authenticator app, required for them), or None."""
    if not user.is_authenticated or _verified(user):
        return None
    if authenticator_of(user) is not None:
        return "verify"
    if two_factor_required(user):
        return "setup"
    return None


def _verified(user) -> bool:
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())
