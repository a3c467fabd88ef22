"""``POST /api/claims/scrub/``: the batch check over HTTP (same JSON in and out as ``scrub_claims``).

Authentication is done here, not by the login middleware (an API answers 401, it does not redirect):

* ``Authorization: Token <key>``: a per-user key created in the admin (``ApiToken``; only its hash
  is stored). No CSRF check: the key is not sent by the browser on its own.
* otherwise the logged-in session, with the usual CSRF protection (``X-CSRFToken`` header).

Answers, every one JSON: 200 with the output document; 400 ``{"error", "claim", "line", "field"}`` for
malformed input (not UTF-8, not JSON, nested too deep, no claims, a wrong type, a date outside 1900–2100,
text with an unpaired surrogate …); 401 without valid credentials (an expired or revoked token says so);
403 for a failed CSRF check or a user without ``claims.check_claim``; 405 for anything but POST; 413 when
the body is larger than ``CLAIMDESK_SCRUB_MAX_BYTES``. Never a server error on any input.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from .api_tokens import api_token_authenticate
from .output import parse_json
from .rules import check_document
from .rules.inputs import ScrubInputError

CHECK_PERMISSION = "claims.check_claim"  # "Can check claims": billing staff and supervisors (claims.roles)
DEFAULT_MAX_BYTES = 5 * 1024 * 1024


def _error(status: int, message: str, **extra: Any) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


class _CsrfCheck(CsrfViewMiddleware):
    """The CSRF middleware's check, answering in JSON (as Django REST framework does for sessions)."""

    def _reject(self, request, reason):
        return _error(403, f"CSRF check failed: {reason}. Send the X-CSRFToken header, or use an API token.")


def _unauthorized(message: str) -> JsonResponse:
    response = _error(401, message)
    response["WWW-Authenticate"] = 'Token realm="ClaimDesk"'
    return response


@login_not_required
@csrf_exempt
@sensitive_post_parameters()  # error reports: no claim data (billing_site.error_reports)
@sensitive_variables()  # nor the token, the body or anything read from it
def scrub(request: HttpRequest) -> JsonResponse:
    """Check the claims of a scrub document and return the findings."""
    if request.method != "POST":
        response = _error(405, f"Method {request.method} not allowed: POST a scrub document.")
        response["Allow"] = "POST"
        return response

    header = request.headers.get("Authorization", "")
    by_session = False
    if header:
        checked = api_token_authenticate(header)
        if checked.user is None:
            return _unauthorized(checked.problem)
        request.user = checked.user
    elif request.user.is_authenticated:
        by_session = True
    else:
        return _unauthorized("Authentication required: log in, or send the header 'Authorization: Token <key>'.")
    if not request.user.has_perm(CHECK_PERMISSION):
        return _error(
            403, "This account may not check claims (permission 'Can check claims'): ask an administrator for the "
            "billing staff role."
        )

    limit = getattr(settings, "CLAIMDESK_SCRUB_MAX_BYTES", DEFAULT_MAX_BYTES)
    too_big = _error(413, f"The request body is larger than the limit of {limit} bytes; send fewer claims per request.")
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        return too_big
    body = request.read(limit + 1)  # the stream, not request.body: our limit, not DATA_UPLOAD_MAX_MEMORY_SIZE
    if len(body) > limit:
        return too_big
    if by_session:  # after reading the body from the stream, so the check looks only at the header
        rejected = _CsrfCheck(lambda _request: None).process_view(request, None, (), {})
        if rejected is not None:
            return rejected

    try:
        document = check_document(parse_json(body))
    except ScrubInputError as error:
        return JsonResponse(error.as_dict(), status=400)
    return JsonResponse(document, json_dumps_params={"ensure_ascii": False})
