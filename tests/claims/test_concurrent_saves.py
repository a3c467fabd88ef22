"""Two people save the same version of a claim at the same moment: exactly one save wins, the other is told the
claim changed, and nothing of the winner's is lost.

These are real concurrent requests: two threads, each with its own database connection (Django keeps one per
thread), post the edit page through the whole request stack against the test database (PostgreSQL in CI's
second run; on SQLite a file database, as in production, since the in-memory test database cannot be
shared by two connections that write). The only help they get is a barrier that lets both reach
``claim_save`` with the same version before either saves, and a short pause inside the winner's
transaction, so the two saves overlap every time rather than by luck."""

from __future__ import annotations

import sqlite3
import threading
import time
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connections
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from claims import services
from claims.models import Claim
from tests.claims.factories import claim_header, make_line, make_payer

from .page_forms import form_data

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shared_database(transactional_db, tmp_path):
    """A database two threads can write to at once, as in production.

    PostgreSQL: the test database itself. SQLite: pytest-django's in-memory test database is one shared cache,
    whose writers fail at once with "database table is locked" instead of waiting as a file database's do; so
    for this test the connection is pointed at a file copy of it (same schema) and back afterwards."""
    from django.db import connection

    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        yield
        return
    connection.ensure_connection()
    memory = connection.connection  # kept open: the in-memory database lives as long as a connection to it
    path = tmp_path / "concurrent.sqlite3"
    target = sqlite3.connect(path)
    memory.backup(target)
    target.close()
    settings_dict = connection.settings_dict  # shared with the connections the threads open
    name = settings_dict["NAME"]
    settings_dict["NAME"] = str(path)
    connection.connection = None  # the next query opens the file
    try:
        yield
    finally:
        connection.close()
        settings_dict["NAME"] = name
        connection.connection = memory


@pytest.fixture
def people(shared_database, django_user_model):
    # committed: the threads' connections read it
    call_command("load_starter_data", "--icd10cm-year", "2025", "--icd10cm-year", "2026", stdout=StringIO())
    biller = django_user_model.objects.create_user("biller.concurrent")
    biller.groups.add(Group.objects.get(name="Billing staff"))
    supervisor = django_user_model.objects.create_user("supervisor.concurrent")
    supervisor.groups.add(Group.objects.get(name="Supervisors"))
    return biller, supervisor


def _claim(biller) -> Claim:
    from claims.models import Patient

    patient = Patient(last_name="Doe", first_name="Jane", date_of_birth="1950-03-01", sex="F", member_id="1EG4TE5MK72")
    lines = [make_line("96372"), make_line("J8499")]
    return services.claim_save(
        claim=Claim(**claim_header(), payer=make_payer()), lines=lines, patient=patient, user=biller
    )


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _race(monkeypatch, posts: list[tuple[Client, str, dict[str, str]]]) -> list[int]:
    """Post each form from its own thread; both reach ``claim_save`` before either saves."""
    barrier = threading.Barrier(len(posts), timeout=20)
    real_save, real_lines_saved = services.claim_save, services._lines_saved

    def save_together(*args, **kwargs):
        barrier.wait()  # every request has passed the page's own version check with the same version
        return real_save(*args, **kwargs)

    def slow_lines_saved(*args, **kwargs):
        time.sleep(0.3)  # the winner holds the claim's version while the other tries to take it
        return real_lines_saved(*args, **kwargs)

    monkeypatch.setattr(services, "claim_save", save_together)
    monkeypatch.setattr(services, "_lines_saved", slow_lines_saved)
    statuses: list[int | BaseException] = [0] * len(posts)

    def run(index: int, client: Client, url: str, data: dict[str, str]) -> None:
        try:
            statuses[index] = client.post(url, data).status_code
        except BaseException as error:  # reported by the assertion below
            statuses[index] = error
        finally:
            connections.close_all()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(i, *post)) for i, post in enumerate(posts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    monkeypatch.setattr(services, "claim_save", real_save)
    monkeypatch.setattr(services, "_lines_saved", real_lines_saved)
    assert all(isinstance(status, int) for status in statuses), statuses
    return statuses


@pytest.mark.parametrize("round_", range(3))
def test_two_saves_of_the_same_version_at_once_one_wins_and_nothing_is_lost(monkeypatch, people, round_):
    biller, supervisor = people
    claim = _claim(biller)
    url = reverse("claims:claim_edit", args=[claim.pk])
    billers, supervisors = _client(biller), _client(supervisor)
    mine = form_data(billers.get(url).content.decode())
    theirs = form_data(supervisors.get(url).content.decode())
    assert mine["version"] == theirs["version"] == "1"
    mine.update({"lines-0-charge": "11.00", "lines-0-narrative": "the biller's", "action": "save"})
    theirs.update({"lines-1-DELETE": "on", "lines-0-charge": "22.00", "action": "save"})

    statuses = _race(monkeypatch, [(billers, url, mine), (supervisors, url, theirs)])

    assert sorted(statuses) == [302, 409]
    claim.refresh_from_db()
    assert claim.version == 2  # one save, not two
    lines = list(claim.lines.values_list("code", "charge", "narrative"))
    if statuses[0] == 302:  # the biller won: their whole edit, none of the supervisor's
        assert [(code, str(charge), note) for code, charge, note in lines] == [
            ("96372", "11.00", "the biller's"),
            ("J8499", "100.00", ""),
        ]
    else:  # the supervisor won: their whole edit, none of the biller's
        assert [(code, str(charge), note) for code, charge, note in lines] == [("96372", "22.00", "")]
    assert AuditEvent.objects.filter(action="claim.changed", claim_id=claim.pk).count() == 1


def test_a_save_at_the_same_moment_as_a_service_save_is_refused_too(monkeypatch, people):
    """The page's save and a save by another path (``claim_save`` itself, as the demo loader does)."""
    biller, supervisor = people
    claim = _claim(biller)
    url = reverse("claims:claim_edit", args=[claim.pk])
    billers = _client(biller)
    mine = form_data(billers.get(url).content.decode())
    mine.update({"lines-0-code": "J1100", "action": "save"})
    results: list[object] = []
    barrier = threading.Barrier(2, timeout=20)
    real_save = services.claim_save

    def save_together(*args, **kwargs):
        barrier.wait()
        return real_save(*args, **kwargs)

    def service_save() -> None:
        try:
            stored = Claim.objects.get(pk=claim.pk)
            lines = list(stored.lines.all())
            lines[1].units = 3
            barrier.wait()
            real_save(claim=stored, lines=lines, patient=stored.patient, user=supervisor, version=1)
            results.append("saved")
        except services.StaleClaimError:
            results.append("stale")
        finally:
            connections.close_all()

    monkeypatch.setattr(services, "claim_save", save_together)
    other = threading.Thread(target=service_save)
    other.start()
    response = billers.post(url, mine)
    other.join(timeout=60)
    monkeypatch.setattr(services, "claim_save", real_save)
    page = {302: "saved", 409: "stale"}.get(response.status_code, str(response.status_code))
    assert sorted([results[0], page]) == ["saved", "stale"]
    claim.refresh_from_db()
    assert claim.version == 2
    codes_units = list(claim.lines.values_list("code", "units"))
    assert codes_units in ([("J1100", 1), ("J8499", 1)], [("96372", 1), ("J8499", 3)])
