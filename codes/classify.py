"""Pure classification of a procedure code string: no database, no side effects.

``classify("99213")`` tells which code family, CPT category and section a string belongs to, or why
it is not a valid CPT/HCPCS code. The ranges are those of the domain brief (CPT sections by range,
HCPCS Level II sections by first letter).
"""

import re
from dataclasses import dataclass

from .choices import CodeSystem, CPTCategory

# CPT Category I sections by numeric range (inclusive). E/M is checked before Medicine, whose range
# contains it.
CPT_SECTIONS: tuple[tuple[int, int, str], ...] = (
    (99202, 99499, "Evaluation and Management"),
    (98000, 98016, "Evaluation and Management"),  # telehealth visits
    (100, 1999, "Anesthesia"),
    (10004, 69990, "Surgery"),
    (70010, 79999, "Radiology"),
    (80047, 89398, "Pathology and Laboratory"),
    (90281, 99607, "Medicine"),
)

CATEGORY_II_RANGE = (1, 9007)  # 0001F-9007F
CATEGORY_III_FIRST = 42  # 0042T and up

SECTION_CATEGORY_II = "Category II (quality tracking)"
SECTION_CATEGORY_III = "Category III (emerging technology)"
SECTION_PLA = "Pathology and Laboratory (proprietary laboratory analyses)"
SECTION_MAAA = "Pathology and Laboratory (multianalyte assays)"
SECTION_VACCINE_ADMIN = "Medicine (vaccine product and administration)"

HCPCS_SECTIONS: dict[str, str] = {
    "A": "Transportation, medical and surgical supplies",
    "B": "Enteral and parenteral therapy",
    "C": "Temporary hospital outpatient (OPPS) codes",
    "D": "Dental procedures",
    "E": "Durable medical equipment",
    "G": "Temporary professional services and quality measures",
    "H": "Behavioral health and rehabilitation (Medicaid)",
    "J": "Drugs administered other than orally, chemotherapy",
    "K": "Temporary DME codes",
    "L": "Orthotics and prosthetics",
    "M": "Medical services and quality measures",
    "P": "Pathology and laboratory",
    "Q": "Temporary codes",
    "R": "Diagnostic radiology",
    "S": "Private payer codes (not payable by Medicare)",
    "T": "State Medicaid codes",
    "U": "Coronavirus laboratory tests",
    "V": "Vision and hearing services",
}

_CPT_NUMERIC = re.compile(r"^\d{5}$")
_CPT_SUFFIXED = re.compile(r"^(\d{4})([FTUMA])$")
_HCPCS = re.compile(r"^([A-Z])(\d{4})$")


@dataclass(frozen=True)
class Classification:
    code: str
    valid: bool
    system: str = ""
    category: str = ""  # CPT category I/II/III; blank for HCPCS Level II
    section_letter: str = ""  # HCPCS Level II section letter
    section: str = ""
    reason: str = ""  # why the code is not valid (blank when valid)

    def __bool__(self) -> bool:
        return self.valid


def _invalid(code: str, reason: str) -> Classification:
    return Classification(code=code, valid=False, reason=reason)


def _cpt(code: str, category: str, section: str) -> Classification:
    return Classification(code=code, valid=True, system=CodeSystem.CPT, category=category, section=section)


def classify(raw: str) -> Classification:
    """Classify a code string as CPT (category and section) or HCPCS Level II (section), or say why not."""
    if not isinstance(raw, str):
        return _invalid(str(raw), "A procedure code must be text.")
    code = raw.strip().upper()
    if not code:
        return _invalid(code, "The procedure code is empty.")
    if len(code) != 5:
        return _invalid(
            code,
            f"{code} has {len(code)} characters; CPT and HCPCS codes have exactly 5 (e.g. 99213, 0591T, J0121).",
        )
    if _CPT_NUMERIC.match(code):
        number = int(code)
        for low, high, section in CPT_SECTIONS:
            if low <= number <= high:
                return _cpt(code, CPTCategory.I, section)
        return _invalid(code, f"{code} is outside every CPT Category I section range.")
    match = _CPT_SUFFIXED.match(code)
    if match:
        number, suffix = int(match.group(1)), match.group(2)
        if suffix == "F":
            low, high = CATEGORY_II_RANGE
            if low <= number <= high:
                return _cpt(code, CPTCategory.II, SECTION_CATEGORY_II)
            return _invalid(code, f"{code} is outside the CPT Category II range 0001F-9007F.")
        if suffix == "T":
            if number >= CATEGORY_III_FIRST:
                return _cpt(code, CPTCategory.III, SECTION_CATEGORY_III)
            return _invalid(code, f"{code} is below the first CPT Category III code 0042T.")
        if number == 0:
            return _invalid(code, f"{code} is not a CPT code: the number part cannot be 0000.")
        section = {"U": SECTION_PLA, "M": SECTION_MAAA, "A": SECTION_VACCINE_ADMIN}[suffix]
        return _cpt(code, CPTCategory.I, section)
    match = _HCPCS.match(code)
    if match:
        letter = match.group(1)
        if letter not in HCPCS_SECTIONS:
            return _invalid(code, f"{code} is not a HCPCS Level II code: no section starts with '{letter}'.")
        return Classification(
            code=code, valid=True, system=CodeSystem.HCPCS, section_letter=letter, section=HCPCS_SECTIONS[letter]
        )
    if code[:4].isdigit():
        return _invalid(
            code,
            f"{code} is not a CPT code: a code of 4 digits and a letter must end in F (Category II), "
            "T (Category III), U (PLA), M (MAAA) or A (vaccine).",
        )
    return _invalid(
        code, f"{code} is neither a CPT code (5 digits) nor a HCPCS Level II code (one letter and 4 digits)."
    )


def looks_unlisted(code: str) -> bool:
    """Category I codes ending in 99 within a section are unlisted procedures (e.g. 17999, 99499).

    Used until a licensed CPT file says otherwise (its descriptor starts with "Unlisted").
    """
    result = classify(code)
    return bool(result) and result.category == CPTCategory.I and result.code.isdigit() and result.code.endswith("99")
