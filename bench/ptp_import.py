"""PTP import speed: ClaimDesk's ``import_ptp`` path against the database's own bulk load.

Builds the full practitioner quarter (2,545,089 rows of ../shared/data/ncci_ptp/
ptp_practitioner_v30.1_2024Q2_pairs_derived.csv.gz) as four CMS files in the official layout of
ccipra-v322r0-f1_head.txt (same six header lines, tab-separated, CRLF) in a temporary directory, then
for SQLite (a fresh, migrated temporary database) and PostgreSQL (when reachable: DATABASE_URL or
postgres://postgres@127.0.0.1:5432/postgres; a database ``claimdesk_bench`` is created and dropped)
times

* native: the same rows, pre-parsed, loaded into codes_ptpedit in one transaction (SQLite
  ``executemany`` of tuples; PostgreSQL ``COPY`` from an in-memory buffer);
* claimdesk: ``PTPImporter(files).run()`` end to end (read, validate, load, code catalogue, counts).

and prints ``ptp_import <db>: rows N, native X s, claimdesk Y s, ratio R (target <= 2.0)``.
Exit status: 0 when every measured ratio is within the target, 1 otherwise, 2 when the input
cannot be built (shared data absent).

Run: ``.venv/bin/python bench/ptp_import.py`` (``--sqlite-only``, ``--keep`` to keep the files).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bench_env
from scratch_db import scratch_postgres

bench_env.apply()  # production settings (debug off), for this process and its children

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("CLAIMDESK_SHARED_DATA", ROOT.parent / "shared" / "data"))
PAIRS = SHARED / "ncci_ptp" / "ptp_practitioner_v30.1_2024Q2_pairs_derived.csv.gz"
HEAD = SHARED / "ncci_ptp" / "ccipra-v322r0-f1_head.txt"
EXPECTED_ROWS = 2_545_089
TARGET = 2.0
FILES = 4
BENCH_DB = "claimdesk_bench"
COLUMNS = (
    "release_id, setting, column_1, column_2, in_existence_prior_1996, effective_date, deletion_date, "
    "modifier_indicator, rationale"
)


class BuildError(Exception):
    pass


# --- building the input -------------------------------------------------------------------------
def build_files(directory: Path) -> list[Path]:
    """Write the quarter as ccipra-v301r0-f1..f4.txt in the CMS layout; return the paths."""
    for needed in (PAIRS, HEAD):
        if not needed.exists():
            raise BuildError(f"cannot build the PTP quarter: {needed} is missing (../shared/data absent)")
    with HEAD.open("rb") as handle:
        header = b"".join(handle.readline() for _ in range(6)).decode("utf-8")
    lines = []
    with gzip.open(PAIRS, "rt", encoding="utf-8", newline="") as stream:
        reader = csv.reader(stream)
        next(reader)
        for column_1, column_2, deletion, indicator, rationale in reader:
            # The derived copy has no effective date: 1996-01-01, or the deletion date when earlier
            # (indicator 9 rows end on their effective date).
            effective = "19960101"
            if deletion != "*" and (deletion < effective or indicator == "9"):
                effective = deletion
            lines.append(f"{column_1}\t{column_2}\t\t{effective}\t{deletion}\t{indicator}\t{rationale}\r\n")
    if len(lines) != EXPECTED_ROWS:
        raise BuildError(f"expected {EXPECTED_ROWS} rows in {PAIRS.name}, found {len(lines)}")
    paths = []
    per_file = -(-len(lines) // FILES)
    for number in range(FILES):
        path = directory / f"ccipra-v301r0-f{number + 1}.txt"
        with path.open("w", encoding="utf-8", newline="") as out:
            out.write(header)
            out.writelines(lines[number * per_file : (number + 1) * per_file])
        paths.append(path)
    return paths


def parsed_rows(paths: list[Path], release_id: int) -> list[tuple]:
    """The rows as the database stores them (outside the timed part of the native load)."""
    rows = []
    for path in paths:
        with path.open(encoding="utf-8", newline="") as handle:
            for _ in range(6):
                handle.readline()
            for line in handle:
                c1, c2, prior, effective, deletion, indicator, rationale = line.rstrip("\r\n").split("\t")
                rows.append(
                    (
                        release_id,
                        "practitioner",
                        c1,
                        c2,
                        prior == "*",
                        f"{effective[:4]}-{effective[4:6]}-{effective[6:]}",
                        None if deletion == "*" else f"{deletion[:4]}-{deletion[4:6]}-{deletion[6:]}",
                        int(indicator),
                        rationale,
                    )
                )
    return rows


# --- one measurement, in a child process with its own Django settings ------------------------------
def child(mode: str, url: str, paths: list[Path]) -> dict:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "billing_site.settings")
    os.environ["CLAIMDESK_NO_PROGRESS"] = "1"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from codes.importers.ptp import PTPImporter
    from codes.models import ProcedureCode, PTPEdit, Release

    call_command("migrate", verbosity=0)
    if mode == "native":
        release = Release.objects.create(
            source="ptp_practitioner", label="native bench", effective_date="2024-04-01", file_name="-", sha256="-"
        )
        rows = parsed_rows(paths, release.pk)
        if connection.vendor == "postgresql":
            text = "".join(
                "\t".join("\\N" if v is None else ("t" if v is True else "f" if v is False else str(v)) for v in row)
                + "\n"
                for row in rows
            )
            blocks = [text[i : i + (1 << 23)] for i in range(0, len(text), 1 << 23)]
            del text
            start = time.perf_counter()
            sql = f"COPY {PTPEdit._meta.db_table} ({COLUMNS}) FROM STDIN"
            with transaction.atomic(), connection.cursor() as cursor, cursor.copy(sql) as copy:
                for block in blocks:
                    copy.write(block)
            seconds = time.perf_counter() - start
        else:
            start = time.perf_counter()
            with transaction.atomic():
                connection.cursor()
                connection.connection.executemany(
                    f"INSERT INTO {PTPEdit._meta.db_table} ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
                )
            seconds = time.perf_counter() - start
        count = PTPEdit.objects.filter(release=release).count()
        # Leave the table empty for the ClaimDesk run.
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"TRUNCATE {PTPEdit._meta.db_table}")
            else:
                cursor.execute(f"DELETE FROM {PTPEdit._meta.db_table}")
        release.delete()
        return {"seconds": seconds, "rows": count}
    PTPEdit.objects.all().delete()
    Release.objects.all().delete()
    ProcedureCode.objects.all().delete()
    start = time.perf_counter()
    results = PTPImporter(paths, setting="practitioner").run()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "rows": results[0].release.total, "summary": results[0].summary_line}


def run_child(mode: str, url: str, paths: list[Path]) -> dict:
    command = [sys.executable, __file__, "--child", mode, url, *map(str, paths)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"{mode} run failed:\n{done.stderr.strip()[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(name: str, native: dict, ours: dict) -> bool:
    ratio = ours["seconds"] / native["seconds"]
    print(
        f"ptp_import {name}: rows {ours['rows']}, native {native['seconds']:.1f} s, "
        f"claimdesk {ours['seconds']:.1f} s, ratio {ratio:.2f} (target <= {TARGET})",
        flush=True,
    )
    return ratio <= TARGET and ours["rows"] == native["rows"] == EXPECTED_ROWS


def bench_sqlite(paths: list[Path], directory: Path) -> bool:
    native = run_child("native", f"sqlite:///{directory / 'native.sqlite3'}", paths)
    ours = run_child("claimdesk", f"sqlite:///{directory / 'claimdesk.sqlite3'}", paths)
    return report("sqlite", native, ours)


def bench_postgresql(paths: list[Path]) -> bool | None:
    with scratch_postgres(BENCH_DB, "ptp_import") as url:
        if url is None:
            return None
        native = run_child("native", url, paths)
        ours = run_child("claimdesk", url, paths)
    return report("postgresql", native, ours)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the built files (path printed)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, url, *files = args.child
        print(json.dumps(child(mode, url, [Path(f) for f in files])))
        return 0
    directory = Path(tempfile.mkdtemp(prefix="claimdesk-ptp-bench-"))
    try:
        started = time.perf_counter()
        try:
            paths = build_files(directory)
        except BuildError as error:
            print(f"ptp_import: {error}", file=sys.stderr)
            return 2
        print(f"ptp_import: built {len(paths)} files in {time.perf_counter() - started:.1f} s", flush=True)
        ok = bench_sqlite(paths, directory)
        if not args.sqlite_only:
            ok = bench_postgresql(paths) is not False and ok
    except RuntimeError as error:
        print(f"ptp_import: {error}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"ptp_import: files kept in {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
