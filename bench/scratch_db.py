"""A throw-away PostgreSQL database for a benchmark: created fresh, dropped afterwards."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres"


@contextmanager
def scratch_postgres(name: str, label: str) -> Iterator[str | None]:
    """Yield the URL of a new empty database ``name`` on the server of DATABASE_URL (or the local
    default), or None, with a "skipped" line printed under ``label``, when no server is reachable."""
    import psycopg

    admin_url = os.environ.get("DATABASE_URL", "")
    if not admin_url.startswith(("postgres://", "postgresql://")):
        admin_url = DEFAULT_PG
    try:
        admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=3)
    except psycopg.Error as error:
        print(f"{label} postgresql: skipped (not reachable at {admin_url}: {str(error).strip()})")
        yield None
        return
    server, _, _ = admin_url.rpartition("/")
    with admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
        try:
            yield f"{server}/{name}"
        finally:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
