"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Fixtures for the scenarios (see each docstring):

* ``starter_data``: the starter reference data and payers in the live server's database;
* ``logged_in_page(user)``: a new browser page whose session is ``user``'s (no password typed);
* ``biller_page``: the ``biller`` persona's page, starter data loaded;
* ``artifact_path(name)``: where to save a screenshot (``var/test-artifacts/NAME``);
* ``page.goto("/codes/")``: URLs are relative to the live server (``base_url``).

Every test here is marked ``browser`` and is skipped, with the reason, where Chromium is missing
(outside CI). Tests run on a transactional database that is emptied after each test; the data that
migrations create (role groups, demographic edits) is restored before each one (serialized rollback).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings

# Playwright's sync API runs an event loop in the test's thread: Django would refuse ORM calls there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS_DIR = Path(settings.BASE_DIR) / "var" / "test-artifacts"


def chromium_path() -> str | None:
    """Debian's Chromium (``CLAIMDESK_CHROMIUM`` names another binary), or None when it is not installed."""
    wanted = os.environ.get("CLAIMDESK_CHROMIUM", "/usr/bin/chromium")
    if Path(wanted).is_file() and os.access(wanted, os.X_OK):
        return wanted
    return shutil.which("chromium")


def pytest_collection_modifyitems(config, items):
    """Skip browser tests where Chromium is missing, except in CI (there a missing browser must fail)."""
    if chromium_path() or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(
        reason="browser test: Chromium not found at /usr/bin/chromium (apt-get install chromium, "
        "or set CLAIMDESK_CHROMIUM)"
    )
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(skip)


# --- Playwright set-up ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch Debian's Chromium headless (``playwright install`` cannot download browsers here).

    pytest-playwright's own options still apply: ``--headed``, ``--slowmo 500``.
    """
    executable = chromium_path()
    if executable is None:
        pytest.fail("Chromium not found at /usr/bin/chromium: apt-get install -y chromium")
    return {
        "headless": True,
        **browser_type_launch_args,
        "executable_path": executable,
        "args": ["--no-sandbox"],
    }


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    """Pages are opened relative to the live server: ``page.goto("/claims/new/")``."""
    return live_server.url


@pytest.fixture(autouse=True)
def _plain_static_files(settings):
    """Serve static files as they are: the manifest storage (DJANGO_DEBUG=0) needs collectstatic first."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _migration_data_restored(django_db_serialized_rollback):
    """Each browser test starts with the rows migrations made (roles, demographic edits), not an empty database."""


# --- data ----------------------------------------------------------------------------------------

_REFERENCE_MODELS = ("codes.*", "claims.Payer")


def _reference_models():
    from django.apps import apps

    models = []
    for name in _REFERENCE_MODELS:
        app_label, model_name = name.split(".")
        if model_name == "*":
            models += list(apps.get_app_config(app_label).get_models())
        else:
            models.append(apps.get_model(app_label, model_name))
    return models


def _snapshot(models) -> list[tuple]:
    """Every row of the models, as the database stores them (values ready for an INSERT)."""
    from django.db import connection

    snapshot = []
    for model in models:
        fields = model._meta.concrete_fields
        rows = model.objects.order_by("pk").values_list(*[field.attname for field in fields])
        prepared = [
            tuple(field.get_db_prep_save(value, connection) for field, value in zip(fields, row, strict=True))
            for row in rows
        ]
        snapshot.append((model, [field.column for field in fields], prepared))
    return snapshot


def _restore(snapshot) -> None:
    """Insert the rows of a snapshot as they were (same primary keys), then move the key sequences past them."""
    from django.core.management.color import no_style
    from django.db import connection, transaction

    quote = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        for model, columns, rows in snapshot:  # in the order taken: releases before the rows that point at them
            if not rows:
                continue
            table, names = quote(model._meta.db_table), ", ".join(map(quote, columns))
            if connection.vendor == "postgresql":  # COPY: one round trip instead of one per row
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})", rows)
        for statement in connection.ops.sequence_reset_sql(no_style(), [model for model, _, _ in snapshot]):
            cursor.execute(statement)


@pytest.fixture(scope="session")
def _starter_snapshot() -> dict:
    return {}


@pytest.fixture
def starter_data(transactional_db, _starter_snapshot):
    """The starter reference data (``load_starter_data``) and payers (``load_starter_payers``), as ``make run`` has.

    The database is emptied after every browser test, so they are loaded for each test that asks: the first
    time by the commands (about 4 s), then from a copy of the rows they wrote (same primary keys, sequences
    reset), which takes well under a second. Ask for it before creating reference rows or payers of your own:
    when those tables are not empty the commands run instead of the copy.
    """
    from django.core.management import call_command

    models = _reference_models()
    if "rows" in _starter_snapshot and not any(model.objects.exists() for model in models):
        _restore(_starter_snapshot["rows"])
        return
    call_command("load_starter_data", "--icd10cm-year", "2025", "--icd10cm-year", "2026", stdout=open(os.devnull, "w"))  # noqa: SIM115
    call_command("load_starter_payers", stdout=open(os.devnull, "w"))  # noqa: SIM115
    if "rows" not in _starter_snapshot:
        _starter_snapshot["rows"] = _snapshot(models)


# --- pages ---------------------------------------------------------------------------------------


def session_cookie(user, url: str) -> dict:
    """A Playwright cookie holding a logged-in session of ``user`` for the live server at ``url``."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return {"name": name, "value": client.cookies[name].value, "url": url}


@pytest.fixture
def logged_in_page(live_server, new_context):
    """``logged_in_page(user, **context_args)``: a new page, in its own browser context, logged in as ``user``.

    Each call opens a fresh context (cookies of its own), so two users can act in one test. JavaScript errors
    on the page fail the test.
    """
    pages = []

    def open_page(user, **context_args):
        context = new_context(**context_args)
        context.add_cookies([session_cookie(user, live_server.url)])
        page = context.new_page()
        page.js_errors = []
        page.on("pageerror", lambda error: page.js_errors.append(str(error)))
        pages.append(page)
        return page

    yield open_page
    errors = [error for page in pages for error in page.js_errors]
    if errors:
        pytest.fail("JavaScript errors on the page: " + "; ".join(errors))


@pytest.fixture
def biller_page(starter_data, logged_in_page, biller):
    """A page logged in as the ``biller`` persona (group Billing staff), with the starter data loaded."""
    return logged_in_page(biller)


@pytest.fixture
def artifact_path():
    """``artifact_path("entry-warnings.png")``: a path in ``var/test-artifacts/`` (created) to save a file to."""

    def path(name: str) -> Path:
        ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
        return ARTIFACTS_DIR / name

    return path
