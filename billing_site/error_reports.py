"""Error reports (the debug page, admin e-mails, logged tracebacks) that carry no patient data and no secrets.

Django's filter hides only what the ``@sensitive_variables`` / ``@sensitive_post_parameters`` decorators name,
and only with DEBUG off. ClaimDesk's filter goes further, because almost any value in a claims app may be
protected health information:

* the decorators apply whether or not DEBUG is on;
* with DEBUG off every local variable of every frame, every POST and GET parameter and every uploaded file name
  is replaced with stars: the report keeps the traceback (files, lines, code) and nothing typed by a user;
* the request body (the scrub API's JSON is not POST parameters) and the query string never appear, nor the
  ``Authorization`` and ``Cookie`` headers (Django's own rule) or the referring URL.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

HIDDEN_META = {"QUERY_STRING", "HTTP_REFERER", "CONTENT_LENGTH"}


class ClaimDeskExceptionReporterFilter(SafeExceptionReporterFilter):
    def is_active(self, request):
        return True  # the sensitive decorators are honoured on the debug page too

    def hides_everything(self) -> bool:
        return not settings.DEBUG

    def get_post_parameters(self, request):
        if request is None:
            return {}
        if self.hides_everything():
            return self._all_cleansed(request.POST)
        return super().get_post_parameters(request)

    def get_cleansed_multivaluedict(self, request, multivaluedict):
        if self.hides_everything():
            return self._all_cleansed(multivaluedict)
        return super().get_cleansed_multivaluedict(request, multivaluedict)

    def get_safe_request_meta(self, request):
        meta = super().get_safe_request_meta(request)
        return {key: self.cleansed_substitute if key in HIDDEN_META else value for key, value in meta.items()}

    def get_traceback_frame_variables(self, request, tb_frame):
        if self.hides_everything():
            return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]
        return super().get_traceback_frame_variables(request, tb_frame)

    def cleanse_special_types(self, request, value):
        if isinstance(value, HttpRequest):  # its repr would show the query string
            return f"<{type(value).__name__}: {value.method} {value.path!r}>"
        return super().cleanse_special_types(request, value)

    def get_cleansed_query(self, request):
        return self._all_cleansed(request.GET).items()

    def _all_cleansed(self, multivaluedict):
        cleansed = multivaluedict.copy()
        for key in cleansed:
            cleansed[key] = self.cleansed_substitute
        return cleansed


class ClaimDeskExceptionReporter(ExceptionReporter):
    """Django's reporter with the query string and uploaded file names filtered as well (Django shows them as
    they came) and the request's URL without its query string."""

    def get_traceback_data(self):
        data = super().get_traceback_data()
        if self.request is not None:
            request = self.request
            data["request_insecure_uri"] = f"{request.scheme}://{request._get_raw_host()}{request.path}"
            if isinstance(self.filter, ClaimDeskExceptionReporterFilter):
                data["request_GET_items"] = self.filter.get_cleansed_query(self.request)
                if self.filter.hides_everything():
                    data["request_FILES_items"] = [
                        (name, self.filter.cleansed_substitute) for name in self.request.FILES
                    ]
        return data
