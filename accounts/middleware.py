"""Session time limits and the two-factor gate.

``SessionLimitsMiddleware`` signs a user out after CLAIMDESK_SESSION_IDLE_MINUTES without activity and
CLAIMDESK_SESSION_MAX_HOURS after signing in. Requests marked ``X-ClaimDesk-Background: 1`` (the page's own
session checks) are not activity. API requests that carry an ``Authorization`` header (API tokens) are left
alone; on any other page that header changes nothing (it must not keep an idle session alive).

``TwoFactorMiddleware`` holds a signed-in user who still owes a six-digit code (they have an authenticator
app), or an authenticator app (they must have one), to the page that asks for it; views marked with
``two_factor_allows`` stay open (logging out, the session check).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.http import urlencode

from . import services
from .selectors import two_factor_step

BACKGROUND_HEADER = "X-ClaimDesk-Background"
API_PREFIX = "/api/"


def is_background(request) -> bool:
    return request.headers.get(BACKGROUND_HEADER) == "1"


def wants_script_answer(request) -> bool:
    """htmx, and the page's own fetch calls: they get a status and a header to follow, not a redirect."""
    if getattr(request, "htmx", False) or is_background(request):
        return True
    return "application/json" in request.headers.get("Accept", "")


def _follow(request, url: str, status: int) -> HttpResponse:
    """A redirect a script can follow: htmx follows HX-Redirect, our scripts read it too."""
    response = HttpResponse(status=status)
    response["HX-Redirect"] = url
    return response


class SessionLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        by_token = request.path_info.startswith(API_PREFIX) and "HTTP_AUTHORIZATION" in request.META
        if by_token or not request.user.is_authenticated:
            return self.get_response(request)
        reason = services.session_end_reason(session=request.session)
        if reason is None:
            if not is_background(request):
                services.session_touch(session=request.session)
            return self.get_response(request)
        logout(request)
        if request.path_info.startswith(API_PREFIX):
            return self.get_response(request)  # now anonymous: the API answers 401 itself
        messages.info(request, services.session_end_message(reason))
        if wants_script_answer(request):
            next_path = request.headers.get("HX-Current-URL") and _path_of(request.headers["HX-Current-URL"])
            login_url = resolve_url("login")
            if next_path:
                login_url += "?" + urlencode({"next": next_path})
            return _follow(request, login_url, 401)
        return redirect_to_login(request.get_full_path() if request.method == "GET" else request.path)


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        step = two_factor_step(request.user)
        if step is None or step in getattr(view_func, "two_factor_allows", ()):
            return None
        if request.path_info.startswith(API_PREFIX):
            return JsonResponse({"error": "Finish signing in: two-factor sign-in is not complete."}, status=401)
        name = "accounts:two_factor_verify" if step == "verify" else "accounts:two_factor_setup"
        url = reverse(name)
        next_path = request.get_full_path() if request.method == "GET" else ""
        if next_path and next_path != "/":
            url += "?" + urlencode({"next": next_path})
        if wants_script_answer(request):
            return _follow(request, url, 403)
        return HttpResponseRedirect(url)
