"""Batch and interactive speed of the rules engine, and the batch check's peak memory.

For SQLite (a fresh, migrated temporary database) and PostgreSQL (when reachable: DATABASE_URL or
postgres://postgres@127.0.0.1:5432/postgres; a database ``claimdesk_bench_scrub`` is created and
dropped), the reference data is loaded as a user would (starter data, then the real CMS files of
../shared/data: HCPCS 2026 January, RVU25A, the full practitioner PTP quarter of 2.5 million pairs
from ptp_practitioner_v30.1_2024Q2_pairs_derived.csv.gz, the 2026 Q2 practitioner MUE and add-on
edits), 20,000 realistic claims are generated for each mix of codes (``bench/make_claims.py``, fixed
seed: ``common``, about 2,000 codes of one billing team, and ``diverse``, the whole code universe of
the PTP, MUE and RVU files), and for each mix

* batch: ``manage.py scrub_claims claims.json --output out.json`` runs as a subprocess, timed end to
  end (process start, reading, loading reference data, all rules, writing) -> claims/s;
* baseline, in the same run: a bare Python loop doing only the PTP pair look-ups of the same claims
  (every ordered pair of lines) in a preloaded set of (column 1, column 2) -> claims/s; the batch must
  reach >= 5 % of it;
* memory: peak RSS of the batch subprocess (``os.wait4`` rusage of that child) vs 500 MB;
* interactive: one 20-line claim through ``check_document`` (one claim as the API checks it; the entry
  page reads the same inputs from its records, ``selectors.claim_findings``, and ``bench/claims_pages.py`` times
  its live check) 200 times in one process with the reference tables loaded: server time p95 vs 30 ms;

and once, on SQLite, the streaming check: a document of 1,000,000 claims (the diverse claims repeated
under new ids, written as it is generated) in and out of ``scrub_claims``: peak RSS vs 500 MB, and
the time it took.

Prints one line per measurement and exits 0 when every target is met, 1 otherwise, 2 when the
shared data is absent. ``--profile`` also runs the batch under cProfile and prints where the time goes.

Run: ``.venv/bin/python bench/scrub.py`` (``--sqlite-only``, ``--claims N``, ``--mix diverse``,
``--stream-claims N`` (0: none), ``--keep``, ``--profile``).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import bench_env  # noqa: E402
import make_claims  # noqa: E402
from scratch_db import scratch_postgres  # noqa: E402

bench_env.apply()  # production settings (debug off), for this process and its children

SHARED = make_claims.SHARED
PTP_PAIRS = make_claims.FILES["ptp"]
REFERENCE = {
    "hcpcs": SHARED / "hcpcs_level2" / "HCPC2026_JAN_ANWEB_01122026.txt",
    "rvu": SHARED / "pfs_rvu" / "PPRRVU25_JAN_no_descriptors.csv",
    "ptp": PTP_PAIRS,
    "mue": SHARED / "ncci_mue" / "MCR_MUE_PractitionerServices_Eff_04-01-2026.csv",
    "aoc": SHARED / "ncci_aoc" / "AOC_V2026Q2-MCR.csv",
}
BENCH_DB = "claimdesk_bench_scrub"
RATIO_TARGET = 0.05
RSS_TARGET_MB = 500
P95_TARGET_MS = 30.0
INTERACTIVE_RUNS = 200
INTERACTIVE_LINES = 20
STREAM_CLAIMS = 1_000_000


# --- child processes: one database each ---------------------------------------------------------------
def django_setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "billing_site.settings"
    os.environ["CLAIMDESK_NO_PROGRESS"] = "1"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def child_setup(url: str) -> dict:
    """Migrate and load the reference data (starter set, then the real CMS files)."""
    django_setup(url)
    from io import StringIO

    from django.core.management import call_command

    from codes.importers.aoc import AOCImporter
    from codes.importers.hcpcs import HCPCSImporter
    from codes.importers.mue import MUEImporter
    from codes.importers.ptp import PTPImporter
    from codes.importers.rvu import RVUImporter

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    call_command("load_starter_data", stdout=StringIO())
    summaries = []
    for importer in (
        HCPCSImporter(REFERENCE["hcpcs"]),
        RVUImporter(REFERENCE["rvu"]),
        PTPImporter(REFERENCE["ptp"], setting="practitioner"),
        MUEImporter(REFERENCE["mue"], service_type="practitioner"),
        AOCImporter(REFERENCE["aoc"]),
    ):
        summaries.extend(result.summary_line for result in importer.run())
    return {"seconds": time.perf_counter() - started, "summaries": summaries}


def child_interactive(url: str, claims_path: str) -> dict:
    """One 20-line claim through check_document, INTERACTIVE_RUNS times: server time per check."""
    django_setup(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from claims.rules import check_document

    claims = json.loads(Path(claims_path).read_text(encoding="utf-8"))["claims"]
    claim = next(c for c in claims if len(c["lines"]) == INTERACTIVE_LINES)
    document = {"claims": [claim]}
    check_document(document)  # warm-up: imports and rule registration, not per-request work
    with CaptureQueriesContext(connection) as queries:
        check_document(document)
    times = []
    for _ in range(INTERACTIVE_RUNS):
        start = time.perf_counter()
        check_document(document)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {
        "p50": statistics.median(times),
        "p95": times[int(len(times) * 0.95) - 1],
        "max": times[-1],
        "queries": len(queries),
        "claim": claim["id"],
    }


# --- measurements in the parent -----------------------------------------------------------------------
def run_child(mode: str, url: str, *extra: str) -> dict:
    command = [sys.executable, __file__, "--child", mode, url, *extra]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"{mode} failed:\n{done.stderr.strip()[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def child_batch(url: str, claims_path: str, out_path: str, profile: str = "") -> dict:
    """``manage.py scrub_claims`` as a user runs it, started from this small process; wall time, peak
    RSS and CPU time of that run (its worker processes included).

    Started from a small process on purpose: Linux counts in a child's peak RSS the resident memory of
    the process that forked it (the copy it was before ``exec``), so a child of the benchmark's main
    process, which holds the generated claims and the baseline's pairs, would report at least that."""
    env = {**os.environ, "DATABASE_URL": url, "CLAIMDESK_NO_PROGRESS": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    prefix = [sys.executable] + (["-m", "cProfile", "-o", profile] if profile else [])
    command = [*prefix, "manage.py", "scrub_claims", claims_path, "--output", out_path]
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE)
    # wait4 gives this child's own rusage (its workers included, not this process's other children).
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
    returncode = os.waitstatus_to_exitcode(status)
    if returncode != 0:
        raise RuntimeError(f"scrub_claims exited {returncode}:\n{stderr.strip()[-3000:]}")
    max_rss_kb = usage.ru_maxrss if sys.platform != "darwin" else usage.ru_maxrss // 1024
    # CPU time and the machine's load when it ended: wall time on a shared machine moves with what
    # else runs, CPU time much less.
    return {
        "seconds": seconds,
        "rss_mb": max_rss_kb / 1024,
        "cpu": usage.ru_utime + usage.ru_stime,
        "load": os.getloadavg()[0],
    }


def run_batch(url: str, claims_path: Path, out_path: Path, *, profile: Path | None = None) -> dict:
    """``child_batch`` in a fresh small process (see there why)."""
    return run_child("batch", url, str(claims_path), str(out_path), str(profile or ""))


def load_pairs(codes: set[str]) -> set[tuple[str, str]]:
    """Active (open, indicator 0/1) PTP pairs of the quarter among the batch's codes, preloaded."""
    pairs = set()
    with gzip.open(PTP_PAIRS, "rt", encoding="utf-8", newline="") as stream:
        reader = csv.reader(stream)
        next(reader)
        for column_1, column_2, deletion, indicator, _ in reader:
            if deletion == "*" and indicator in ("0", "1") and column_1 in codes and column_2 in codes:
                pairs.add((sys.intern(column_1), sys.intern(column_2)))
    return pairs


def baseline(claims: list[dict]) -> dict:
    """A bare loop: the PTP pair look-ups of every ordered pair of lines of every claim (best of 3)."""
    codes = {line["code"] for claim in claims for line in claim["lines"]}
    pairs = load_pairs(codes)
    line_codes = [[sys.intern(line["code"]) for line in claim["lines"]] for claim in claims]
    best = best_cpu = float("inf")
    hits = 0
    for _ in range(3):
        start, start_cpu = time.perf_counter(), time.process_time()
        hits = 0
        for codes_of_claim in line_codes:
            for i, first in enumerate(codes_of_claim):
                for j, second in enumerate(codes_of_claim):
                    if i != j and (first, second) in pairs:
                        hits += 1
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
    return {"seconds": best, "cpu": best_cpu, "hits": hits, "pairs": len(pairs)}


def summarise_output(out_path: Path, expected: int) -> str:
    document = json.loads(out_path.read_text(encoding="utf-8"))
    claims = document["claims"]
    if len(claims) != expected:
        raise RuntimeError(f"scrub_claims wrote {len(claims)} claims, expected {expected}")
    rules: dict[str, int] = {}
    risks: dict[str, int] = {}
    unchecked = 0
    for claim in claims:
        risks[claim["risk"]] = risks.get(claim["risk"], 0) + 1
        unchecked += bool(claim.get("unchecked"))
        for finding in claim["findings"]:
            rules[finding["rule"]] = rules.get(finding["rule"], 0) + 1
    top = ", ".join(f"{rule} {count}" for rule, count in sorted(rules.items(), key=lambda kv: -kv[1])[:8])
    risk = ", ".join(f"{name} {risks.get(name, 0)}" for name in ("none", "low", "medium", "high"))
    return f"risk: {risk}; claims with unchecked categories {unchecked}; top findings: {top}"


def print_profile(path: Path) -> None:
    import pstats

    stats = pstats.Stats(str(path))
    stats.sort_stats("cumulative").print_stats(30)
    stats.sort_stats("tottime").print_stats(25)


# --- one database -------------------------------------------------------------------------------------
@dataclass
class Mix:
    """One generated batch of claims (a mix of codes) and its baseline, measured on every database."""

    name: str
    path: Path
    count: int
    base: dict


def bench_mix(name: str, url: str, mix: Mix, directory: Path, *, profile: bool) -> bool:
    out_path = directory / f"out-{name}-{mix.name}.json"
    batch = run_batch(url, mix.path, out_path)
    rate = mix.count / batch["seconds"]
    base_rate = mix.count / mix.base["seconds"]
    ratio = rate / base_rate
    label = f"{name} {mix.name} mix"
    # On a shared machine wall time moves with what else runs; CPU time much less: the ratio of CPU
    # times (the batch's processes together against the baseline's loop) is printed beside it.
    cpu_ratio = mix.base["cpu"] / batch["cpu"]
    print(
        f"scrub batch {label}: {mix.count} claims in {batch['seconds']:.1f} s = {rate:.0f} claims/s; "
        f"baseline {base_rate:.0f} claims/s; ratio {ratio:.1%} (target >= {RATIO_TARGET:.0%}); "
        f"CPU {batch['cpu']:.1f} s (user+sys, workers included) against the baseline's {mix.base['cpu']:.2f} s: "
        f"{cpu_ratio:.1%}; load average {batch['load']:.2f}",
        flush=True,
    )
    print(f"scrub memory {label}: peak RSS {batch['rss_mb']:.0f} MB (target < {RSS_TARGET_MB} MB)", flush=True)
    print(f"scrub output {label}: {summarise_output(out_path, mix.count)}", flush=True)
    out_path.unlink(missing_ok=True)
    interactive = run_child("interactive", url, str(mix.path))
    print(
        f"scrub interactive {label}: {INTERACTIVE_LINES}-line claim x {INTERACTIVE_RUNS}: "
        f"p50 {interactive['p50']:.1f} ms, p95 {interactive['p95']:.1f} ms, max {interactive['max']:.1f} ms, "
        f"{interactive['queries']} queries per check (target p95 <= {P95_TARGET_MS:.0f} ms on SQLite)",
        flush=True,
    )
    if profile:
        profile_path = directory / f"scrub-{name}-{mix.name}.prof"
        run_batch(url, mix.path, directory / f"out-{name}-{mix.name}-profiled.json", profile=profile_path)
        print(f"== cProfile of scrub_claims on {label}", flush=True)
        print_profile(profile_path)
    ok = ratio >= RATIO_TARGET and batch["rss_mb"] < RSS_TARGET_MB
    if name == "sqlite":
        ok = ok and interactive["p95"] <= P95_TARGET_MS
    return ok


def count_results(out_path: Path) -> int:
    """Claims in a (big) JSON output, counted as it is read: one ``"risk"`` key per claim."""
    count = 0
    tail = b""
    with out_path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            block = tail + chunk
            count += block.count(b'"risk": ')
            tail = block[-16:]
            count -= tail.count(b'"risk": ')  # counted again with the next block
        count += tail.count(b'"risk": ')
    return count


def bench_stream(name: str, url: str, path: Path, count: int, directory: Path) -> bool:
    """The batch's memory must not grow with the batch: ``count`` claims in and out under the target."""
    out_path = directory / f"out-{name}-stream.json"
    batch = run_batch(url, path, out_path)
    written = count_results(out_path)
    out_path.unlink(missing_ok=True)
    print(
        f"scrub stream {name}: {count} claims ({path.stat().st_size / 1e9:.1f} GB) in {batch['seconds']:.0f} s "
        f"= {count / batch['seconds']:.0f} claims/s; peak RSS {batch['rss_mb']:.0f} MB "
        f"(target < {RSS_TARGET_MB} MB); {written} claims written",
        flush=True,
    )
    return batch["rss_mb"] < RSS_TARGET_MB and written == count


def bench_database(
    name: str, url: str, mixes: list[Mix], directory: Path, *, profile: bool, stream: tuple[Path, int] | None
) -> bool:
    setup = run_child("setup", url)
    print(f"scrub setup {name}: reference data loaded in {setup['seconds']:.1f} s", flush=True)
    ok = True
    for mix in mixes:
        ok = bench_mix(name, url, mix, directory, profile=profile) and ok
    if stream is not None:
        ok = bench_stream(name, url, *stream, directory) and ok
    return ok


def bench_postgresql(mixes: list[Mix], directory: Path, *, profile: bool) -> bool | None:
    with scratch_postgres(BENCH_DB, "scrub") as url:
        if url is None:
            return None
        return bench_database("postgresql", url, mixes, directory, profile=profile, stream=None)


def prepare_mix(name: str, count: int, seed: int, directory: Path) -> tuple[Mix, list[dict]]:
    started = time.perf_counter()
    document = make_claims.generate(count, seed, mix=name)
    path = directory / f"claims-{name}.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    claims = document["claims"]
    lines = sum(len(c["lines"]) for c in claims)
    codes = len({line["code"] for c in claims for line in c["lines"]})
    print(
        f"scrub {name} mix: generated {count} claims ({lines} lines, {codes} distinct codes) "
        f"in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    base = baseline(claims)
    print(
        f"scrub baseline {name} mix: PTP look-ups of {count} claims in {base['seconds']:.2f} s "
        f"({base['pairs']} preloaded pairs, {base['hits']} hits)",
        flush=True,
    )
    return Mix(name, path, count, base), claims


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=20260501)
    parser.add_argument("--mix", choices=make_claims.MIXES, action="append", help="only this mix (repeatable)")
    parser.add_argument("--stream-claims", type=int, default=STREAM_CLAIMS, help="claims of the memory check; 0: none")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the temporary files (path printed)")
    parser.add_argument("--profile", action="store_true", help="also profile the batch run with cProfile")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        mode, url, *extra = args.child
        children = {"setup": child_setup, "interactive": child_interactive, "batch": child_batch}
        result = children[mode](url, *extra)
        print(json.dumps(result))
        return 0
    missing = [str(path) for path in REFERENCE.values() if not path.exists()]
    if missing:
        print(f"scrub: cannot run, shared data absent: {', '.join(missing)}", file=sys.stderr)
        return 2
    directory = Path(tempfile.mkdtemp(prefix="claimdesk-scrub-bench-"))
    # The reference index files of the scratch databases live and go with them.
    os.environ["CLAIMDESK_REFERENCE_INDEX_DIR"] = str(directory / "reference-index")
    try:
        mixes = []
        stream = None
        try:
            for name in args.mix or make_claims.MIXES:
                mix, claims = prepare_mix(name, args.claims, args.seed, directory)
                mixes.append(mix)
                if args.stream_claims and (name == "diverse" or len(args.mix or ()) == 1):
                    path = directory / "claims-stream.json"
                    started = time.perf_counter()
                    make_claims.write_repeated(path, args.stream_claims, claims)
                    print(
                        f"scrub stream: wrote {args.stream_claims} claims ({name} mix repeated) "
                        f"in {time.perf_counter() - started:.0f} s",
                        flush=True,
                    )
                    stream = (path, args.stream_claims)
                del claims
        except make_claims.MissingData as error:
            print(f"scrub: {error}", file=sys.stderr)
            return 2
        url = f"sqlite:///{directory / 'bench.sqlite3'}"
        ok = bench_database("sqlite", url, mixes, directory, profile=args.profile, stream=stream)
        if not args.sqlite_only:
            ok = bench_postgresql(mixes, directory, profile=args.profile) is not False and ok
    except RuntimeError as error:
        print(f"scrub: {error}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"scrub: files kept in {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
