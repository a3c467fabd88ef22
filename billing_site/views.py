"""Error pages: the site's own templates (templates/400.html …) for people, JSON for the API.

Django calls these only with DEBUG off (billing_site.urls names them). Under ``/api/`` a client expects JSON,
never an HTML page, and a server error says nothing about its cause (that goes to the log, filtered:
billing_site.error_reports).
"""

from __future__ import annotations

from django.http import JsonResponse
from django.views import defaults
from django.views.decorators.csrf import requires_csrf_token

API_PREFIX = "/api/"


def _is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def _json(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@requires_csrf_token
def bad_request(request, exception):
    if _is_api(request):
        return _json(400, "Bad request.")
    return defaults.bad_request(request, exception)


@requires_csrf_token
def permission_denied(request, exception):
    if _is_api(request):
        return _json(403, "You do not have permission to do this.")
    return defaults.permission_denied(request, exception)


@requires_csrf_token
def page_not_found(request, exception):
    if _is_api(request):
        return _json(404, "Not found: see the API's documentation for its addresses (POST /api/claims/scrub/).")
    return defaults.page_not_found(request, exception)


@requires_csrf_token
def server_error(request):
    if _is_api(request):
        return _json(500, "Server error: the request could not be completed. It has been logged; try again later.")
    return defaults.server_error(request)
