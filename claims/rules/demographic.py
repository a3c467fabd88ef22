"""DEMOGRAPHIC rules: does the code fit the patient's age and sex?

Sex-specific procedure and diagnosis families (whole CPT sections, HCPCS and laboratory codes, ICD-10-CM
blocks) come from ``data/sex_specific_codes.csv``, each range naming its source. The ``DemographicEdit``
table (editable in the admin) adds age ranges and any further sex-specific ranges; it is loaded once per
batch into ``ctx.demographic_edits``. The preventive-visit age bands are CPT structure and live here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ..choices import Category, Severity
from . import diagnoses
from .context import ClaimContext
from .data import table
from .inputs import LineInput
from .registry import CLAIM, Hit, register

PROCEDURE, DIAGNOSIS = "procedure", "diagnosis"
SEX_NAMES = {"F": "female", "M": "male"}
KX = "KX"  # Medicare: requirements met; bypasses gender edits (Pub 100-04 Ch.32 §240)


@dataclass(frozen=True, slots=True)
class SexEdit:
    """A sex-specific range of procedure or diagnosis codes from ``data/sex_specific_codes.csv``.

    Shaped like a ``DemographicEdit`` row: a diagnosis range is written without the dot and its ends
    match all their children (``D25``-``D28`` covers D25.9; ``Z0141`` covers Z01.419)."""

    kind: str
    code_from: str
    code_to: str
    sex: str
    description: str
    source: str
    age_min: None = None
    age_max: None = None

    def covers(self, code: str) -> bool:
        code = code.replace(".", "").upper()
        return self.code_from <= code[: len(self.code_from)] and code[: len(self.code_to)] <= self.code_to


SEX_EDITS = tuple(
    SexEdit(row["kind"], row["first"], row["last"], row["sex"], row["label"], row["source"])
    for row in table("sex_specific_codes.csv")
)


class EditIndex:
    """The demographic edits split by kind and purpose, with per-code look-ups cached."""

    def __init__(self, edits: Iterable):
        self._edits: dict[tuple[str, str], list] = {}
        for edit in edits:
            if getattr(edit, "active", True) is False:
                continue
            if edit.sex:
                self._edits.setdefault((edit.kind, "sex"), []).append(edit)
            if edit.age_min is not None or edit.age_max is not None:
                self._edits.setdefault((edit.kind, "age"), []).append(edit)
        self._cache: dict[tuple[str, str, str], tuple] = {}
        self._known: dict[tuple[str, str], tuple[set[str], set[str]]] = {}

    def has(self, kind: str, purpose: str) -> bool:
        return (kind, purpose) in self._edits

    def matching(self, kind: str, purpose: str, code: str) -> tuple:
        key = (kind, purpose, code)
        found = self._cache.get(key)
        if found is None:
            found = tuple(edit for edit in self._edits.get((kind, purpose), ()) if edit.covers(code))
            self._cache[key] = found
        return found

    def matches_any(self, kind: str, purpose: str, codes: Iterable[str]) -> bool:
        """Whether an edit of this kind and purpose covers one of the codes (answers kept per code)."""
        if (kind, purpose) not in self._edits:
            return False
        known = self._known.get((kind, purpose))
        if known is None:
            known = self._known[(kind, purpose)] = (set(), set())
        covered, not_covered = known
        codes = set(codes)
        if not covered.isdisjoint(codes):
            return True
        for code in codes - not_covered:
            if self.matching(kind, purpose, code):
                covered.add(code)
                return True
            not_covered.add(code)
        return False


_indexes: dict[int, tuple[object, EditIndex]] = {}


def edit_index(ctx: ClaimContext) -> EditIndex:
    """One index per loaded edit collection (the engine hands every claim of a batch the same tuple)."""
    edits = ctx.demographic_edits
    entry = _indexes.get(id(edits))
    if entry is None or entry[0] is not edits:
        if len(_indexes) > 16:
            _indexes.clear()
        entry = (edits, EditIndex((*SEX_EDITS, *edits)))
        _indexes[id(edits)] = entry
    return entry[1]


def age_band(edit) -> str:
    if edit.age_min is not None and edit.age_max is not None:
        return "newborns (age 0)" if edit.age_max == 0 else f"ages {edit.age_min}-{edit.age_max}"
    if edit.age_max is not None:
        return "newborns (age 0)" if edit.age_max == 0 else f"patients through age {edit.age_max}"
    return f"patients aged {edit.age_min} or older"


def outside(edit, age: int) -> bool:
    return (edit.age_min is not None and age < edit.age_min) or (edit.age_max is not None and age > edit.age_max)


# CPT preventive medicine visits: (new patient, established patient, youngest age, oldest age).
PREVENTIVE_BANDS: tuple[tuple[str, str, int, int | None], ...] = (
    ("99381", "99391", 0, 0),
    ("99382", "99392", 1, 4),
    ("99383", "99393", 5, 11),
    ("99384", "99394", 12, 17),
    ("99385", "99395", 18, 39),
    ("99386", "99396", 40, 64),
    ("99387", "99397", 65, None),
)
_PREVENTIVE = {
    code: (index, position) for index, band in enumerate(PREVENTIVE_BANDS) for position, code in enumerate(band[:2])
}


def band_text(low: int, high: int | None) -> str:
    if high is None:
        return f"{low} and older"
    if high == 0:
        return "under 1 year"
    return f"{low}-{high}"


def preventive_code_for(code: str, age: int) -> str:
    """The preventive visit code of the same kind (new or established) for a patient of ``age``."""
    _, position = _PREVENTIVE[code]
    for band in PREVENTIVE_BANDS:
        low, high = band[2], band[3]
        if age >= low and (high is None or age <= high):
            return band[position]
    return code


@register(
    id="DEM-AGE-PREVENTIVE",
    category=Category.DEMOGRAPHIC,
    severity=Severity.ERROR,
    title="Preventive visit code outside its age band",
    carc="6",
    rarc="",
    source="CPT preventive medicine descriptors (short descriptors such as 'PREV VISIT EST AGE 40-64', "
    "northstar cpt_descriptions pin).",
    code_when=lambda ref, code: code in _PREVENTIVE,
)
def preventive_age(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """A preventive medicine visit (99381-99387 new, 99391-99397 established) whose age band does not
    contain the patient's age on the date of service.
    """
    if line.code not in _PREVENTIVE:
        return
    age = ctx.claim.patient.age_on(line.dos)
    if age is None or age < 0:
        return
    index, _ = _PREVENTIVE[line.code]
    _, _, low, high = PREVENTIVE_BANDS[index]
    if age >= low and (high is None or age <= high):
        return
    correct = preventive_code_for(line.code, age)
    yield Hit(
        message=f"{line.code} is for patients aged {band_text(low, high)}; the patient was {age} on "
        f"{line.dos:%Y-%m-%d}.",
        hint=f"Patient is {age}: use {correct}.",
    )


_AGE_KEY = "demographic.age_edits_apply"


def _age_edits_apply(ctx: ClaimContext, index: EditIndex) -> bool:
    """Whether any age edit matches a line's code or a diagnosis of the claim (once per claim)."""
    found = ctx.cache.get(_AGE_KEY)
    if found is None:
        claim = ctx.claim
        found = index.matches_any(PROCEDURE, "age", [line.code for line in claim.lines]) or (
            index.has(DIAGNOSIS, "age")
            and index.matches_any(DIAGNOSIS, "age", [diagnoses.bare(code) for code in claim.diagnoses])
        )
        ctx.cache[_AGE_KEY] = found
    return found  # type: ignore[return-value]


def _age_edits_may_apply(ctx: ClaimContext) -> bool:
    """Claim pre-filter of DEM-AGE-CODE: a date of birth, and an age edit matching a line's code or a
    diagnosis of the claim."""
    if ctx.claim.patient.dob is None:
        return False
    index = edit_index(ctx)
    if not (index.has(PROCEDURE, "age") or index.has(DIAGNOSIS, "age")):
        return False
    return _age_edits_apply(ctx, index)


def _sex_edits_may_apply(ctx: ClaimContext) -> bool:
    """Claim pre-filter of DEM-SEX-PROC: a patient sex on file, and a sex edit matching a line's code."""
    if ctx.claim.patient.sex not in SEX_NAMES:
        return False
    index = edit_index(ctx)
    return index.matches_any(PROCEDURE, "sex", [line.code for line in ctx.claim.lines])


@register(
    id="DEM-AGE-CODE",
    category=Category.DEMOGRAPHIC,
    severity=Severity.ERROR,
    title="Age-restricted code outside its age range",
    carc="6",
    rarc="",
    source="ClaimDesk demographic edit table (CMS Medicare Code Editor conventions); CPT 90460 descriptor "
    "'Immunization administration through 18 years of age … with counseling'; CPT 99460-99463 newborn care.",
    claim_when=_age_edits_may_apply,
)
def code_age(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """The procedure code, or a diagnosis the line points to, is limited to an age range (demographic
    edit table: e.g. 90460/90461 through age 18, newborn care 99460-99463) that does not contain the
    patient's age on the date of service.
    """
    index = edit_index(ctx)
    if ctx.claim.patient.dob is None or not (index.has(PROCEDURE, "age") or index.has(DIAGNOSIS, "age")):
        return
    if not _age_edits_apply(ctx, index):
        return
    age = ctx.claim.patient.age_on(line.dos)
    if age < 0:
        return
    for edit in index.matching(PROCEDURE, "age", line.code):
        if outside(edit, age):
            yield Hit(
                message=f"{line.code} is for {age_band(edit)} ({edit.description}); the patient was {age} on "
                f"{line.dos:%Y-%m-%d}.",
                hint=edit.hint or "Use the code for the patient's age group.",
            )
            return
    if not index.has(DIAGNOSIS, "age"):
        return
    for pointer in line.dx_pointers:
        code = ctx.diagnosis(pointer)
        if not code:
            continue
        for edit in index.matching(DIAGNOSIS, "age", diagnoses.bare(code)):
            if outside(edit, age):
                yield Hit(
                    message=f"Diagnosis {code} (pointer {pointer}) is for {age_band(edit)} ({edit.description}); "
                    f"the patient was {age} on {line.dos:%Y-%m-%d}.",
                    hint=edit.hint or "Check the patient's date of birth and the diagnosis code.",
                )
                return


def _sex_conflict(edits: tuple, sex: str):
    if sex not in SEX_NAMES:
        return None
    return next((edit for edit in edits if edit.sex in SEX_NAMES and edit.sex != sex), None)


SEX_HINT = (
    "Verify patient sex on file; for transgender/intersex patients append KX (Medicare) or follow payer instructions."
)


@register(
    id="DEM-SEX-PROC",
    category=Category.DEMOGRAPHIC,
    severity=Severity.WARNING,
    title="Sex-specific procedure does not match the patient's sex",
    carc="7",
    rarc="",
    source="CPT section code-number ranges (female genital system 56405-58999, maternity care and delivery "
    "59000-59899, male genital system 54000-55899, obstetric ultrasound 76801-76828); CMS HCPCS Level II file "
    "(Q0091, G0101, G0102, G0103); CMS Clinical Laboratory Fee Schedule (cervical cytopathology 88141-88175, "
    "PSA 84152-84154); each range's source in claims/rules/data/sex_specific_codes.csv; CMS MM6638 / Pub 100-04 "
    "Ch.32 §240 (KX on the detail line bypasses gender/procedure edits).",
    claim_when=_sex_edits_may_apply,
)
def procedure_sex(ctx: ClaimContext, line: LineInput) -> Iterator[Hit]:
    """The procedure is specific to one sex (female: the CPT female genital system and maternity
    sections, obstetric ultrasound, cervical cytopathology, Q0091, G0101; male: the CPT male genital
    system section, PSA tests, G0102/G0103) and the patient's sex on file is the other. For Medicare,
    KX on the line bypasses the edit.
    """
    sex = ctx.claim.patient.sex
    if sex not in SEX_NAMES:
        return
    edit = _sex_conflict(edit_index(ctx).matching(PROCEDURE, "sex", line.code), sex)
    if edit is not None and not (ctx.is_medicare and line.has(KX)):
        yield Hit(
            message=f"{line.code} is a {SEX_NAMES[edit.sex]}-only procedure ({edit.description}); the patient's "
            f"sex on file is {SEX_NAMES[sex]}.",
            hint=SEX_HINT,
        )


@register(
    id="DEM-SEX-DX",
    category=Category.DEMOGRAPHIC,
    severity=Severity.WARNING,
    title="Sex-specific diagnosis does not match the patient's sex",
    scope=CLAIM,
    carc="10",
    rarc="",
    source="ICD-10-CM Tabular List blocks (female: O00-O9A, Z3A, Z33, Z34, Z36, Z37, Z39, C51-C58, D06, D07.0-D07.3, "
    "D25-D28, D39.0-D39.2, N70-N98, R87, Z01.41-, Z12.4; male: C60-C63, D07.4-D07.6, D29, D40, N40-N53, R86, "
    "Z12.5), each range's source in claims/rules/data/sex_specific_codes.csv; CMS MCE sex-conflict lists "
    "(ASSUMED table contents); CMS MM6638 / Pub 100-04 Ch.32 §240 (KX bypass).",
)
def diagnosis_sex(ctx: ClaimContext) -> Iterator[Hit]:
    """A diagnosis is specific to one sex (female: pregnancy O00-O9A and its Z codes, female genital
    neoplasms and diseases, Z01.41-, Z12.4; male: male genital neoplasms and diseases N40-N53, R86,
    Z12.5) and the patient's sex on file is the other. For Medicare, KX on a line pointing to
    the diagnosis (or on any line, for a diagnosis no line points to) bypasses the edit. Claim-level.
    """
    claim = ctx.claim
    sex = claim.patient.sex
    if sex not in SEX_NAMES:
        return
    index = edit_index(ctx)
    if not index.matches_any(DIAGNOSIS, "sex", [diagnoses.bare(code) for code in claim.diagnoses]):
        return  # no sex-specific diagnosis on the claim
    conflicts = []
    for position, code in enumerate(claim.diagnoses):
        edit = _sex_conflict(index.matching(DIAGNOSIS, "sex", diagnoses.bare(code)), sex)
        if edit is None:
            continue
        if ctx.is_medicare:
            letter = chr(ord("A") + position)
            pointing = [line for line in claim.lines if letter in line.dx_pointers]
            if any(line.has(KX) for line in (pointing or claim.lines)):
                continue
        conflicts.append(f"{code} ({SEX_NAMES[edit.sex]}-only: {edit.description})")
    if conflicts:
        yield Hit(
            message=f"Diagnosis {'; '.join(conflicts)} does not match the patient's sex on file ({SEX_NAMES[sex]}).",
            hint=SEX_HINT,
        )
