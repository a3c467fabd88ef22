"""API tokens: issuing, revoking and checking them. Issue and revocation are on the audit trail.

    api_token_issue(user=..., name=..., issued_by=..., expires_at=None) -> (token, key)
    api_token_revoke(token=..., revoked_by=...) -> bool
    api_token_authenticate(header) -> TokenCheck

The key is shown once, when issued; only its SHA-256 is stored. Every token expires
(``CLAIMDESK_API_TOKEN_DAYS`` after issue unless the administrator sets another date).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from audit.services import event_record

from .models import ApiToken, ApiTokenState

TOKEN_KEYWORD = "token"


def _describe(token: ApiToken) -> str:
    return f"API token “{token.name}” ({token.prefix}…) of {token.user.get_username()}"


@transaction.atomic
def api_token_issue(*, user, name: str, issued_by, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """Issue a token for ``user``; returns it with its key (shown once, never stored)."""
    if expires_at is not None and expires_at <= timezone.now():
        raise ValueError("an API token must expire in the future")
    token, key = ApiToken.issue(user=user, name=name, expires_at=expires_at)
    event_record(
        action="api_token.issued",
        actor=issued_by,
        object_type="api_token",
        object_id=token.pk,
        summary=f"issued {_describe(token)}, expires {timezone.localtime(token.expires_at):%Y-%m-%d %H:%M}",
        data={"user": user.get_username(), "name": token.name, "prefix": token.prefix, "expires_at": token.expires_at},
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken, revoked_by) -> bool:
    """Revoke a token for good (refused from now on). False when it was already revoked."""
    current = ApiToken.objects.select_for_update(of=("self",)).select_related("user").get(pk=token.pk)
    if current.state == ApiTokenState.REVOKED:
        return False
    current.active = False
    current.revoked_at = timezone.now()
    current.revoked_by = revoked_by if getattr(revoked_by, "is_authenticated", False) else None
    current.save(update_fields=["active", "revoked_at", "revoked_by"])
    event_record(
        action="api_token.revoked",
        actor=revoked_by,
        object_type="api_token",
        object_id=current.pk,
        summary=f"revoked {_describe(current)}",
        changes=[["API token state", "active", "revoked"]],
        data={"user": current.user.get_username(), "name": current.name, "prefix": current.prefix},
    )
    token.active, token.revoked_at, token.revoked_by = current.active, current.revoked_at, current.revoked_by
    return True


@dataclass(frozen=True)
class TokenCheck:
    """The outcome of an ``Authorization`` header: the user, or why the token is refused."""

    user: object | None
    problem: str = ""


def api_token_authenticate(header: str) -> TokenCheck:
    """The user of an ``Authorization: Token <key>`` header, marking the token used; or the reason it is
    refused (unknown, revoked, expired, user inactive)."""
    keyword, _, key = header.strip().partition(" ")
    key = key.strip()
    if keyword.lower() != TOKEN_KEYWORD or not key or not key.isascii():
        return TokenCheck(None, "Invalid API token: send the header 'Authorization: Token <key>'.")
    token = ApiToken.objects.select_related("user").filter(key_hash=ApiToken.hash_key(key)).first()
    if token is None:
        return TokenCheck(None, "Invalid API token.")
    now = timezone.now()
    state = token.state_on(now)
    if state == ApiTokenState.REVOKED:
        when = f" on {timezone.localtime(token.revoked_at):%Y-%m-%d}" if token.revoked_at else ""
        return TokenCheck(None, f"API token {token.prefix}… was revoked{when}: ask an administrator for a new one.")
    if state == ApiTokenState.EXPIRED:
        return TokenCheck(
            None,
            f"API token {token.prefix}… expired on {timezone.localtime(token.expires_at):%Y-%m-%d %H:%M}: "
            "ask an administrator for a new one.",
        )
    if not token.user.is_active:
        return TokenCheck(None, "The account of this API token is inactive.")
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return TokenCheck(token.user)
