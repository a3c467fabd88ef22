"""Reference tables kept in the repository: public code numbers and ranges, each file naming its sources
in its header (never CPT descriptor text).

* ``unlisted_cpt.txt``: unlisted CPT procedure codes (COD-UNLISTED-DESC).
* ``laboratory_hcpcs.txt``: HCPCS Level II clinical laboratory codes (PTP-MI1-NOMOD, MOD-REPEAT).
* ``sex_specific_codes.csv``: sex-specific procedure and diagnosis ranges (DEM-SEX-PROC, DEM-SEX-DX).
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent


@cache
def code_list(name: str) -> frozenset[str]:
    """The codes of a list file: codes separated by white space; lines starting with # are its source note."""
    text = (HERE / name).read_text(encoding="utf-8")
    return frozenset(code for line in text.splitlines() if not line.startswith("#") for code in line.split())


@cache
def table(name: str) -> tuple[dict[str, str], ...]:
    """The rows of a CSV table with a header row."""
    with (HERE / name).open(encoding="utf-8", newline="") as handle:
        return tuple(csv.DictReader(handle))
