"""837P import and check of 10,000 claims in the background, with one and with two workers.

For SQLite (a temporary file database) and PostgreSQL (when reachable: DATABASE_URL or
postgres://postgres@127.0.0.1:5432/postgres; databases ``claimdesk_bench_import*`` are created and dropped),
with the settings of production (``DJANGO_DEBUG=0``) and the database task backend (``django-tasks-db``, the
embedded default):

* setup, once per database: migrate, the starter data and the real CMS files as ``bench/scrub.py`` loads them
  (HCPCS, RVU, the 2.5 million PTP pairs, MUE, add-on edits), and a supervisor who imports;
* file: an 837P interchange of 10,000 claims written by ClaimDesk's own writer (``bench/make_837.py``): the
  ``diverse`` mix of ``bench/make_claims.py`` (codes from the whole code universe of the PTP, MUE and RVU
  files), a pool of patients with about three claims each, three payers, one billing group;
* for 1 and then 2 workers, each on a fresh copy of the set-up database (SQLite: the file copied;
  PostgreSQL: ``CREATE DATABASE … TEMPLATE``): the upload as the page does it (``edi.imports.file_queue``:
  the file read whole, payers and providers resolved, the claims queued in parts), then that many
  ``manage.py db_worker`` processes, timed until the batch is done: every claim saved, checked by the rules
  and linked to the import.

Prints one line per run (claims per second, upload and background time, parts, risk counts) and the speed-up
of the second worker. There is no target in the issue; the figures are for the record. Exits 0 when every
run imported every claim, 1 otherwise, 2 when the shared data is absent.

Run: ``.venv/bin/python bench/import837.py`` (``--claims N``, ``--sqlite-only``, ``--postgresql-only``,
``--workers 1 2``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import bench_env  # noqa: E402
import make_837  # noqa: E402
import make_claims  # noqa: E402
from scratch_db import scratch_postgres  # noqa: E402

bench_env.apply()

BASE_DB = "claimdesk_bench_import"
IMPORTER = "bench-importer"
TIMEOUT_SECONDS = 3600


def django_setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "billing_site.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# --- child processes ----------------------------------------------------------------------------------
def child_importer(url: str) -> dict:
    """The supervisor who imports (role group from claims.roles)."""
    django_setup(url)
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from claims.roles import SUPERVISORS, roles_ensure

    roles_ensure()
    user, _ = get_user_model().objects.get_or_create(username=IMPORTER)
    user.groups.add(Group.objects.get(name=SUPERVISORS))
    return {"user": user.pk}


def child_upload(url: str, path: str) -> dict:
    django_setup(url)
    from django.contrib.auth import get_user_model

    from edi.imports import file_queue

    user = get_user_model().objects.get(username=IMPORTER)
    raw = Path(path).read_bytes()
    started = time.perf_counter()
    # Checked on the day the practice sends the file (timely filing, fee schedule and code set years).
    batch = file_queue(raw=raw, file_name=Path(path).name, user=user, today=make_837.RECEIVED)
    return {"batch": batch.pk, "seconds": time.perf_counter() - started, "parts": batch.chunks.count()}


def child_wait(url: str, batch_id: str) -> dict:
    """Until the batch is done or failed: the status, and what was imported."""
    django_setup(url)
    from django.db import connection

    from batches.choices import BatchStatus
    from batches.models import Batch
    from claims.models import Claim
    from edi.models import ImportedClaim

    deadline = time.monotonic() + TIMEOUT_SECONDS
    while True:
        batch = Batch.objects.get(pk=int(batch_id))
        if batch.status in (BatchStatus.DONE, BatchStatus.FAILED) or time.monotonic() > deadline:
            break
        connection.close()  # SQLite: hold no read snapshot between looks
        time.sleep(0.5)
    risks: dict[str, int] = {}
    for risk in Claim.objects.filter(import_source__isnull=False).values_list("risk", flat=True):
        risks[risk or "none"] = risks.get(risk or "none", 0) + 1
    return {
        "status": batch.status,
        "error": batch.error,
        "claims": ImportedClaim.objects.count(),
        "risks": risks,
    }


CHILDREN = {"importer": child_importer, "upload": child_upload, "wait": child_wait}


def run_child(mode: str, url: str, *extra: str) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, url, *extra], capture_output=True, text=True, cwd=ROOT
    )
    if done.returncode != 0:
        raise RuntimeError(f"{mode} failed:\n{done.stderr.strip()[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def setup(url: str) -> float:
    """Migrate and load the reference data (``bench/scrub.py``'s set-up), then add the importer."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "scrub.py"), "--child", "setup", url],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if done.returncode != 0:
        raise RuntimeError(f"setup failed:\n{done.stderr.strip()[-3000:]}")
    run_child("importer", url)
    return json.loads(done.stdout.strip().splitlines()[-1])["seconds"]


def start_workers(url: str, count: int) -> list[subprocess.Popen]:
    env = {**os.environ, "DATABASE_URL": url, "CLAIMDESK_TASKS_BACKEND": "db"}
    return [
        subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--no-reload"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for _ in range(count)
    ]


def stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)


def run_import(name: str, url: str, path: Path, workers: int, claims: int, lines: int) -> tuple[bool, float]:
    upload = run_child("upload", url, str(path))
    started = time.perf_counter()
    running = start_workers(url, workers)
    try:
        result = run_child("wait", url, str(upload["batch"]))
    finally:
        stop_workers(running)
    seconds = time.perf_counter() - started
    ok = result["status"] == "done" and result["claims"] == claims
    rate = result["claims"] / seconds if seconds else 0.0
    print(
        f"import837 {name} {workers} worker{'s' if workers > 1 else ''}: {result['claims']} of {claims} claims "
        f"({lines} lines) imported and checked in {seconds:.1f} s = {rate:.0f} claims/s; upload (read, payers, "
        f"providers, {upload['parts']} parts queued) {upload['seconds']:.1f} s; batch {result['status']}"
        f"{': ' + result['error'] if result['error'] else ''}; risks {json.dumps(result['risks'], sort_keys=True)}",
        flush=True,
    )
    return ok, seconds


def report_speedup(name: str, times: dict[int, float]) -> None:
    if 1 in times and 2 in times and times[2]:
        print(f"import837 {name}: two workers {times[1] / times[2]:.2f}x the speed of one", flush=True)


def bench_sqlite(directory: Path, path: Path, workers: list[int], claims: int, lines: int) -> bool:
    base = directory / "base.sqlite3"
    print(f"import837 setup sqlite: reference data loaded in {setup(f'sqlite:///{base}'):.0f} s", flush=True)
    with sqlite3.connect(base) as connection:  # one file to copy: the write-ahead log folded in
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    ok, times = True, {}
    for count in workers:
        copy = directory / f"run-{count}.sqlite3"
        shutil.copyfile(base, copy)
        run_ok, times[count] = run_import("sqlite", f"sqlite:///{copy}", path, count, claims, lines)
        ok = ok and run_ok
    report_speedup("sqlite", times)
    return ok


def bench_postgresql(path: Path, workers: list[int], claims: int, lines: int) -> bool | None:
    import psycopg

    with scratch_postgres(BASE_DB, "import837") as url:
        if url is None:
            return None
        print(f"import837 setup postgresql: reference data loaded in {setup(url):.0f} s", flush=True)
        server = url.rpartition("/")[0]
        ok, times = True, {}
        for count in workers:
            name = f"{BASE_DB}_{count}"
            with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {name}")
                admin.execute(f"CREATE DATABASE {name} TEMPLATE {BASE_DB}")
            try:
                run_ok, times[count] = run_import("postgresql", f"{server}/{name}", path, count, claims, lines)
                ok = ok and run_ok
            finally:
                with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
                    admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        report_speedup("postgresql", times)
        return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--mix", choices=make_claims.MIXES, default="diverse")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--postgresql-only", action="store_true")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, url, *extra = args.child
        print(json.dumps(CHILDREN[mode](url, *extra)))
        return 0
    missing = [str(path) for path in make_claims.FILES.values() if not path.exists()]
    if missing:
        print(f"import837: cannot run, shared data absent: {', '.join(missing)}", file=sys.stderr)
        return 2
    directory = Path(tempfile.mkdtemp(prefix="claimdesk-import-bench-"))
    os.environ["CLAIMDESK_REFERENCE_INDEX_DIR"] = str(directory / "reference-index")
    try:
        path = directory / "claims.837"
        started = time.perf_counter()
        lines = make_837.write(path, args.claims, mix=args.mix)
        print(
            f"import837 file: {args.claims} claims, {lines} lines ({args.mix} mix), {path.stat().st_size:,} bytes, "
            f"written in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
        ok = True if args.postgresql_only else bench_sqlite(directory, path, args.workers, args.claims, lines)
        if not args.sqlite_only:
            ok = bench_postgresql(path, args.workers, args.claims, lines) is not False and ok
    except RuntimeError as error:
        print(f"import837: {error}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
