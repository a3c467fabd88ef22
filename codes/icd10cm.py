"""ICD-10-CM, edition by fiscal year: pure helpers (no database) shared by the importer, the shipped
editions, their build script and the selectors.

* The fiscal year: ICD-10-CM editions take effect on October 1; fiscal year N runs from October 1 of
  N-1 to September 30 of N (``fiscal_year(date(2024, 10, 1)) == 2025``).
* Codes are kept bare and upper case, without the dot (``E66.811`` -> ``E66811``).
* Three line formats are read, each yielding ``(line number, code, billable or None, description)``:

  - CMS's *order* file (``icd10cm_order_2025.txt``), fixed columns: order number (5), space, code (7),
    space, billable flag 0/1, space, short description (60), space, long description. It lists the
    headers (billable 0: categories and subcategories) as well as the billable codes.
  - CMS's *codes* file (``icd10cm_codes_2025.txt``): code, spaces, description; billable codes only,
    so it names no header (``billable`` is always True).
  - ClaimDesk's *edition* file (``codes/icd10cm_editions/fy2025.tsv.gz``): a header line
    ``code<TAB>billable<TAB>description``, then one code per line.

* ``DiagnosisCodeSet`` is one edition in memory: which codes exist, which are billable, which are
  headers, and a header's children, so a batch of claims is checked without a query per code.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import cached_property

# What a bare ICD-10-CM code can look like: a letter, then 2 to 6 letters or digits. The second character
# is a digit in every edition up to FY2025; the FY2026 code set shipped here (April 2026) has QA0-QA0x
# (neurodevelopmental disorders related to genetic variants), whose second character is a letter.
BARE_CODE = re.compile(r"^[A-Z][0-9A-Z]{2,6}$")
EDITION_HEADER = ("code", "billable", "description")
ORDER_MIN_LENGTH = 17  # order number, code, flag: "00001 A00     0 "

# ``Release.imported_by`` of the editions shipped in codes/icd10cm_editions/ (``load_starter_data``): an
# edition imported from a CMS file for the same fiscal year takes precedence over a shipped one.
SHIPPED_BY = "ClaimDesk shipped edition"

VALID = "valid"
UNKNOWN = "unknown"
HEADER = "header"
HEADER_MIN_LENGTH = 3  # a category: a letter and two characters (E11); shorter beginnings are not codes


def fiscal_year(dos: date) -> int:
    """The federal fiscal year containing ``dos``: October 1 starts the next one."""
    return dos.year + 1 if dos.month >= 10 else dos.year


def fiscal_year_start(year: int) -> date:
    """First day of fiscal year ``year`` (October 1 of the year before)."""
    return date(year - 1, 10, 1)


def fiscal_year_end(year: int) -> date:
    return date(year, 9, 30)


def bare_code(code: str) -> str:
    """``e66.811 `` -> ``E66811``: upper case, no dot, no spaces."""
    return (code or "").strip().upper().replace(".", "").replace(" ", "")


def dotted(code: str) -> str:
    """``E66811`` -> ``E66.811`` (the form billers read and claims carry)."""
    code = bare_code(code)
    return f"{code[:3]}.{code[3:]}" if len(code) > 3 else code


class LineProblem(ValueError):
    """A line that cannot be read: where and why (the importer adds the file name)."""

    def __init__(self, message: str, *, line: int, field: str | None = None):
        super().__init__(message)
        self.message, self.line, self.field = message, line, field


@dataclass(frozen=True, slots=True)
class CodeRow:
    line: int
    code: str
    billable: bool
    description: str


def _checked_code(raw: str, *, line: int, field: str = "code") -> str:
    code = raw.strip().upper()
    if not BARE_CODE.match(code):
        shown = code[:20] or "(blank)"
        raise LineProblem(f"'{shown}' is not an ICD-10-CM code (a letter, then 2 to 6 letters or digits)", line=line,
                          field=field)  # fmt: skip
    return code


def parse_order_lines(lines: Iterable[str]) -> Iterator[CodeRow]:
    """CMS's order file (fixed columns; headers and billable codes)."""
    for number, raw in enumerate(lines, start=1):
        text = raw.rstrip("\r\n")
        if not text.strip():
            continue
        if len(text) < ORDER_MIN_LENGTH or text[5] != " " or text[13] != " " or text[15] != " ":
            raise LineProblem(
                "not an order-file line (order number 5, space, code 7, space, flag 0/1, space, descriptions)",
                line=number,
            )
        if not text[:5].strip().isdigit():
            raise LineProblem(f"'{text[:5]}' is not an order number", line=number, field="order number")
        code = _checked_code(text[6:13], line=number)
        flag = text[14]
        if flag not in "01":
            raise LineProblem(f"'{flag}' is not a billable flag (0 or 1)", line=number, field="billable flag")
        long_description = text[77:].strip() if len(text) > 77 else ""
        description = long_description or text[16:76].strip()
        if not description:
            raise LineProblem("the description is blank", line=number, field="description")
        yield CodeRow(number, code, flag == "1", description)


def parse_codes_lines(lines: Iterable[str]) -> Iterator[CodeRow]:
    """CMS's codes file: code, spaces, description (billable codes only)."""
    for number, raw in enumerate(lines, start=1):
        text = raw.rstrip("\r\n")
        if not text.strip():
            continue
        parts = text.strip().split(None, 1)
        code = _checked_code(parts[0], line=number)
        description = parts[1].strip() if len(parts) > 1 else ""
        if not description:
            raise LineProblem(f"{code} has no description", line=number, field="description")
        yield CodeRow(number, code, True, description)


def parse_edition_lines(lines: Iterable[str]) -> Iterator[CodeRow]:
    """ClaimDesk's edition file: ``code<TAB>billable<TAB>description`` after a header line."""
    iterator = iter(lines)
    first = next(iterator, "").rstrip("\r\n")
    if tuple(first.split("\t")) != EDITION_HEADER:
        raise LineProblem(f"expected the header {'<TAB>'.join(EDITION_HEADER)}", line=1)
    for number, raw in enumerate(iterator, start=2):
        text = raw.rstrip("\r\n")
        if not text:
            continue
        cells = text.split("\t")
        if len(cells) != 3:
            raise LineProblem(f"{len(cells)} fields where 3 are expected", line=number)
        code = _checked_code(cells[0], line=number)
        if cells[1] not in ("0", "1"):
            raise LineProblem(f"'{cells[1]}' is not 0 or 1", line=number, field="billable")
        yield CodeRow(number, code, cells[1] == "1", cells[2].strip())


def sniff_format(first_line: str) -> str:
    """Which format a file is in, from its first non-blank line: ``order``, ``codes`` or ``edition``."""
    text = first_line.rstrip("\r\n")
    if tuple(text.split("\t")) == EDITION_HEADER:
        return "edition"
    if len(text) >= ORDER_MIN_LENGTH and text[:5].isdigit() and text[5] == " " and text[14] in "01":
        return "order"
    return "codes"


PARSERS = {"order": parse_order_lines, "codes": parse_codes_lines, "edition": parse_edition_lines}


def edition_lines(rows: Iterable[tuple[str, bool, str]]) -> Iterator[str]:
    """The lines of an edition file for ``(code, billable, description)`` rows (the build script writes them)."""
    yield "\t".join(EDITION_HEADER) + "\n"
    for code, billable, description in rows:
        if "\t" in description or "\n" in description:
            raise ValueError(f"{code}: a description may not hold a tab or a line break")
        yield f"{code}\t{int(billable)}\t{description}\n"


class DiagnosisCodeSet:
    """One ICD-10-CM edition in memory.

    ``billable`` holds bare codes. A header is a code the edition lists as not billable (a category or
    subcategory), or any beginning of at least three characters of a longer listed code: a file of
    billable codes only (CMS's codes file) names no header, and a code such as ``S01.81X`` (a
    7th-character code written without its 7th character) is equally a heading to complete, not an
    unknown code. Headers and children are found in the sorted list of listed codes when asked (a
    binary search), so building a code set costs two sets, and one sort when a code is not billable: the
    batch check builds it before its workers start.
    """

    def __init__(self, rows: Iterable[tuple[str, bool]]):
        rows = list(rows)
        self.billable = frozenset([code for code, is_billable in rows if is_billable])
        self._listed_headers = frozenset([code for code, is_billable in rows if not is_billable]) - self.billable

    @cached_property
    def _listed(self) -> list[str]:
        """Every listed code, sorted: sorted when first asked (a claim whose diagnoses are all billable never
        asks, and the batch check builds its code sets before its workers start)."""
        return sorted(self.billable | self._listed_headers)

    def _longer(self, prefix: str) -> Iterator[str]:
        """The listed codes that begin with ``prefix`` and are longer than it, in order."""
        listed = self._listed
        for index in range(bisect_right(listed, prefix), len(listed)):
            code = listed[index]
            if not code.startswith(prefix):
                return
            yield code

    def _is_header(self, code: str) -> bool:
        if code in self.billable:
            return False
        if code in self._listed_headers:
            return True
        return len(code) >= HEADER_MIN_LENGTH and next(self._longer(code), None) is not None

    @cached_property
    def headers(self) -> frozenset[str]:
        """Every header of the edition (listed, or the beginning of a longer code), bare."""
        prefixes = {code[:length] for code in self._listed for length in range(HEADER_MIN_LENGTH, len(code))}
        return frozenset((self._listed_headers | prefixes) - self.billable)

    def __len__(self) -> int:
        return len(self.billable) + len(self.headers)

    def __contains__(self, code: str) -> bool:
        return self.status(code) != UNKNOWN

    def status(self, code: str) -> str:
        """``valid`` (billable), ``header`` (not billable: code to a child) or ``unknown``."""
        code = bare_code(code)
        if code in self.billable:
            return VALID
        if self._is_header(code):
            return HEADER
        return UNKNOWN

    def is_billable(self, code: str) -> bool:
        return bare_code(code) in self.billable

    def children(self, code: str) -> tuple[str, ...]:
        """The codes one level below a header (bare), e.g. ``R05`` -> ``R050 R051 R052 R053 R054 R058 R059``;
        a placeholder stub (``S0181X``, not listed) is the child its codes hang under."""
        code = bare_code(code)
        if len(code) < HEADER_MIN_LENGTH:
            return ()
        return tuple(sorted({longer[: len(code) + 1] for longer in self._longer(code)}))
