"""ICD-10-CM helpers for the diagnosis rules: format, and billable status in one fiscal year's edition.

The code set is the edition of the fiscal year containing the date of service (catalogue FMT-DX-INVALID:
FY N runs from October 1 of N-1 to September 30 of N), loaded by ``codes`` (``import_icd10cm`` or the
editions ``load_starter_data`` ships) and handed to the rules by ``ReferenceData.diagnosis_edition``.
A code is billable when the edition lists it as billable; a category or subcategory with codes below it
is a header. Where no edition of that fiscal year is loaded, the caller reports the check as not run:
it is never judged against another year's code set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from codes.icd10cm import HEADER, UNKNOWN, VALID, DiagnosisCodeSet, dotted

# Catalogue §3.1 FMT-DX-INVALID gives `^[A-TV-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$`. Two real code sets go
# beyond it: CMS adopted U07.1 (COVID-19) and U09.9, and the FY2026 edition adds QA0.x (a letter second).
# So the format check admits a letter or digit second and any first letter; the edition judges the rest.
ICD10CM_FORMAT = re.compile(r"^[A-Z][0-9A-Z][0-9A-Z](\.[0-9A-Z]{1,4})?$")

BAD_FORMAT = "format"
__all__ = ["BAD_FORMAT", "HEADER", "UNKNOWN", "VALID", "DiagnosisCheck", "bare", "check", "normalize"]


@dataclass(frozen=True, slots=True)
class DiagnosisCheck:
    code: str  # as written on the claim
    dotted: str  # normalized: upper case, dot after the third character
    status: str  # VALID, BAD_FORMAT, UNKNOWN or HEADER
    children: tuple[str, ...] = ()  # for a header: the codes one level down, dotted

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


def normalize(code: str) -> str:
    """Upper case, no spaces, with the dot after the third character (``M545`` -> ``M54.5``)."""
    text = (code or "").strip().upper().replace(" ", "")
    bare_text = text.replace(".", "")
    if len(bare_text) > 3 and text.count(".") <= 1 and (("." not in text) or text.index(".") == 3):
        return f"{bare_text[:3]}.{bare_text[3:]}"
    return text


@lru_cache(maxsize=65536)
def bare(code: str) -> str:
    """The code without its dot (``Z01.419`` -> ``Z01419``), the form the demographic table uses."""
    return normalize(code).replace(".", "")


def well_formed(code: str) -> bool:
    """Whether ``code`` has the shape of an ICD-10-CM code (no code set needed)."""
    return ICD10CM_FORMAT.match(normalize(code)) is not None


def check(code: str, code_set: DiagnosisCodeSet) -> DiagnosisCheck:
    """Whether ``code`` is a billable code of the edition ``code_set`` (format, presence, leaf)."""
    shown = normalize(code)
    if not ICD10CM_FORMAT.match(shown):
        return DiagnosisCheck(code, shown, BAD_FORMAT)
    status = code_set.status(shown)
    if status == HEADER:
        return DiagnosisCheck(code, shown, HEADER, tuple(dotted(child) for child in code_set.children(shown)))
    return DiagnosisCheck(code, shown, status)


@lru_cache(maxsize=65536)
def is_external_cause(code: str) -> bool:
    """External causes of morbidity (ICD-10-CM chapter 20, V00-Y99) may never be first-listed."""
    shown = normalize(code)
    return len(shown) >= 3 and shown[0] in "VWXY" and shown[1:3].isdigit()
