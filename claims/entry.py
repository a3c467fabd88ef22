"""Claim entry: the form with its lines, the live check (htmx), and submitting."""

from __future__ import annotations

from django.http import HttpResponse


def claim_entry(request, pk=None):
    return HttpResponse("claim entry: being built")


def live_check(request):
    return HttpResponse("")


def claim_submit(request, pk):
    return HttpResponse("")
