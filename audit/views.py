"""The audit trail's own page: the CSV export of a date range, for users who hold ``audit.export_trail``."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.contrib.auth.decorators import permission_required
from django.db import transaction
from django.db.models import Max
from django.http import HttpResponseBadRequest
from django.utils import timezone
from django.views.decorators.http import require_GET

from .exports import trail_csv_response
from .models import AuditEvent
from .selectors import events_between
from .services import event_record


class BadRange(ValueError):
    """A date range the export cannot use; the message says why, for the person who asked."""


def _date(request, name: str) -> date | None:
    value = request.GET.get(name, "").strip()
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise BadRange(f"{name} must be a date in the form YYYY-MM-DD, not '{value}'.") from None


def date_range(request) -> tuple[date | None, date | None]:
    """``start`` and ``end`` of the query string (both optional, inclusive); BadRange when unusable."""
    start, end = _date(request, "start"), _date(request, "end")
    if start and end and end < start:
        raise BadRange(f"end ({end.isoformat()}) is before start ({start.isoformat()}).")
    return start, end


def _midnight(day: date) -> datetime:
    """The first instant of ``day`` in the site's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


@require_GET
@permission_required("audit.export_trail", raise_exception=True)
def trail_export(request):
    """GET /audit/export.csv?start=YYYY-MM-DD&end=YYYY-MM-DD: every event of those days, as CSV.

    The trail holds patient data, so the export is itself an event, recorded before the first byte is
    sent. It lists the events up to the one before it: its count and its rows always agree.
    """
    try:
        start, end = date_range(request)
    except BadRange as error:
        return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")
    events = events_between(_midnight(start) if start else None, _midnight(end + timedelta(days=1)) if end else None)
    first_day = start.isoformat() if start else "the beginning"
    last_day = end.isoformat() if end else "now"
    with transaction.atomic():
        # Writers hold the chain lock until they commit, so events 1 … last are all there to stream.
        last = AuditEvent.objects.aggregate(last=Max("sequence"))["last"] or 0
        events = events.filter(sequence__lte=last)
        count = events.count()
        counted = f"{count} event{'' if count == 1 else 's'}"
        event_record(
            action="trail.exported",
            actor=request.user,
            object_type="audit_trail",
            summary=f"exported the audit trail from {first_day} to {last_day} ({counted})",
            data={"start": start, "end": end, "events": count},
        )
    filename = f"audit-trail-{start or 'beginning'}-to-{end or timezone.localdate()}.csv"
    return trail_csv_response(events, filename=filename)
