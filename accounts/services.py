"""Writes about accounts: session time stamps, authenticator apps, passwords, unlocking sign-ins.

Everything that matters for security goes on the audit trail (``audit.services.event_record``), in the
transaction of the change. A password, a secret key or a six-digit code is never recorded anywhere.
"""

from __future__ import annotations

import time
from binascii import unhexlify

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.services import event_record

SIGNED_IN_AT = "accounts_signed_in_at"
ACTIVE_AT = "accounts_active_at"
SETUP_KEY = "accounts_authenticator_key"
# Activity is written to the session at most this often: the idle sign-out may come up to this much early.
TOUCH_EVERY_SECONDS = 30
AUTHENTICATOR_NAME = "Authenticator app"


class TwoFactorError(Exception):
    """A six-digit code that did not match, or came too soon after wrong ones; the message says which."""


# --- sessions ----------------------------------------------------------------------------------------


def _now() -> float:
    return timezone.now().timestamp()


def idle_limit_seconds() -> float:
    return settings.CLAIMDESK_SESSION_IDLE_MINUTES * 60


def absolute_limit_seconds() -> float:
    return settings.CLAIMDESK_SESSION_MAX_HOURS * 3600


def session_start(*, session) -> None:
    """A new sign-in: both clocks start now."""
    now = _now()
    session[SIGNED_IN_AT] = now
    session[ACTIVE_AT] = now


def session_touch(*, session, at_once: bool = False) -> None:
    """The user did something: the idle clock starts again. The session is written at most every
    TOUCH_EVERY_SECONDS (a database write per page would be wasted), or ``at_once`` ("Stay signed in")."""
    now = _now()
    if at_once or now - session.get(ACTIVE_AT, 0) >= TOUCH_EVERY_SECONDS:
        session[ACTIVE_AT] = now


def session_end_reason(*, session) -> str | None:
    """ "idle" or "absolute" when the session has run out, else None (a session without clocks gets them now)."""
    now = _now()
    if SIGNED_IN_AT not in session or ACTIVE_AT not in session:
        session.setdefault(SIGNED_IN_AT, now)
        session.setdefault(ACTIVE_AT, now)
    if now - session[SIGNED_IN_AT] >= absolute_limit_seconds():
        return "absolute"
    if now - session[ACTIVE_AT] >= idle_limit_seconds():
        return "idle"
    return None


def session_idle_seconds_left(*, session) -> int:
    """Seconds until the idle sign-out (or the absolute one, whichever comes first)."""
    now = _now()
    idle_left = idle_limit_seconds() - (now - session.get(ACTIVE_AT, now))
    absolute_left = absolute_limit_seconds() - (now - session.get(SIGNED_IN_AT, now))
    return max(0, int(min(idle_left, absolute_left)))


def _minutes(value: float) -> str:
    count = int(value) if float(value).is_integer() else value
    return f"{count} minute{'' if count == 1 else 's'}"


def _hours(value: float) -> str:
    count = int(value) if float(value).is_integer() else value
    return f"{count} hour{'' if count == 1 else 's'}"


def session_end_message(reason: str) -> str:
    if reason == "absolute":
        return (
            f"You were signed out: a session lasts at most {_hours(settings.CLAIMDESK_SESSION_MAX_HOURS)}. "
            "Please log in again."
        )
    return (
        f"You were signed out after {_minutes(settings.CLAIMDESK_SESSION_IDLE_MINUTES)} without activity. "
        "Please log in again."
    )


# --- authenticator apps ------------------------------------------------------------------------------


def _totp(key: str) -> TOTP:
    totp = TOTP(unhexlify(key.encode()), step=30, t0=0, digits=6, drift=0)
    totp.time = time.time()
    return totp


def _code(token: str) -> int | None:
    token = "".join(token.split())
    return int(token) if len(token) == 6 and token.isdigit() else None


def authenticator_confirm(*, user, key: str, token: str) -> TOTPDevice:
    """The user's authenticator app (set up with ``key``) showed ``token``: it becomes their authenticator,
    replacing any earlier one."""
    code = _code(token)
    totp = _totp(key)
    if code is None or not totp.verify(code, tolerance=1):
        raise TwoFactorError(
            "That code does not match. Scan the QR code again and type the six-digit code your authenticator app "
            "shows now."
        )
    with transaction.atomic():
        replaced = TOTPDevice.objects.filter(user=user).delete()[0]
        device = TOTPDevice.objects.create(
            user=user, name=AUTHENTICATOR_NAME, key=key, confirmed=True, last_t=totp.t(), tolerance=1
        )
        event_record(
            action="two_factor.set_up",
            actor=user,
            object_type="user",
            object_id=user.pk,
            summary="set up an authenticator app for two-factor sign-in"
            + (" (replacing the earlier one)" if replaced else ""),
        )
    return device


def authenticator_verify(*, user, token: str) -> TOTPDevice:
    """The user's confirmed authenticator app, when ``token`` is its current six-digit code."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()
    if device is None:
        raise TwoFactorError("You have no authenticator app set up.")
    allowed, details = device.verify_is_allowed()
    if not allowed:
        wait = ""
        locked_until = (details or {}).get("locked_until")
        if locked_until:
            seconds = max(1, int((locked_until - timezone.now()).total_seconds()) + 1)
            wait = f" Wait {seconds} second{'' if seconds == 1 else 's'}, then"
        raise TwoFactorError(f"Too many wrong codes.{wait} try again with the code your authenticator app shows.")
    code = _code(token)
    if code is not None and device.verify_token(code):
        return device
    if code is None:
        device.throttle_increment(commit=True)
    event_record(
        action="two_factor.code_failed",
        actor=user,
        object_type="user",
        object_id=user.pk,
        summary="entered a wrong six-digit code at sign-in",
    )
    raise TwoFactorError("That code does not match. Type the six-digit code your authenticator app shows now.")


def authenticator_remove(*, device: TOTPDevice, by) -> None:
    """An administrator removes a user's authenticator app (lost phone): the user sets up a new one."""
    with transaction.atomic():
        owner = device.user
        device.delete()
        event_record(
            action="two_factor.removed",
            actor=by,
            object_type="user",
            object_id=owner.pk,
            summary=f"removed the authenticator app of {owner.get_username()}",
        )


# --- passwords ---------------------------------------------------------------------------------------


def password_change(*, user, password: str) -> None:
    """The user chose a new password (already validated)."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        event_record(
            action="password.changed",
            actor=user,
            object_type="user",
            object_id=user.pk,
            summary="changed their password",
        )


# --- sign-in throttling ------------------------------------------------------------------------------


def _known_user(username: str | None):
    if not username:
        return None
    user_model = get_user_model()
    return user_model.objects.filter(**{user_model.USERNAME_FIELD: username}).first()


def sign_in_failure_record(*, username: str | None, ip_address: str | None, locked: bool) -> None:
    """A failed sign-in, or the lockout that followed, on the audit trail. A user name that belongs to nobody
    is not written down (people type their password into it)."""
    user = _known_user(username)
    who = f"as {user.get_username()}" if user else "with an unknown user name"
    if locked:
        action, summary = "sign_in.locked", f"sign-in locked after repeated failures {who} from {ip_address}"
    else:
        action, summary = "sign_in.failed", f"failed sign-in {who} from {ip_address}"
    event_record(
        action=action,
        object_type="user",
        object_id=user.pk if user else "",
        summary=summary,
        data={"username": user.get_username() if user else None, "ip_address": ip_address},
    )


def sign_in_unlock(*, by, usernames=(), ip_addresses=()) -> int:
    """Forget the failed sign-ins of these user names and addresses: they may sign in again at once."""
    usernames, ip_addresses = sorted(set(filter(None, usernames))), sorted(set(filter(None, ip_addresses)))
    with transaction.atomic():
        count, _ = AccessAttempt.objects.filter(Q(username__in=usernames) | Q(ip_address__in=ip_addresses)).delete()
        what = ", ".join([*usernames, *ip_addresses])
        event_record(
            action="sign_in.unlocked",
            actor=by,
            object_type="user",
            summary=f"unlocked sign-in for {what}",
            data={"usernames": usernames, "ip_addresses": ip_addresses, "attempts_removed": count},
        )
    return count
