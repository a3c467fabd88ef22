"""`make bench`: run every benchmark script and print its result lines.

Speed and memory targets are checked here, never by timed tests. Each script prints its own
lines (e.g. `ptp_import sqlite: rows 2545089, native 4.1 s, claimdesk 6.9 s, ratio 1.68 (target <= 2.0)`)
and exits non-zero when it cannot run.
"""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = ["ptp_import.py", "scrub.py", "claims_pages.py", "load.py", "import837.py"]


def main() -> int:
    failures = 0
    for name in BENCHMARKS:
        print(f"== {name}", flush=True)
        result = subprocess.run([sys.executable, str(HERE / name)], cwd=HERE.parent)
        if result.returncode:
            print(f"{name} failed with exit code {result.returncode}", flush=True)
            failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
