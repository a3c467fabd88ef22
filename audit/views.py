"""The audit trail's own page: the CSV export of a date range (being written)."""

from django.http import HttpResponse


def trail_export(request):
    return HttpResponse("")
