"""Batches: a scrub document of many varied claims, the reference rows it needs, and a real worker.

``run_worker`` runs the configured task backend's own worker in this process until the queue is empty: the
database backend's ``db_worker --batch``, or for RQ (``CLAIMDESK_TASKS_BACKEND=rq``, ``make test-tasks-rq``) a
burst ``rqworker`` of the simple kind (no fork: the test database is this process's). Tests that run a worker
use committed rows (``transactional_db``) and carry the ``tasks`` marker, so ``make test-tasks-rq`` runs them.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

from codes.choices import Source
from tests.codes.factories import make_code, make_release

BASE = {
    "payer_type": "medicare",
    "payer_name": "Medicare Part B",
    "patient": {"dob": "1951-06-02", "sex": "M"},
    "billing_npi": "1234567893",
    "rendering_npi": "1234567893",
    "dos": "2026-03-09",
    "pos": "11",
    "submission_date": "2026-03-12",
    "diagnoses": ["J45.909"],
}
# Each variant gives a claim different findings: clean, a terminated code (COD-EFFECTIVE), an unlisted code
# without its description (COD-UNLISTED-DESC), two terminated lines, modifier 59 on an E/M (MOD-59-EM), a line
# repeated (DUP-LINE); every fifth claim is sent late (TF-LIMIT), every third to a commercial payer.
VARIANTS = [
    [{"line": 1, "code": "99213", "units": 1, "charge": 120.0, "dx_pointers": ["A"]}],
    [
        {"line": 1, "code": "99213", "units": 1, "charge": 120.0, "dx_pointers": ["A"]},
        {"line": 2, "code": "J1030", "units": 1, "charge": 14.0, "dx_pointers": ["A"]},
    ],
    [{"line": 1, "code": "99499", "units": 1, "charge": 80.0, "dx_pointers": ["A"]}],
    [
        {"line": 1, "code": "J1030", "units": 2, "charge": 28.0, "dx_pointers": ["A"]},
        {"line": 2, "code": "J1030", "units": 1, "charge": 14.0, "dx_pointers": ["A"]},
        {"line": 3, "code": "99213", "units": 1, "charge": 0.0, "dx_pointers": ["A"]},
    ],
    [{"line": 1, "code": "99213", "modifiers": ["59"], "units": 1, "charge": 120.0, "dx_pointers": ["A"]}],
    [
        {"line": 1, "code": "99213", "units": 1, "charge": 120.0, "dx_pointers": ["A"]},
        {"line": 2, "code": "99213", "units": 1, "charge": 120.0, "dx_pointers": ["A"]},
    ],
]


def make_claims(count: int, *, prefix: str = "C") -> list[dict]:
    claims = []
    for index in range(count):
        claim = copy.deepcopy(BASE)
        claim["id"] = f"{prefix}-{index + 1:05d}"
        claim["lines"] = copy.deepcopy(VARIANTS[index % len(VARIANTS)])
        if index % 5 == 4:
            claim["submission_date"] = "2027-06-01"
        if index % 3 == 2:
            claim["payer_type"] = "commercial"
            claim["payer_name"] = "Acme Health"
        claims.append(claim)
    return claims


def document_bytes(claims: list[dict]) -> bytes:
    return json.dumps({"claims": claims}).encode()


@pytest.fixture
def reference_rows():
    release = make_release(Source.HCPCS, "2026 January")
    make_code("99213", release=release, added_date=date(1992, 1, 1))
    make_code("J1030", release=release, added_date=date(2000, 1, 1), termination_date=date(2024, 3, 31))
    return release


@pytest.fixture
def run_worker():
    """Run the configured backend's real worker until no task is left."""

    def run() -> None:
        if settings.CLAIMDESK_TASKS_BACKEND == "rq":
            call_command(
                "rqworker",
                "default",
                burst=True,
                worker_class="rq.worker.SimpleWorker",
                job_class="django_tasks_rq.Job",
                verbosity=0,
            )
        else:
            call_command(
                "db_worker", batch=True, reload=False, startup_delay=False, interval=0, verbosity=0, stdout=StringIO()
            )

    return run


@pytest.fixture(autouse=True)
def _empty_rq_queue():
    """On RQ, each test starts with an empty queue (what an earlier run left behind is not this test's)."""
    if settings.CLAIMDESK_TASKS_BACKEND == "rq":
        import django_rq

        django_rq.get_queue("default").empty()
    yield
