"""ICD-10-CM helpers for the diagnosis rules, backed by the ``simple-icd-10-cm`` library.

The library carries the CMS ICD-10-CM tabular list offline (version 1.5.0: the April 2026 code set),
so validity and billable status (a leaf of the tabular tree is billable; a category or subcategory
with children is a header) come from the published code set, not from hand-made lists.

Importing the library parses its 10 MB XML tabular list (about 3 s), too slow for a batch run that
may check a handful of claims. The same release ships a plain code list beside the XML
(``code-list-<release>.txt``, one code per line, with chapters and blocks); ``CodeSet`` reads that in
a fraction of the time and decides billable status the way the tabular tree does: a code with any
longer code below it (including 7th-character extensions) is a header. Every look-up is cached.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

# Catalogue §3.1 FMT-DX-INVALID: `^[A-TV-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$`. U is the WHO's
# "special purposes" chapter; CMS has adopted U07.1 (COVID-19) and U09.9 into ICD-10-CM, so a U code
# passes the format check here and is then judged by the code set like any other code.
ICD10CM_FORMAT = re.compile(r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$")

VALID = "valid"
BAD_FORMAT = "format"
UNKNOWN = "unknown"
HEADER = "header"


@dataclass(frozen=True, slots=True)
class DiagnosisCheck:
    code: str  # as written on the claim
    dotted: str  # normalized: upper case, dot after the third character
    status: str  # VALID, BAD_FORMAT, UNKNOWN or HEADER
    children: tuple[str, ...] = ()  # for a header: the codes one level down

    @property
    def billable(self) -> bool:
        return self.status == VALID

    def reason(self) -> str:
        if self.status == BAD_FORMAT:
            return "not in ICD-10-CM format (a letter, two characters, then up to 4 after the dot)"
        if self.status == UNKNOWN:
            return "not in the ICD-10-CM code set"
        if self.status == HEADER:
            return "a category heading, not a billable code"
        return ""


class CodeSet:
    """The ICD-10-CM codes of the library's code list: which exist, which are headers, their children."""

    def __init__(self, codes: list[str]):
        self.codes = frozenset(codes)
        parents: dict[str, list[str]] = {}
        headers: set[str] = set()
        for code in codes:
            for length in range(3, len(code)):
                headers.add(code[:length])
            parents.setdefault(code[:-1], []).append(code)
        self.headers = frozenset(headers & self.codes)
        self._children = parents

    @classmethod
    def from_library(cls) -> CodeSet:
        # Locate the library's data folder without importing it (its import parses the XML).
        spec = importlib.util.find_spec("simple_icd_10_cm")
        if spec is None or not spec.submodule_search_locations:
            raise ImportError("simple-icd-10-cm is not installed (pip install -r requirements.txt)")
        folder = Path(next(iter(spec.submodule_search_locations))) / "data"
        [code_list] = sorted(folder.glob("code-list-*.txt"))[-1:]
        codes = [
            line.strip()
            for line in code_list.read_text(encoding="utf-8").splitlines()
            if line.strip() and "-" not in line and not line.strip().isdigit()
        ]
        return cls(codes)

    def children(self, bare_code: str) -> tuple[str, ...]:
        return tuple(sorted(self._children.get(bare_code, ())))


@cache
def code_set() -> CodeSet:
    return CodeSet.from_library()


def _dotted(bare_code: str) -> str:
    return f"{bare_code[:3]}.{bare_code[3:]}" if len(bare_code) > 3 else bare_code


def normalize(code: str) -> str:
    """Upper case, no spaces, with the dot after the third character (``M545`` -> ``M54.5``)."""
    text = (code or "").strip().upper().replace(" ", "")
    bare = text.replace(".", "")
    if len(bare) > 3 and text.count(".") <= 1 and (("." not in text) or text.index(".") == 3):
        return f"{bare[:3]}.{bare[3:]}"
    return text


@lru_cache(maxsize=65536)
def bare(code: str) -> str:
    """The code without its dot (``Z01.419`` -> ``Z01419``), the form the demographic table uses."""
    return normalize(code).replace(".", "")


@lru_cache(maxsize=65536)
def check(code: str) -> DiagnosisCheck:
    """Whether ``code`` is a billable ICD-10-CM code (format, presence in the code set, leaf)."""
    dotted = normalize(code)
    if not ICD10CM_FORMAT.match(dotted):
        return DiagnosisCheck(code, dotted, BAD_FORMAT)
    codes = code_set()
    plain = dotted.replace(".", "")
    if plain not in codes.codes:
        return DiagnosisCheck(code, dotted, UNKNOWN)
    if plain in codes.headers:
        return DiagnosisCheck(code, dotted, HEADER, tuple(_dotted(c) for c in codes.children(plain)))
    return DiagnosisCheck(code, dotted, VALID)


@lru_cache(maxsize=65536)
def is_external_cause(code: str) -> bool:
    """External causes of morbidity (ICD-10-CM chapter 20, V00-Y99) may never be first-listed."""
    dotted = normalize(code)
    return len(dotted) >= 3 and dotted[0] in "VWXY" and dotted[1:3].isdigit()
