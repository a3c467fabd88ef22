"""Placeholder; the code look-up pages are built in codes/views.py by the look-up work."""

from django.http import HttpResponse
from django.views.generic import TemplateView


class CodeListView(TemplateView):
    template_name = "base.html"


def code_detail(request, code):
    return HttpResponse(code)
