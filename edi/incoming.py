"""837P claims read (``edi.records.Claim837``) turned into what ClaimDesk stores: the claim's boxes, its lines and
the patient as entered, as plain JSON-safe values (so a background batch can keep them in a chunk), with the
payer and the providers they name.

No database here: ``claim_incoming`` is a pure function; ``edi.imports`` finds or creates the payers, providers and
patients and saves the claims through ``claims.services``.

What the claim cannot hold is never dropped silently: a value longer than its box is cut to fit and the whole
value is given in a warning; a value its box refuses (a state that is not a USPS code, a ZIP code or phone of the
wrong length, an NPI with a wrong check digit in an optional box) is left out with a warning; what the claim has no
box for (e.g. the other payer's adjustments, an ambulance segment) is named in a warning. The warnings are listed
on the import's results. A value the claim cannot do without (member ID, date of birth, procedure code, units,
charge, date of service, place of service, billing NPI) that does not fit refuses the whole file
(``IncomingError``), naming the claim, the line and the element.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from claims.choices import ClaimFrequency, IllnessDateQualifier, NDCUnit, PayerType, Relationship, Sex
from claims.models import DIAGNOSIS_LETTERS, MAX_MODIFIERS, Claim, ClaimLine, Patient

from .records import (
    LAST_MENSTRUAL_PERIOD,
    ONSET_OF_CURRENT_ILLNESS,
    ORDERING_PROVIDER,
    ORIGINAL_REFERENCE,
    PRINCIPAL_DIAGNOSIS_QUALIFIERS,
    PRIOR_AUTHORIZATION,
    REFERRING_PROVIDER,
    RENDERING_PROVIDER,
    SERVICE_FACILITY,
    Address,
    Claim837,
    Party,
)

# SBR09 claim filing indicator -> the payer type of a payer the import creates.
MEDICARE_FILING = frozenset({"MA", "MB", "16"})  # Medicare part A, part B, HMO Medicare risk
MEDICAID_FILING = frozenset({"MC"})
# PAT01 / SBR02 codes ClaimDesk has no choice for: kept as "other" (G8), with a warning naming the code.
RELATIONSHIP_CODES = {choice.value for choice in Relationship}
# Claim and line loops ClaimDesk has a box for (other NM1 entities are named as not kept).
CLAIM_PROVIDERS_KEPT = frozenset({REFERRING_PROVIDER, RENDERING_PROVIDER, SERVICE_FACILITY})
LINE_PROVIDERS_KEPT = frozenset({ORDERING_PROVIDER})
KEPT_CLAIM_DATES = frozenset({ONSET_OF_CURRENT_ILLNESS, LAST_MENSTRUAL_PERIOD})
KEPT_CLAIM_REFERENCES = frozenset({ORIGINAL_REFERENCE, PRIOR_AUTHORIZATION})


class IncomingError(ValueError):
    """A claim of the file holds a value ClaimDesk cannot keep and cannot do without: the file is refused."""


def payer_type_for(filing_indicator: str) -> str:
    """The payer type of SBR09: MA/MB/16 Medicare, MC Medicaid, every other (CI, BL, HM, 12-15, ...) commercial."""
    if filing_indicator in MEDICARE_FILING:
        return PayerType.MEDICARE
    if filing_indicator in MEDICAID_FILING:
        return PayerType.MEDICAID
    return PayerType.COMMERCIAL


def diagnosis_with_dot(qualifier: str, code: str) -> str:
    """837P HI codes come without the dot; ClaimDesk keeps it (E119 -> E11.9; ICD-9-CM E8889 -> E888.9)."""
    code = code.strip().upper().replace(".", "")
    at = 4 if qualifier in ("BK", "BF") and code.startswith("E") else 3
    return f"{code[:at]}.{code[at:]}" if len(code) > at else code


@dataclass
class PayerRef:
    """The payer a claim names (2010BB, or 2330B for the other payer), found by payer ID then name."""

    name: str
    payer_id: str
    payer_type: str
    filing_indicator: str


@dataclass
class ProviderRef:
    """A billing (2010AA) or rendering (2310B) provider, created in the practice's list when its NPI is new."""

    npi: str
    name: str
    kind: str  # ProviderKind
    group_tin: str
    address: dict[str, str] = field(default_factory=dict)
    phone: str = ""
    role: str = "billing"  # billing, rendering


@dataclass
class IncomingClaim:
    """One claim of a file, ready to save: every value JSON-safe (dates ISO, amounts as text)."""

    position: int  # 1 for the file's first CLM
    patient_control_number: str  # CLM01
    claim: dict[str, Any]  # Claim fields (without payer and secondary payer)
    patient: dict[str, Any]  # Patient fields: the patient as entered
    lines: list[dict[str, Any]]  # ClaimLine fields, in order
    payer: PayerRef
    secondary_payer: PayerRef | None = None
    providers: list[ProviderRef] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IncomingClaim:
        values = dict(data)
        values["payer"] = PayerRef(**data["payer"])
        values["secondary_payer"] = PayerRef(**data["secondary_payer"]) if data.get("secondary_payer") else None
        values["providers"] = [ProviderRef(**provider) for provider in data.get("providers", [])]
        return cls(**values)

    def build(self) -> tuple[Claim, list[ClaimLine], Patient]:
        """Unsaved model objects (payer and secondary payer are set by the caller)."""
        return (
            model_from(Claim, self.claim),
            [model_from(ClaimLine, line) for line in self.lines],
            model_from(Patient, self.patient),
        )


def model_from(model: type[models.Model], data: dict[str, Any]) -> models.Model:
    """A model instance from JSON-safe values (each field parses its own: dates, decimals)."""
    return model(**{name: model._meta.get_field(name).to_python(value) for name, value in data.items()})


def _json(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


class _Fitter:
    """Fits read values into model fields, collecting a warning for each one that does not fit."""

    def __init__(self, where: str):
        self.where = where
        self.warnings: list[str] = []

    def warn(self, message: str) -> None:
        self.warnings.append(f"{self.where}: {message}")

    def refuse(self, message: str) -> IncomingError:
        return IncomingError(f"{self.where}: {message}; nothing was imported")

    def text(self, model, name: str, value: str | None, label: str) -> str:
        """Free text: cut to the field's length (the whole value goes into the warning)."""
        value = (value or "").strip()
        limit = model._meta.get_field(name).max_length
        if limit and len(value) > limit:
            self.warn(
                f"{label} has {len(value)} characters, the claim holds {limit}: '{value}' was cut to '{value[:limit]}'"
            )
            return value[:limit]
        return value

    def checked(self, model, name: str, value: str | None, label: str) -> str:
        """A coded value (state, ZIP, phone, NPI): kept when its field takes it, else left out with a warning."""
        value = (value or "").strip()
        if not value:
            return ""
        model_field = model._meta.get_field(name)
        try:
            model_field.clean(value, None)
        except ValidationError as error:
            self.warn(f"{label} '{value}' was not kept: {' '.join(error.messages)}")
            return ""
        return value

    def required(self, model, name: str, value: str | None, label: str) -> str:
        """A value the claim cannot do without: refused when missing or longer than its field."""
        value = (value or "").strip()
        limit = model._meta.get_field(name).max_length
        if not value:
            raise self.refuse(f"{label} is missing")
        if limit and len(value) > limit:
            raise self.refuse(f"{label} '{value[:80]}' has {len(value)} characters, ClaimDesk holds {limit}")
        return value

    def decimal(self, model, name: str, value: Decimal | None, label: str, *, required: bool) -> Decimal | None:
        if value is None:
            if required:
                raise self.refuse(f"{label} is missing")
            return None
        model_field = model._meta.get_field(name)
        try:
            return model_field.clean(value, None)
        except ValidationError:
            message = (
                f"{label} {value} does not fit ClaimDesk's {model_field.max_digits - model_field.decimal_places} "
                f"digits before the point and {model_field.decimal_places} after"
            )
            if required:
                raise self.refuse(message) from None
            self.warn(f"{message}: not kept")
            return None


def _address(fit: _Fitter, model, prefix: str, address: Address | None, label: str) -> dict[str, str]:
    if address is None:
        return {}
    values = {
        f"{prefix}address_line1": fit.text(model, f"{prefix}address_line1", address.line1, f"{label} address (N301)"),
        f"{prefix}address_line2": fit.text(model, f"{prefix}address_line2", address.line2, f"{label} address (N302)"),
        f"{prefix}city": fit.text(model, f"{prefix}city", address.city, f"{label} city (N401)"),
        f"{prefix}state": fit.checked(model, f"{prefix}state", address.state.upper(), f"{label} state (N402)"),
        f"{prefix}zip_code": fit.checked(model, f"{prefix}zip_code", address.postal_code, f"{label} ZIP code (N403)"),
    }
    if address.country_code and address.country_code != "US":
        fit.warn(f"{label} country '{address.country_code}' (N404) was not kept: the claim holds US addresses")
    return values


def _phone(party: Party) -> str:
    return "".join(char for char in party.phone if char.isdigit())


def _sex(fit: _Fitter, value: str, label: str) -> str:
    if value in Sex.values:
        return value
    if value:
        fit.warn(f"{label} '{value}' (DMG03) was kept as U (unknown)")
    return Sex.UNKNOWN


def _payer_ref(fit: _Fitter, party: Party, filing_indicator: str, label: str) -> PayerRef:
    name = (party.name or "").strip()
    if not name:
        raise fit.refuse(f"{label} has no name (NM103)")
    if len(name) > 120:
        fit.warn(f"{label} name has {len(name)} characters, a payer's holds 120: '{name}' was cut")
        name = name[:120]
    payer_id = party.identifier.strip()[:80]
    return PayerRef(
        name=name, payer_id=payer_id, payer_type=payer_type_for(filing_indicator), filing_indicator=filing_indicator
    )


def claim_incoming(source: Claim837, *, position: int) -> IncomingClaim:
    """Every box of the claim from an 837P claim (see ``claims.cms1500`` for the box ↔ element map)."""
    fit = _Fitter(f"claim {position} (CLM01 {source.claim_id[:38]})")
    subscriber, insured = source.subscriber, source.subscriber.insured
    person = source.patient_person
    values: dict[str, Any] = {}

    def text(name: str, value: str | None, label: str) -> None:
        values[name] = fit.text(Claim, name, value, label)

    def checked(name: str, value: str | None, label: str) -> None:
        values[name] = fit.checked(Claim, name, value, label)

    # boxes 1a, 2, 3: the patient as entered (2010CA, or 2010BA when the insured is the patient)
    member_id = fit.required(Claim, "member_id", subscriber.member_id.upper(), "member ID (2010BA NM109)")
    if person.birth_date is None:
        raise fit.refuse("the patient's date of birth (DMG02) is missing")
    if not person.last_name.strip() or not person.first_name.strip():
        raise fit.refuse("the patient's last or first name (NM103, NM104) is missing")
    patient = {
        "member_id": member_id,
        "last_name": fit.text(Patient, "last_name", person.last_name, "patient's last name (NM103)"),
        "first_name": fit.text(Patient, "first_name", person.first_name, "patient's first name (NM104)"),
        "date_of_birth": person.birth_date.isoformat(),
        "sex": _sex(fit, person.sex, "patient's sex"),
    }
    if person.middle_name or person.suffix:
        fit.warn(
            f"the patient's middle name or suffix '{' '.join(filter(None, (person.middle_name, person.suffix)))}'"
            " (NM105/NM107) was not kept: the claim holds last and first name"
        )
    # box 5
    values.update(_address(fit, Claim, "patient_", person.address, "patient's"))
    checked("patient_phone", _phone(person), "patient's phone (PER)")
    patient.update({name.removeprefix("patient_"): value for name, value in values.items()})
    # box 6: SBR02 18 self; otherwise PAT01 of 2000C
    relationship = Relationship.SELF if source.patient is None else source.patient.relationship
    if source.patient is not None and (relationship not in RELATIONSHIP_CODES or relationship == Relationship.SELF):
        fit.warn(f"the patient's relationship to the insured '{relationship}' (PAT01) was kept as G8 (other)")
        relationship = Relationship.OTHER
    values["patient_relationship"] = relationship
    # boxes 4, 7, 11, 11a-c: the insured
    if source.patient is not None:  # self: boxes 4, 7 and 11a are the patient's (claim_save copies them)
        text("insured_last_name", insured.last_name, "insured's last name (2010BA NM103)")
        text("insured_first_name", insured.first_name, "insured's first name (2010BA NM104)")
        values.update(_address(fit, Claim, "insured_", insured.address, "insured's"))
        values["insured_dob"] = insured.birth_date.isoformat() if insured.birth_date else None
        values["insured_sex"] = _sex(fit, insured.sex, "insured's sex") if insured.sex else ""
    text("insured_group_number", subscriber.coverage.group_number, "insured's policy group (SBR03)")
    text("insured_plan_name", subscriber.coverage.group_name, "insurance plan name (SBR04)")
    other_claim_id = insured.reference("Y4") or person.reference("Y4")
    text("other_claim_id", other_claim_id, "other claim ID (REF*Y4)")
    payer = _payer_ref(fit, subscriber.payer, subscriber.coverage.claim_filing_indicator, "the payer (2010BB)")

    # boxes 11d, 9, 9a, 9d: the first other payer (2320/2330)
    secondary = None
    values["has_other_plan"] = bool(source.other_coverage)
    if source.other_coverage:
        other = source.other_coverage[0]
        other_insured = other.insured or Party("IL")
        text("other_insured_last_name", other_insured.last_name, "other insured's last name (2330A NM103)")
        text("other_insured_first_name", other_insured.first_name, "other insured's first name (2330A NM104)")
        text("other_insured_member_id", other_insured.identifier, "other insured's member ID (2330A NM109)")
        text("other_insured_group_number", other.coverage.group_number, "other insured's group (2320 SBR03)")
        text("other_insured_plan_name", other.coverage.group_name, "other insurance plan name (2320 SBR04)")
        if other.payer is not None:
            secondary = _payer_ref(fit, other.payer, other.coverage.claim_filing_indicator, "the other payer (2330B)")
        else:
            fit.warn("another payer (2320) without its name (2330B NM1*PR): no other payer set")
        paid = [f"{amount.qualifier} {amount.amount}" for amount in other.amounts]
        adjusted = [f"{item.group_code}-{item.reason_code} {item.amount}" for item in other.adjustments]
        if paid or adjusted:
            fit.warn(
                f"the other payer's amounts (2320 AMT {', '.join(paid) or 'none'}) and adjustments "
                f"(CAS {', '.join(adjusted) or 'none'}) were not kept: the claim has no box for them"
            )
        for extra in source.other_coverage[1:]:
            name = extra.payer.name if extra.payer else "without a name"
            fit.warn(
                f"a further other payer (2320 SBR01 {extra.coverage.payer_responsibility}, {name}) was not "
                "kept: the claim holds one other plan (box 9)"
            )

    # boxes 10a-c
    causes = set(source.related_causes)
    values["employment_related"] = "EM" in causes
    values["auto_accident"] = "AA" in causes
    values["other_accident"] = "OA" in causes
    checked("auto_accident_state", source.accident_state.upper(), "auto accident state (CLM11-4)")
    # box 14
    illness = source.date(ONSET_OF_CURRENT_ILLNESS) or source.date(LAST_MENSTRUAL_PERIOD)
    values["current_illness_date"] = illness.start.isoformat() if illness else None
    values["current_illness_qualifier"] = IllnessDateQualifier(illness.qualifier).value if illness else ""
    # box 17: 2310A referring (DN), else the ordering provider of the lines (2420E DK)
    referring = source.provider(REFERRING_PROVIDER)
    if referring is None:
        referring = next(
            (party for line in source.lines for party in line.providers if party.entity_code == ORDERING_PROVIDER),
            None,
        )
    if referring is not None:
        values["referring_qualifier"] = referring.entity_code
        text("referring_last_name", referring.last_name, "referring provider's last name (NM103)")
        text("referring_first_name", referring.first_name, "referring provider's first name (NM104)")
        checked("referring_npi", referring.npi, "referring provider's NPI (NM109)")
    # box 19, 22, 23, 26
    notes = [note.text for note in source.notes if note.code == "ADD"]
    text("additional_info", " ".join(notes), "additional claim information (NTE*ADD)")
    for note in source.notes:
        if note.code != "ADD":
            fit.warn(f"the claim note NTE*{note.code} '{note.text}' was not kept: box 19 holds NTE*ADD")
    if source.frequency_code not in ClaimFrequency.values:
        raise fit.refuse(f"claim frequency '{source.frequency_code}' (CLM05-3) is not 1, 7 or 8")
    values["frequency_code"] = source.frequency_code
    text("original_reference", source.original_reference, "original reference number (REF*F8)")
    text("prior_auth_number", source.prior_authorization, "prior authorisation number (REF*G1)")
    text("patient_account_number", source.claim_id, "patient account number (CLM01)")
    # box 32, 32a
    facility = source.service_facility
    if facility is not None:
        text("facility_name", facility.name, "service facility (2310C NM103)")
        values.update(_address(fit, Claim, "facility_", facility.address, "service facility"))
        checked("facility_npi", facility.npi, "service facility NPI (2310C NM109)")
    # box 33, 25: billing provider (2010AA)
    billing = source.billing_provider
    values["billing_npi"] = fit.required(Claim, "billing_npi", billing.npi, "billing provider NPI (2010AA NM109)")
    text("billing_name", billing.name, "billing provider name (2010AA NM103)")
    values.update(_address(fit, Claim, "billing_", billing.address, "billing provider"))
    checked("billing_phone", _phone(billing), "billing provider phone (2010AA PER)")
    tax_id = "".join(char for char in billing.tax_id if char.isdigit())
    if len(tax_id) != 9:
        fit.warn(
            f"the billing provider's tax ID '{billing.tax_id}' (2010AA REF*EI) is not nine digits: box 25 left blank"
        )
        tax_id = ""
    values["group_tin"] = tax_id
    # box 24J: rendering provider (2310B), else the billing provider
    rendering = source.rendering_provider
    rendering_npi = rendering.npi if rendering is not None and rendering.npi else billing.npi
    values["rendering_npi"] = fit.required(Claim, "rendering_npi", rendering_npi, "rendering provider NPI (NM109)")
    providers = [
        ProviderRef(
            npi=billing.npi,
            name=billing.name[:120],
            kind="organisation" if not billing.is_person else "clinician",
            group_tin=tax_id,
            address={
                name.removeprefix("billing_"): values.get(name, "")
                for name in values
                if name.startswith("billing_") and name not in ("billing_npi", "billing_phone", "billing_name")
            },
            phone=values["billing_phone"],
            role="billing",
        )
    ]
    if rendering is not None and rendering.npi and rendering.npi != billing.npi:
        providers.append(
            ProviderRef(
                npi=rendering.npi, name=rendering.name[:120], kind="clinician", group_tin=tax_id, role="rendering"
            )
        )
    for party in source.providers:
        if party.entity_code not in CLAIM_PROVIDERS_KEPT:
            fit.warn(
                f"the claim's provider NM1*{party.entity_code} '{party.name}' ({party.npi or 'no NPI'}) was not "
                "kept: the claim has no box for it"
            )

    # box 21: diagnoses, with the dot; ICD-9-CM ones kept as read (the rules say what to do)
    diagnoses = [diagnosis_with_dot(item.qualifier, item.code) for item in source.diagnoses]
    if len(diagnoses) > len(DIAGNOSIS_LETTERS):
        fit.warn(f"diagnoses {', '.join(diagnoses[12:])} were not kept: box 21 holds twelve (A to L)")
        diagnoses = diagnoses[: len(DIAGNOSIS_LETTERS)]
    if source.diagnoses and source.diagnoses[0].qualifier not in PRINCIPAL_DIAGNOSIS_QUALIFIERS:
        fit.warn(f"the first diagnosis has qualifier {source.diagnoses[0].qualifier}, not a principal one (ABK)")
    values["diagnoses"] = diagnoses
    values["place_of_service"] = fit.required(
        Claim, "place_of_service", source.place_of_service, "place of service (CLM05-1)"
    )
    for item in source.dates:
        if item.qualifier not in KEPT_CLAIM_DATES or item is not illness:
            when = f"{item.start:%m/%d/%Y}" + (f"–{item.end:%m/%d/%Y}" if item.end and item.end != item.start else "")
            fit.warn(f"the claim date DTP*{item.qualifier} {when} was not kept: box 14 holds DTP*431 or DTP*484")
    for reference in source.references:
        if reference.qualifier not in KEPT_CLAIM_REFERENCES:
            fit.warn(f"the claim reference REF*{reference.qualifier} '{reference.value}' was not kept")
    if source.extra_segments:
        ids = sorted({segment.id for segment in source.extra_segments})
        fit.warn(f"claim segments {', '.join(ids)} were not kept: the claim has no box for them")

    # box 24: the lines
    if not source.lines:
        raise fit.refuse("the claim has no service line (LX)")
    lines = [_line(fit, line, number, len(diagnoses)) for number, line in enumerate(source.lines, start=1)]
    dates = [line["date_of_service"] for line in lines if line["date_of_service"]]
    if len(dates) < len(lines):
        raise fit.refuse("a service line has no date of service (DTP*472)")
    values["date_of_service"] = min(dates)
    for line in lines:  # a line on the claim's date leaves its own blank, as the entry page does
        if line["date_of_service"] == values["date_of_service"]:
            line["date_of_service"] = None
    line_total = sum((Decimal(line["charge"]) for line in lines), Decimal(0))
    if source.total_charge != line_total:
        fit.warn(
            f"the total charge {source.total_charge} (CLM02) is not the sum of the lines' charges {line_total}: "
            "the claim's total (box 28) is the lines' sum"
        )
    return IncomingClaim(
        position=position,
        patient_control_number=source.claim_id[:38],
        claim={name: _json(value) for name, value in values.items()},
        patient={name: _json(value) for name, value in patient.items()},
        lines=lines,
        payer=payer,
        secondary_payer=secondary,
        providers=providers,
        warnings=fit.warnings,
    )


def _line(fit: _Fitter, source, number: int, diagnosis_count: int) -> dict[str, Any]:
    where = f"line {number} (LX {source.line_number})"
    line: dict[str, Any] = {"number": number}
    if source.procedure_qualifier not in ("HC", ""):
        fit.warn(f"{where}: procedure code qualifier {source.procedure_qualifier} (SV101-1) read as CPT/HCPCS")
    line["code"] = fit.required(ClaimLine, "code", source.procedure_code.upper(), f"{where} procedure code (SV101-2)")
    modifiers = [modifier.upper() for modifier in source.modifiers if modifier]
    if len(modifiers) > MAX_MODIFIERS:
        fit.warn(f"{where}: modifiers {', '.join(modifiers[MAX_MODIFIERS:])} were not kept: a line holds four")
    line["modifiers"] = modifiers[:MAX_MODIFIERS]
    units = source.units if source.units is not None else Decimal(1)
    line["units"] = _json(fit.decimal(ClaimLine, "units", units, f"{where} units (SV104)", required=True))
    if source.unit_basis == "MJ":
        fit.warn(f"{where}: units are anesthesia minutes (SV103 MJ)")
    line["charge"] = _json(fit.decimal(ClaimLine, "charge", source.charge, f"{where} charge (SV102)", required=True))
    pointers = [pointer for pointer in source.diagnosis_pointers if 1 <= pointer <= diagnosis_count]
    if len(pointers) != len(source.diagnosis_pointers):
        fit.warn(
            f"{where}: diagnosis pointers {source.diagnosis_pointers} (SV107) point past the claim's "
            f"{diagnosis_count} diagnoses; only {pointers} were kept"
        )
    line["dx_pointers"] = "".join(DIAGNOSIS_LETTERS[pointer - 1] for pointer in pointers[:4])
    service = source.service_date
    line["date_of_service"] = service.start.isoformat() if service else None
    if service and service.end and service.end != service.start:
        fit.warn(
            f"{where}: dates of service {service.start:%m/%d/%Y}–{service.end:%m/%d/%Y} (DTP*472 RD8): the line "
            "keeps the first day"
        )
    line["place_of_service"] = fit.text(
        ClaimLine, "place_of_service", source.place_of_service, f"{where} place of service (SV105)"
    )
    notes = [note.text for note in source.notes]
    narrative = " · ".join(filter(None, [source.description, *notes]))
    line["narrative"] = fit.text(ClaimLine, "narrative", narrative, f"{where} note (SV101-7 / NTE)")
    drug = source.drug
    if drug is not None:
        ndc = drug.ndc.replace("-", "")
        if drug.product_qualifier != "N4":
            fit.warn(f"{where}: drug ID '{drug.ndc}' of qualifier {drug.product_qualifier} (LIN02) read as an NDC")
        line["ndc"] = fit.text(ClaimLine, "ndc", ndc, f"{where} NDC (LIN03)")
        if drug.unit and drug.unit not in NDCUnit.values:
            fit.warn(f"{where}: NDC unit '{drug.unit}' (CTP05-1) was not kept: F2, GR, ME, ML or UN")
        line["ndc_unit"] = drug.unit if drug.unit in NDCUnit.values else ""
        if drug.prescription_reference is not None:
            ref = drug.prescription_reference
            fit.warn(f"{where}: the drug's REF*{ref.qualifier} '{ref.value}' (2410) was not kept")
        line["ndc_quantity"] = _json(
            fit.decimal(ClaimLine, "ndc_quantity", drug.quantity, f"{where} NDC quantity (CTP04)", required=False)
        )
    for party in source.providers:
        if party.entity_code not in LINE_PROVIDERS_KEPT:
            fit.warn(
                f"{where}: the line's provider NM1*{party.entity_code} '{party.name}' ({party.npi or 'no NPI'}) "
                "was not kept: the claim names one rendering provider (24J)"
            )
    for reference in source.references:
        fit.warn(f"{where}: the line reference REF*{reference.qualifier} '{reference.value}' was not kept")
    for item in source.dates:
        if item is not service:
            fit.warn(f"{where}: the line date DTP*{item.qualifier} {item.start:%m/%d/%Y} was not kept")
    extra = sorted({segment.id for segment in source.extra_segments} | {s.id for s in source.tail_segments})
    if extra:
        fit.warn(f"{where}: segments {', '.join(extra)} were not kept: the line has no box for them")
    return line
