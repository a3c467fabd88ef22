"""Frozen, plain inputs for the rules: a claim and its lines as the scrub format describes them.

``parse_document(data)`` turns the JSON document of ``scrub-format.md`` into ``ClaimInput`` objects
or raises ``ScrubInputError`` naming the claim id, line and field; the entry page builds the same objects
from a claim's records (``claims.check_input.claim_input``). Rules never see raw JSON, and need no database,
so the live check can run them on unsaved lines.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from codes.validators import date_range_problem, has_unpaired_surrogate, unpaired_surrogate_problem

from ..choices import Container, PayerType, Sex

NO_CLAIMS_MESSAGE = "the document holds no claims: send at least one claim in the 'claims' list"
SHOWN_MAX = 40  # characters of a wrong value quoted back in an error message
MAX_TIMELY_FILING_DAYS = 36525  # a hundred years: any payer's limit, and no date arithmetic overflows


def _shown(value: Any) -> str:
    """A wrong value as quoted in a message: printable, and cut short when long."""
    text = value if isinstance(value, str) else repr(value)
    if has_unpaired_surrogate(text):
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text if len(text) <= SHOWN_MAX else f"{text[:SHOWN_MAX]}…"


class ScrubInputError(ValueError):
    """Malformed input: says which claim, line and field, and what is wrong."""

    def __init__(self, message: str, *, claim_id: str | None = None, line: int | None = None, field: str | None = None):
        self.message = message
        self.claim_id = claim_id
        self.line = line
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.claim_id is not None:
            where.append(f"claim {self.claim_id}")
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field:
            where.append(f"field '{self.field}'")
        return f"{', '.join(where)}: {self.message}" if where else self.message

    def as_dict(self) -> dict[str, Any]:
        return {"error": str(self), "claim": self.claim_id, "line": self.line, "field": self.field}

    def __reduce__(self):  # keep claim, line and field when raised in a worker process
        return (_rebuild_error, (self.message, self.claim_id, self.line, self.field))


def _rebuild_error(message: str, claim_id: str | None, line: int | None, field: str | None) -> ScrubInputError:
    return ScrubInputError(message, claim_id=claim_id, line=line, field=field)


@dataclass(frozen=True, slots=True)
class Dose:
    amount: Decimal
    unit: str
    discarded: Decimal = Decimal(0)


@dataclass(slots=True, unsafe_hash=True)  # hashes by its fields, as when it was frozen
class LineInput:
    """One service line as the rules read it; they never change it (a test runs every rule on every line
    of the generated corpus and compares). Not a frozen dataclass, as the other inputs are: a batch builds
    one per line, and a frozen dataclass of these 17 fields takes about 2 µs to build against 0.5 µs, a
    tenth of the parser's time (``bench/scrub.py``: 210,000 lines a mix); a named tuple builds as fast but
    makes every field read twice as slow. ``modifier_set`` (the modifiers as a set, for fast membership
    tests) has no default, so no line can carry modifiers its set lacks."""

    number: int
    code: str
    dos: date  # the line's own date of service, else the claim's
    pos: str  # the line's own place of service, else the claim's
    modifier_set: frozenset[str]
    modifiers: tuple[str, ...] = ()
    units: Decimal | None = Decimal(1)  # None when the units given are not a number
    units_text: str = "1"
    charge: Decimal = Decimal(0)
    dx_pointers: tuple[str, ...] = ()
    ndc: str | None = None
    ndc_unit: str | None = None
    ndc_qty: Decimal | None = None
    dose: Dose | None = None
    container: str | None = None
    narrative: str = ""
    rendering_npi: str = ""

    def has(self, *modifiers: str) -> bool:
        return not self.modifier_set.isdisjoint(modifiers)


@dataclass(frozen=True, slots=True)
class HistoryItem:
    code: str
    dos: date
    modifiers: tuple[str, ...] = ()
    rendering_npi: str = ""
    specialty: str = ""
    group_tin: str = ""
    diagnoses: tuple[str, ...] = ()
    status: str = ""
    units: Decimal = Decimal(1)
    pos: str = ""
    claim: str = ""  # the earlier claim's number, when the history names it (ClaimDesk's own claims do)

    def has(self, *modifiers: str) -> bool:
        return any(m in self.modifiers for m in modifiers)


@dataclass(frozen=True, slots=True)
class PatientInput:
    dob: date | None = None
    sex: str = "U"
    medicare_part_b_effective: date | None = None

    def age_on(self, day: date) -> int | None:
        """Age in completed years on ``day`` (catalogue §0.4)."""
        if self.dob is None:
            return None
        return day.year - self.dob.year - ((day.month, day.day) < (self.dob.month, self.dob.day))


@dataclass(frozen=True, slots=True)
class PayerConfigInput:
    """Inline overrides of the stored payer; None means "not given"."""

    timely_filing_days: int | None = None
    apply_ncci: bool | None = None
    pa_required_codes: tuple[str, ...] | None = None
    preferred_products: dict[str, dict[str, tuple[str, ...]]] | None = None
    rejects_S_codes: bool | None = None  # noqa: N815 (the scrub format's key)
    ndc_required_all_drug_lines: bool | None = None


@dataclass(frozen=True, slots=True)
class ClaimInput:
    id: str
    payer_type: str
    lines: tuple[LineInput, ...]
    dos: date
    pos: str = ""
    payer_name: str = ""
    payer_config: PayerConfigInput = field(default_factory=PayerConfigInput)
    state: str = ""
    patient: PatientInput = field(default_factory=PatientInput)
    billing_npi: str = ""
    rendering_npi: str = ""
    referring_npi: str = ""
    ordering_npi: str = ""
    rendering_specialty: str = ""
    group_tin: str = ""
    submission_date: date | None = None
    diagnoses: tuple[str, ...] = ()
    prior_auth_number: str = ""
    frequency_code: str = "1"
    history: tuple[HistoryItem, ...] = ()
    original_reference: str = ""  # box 22, the payer's number of the claim replaced or voided (REF*F8)
    accident_type: str = ""  # box 10b/10c: "auto" or "other" (CLM11 AA / OA); "" none
    accident_state: str = ""  # box 10b, required with an auto accident (CLM11-4)

    @property
    def codes(self) -> set[str]:
        return {line.code for line in self.lines} | {item.code for item in self.history}

    @property
    def replaces_earlier_claim(self) -> bool:
        """A corrected claim (frequency 7) or a void (8) naming the claim it replaces (box 22): its services
        are that claim's, not a second bill for them."""
        return self.frequency_code in REPLACING_FREQUENCIES and bool(self.original_reference)


_NO_PAYER_CONFIG = PayerConfigInput()

PAYER_TYPES = tuple(PayerType.values)
PATIENT_SEXES = (*Sex.values, "X")  # the scrub format also takes X (the rules read it as not F or M)
REPLACING_FREQUENCIES = ("7", "8")  # CLM05-3 replacement, void
ACCIDENT_TYPES = ("auto", "other")
CONTAINERS = tuple(Container.values)


class _Reader:
    """Reads one JSON object, raising errors that say where."""

    def __init__(self, data: Any, *, claim_id: str | None, line: int | None = None, prefix: str = ""):
        self.claim_id, self.line, self.prefix = claim_id, line, prefix
        if not isinstance(data, dict):
            raise self.error("must be a JSON object", None)
        self.data = data

    def error(self, message: str, name: str | None) -> ScrubInputError:
        field_name = f"{self.prefix}{name}" if name else (self.prefix.rstrip(".") or None)
        return ScrubInputError(message, claim_id=self.claim_id, line=self.line, field=field_name)

    def text(self, name: str, default: str = "", *, required: bool = False) -> str:
        value = self.data.get(name)
        if type(value) is str and value:  # the common case first
            if not value.isascii() and has_unpaired_surrogate(value):
                raise self.error(unpaired_surrogate_problem(value), name)
            return value.strip()
        if value is None or value == "":
            if required:
                raise self.error("is required", name)
            return default
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise self.error(f"must be text, not {type(value).__name__}", name)
        if has_unpaired_surrogate(value):
            raise self.error(unpaired_surrogate_problem(value), name)
        return _as_text(value, self, name).strip()

    def date(self, name: str, *, required: bool = False) -> date | None:
        value = self.data.get(name)
        if value in (None, ""):
            if required:
                raise self.error("is required (YYYY-MM-DD)", name)
            return None
        if not isinstance(value, str):
            raise self.error(f"must be a date YYYY-MM-DD, not {type(value).__name__}", name)
        if has_unpaired_surrogate(value):
            raise self.error(unpaired_surrogate_problem(value), name)
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            raise self.error(f"'{_shown(value)}' is not a date in the form YYYY-MM-DD", name) from None
        problem = date_range_problem(day)
        if problem:
            raise self.error(problem, name)
        return day

    def number(self, name: str, default: Decimal | None = None) -> Decimal | None:
        value = self.data.get(name)
        if type(value) is float and value - value == 0:  # the common case first: a finite JSON number
            return Decimal(repr(value))
        if value is None or value == "":
            return default
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise self.error(f"must be a number, not {type(value).__name__}", name)
        if has_unpaired_surrogate(value):
            raise self.error(unpaired_surrogate_problem(value), name)
        try:
            text = value.strip() if isinstance(value, str) else repr(value) if isinstance(value, float) else value
            number = Decimal(text)
        except (InvalidOperation, ValueError):
            raise self.error(f"'{_shown(value)}' is not a number", name) from None
        if not number.is_finite():
            raise self.error(f"'{_shown(value)}' is not a number", name)
        return number

    def boolean(self, name: str) -> bool | None:
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise self.error("must be true or false", name)
        return value

    def text_list(self, name: str) -> tuple[str, ...]:
        value = self.data.get(name)
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self.error("must be a list", name)
        try:  # lists of codes repeat (modifiers, pointers): each distinct one is read once
            key = tuple(value)
            found = _TEXT_LISTS.get(key)
        except TypeError:  # an item is a list or an object (reported below)
            key = found = None
        if found is not None:
            return found
        out = []
        for item in value:
            if isinstance(item, bool) or not isinstance(item, str | int):
                raise self.error(f"must be a list of text, found {type(item).__name__}", name)
            if has_unpaired_surrogate(item):
                raise self.error(unpaired_surrogate_problem(item), name)
            out.append(_as_text(item, self, name).strip().upper())
        found = tuple(out)
        if key is not None and len(_TEXT_LISTS) < _TEXT_LISTS_LIMIT and all(type(item) is str for item in key):
            _TEXT_LISTS[key] = found
        return found

    def obj(self, name: str, prefix: str | None = None) -> _Reader | None:
        value = self.data.get(name)
        if value is None:
            return None
        return _Reader(value, claim_id=self.claim_id, line=self.line, prefix=(prefix or f"{self.prefix}{name}."))


def _as_text(value: str | int, reader: _Reader, name: str) -> str:
    """Text, or a number given for text (codes may come as numbers) written out."""
    if type(value) is str:
        return value
    try:
        return str(value)
    except ValueError:  # more digits than Python writes out (sys.get_int_max_str_digits)
        raise reader.error("is a number far too long to be a code or text", name) from None


def _parse_dose(reader: _Reader) -> Dose | None:
    dose = reader.obj("dose")
    if dose is None:
        return None
    amount = dose.number("amount")
    if amount is None:
        raise dose.error("is required when a dose is given", "amount")
    # "discarded" is the amount discarded, or true when the whole amount of this line was discarded
    # (the JW line of a single-dose vial).
    flag = dose.data.get("discarded")
    if isinstance(flag, bool):
        discarded = amount if flag else Decimal(0)
    else:
        discarded = dose.number("discarded", Decimal(0))
    return Dose(amount=amount, unit=dose.text("unit").lower(), discarded=discarded)


# Text lists seen before (their JSON items as a tuple) -> the clean codes; modifier tuples -> their set.
_TEXT_LISTS: dict[tuple, tuple[str, ...]] = {(): ()}
_TEXT_LISTS_LIMIT = 4096
_MODIFIER_SETS: dict[tuple[str, ...], frozenset[str]] = {(): frozenset()}
_BIG_INT = 10**100  # units beyond this are no units of service
_OPTIONAL_LINE_FIELDS = ("ndc", "ndc_unit", "ndc_qty", "dose", "container", "narrative", "dos", "pos", "rendering_npi")
_NOT_GIVEN = (None,) * len(_OPTIONAL_LINE_FIELDS)
_ZERO = Decimal(0)


def _modifier_set(modifiers: tuple[str, ...]) -> frozenset[str]:
    found = _MODIFIER_SETS.get(modifiers)
    if found is None:
        found = frozenset(modifiers)
        if len(_MODIFIER_SETS) < _TEXT_LISTS_LIMIT:
            _MODIFIER_SETS[modifiers] = found
    return found


def _parse_line(raw: Any, index: int, *, claim_id: str, claim_dos: date, claim_pos: str, npi: str) -> LineInput:
    number_hint = raw.get("line") if isinstance(raw, dict) else None
    line_no = number_hint if type(number_hint) is int else index
    reader = _Reader(raw, claim_id=claim_id, line=line_no)
    if "line" in raw and type(raw["line"]) is not int:
        raise reader.error("must be a whole number", "line")
    units_value = raw.get("units", 1)
    if type(units_value) is int:  # the common case
        if not -_BIG_INT < units_value < _BIG_INT:
            raise reader.error("is a number far too large to be units of service", "units")
        units = Decimal(units_value)
    else:
        if isinstance(units_value, bool) or not isinstance(units_value, float | str | None.__class__):
            raise reader.error(f"must be a number, not {type(units_value).__name__}", "units")
        if has_unpaired_surrogate(units_value):
            raise reader.error(unpaired_surrogate_problem(units_value), "units")
        try:
            units = Decimal(str(units_value).strip()) if units_value not in (None, "") else None
            if units is not None and not units.is_finite():
                units = None
        except InvalidOperation:
            units = None  # reported by FMT-UNITS, not an input error: a biller may have typed anything
    # Most lines give none of the drug and override fields: reading one that is not given gives its
    # default, so when all are None they are not read one by one.
    plain = tuple(map(raw.get, _OPTIONAL_LINE_FIELDS)) == _NOT_GIVEN
    container = None if plain else (reader.text("container") or None)
    if container and container not in CONTAINERS:
        raise reader.error(f"must be one of {', '.join(CONTAINERS)}", "container")
    modifiers = reader.text_list("modifiers")
    return LineInput(
        number=line_no,
        code=reader.text("code", required=True).upper(),
        modifiers=modifiers,
        units=units,
        units_text="" if units_value is None else str(units_value),
        charge=reader.number("charge", _ZERO),
        dx_pointers=reader.text_list("dx_pointers"),
        ndc=None if plain else (reader.text("ndc") or None),
        ndc_unit=None if plain else (reader.text("ndc_unit").upper() or None),
        ndc_qty=None if plain else reader.number("ndc_qty"),
        dose=None if plain else _parse_dose(reader),
        container=container,
        narrative="" if plain else reader.text("narrative"),
        dos=claim_dos if plain else (reader.date("dos") or claim_dos),
        pos=claim_pos if plain else (reader.text("pos") or claim_pos),
        rendering_npi=npi if plain else (reader.text("rendering_npi") or npi),
        modifier_set=_modifier_set(modifiers),
    )


def _parse_history(raw: Any, index: int, *, claim_id: str) -> HistoryItem:
    reader = _Reader(raw, claim_id=claim_id, prefix=f"history[{index}].")
    return HistoryItem(
        code=reader.text("code", required=True).upper(),
        dos=reader.date("dos", required=True),
        modifiers=reader.text_list("modifiers"),
        rendering_npi=reader.text("rendering_npi"),
        specialty=reader.text("specialty"),
        group_tin=reader.text("group_tin"),
        diagnoses=reader.text_list("dx") or reader.text_list("diagnoses"),
        status=reader.text("status").lower(),
        units=reader.number("units", Decimal(1)),
        pos=reader.text("pos"),
        claim=reader.text("claim"),
    )


def _parse_payer_config(reader: _Reader | None) -> PayerConfigInput:
    if reader is None:
        return PayerConfigInput()
    days = reader.number("timely_filing_days")
    if days is not None and (days != days.to_integral_value() or days <= 0):
        raise reader.error("must be a positive whole number of days", "timely_filing_days")
    if days is not None and days > MAX_TIMELY_FILING_DAYS:
        raise reader.error(f"must be at most {MAX_TIMELY_FILING_DAYS} days (a hundred years)", "timely_filing_days")
    preferred = reader.data.get("preferred_products")
    families: dict[str, dict[str, tuple[str, ...]]] | None = None
    if preferred is not None:
        if not isinstance(preferred, dict):
            raise reader.error("must be an object of product families", "preferred_products")
        families = {}
        for family, lists in preferred.items():
            if has_unpaired_surrogate(family):
                raise reader.error(unpaired_surrogate_problem(family), "preferred_products")
            sub = _Reader(lists, claim_id=reader.claim_id, prefix=f"{reader.prefix}preferred_products.{family}.")
            families[str(family)] = {
                "preferred": sub.text_list("preferred"),
                "non_preferred": sub.text_list("non_preferred"),
            }
    pa_codes = reader.text_list("pa_required_codes") if "pa_required_codes" in reader.data else None
    return PayerConfigInput(
        timely_filing_days=int(days) if days is not None else None,
        apply_ncci=reader.boolean("apply_ncci"),
        pa_required_codes=pa_codes,
        preferred_products=families,
        rejects_S_codes=reader.boolean("rejects_S_codes"),
        ndc_required_all_drug_lines=reader.boolean("ndc_required_all_drug_lines"),
    )


def _claim_id(raw: Any, index: int) -> str:
    """The claim's id as text, or ``#index`` for a claim without one."""
    value = raw.get("id") if isinstance(raw, dict) else None
    if value is None or value == "":
        return f"#{index}"
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ScrubInputError(f"must be text, not {type(value).__name__}", claim_id=f"#{index}", field="id")
    if has_unpaired_surrogate(value):
        raise ScrubInputError(unpaired_surrogate_problem(value), claim_id=f"#{index}", field="id")
    if type(value) is int and not -_BIG_INT < value < _BIG_INT:
        raise ScrubInputError("is a number far too long to be a claim id", claim_id=f"#{index}", field="id")
    return str(value)


def _line_date(raw_line: dict[str, Any], index: int, claim_id: str) -> date:
    """A line's own date of service (read when the claim gives none), checked as every date is."""
    number = raw_line.get("line")
    line_no = number if isinstance(number, int) and not isinstance(number, bool) else index
    return _Reader(raw_line, claim_id=claim_id, line=line_no).date("dos", required=True)


def _parse_accident(accident: _Reader | None) -> tuple[str, str]:
    """``"accident": {"type": "auto" | "other", "state": "NY"}`` (box 10b/10c). An auto accident without its
    state is an input error, as on the entry form: the 837P cannot say it (CLM11-4 is required with AA)."""
    if accident is None:
        return "", ""
    kind = accident.text("type", required=True).lower()
    if kind not in ACCIDENT_TYPES:
        raise accident.error(f"must be one of {', '.join(ACCIDENT_TYPES)}, not '{_shown(kind)}'", "type")
    state = accident.text("state").upper()
    if kind == "auto" and not state:
        raise accident.error("is required for an auto accident (box 10b): the two-letter state code", "state")
    if state and not re.fullmatch(r"[A-Z]{2}", state):
        raise accident.error(f"'{_shown(state)}' is not a two-letter state code", "state")
    return kind, state


def parse_claim(raw: Any, index: int = 1, *, today: date | None = None) -> ClaimInput:
    """One claim of the scrub format; ``index`` (1-based) names a claim without an id in errors."""
    claim_id = _claim_id(raw, index)
    reader = _Reader(raw, claim_id=claim_id)
    payer_type = reader.text("payer_type", required=True).lower()
    if payer_type not in PAYER_TYPES:
        raise reader.error(f"must be one of {', '.join(PAYER_TYPES)}, not '{_shown(payer_type)}'", "payer_type")
    patient_reader = reader.obj("patient")
    patient = PatientInput()
    if patient_reader is not None:
        sex = patient_reader.text("sex", "U").upper()
        if sex not in PATIENT_SEXES:
            raise patient_reader.error("must be F, M or U", "sex")
        patient = PatientInput(
            dob=patient_reader.date("dob"),
            sex=sex,
            medicare_part_b_effective=patient_reader.date("medicare_part_b_effective"),
        )
    raw_lines = reader.data.get("lines")
    if not isinstance(raw_lines, list) or not raw_lines:
        raise reader.error("must be a non-empty list of service lines", "lines")
    claim_dos = reader.date("dos")
    if claim_dos is None:
        line_dates = [line.get("dos") for line in raw_lines if isinstance(line, dict) and line.get("dos")]
        if len(line_dates) != len(raw_lines):
            raise reader.error("is required (YYYY-MM-DD) unless every line has its own dos", "dos")
        claim_dos = min(_line_date(line, i, claim_id) for i, line in enumerate(raw_lines, start=1))
    claim_pos = reader.text("pos")
    rendering = reader.text("rendering_npi")
    lines = [
        _parse_line(raw_line, i, claim_id=claim_id, claim_dos=claim_dos, claim_pos=claim_pos, npi=rendering)
        for i, raw_line in enumerate(raw_lines, start=1)
    ]
    numbers = {line.number for line in lines}
    if len(numbers) != len(lines):
        raise reader.error("line numbers must be unique", "lines")
    raw_history = reader.data.get("history") or []
    if not isinstance(raw_history, list):
        raise reader.error("must be a list", "history")
    # The fields in the order they were always read, so the first of several errors is the same one.
    payer_name = reader.text("payer_name")
    config = reader.obj("payer_config")
    payer_config = _NO_PAYER_CONFIG if config is None else _parse_payer_config(config)
    state = reader.text("state").upper()
    billing_npi = reader.text("billing_npi")
    referring_npi = reader.text("referring_npi")
    ordering_npi = reader.text("ordering_npi")
    rendering_specialty = reader.text("rendering_specialty")
    group_tin = reader.text("group_tin")
    submission_date = reader.date("submission_date") or today or date.today()
    diagnoses = tuple(d.replace(" ", "") for d in reader.text_list("diagnoses"))
    prior_auth_number = reader.text("prior_auth_number")
    frequency_code = reader.text("frequency_code", "1")
    history = (
        tuple(_parse_history(item, i, claim_id=claim_id) for i, item in enumerate(raw_history)) if raw_history else ()
    )
    original_reference = reader.text("original_reference")
    accident_type, accident_state = _parse_accident(reader.obj("accident"))
    return ClaimInput(
        id=claim_id,
        payer_type=payer_type,
        lines=tuple(lines),
        dos=claim_dos,
        pos=claim_pos,
        payer_name=payer_name,
        payer_config=payer_config,
        state=state,
        patient=patient,
        billing_npi=billing_npi,
        rendering_npi=rendering,
        referring_npi=referring_npi,
        ordering_npi=ordering_npi,
        rendering_specialty=rendering_specialty,
        group_tin=group_tin,
        submission_date=submission_date,
        diagnoses=diagnoses,
        prior_auth_number=prior_auth_number,
        frequency_code=frequency_code,
        history=history,
        original_reference=original_reference,
        accident_type=accident_type,
        accident_state=accident_state,
    )


def parse_document(data: Any, *, today: date | None = None) -> list[ClaimInput]:
    """The whole input document: ``{"claims": [...]}``. All or nothing."""
    if not isinstance(data, dict):
        raise ScrubInputError("the document must be a JSON object with a 'claims' list")
    claims = data.get("claims")
    if not isinstance(claims, list):
        raise ScrubInputError("the document must have a 'claims' list", field="claims")
    if not claims:
        raise ScrubInputError(NO_CLAIMS_MESSAGE, field="claims")
    parsed = [parse_claim(raw, i, today=today) for i, raw in enumerate(claims, start=1)]
    duplicates = sorted(claim_id for claim_id, n in Counter(claim.id for claim in parsed).items() if n > 1)
    if duplicates:
        raise ScrubInputError(f"claim ids must be unique; repeated: {', '.join(duplicates)}", field="id")
    return parsed
