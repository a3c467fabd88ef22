"""Helpers of the engine's acceptance tests: reference data loaded once per module, and the batch check.

``rolled_back`` keeps database work (importing reference files) for a whole module inside a transaction
that is rolled back when the module is done; each test still runs in its own savepoint (request
``db``), so facts a test adds disappear after it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction


@contextmanager
def rolled_back(django_db_blocker) -> Iterator[None]:
    """Database work kept for a whole module, then undone (the TestCase.setUpTestData pattern)."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture(scope="module")
def starter_data_for_module(django_db_setup, django_db_blocker):
    """The starter data, loaded once for a whole test module and rolled back after it (modules opt in with
    ``pytestmark = pytest.mark.usefixtures("starter_data_for_module")``).

    Without the shipped ICD-10-CM editions (about 290,000 rows, some 5 s per load): a module that needs
    diagnosis codes loads the edition it needs itself (``tests/codes/test_icd10cm_editions.py`` shows how)."""
    with rolled_back(django_db_blocker):
        call_command("load_starter_data", "--icd10cm-year", "2025", "--icd10cm-year", "2026", stdout=StringIO())
        yield


def findings_of(document: dict[str, Any]) -> list[set[tuple[int | None, str, str]]]:
    """Per claim of an output document: the set of (line, rule, category)."""
    return [{(f["line"], f["rule"], f["category"]) for f in claim["findings"]} for claim in document["claims"]]


def scrub_with_engine(claims: list[dict[str, Any]]) -> dict[str, Any]:
    from claims.rules import check_document

    return check_document({"claims": claims})


def scrub_with_command(claims: list[dict[str, Any]], directory: Path) -> dict[str, Any]:
    """``manage.py scrub_claims IN --output OUT`` as a user runs it; the output document."""
    source = directory / "claims.json"
    target = directory / "out.json"
    source.write_text(json.dumps({"claims": claims}), encoding="utf-8")
    call_command("scrub_claims", str(source), "--output", str(target), stdout=StringIO())
    return json.loads(target.read_text(encoding="utf-8"))


@pytest.fixture
def scrub(tmp_path) -> Callable[[list[dict[str, Any]]], dict[str, Any]]:
    """Check claims through ``scrub_claims``, as a user runs it."""
    return lambda claims: scrub_with_command(claims, tmp_path)
