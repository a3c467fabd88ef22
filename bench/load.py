"""Load: 50 billers entering and checking claims and paging lists for 60 s, against gunicorn with PostgreSQL.

Loopback only and bounded in time (part of ``make bench``, never of CI):

* a scratch PostgreSQL database (``claimdesk_bench_load``, dropped afterwards) is migrated and loaded as
  ``bench/claims_pages.py`` does: the starter data and payers, the full CMS reference tables from
  ../shared/data, and 20,000 claims of 4 billers (so the list pages have something to page through);
* 200 realistic claims (``bench/make_claims.py``: 1-20 lines over about 2,000 distinct codes) are turned
  into the entry form's POST data, and one signed-in session is made per simulated user;
* gunicorn serves the app with the production settings (debug off) on a free port of 127.0.0.1, and
  locust (``bench/locustfile.py``) runs 50 users for 60 s: entry page, live check, save, claim list;
* prints p50/p95 of the live check and the list pages (and the other requests), the request and failure
  counts; exits 1 when any request failed (target: zero errors).

Needs ../shared/data (the claims are drawn from the real CMS files) and a PostgreSQL server
(DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres); says why and exits 0 when either is absent.

Run: ``.venv/bin/python bench/load.py`` (``--users 50``, ``--seconds 60``, ``--claims 20000``, ``--keep``).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import bench_env  # noqa: E402
import claims_pages  # noqa: E402
import make_claims  # noqa: E402
import scrub  # noqa: E402
from scratch_db import scratch_postgres  # noqa: E402

bench_env.apply()  # production settings (debug off), for this process and its children

LOAD_DB = "claimdesk_bench_load"
SEED = 20261203
CHECK_CLAIMS = 200
GUNICORN_WORKERS = 4
STARTUP_SECONDS = 60


def child_prepare(url: str, claims_path: str, users: int, out_path: str) -> dict:
    """The locust users' data: one signed-in session per user (billers in turn) and the claims as POST data."""
    claims_pages.django_setup(url)
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from claims.models import Payer

    payer_ids = dict(Payer.objects.values_list("name", "pk"))
    document = json.loads(Path(claims_path).read_text(encoding="utf-8"))
    posts = [claims_pages.post_data(claim, payer_ids) for claim in document["claims"]]
    billers = list(get_user_model().objects.filter(username__startswith="bench-biller-").order_by("username"))
    sessions = []
    for number in range(users):
        client = Client(SERVER_NAME="127.0.0.1")
        client.force_login(billers[number % len(billers)])
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        sessions.append({"cookie": settings.SESSION_COOKIE_NAME, "key": cookie.value})
    Path(out_path).write_text(json.dumps({"sessions": sessions, "claims": posts}), encoding="utf-8")
    return {"sessions": len(sessions), "claims": len(posts)}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn stopped with exit code {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback URL we built)
                if response.status < 500:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not answer {url} within {STARTUP_SECONDS} s")


def _run(command: list[str], env: dict | None = None) -> str:
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:3])} failed:\n{done.stderr.strip()[-3000:]}")
    return done.stdout


def run_load(url: str, args, directory: Path) -> bool:
    python = sys.executable
    pages = str(ROOT / "bench" / "claims_pages.py")
    claims_path = directory / "claims.json"
    claims_path.write_text(json.dumps(make_claims.generate(CHECK_CLAIMS, SEED)), encoding="utf-8")
    started = time.perf_counter()
    _run([python, pages, "--child", "setup", url, "1"])
    made = json.loads(_run([python, pages, "--child", "claims", url, str(args.claims), str(SEED)]).splitlines()[-1])
    data_path = directory / "load-data.json"
    prepared = json.loads(
        _run([python, __file__, "--child", url, str(claims_path), str(args.users), str(data_path)]).splitlines()[-1]
    )
    print(
        f"load setup postgresql: full CMS tables, {made['claims']} claims listed, {prepared['claims']} claims to "
        f"check ({CHECK_CLAIMS} from bench/make_claims.py), {prepared['sessions']} sessions, "
        f"{time.perf_counter() - started:.0f} s",
        flush=True,
    )

    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "CLAIMDESK_LOAD_DATA": str(data_path)}
    server = subprocess.Popen(
        [
            str(Path(python).with_name("gunicorn")),
            "billing_site.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(GUNICORN_WORKERS),
            "--timeout",
            "30",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(directory / "gunicorn.log", "w"),  # noqa: SIM115 (closed with the process)
        start_new_session=True,
    )
    try:
        _wait_for(f"http://127.0.0.1:{port}/login/", server)
        prefix = directory / "locust"
        locust = subprocess.run(
            [
                python,
                "-m",
                "locust",
                "-f",
                str(ROOT / "bench" / "locustfile.py"),
                "--headless",
                "--users",
                str(args.users),
                "--spawn-rate",
                str(max(1, args.users // 5)),
                "--run-time",
                f"{args.seconds}s",
                "--stop-timeout",
                "10",
                "--host",
                f"http://127.0.0.1:{port}",
                "--csv",
                str(prefix),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            timeout=args.seconds + 120,
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    stats_path = Path(f"{prefix}_stats.csv")
    if not stats_path.exists():
        raise RuntimeError(f"locust wrote no statistics (exit code {locust.returncode}):\n{locust.stderr[-3000:]}")
    with stats_path.open(newline="", encoding="utf-8") as stats_file:
        rows = {row["Name"]: row for row in csv.DictReader(stats_file)}
    for name in ("live check", "claim list", "entry page", "save claim"):
        row = rows.get(name)
        if row is None:
            print(f"load {name}: no requests made", flush=True)
            continue
        print(
            f"load postgresql {args.users} users x {args.seconds} s, {name}: {row['Request Count']} requests, "
            f"{row['Failure Count']} failed, p50 {row['50%']} ms, p95 {row['95%']} ms, "
            f"max {float(row['Max Response Time']):.0f} ms",
            flush=True,
        )
    total = rows["Aggregated"]
    failures = int(total["Failure Count"])
    verdict = "PASS" if failures == 0 else "FAIL"
    print(
        f"load postgresql: {total['Request Count']} requests, {failures} failed, "
        f"{float(total['Requests/s']):.1f} requests/s (target: zero errors) {verdict}",
        flush=True,
    )
    if failures:
        failed = Path(f"{prefix}_failures.csv")
        if failed.exists():
            print(failed.read_text(encoding="utf-8")[:2000], flush=True)
    return failures == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--claims", type=int, default=20_000, help="claims in the database for the list pages")
    parser.add_argument("--keep", action="store_true", help="keep the temporary files (path printed)")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        url, claims_path, users, out_path = args.child
        print(json.dumps(child_prepare(url, claims_path, int(users), out_path)))
        return 0
    bench_env.apply()
    if not all(path.exists() for path in scrub.REFERENCE.values()):
        print("load: not run: ../shared/data is absent (the claims are drawn from the real CMS files)")
        return 0
    directory = Path(tempfile.mkdtemp(prefix="claimdesk-load-bench-"))
    try:
        with scratch_postgres(LOAD_DB, "load") as url:
            if url is None:
                return 0
            return 0 if run_load(url, args, directory) else 1
    except (RuntimeError, subprocess.TimeoutExpired) as error:
        print(f"load: {error}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"load: files kept in {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
