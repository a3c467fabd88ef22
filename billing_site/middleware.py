"""Site-wide response headers that Django's own middleware does not set."""

from __future__ import annotations


class NoStoreForSignedInUsersMiddleware:
    """``Cache-Control: no-store`` (and the old ``Pragma: no-cache``) on every answer to a signed-in user.

    Pages of signed-in users show patient data: no browser cache, proxy or back button may keep a copy.
    Static files never get here (WhiteNoise answers them first, with their own long caching), and pages for
    anonymous visitors (the login page) keep Django's defaults. Whatever a view set is replaced: no-store wins.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
            if "Expires" in response:
                del response["Expires"]
        return response
