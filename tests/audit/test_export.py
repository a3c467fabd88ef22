"""The CSV export of the audit trail: who may run it, what it holds, and that it is itself on the trail."""

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.exports import COLUMNS, cell, trail_csv_response
from audit.models import AuditEvent
from audit.services import event_record

from .helpers import record_at, verify

pytestmark = pytest.mark.django_db

URL = reverse("audit:trail_export")


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8"))))


def exported(client, **params) -> list[list[str]]:
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    return rows_of(response)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- who ---------------------------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_billers_may_not_export(biller_client):
    assert biller_client.get(URL).status_code == 403
    assert not AuditEvent.objects.exists()


def test_supervisors_may_export(supervisor_client):
    response = supervisor_client.get(URL, {"start": "2026-02-01", "end": "2026-02-28"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="audit-trail-2026-02-01-to-2026-02-28.csv"'
    assert response["Cache-Control"] == "no-store"


def test_only_get(supervisor_client):
    assert supervisor_client.post(URL).status_code == 405


# --- what --------------------------------------------------------------------------------------------


def test_one_row_per_event_with_every_column(supervisor_client, django_user_model):
    maria = django_user_model.objects.create_user("mlopez", first_name="Maria", last_name="Lopez")
    event = event_record(
        action="claim.changed",
        actor=maria,
        object_type="claim",
        object_id=7,
        claim_id=7,
        summary="changed claim 7",
        changes=[["line 2 code", "96372", "96374"], ["line 2 units", 1, 2]],
        data={"reason": "corrected", "findings": ["MUE"]},
    )
    header, *rows = exported(supervisor_client)
    assert header == list(COLUMNS)
    assert header[:7] == ["sequence", "at", "actor", "action", "object_type", "object_id", "claim_id"]
    assert header[7:] == ["what happened", "details", "hash"]
    assert rows == [
        [
            "1",
            timezone.localtime(event.at).isoformat(),
            "Maria Lopez",
            "claim.changed",
            "claim",
            "7",
            "7",
            "Maria Lopez changed line 2 code from 96372 to 96374; Maria Lopez changed line 2 units from 1 to 2",
            '{"findings": ["MUE"], "reason": "corrected"}',
            event.hash,
        ]
    ]


def test_times_are_in_the_site_time_zone(supervisor_client):
    record_at(utc(2026, 1, 15, 15, 0, 0, 250))  # winter: New York is UTC-5
    record_at(utc(2026, 7, 15, 15, 0))  # summer: UTC-4
    _, *rows = exported(supervisor_client)
    assert [row[1] for row in rows] == ["2026-01-15T10:00:00.000250-05:00", "2026-07-15T11:00:00-04:00"]


def test_an_event_without_claim_or_actor_leaves_those_cells_empty(supervisor_client):
    event_record(action="release.imported", object_type="release", object_id=3, summary="imported POS release 2024-06")
    _, row = exported(supervisor_client)
    assert row[2:8] == ["System", "release.imported", "release", "3", "", "System imported POS release 2024-06"]
    assert json.loads(row[8]) == {}


# --- which -------------------------------------------------------------------------------------------


@pytest.fixture
def month_edges():
    """Events either side of February 2026's first and last midnight in New York (UTC-5)."""
    return {
        "jan 31 23:30": record_at(utc(2026, 2, 1, 4, 30), "late on January 31"),
        "feb 1 00:30": record_at(utc(2026, 2, 1, 5, 30), "early on February 1"),
        "feb 28 23:59": record_at(utc(2026, 3, 1, 4, 59), "late on February 28"),
        "mar 1 00:00": record_at(utc(2026, 3, 1, 5, 0), "at midnight starting March 1"),
    }


def summaries(rows) -> list[str]:
    return [row[7].removeprefix("System ") for row in rows[1:]]


def test_the_range_is_inclusive_days_in_the_site_time_zone(supervisor_client, month_edges):
    rows = exported(supervisor_client, start="2026-02-01", end="2026-02-28")
    assert summaries(rows) == ["early on February 1", "late on February 28"]


def test_one_day(supervisor_client, month_edges):
    assert summaries(exported(supervisor_client, start="2026-01-31", end="2026-01-31")) == ["late on January 31"]


def test_start_or_end_alone(supervisor_client, month_edges):
    assert summaries(exported(supervisor_client, start="2026-03-01")) == ["at midnight starting March 1"]
    assert summaries(exported(supervisor_client, end="2026-01-31")) == ["late on January 31"]


def test_no_range_exports_everything_before_the_export(supervisor_client, month_edges):
    response = supervisor_client.get(URL)
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="audit-trail-beginning-to-{today}.csv"'
    assert len(rows_of(response)) == 1 + 4
    # the second export lists the first one, but never itself
    last = exported(supervisor_client)[-1]
    assert last[7] == "supervisor exported the audit trail from the beginning to now (4 events)"
    assert len(exported(supervisor_client)) == 1 + 6


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2026-02-30"}, "start must be a date in the form YYYY-MM-DD, not '2026-02-30'."),
        ({"end": "yesterday"}, "end must be a date in the form YYYY-MM-DD, not 'yesterday'."),
        ({"start": "20260201"}, "start must be a date in the form YYYY-MM-DD, not '20260201'."),
        ({"start": "2026-02-28", "end": "2026-02-01"}, "end (2026-02-01) is before start (2026-02-28)."),
    ],
)
def test_bad_dates_are_refused_with_a_message(supervisor_client, params, message):
    response = supervisor_client.get(URL, params)
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == message
    assert not AuditEvent.objects.exists()


# --- the export is on the trail ----------------------------------------------------------------------


def test_the_export_is_recorded_before_anything_is_sent(supervisor_client, supervisor, month_edges):
    response = supervisor_client.get(URL, {"start": "2026-02-01", "end": "2026-02-28"})
    event = AuditEvent.objects.get(action="trail.exported")  # recorded, and nothing streamed yet
    assert (event.actor, event.object_type, event.sequence) == (supervisor, "audit_trail", 5)
    assert event.summary == "exported the audit trail from 2026-02-01 to 2026-02-28 (2 events)"
    assert event.data == {"start": "2026-02-01", "end": "2026-02-28", "events": 2}
    assert len(rows_of(response)) == 1 + 2
    assert verify().startswith("audit log intact: 5 events")


def test_a_refused_export_is_not_recorded(biller_client):
    biller_client.get(URL)
    assert not AuditEvent.objects.filter(action="trail.exported").exists()


# --- spreadsheet formulas ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Maria Lopez", "Maria Lopez"),
        ("a=b", "a=b"),
        (7, 7),
        (None, ""),
    ],
)
def test_cells_that_would_run_as_formulas_are_defused(value, written):
    assert cell(value) == written


def test_formulas_in_events_are_defused_in_the_file(supervisor_client, django_user_model):
    mallory = django_user_model.objects.create_user("=cmd|'/c calc'!A1", first_name="@SUM(1+1)")
    event_record(action="claim.changed", actor=mallory, object_type="claim", object_id="-1", summary="+changed claim")
    _, row = exported(supervisor_client)
    assert row[2] == "'@SUM(1+1)"
    assert row[5] == "'-1"
    assert row[7] == "'@SUM(1+1) +changed claim"


# --- the response, for any set of events (a claim's trail) -------------------------------------------


def test_trail_csv_response_streams_any_events(month_edges):
    some = AuditEvent.objects.filter(summary__startswith="late").order_by("sequence")
    for events in (some, list(some)):
        response = trail_csv_response(events, filename="claim-7-trail.csv")
        assert response.streaming
        assert response["Content-Disposition"] == 'attachment; filename="claim-7-trail.csv"'
        assert summaries(rows_of(response)) == ["late on January 31", "late on February 28"]
