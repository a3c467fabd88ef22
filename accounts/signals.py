"""Signal receivers: a sign-in starts the session clocks; failed and locked sign-ins go on the audit trail."""

from __future__ import annotations

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed

from . import services
from .network import client_ip


def _ip(request) -> str | None:
    if request is None:
        return None
    return getattr(request, "axes_ip_address", None) or client_ip(request)


def on_logged_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        services.session_start(session=request.session)


def on_login_failed(sender, credentials, request=None, **kwargs):
    if request is not None and getattr(request, "axes_locked_out", False):
        return  # recorded as a lockout (on_locked_out), once
    username = (credentials or {}).get(get_user_model().USERNAME_FIELD)
    services.sign_in_failure_record(username=username, ip_address=_ip(request), locked=False)


def on_locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    services.sign_in_failure_record(username=username, ip_address=ip_address or _ip(request), locked=True)


def connect() -> None:
    user_logged_in.connect(on_logged_in, dispatch_uid="accounts_session_start")
    user_login_failed.connect(on_login_failed, dispatch_uid="accounts_login_failed")
    user_locked_out.connect(on_locked_out, dispatch_uid="accounts_locked_out")
