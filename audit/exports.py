"""The audit trail as a CSV download: the whole trail by date range (``views.trail_export``) or one claim's."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

from .models import AuditEvent

COLUMNS = (
    "sequence",
    "at",
    "actor",
    "action",
    "object_type",
    "object_id",
    "claim_id",
    "what happened",
    "details",
    "hash",
)
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection): such cells are
# written with a leading apostrophe, which the spreadsheet shows as text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 2000


class _Line:
    """The file-like object ``csv.writer`` writes to: hands each written line straight back."""

    def write(self, value: str) -> str:
        return value


def cell(value: Any) -> Any:
    """A value as written to the CSV: text that a spreadsheet would run as a formula is defused."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return "" if value is None else value


def row(event: AuditEvent) -> list[Any]:
    return [
        cell(value)
        for value in (
            event.sequence,
            timezone.localtime(event.at).isoformat(),
            event.actor_name,
            event.action,
            event.object_type,
            event.object_id,
            event.claim_id,
            "; ".join(event.sentences()),
            json.dumps(event.data, sort_keys=True, ensure_ascii=False),
            event.hash,
        )
    ]


def trail_lines(events: Iterable[AuditEvent]) -> Iterator[str]:
    """The CSV text line by line: the header, then one line per event (a queryset is read in chunks)."""
    writer = csv.writer(_Line())
    yield writer.writerow(COLUMNS)
    if isinstance(events, QuerySet):
        events = events.iterator(chunk_size=CHUNK)
    for event in events:
        yield writer.writerow(row(event))


def trail_csv_response(events: Iterable[AuditEvent], *, filename: str) -> StreamingHttpResponse:
    """Stream ``events`` as a CSV attachment named ``filename`` (times in the site's time zone)."""
    return StreamingHttpResponse(
        trail_lines(events),
        content_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": content_disposition_header(True, filename),
            "Cache-Control": "no-store",  # it holds patient data: no copy in a browser or proxy cache
        },
    )
