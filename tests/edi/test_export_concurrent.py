"""Two exports to one clearinghouse at the same moment: both succeed, with different control numbers, because
the second waits for the first's row lock (without it both would take number 1 and one would fail on the
unique constraint). Real threads with their own connections (PostgreSQL in CI's second run; a file copy of the
SQLite test database here, see ``tests/claims/test_concurrent_saves.py``)."""

from __future__ import annotations

import threading
import time

import pytest
from django.contrib.auth.models import Group
from django.db import connections

from edi import services
from edi.models import Interchange
from tests.claims.test_concurrent_saves import shared_database  # noqa: F401 (a fixture)

from .export_helpers import make_clearinghouse, ready

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_exports_at_once_take_one_number_each(monkeypatch, shared_database, django_user_model):  # noqa: F811
    biller = django_user_model.objects.create_user("biller.concurrent")
    biller.groups.add(Group.objects.get(name="Billing staff"))
    supervisor = django_user_model.objects.create_user("supervisor.concurrent")
    supervisor.groups.add(Group.objects.get(name="Supervisors"))
    house = make_clearinghouse()
    claims = [ready(biller), ready(biller)]
    barrier = threading.Barrier(2, timeout=20)
    real_render = services.render_837p

    def slow_render(*args, **kwargs):
        time.sleep(0.3)  # the first holds the clearinghouse's numbers while the other asks for them
        return real_render(*args, **kwargs)

    monkeypatch.setattr(services, "render_837p", slow_render)
    results: list[object] = [None, None]

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = services.interchange_export(claims=[claims[index]], clearinghouse=house, user=supervisor)
        except BaseException as error:  # reported by the assertion below
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(isinstance(result, Interchange) for result in results), results
    assert sorted(result.control_number for result in results) == [1, 2]
    assert sorted(result.group_control_number for result in results) == [1, 2]
    house.refresh_from_db()
    assert house.last_interchange_control_number == 2
