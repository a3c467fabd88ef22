"""Claims out: a ``claims.Claim`` (every CMS-1500 box) as an 837P ``Claim837``, and the interchange of a
clearinghouse around them (005010X222A1). Pure mapping: no database writes; the service
(``edi.services.interchange_export``) allocates the control numbers and stores the file.

Where each box goes (``claims.cms1500`` lists the same map from the claim's side)::

    1a member ID, 4 insured, 7 address, 11a DOB/sex   2010BA NM1*IL (N3/N4, DMG when the patient is the insured)
    11b other claim ID                                 2010BA REF*Y4 (property and casualty claim number)
    6 relationship                                     2000B SBR02 18 (self), else 2000C PAT01
    2, 3, 5 patient (not the insured)                  2000C/2010CA NM1*QC N3/N4 DMG
    11 group, 11c plan name                            2000B SBR03, SBR04 (only without SBR03, as the guide says)
    payer                                              2010BB NM1*PR (PI payer ID) N3/N4; SBR09 from its type
    9, 9a, 9d, 11d other insurance                     2320 SBR (S) + OI, 2330A NM1*IL (MI), 2330B NM1*PR (PI)
    10a-c related causes, 10b state                    CLM11-1..3 EM/AA/OA, CLM11-4
    14 date of current illness                         DTP*431 or DTP*484; an accident's also DTP*439
    17/17b referring (DN)                              2310A NM1*DN; ordering (DK): 2420E NM1*DK on each line
    19 additional information                          NTE*ADD
    22 resubmission code, original reference           CLM05-3, REF*F8
    23 prior authorisation                             REF*G1
    24 lines                                           LX SV1 (modifiers, units, pointers 1-12) DTP*472,
                                                       NTE*ADD narrative, 2410 LIN*N4 CTP (NDC unit, quantity)
    24J rendering (when not the billing NPI)           2310B NM1*82 (name from the practice's providers)
    26 patient account number                          CLM01 (the claim number when blank)
    28 total charge                                    CLM02
    32, 32a service facility                           2310C NM1*77 N3/N4
    33, 33a billing provider, 25 tax ID                2010AA NM1*85 N3/N4 REF*EI PER*IC*TE

The patient's phone (box 5) has no place in the 837P (2010CA PER is for property and casualty claims only).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from claims.choices import ClaimFrequency, PayerType, ProviderKind, ReferringQualifier, Relationship
from claims.models import DIAGNOSIS_LETTERS, Claim, Provider

from .records import (
    ACCIDENT,
    ORDERING_PROVIDER,
    ORIGINAL_REFERENCE,
    PRIOR_AUTHORIZATION,
    REFERRING_PROVIDER,
    RENDERING_PROVIDER,
    SERVICE_DATE,
    SERVICE_FACILITY,
    Address,
    Claim837,
    ClaimDate,
    Contact,
    Coverage,
    Diagnosis,
    Drug,
    Interchange837,
    Note,
    OtherCoverage,
    Party,
    Patient,
    Reference,
    ServiceLine,
    Subscriber,
    Transaction837,
)

CLM01_MAX = 38
# SBR09 claim filing indicator by payer type: Medicare Part B, Medicaid, commercial insurance.
CLAIM_FILING_INDICATOR = {PayerType.MEDICARE: "MB", PayerType.MEDICAID: "MC", PayerType.COMMERCIAL: "CI"}
PROPERTY_CASUALTY_CLAIM_NUMBER = "Y4"
ACCIDENT_CAUSES = ("AA", "OA")
# X12 has no escape: free text (names, addresses, notes) loses its separator characters; IDs are refused.
_SEPARATORS = re.compile(r"[*:^~\r\n\t]+")
_SPACES = re.compile(r" {2,}")
_CREDENTIALS = re.compile(r"^(MD|DO|NP|PA|PA-C|RN|APRN|FNP|DPM|DC|OD|PHD|DDS|LCSW|CRNA|MBBS|JR|SR|II|III)\.?$", re.I)


# Letters that do not decompose into a base letter and accents, and typographic punctuation, as ASCII.
_ASCII_FOR = str.maketrans({
    "ß": "ss", "Æ": "AE", "æ": "ae", "Ø": "O", "ø": "o", "Œ": "OE", "œ": "oe", "Ł": "L", "ł": "l", "Đ": "D",
    "đ": "d", "Þ": "TH", "þ": "th", "ı": "i", "‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-",
})  # fmt: skip


def ascii_text(value: str) -> str:
    """The text in the characters an X12 file carries (ASCII): accents dropped (Peña -> Pena, José -> Jose),
    ß -> ss, curly quotes and dashes made plain; any other character that has no ASCII form is left out."""
    if value.isascii():
        return value
    plain = unicodedata.normalize("NFKD", value.translate(_ASCII_FOR))
    return plain.encode("ascii", "ignore").decode("ascii")


def text(value: str) -> str:
    """Free text as an X12 element: in ASCII (``ascii_text``); separators and line breaks become spaces."""
    return _SPACES.sub(" ", _SEPARATORS.sub(" ", ascii_text(value or ""))).strip()


def has_separator(value: str) -> bool:
    return bool(value and _SEPARATORS.search(value))


def has_non_ascii(value: str) -> bool:
    return bool(value) and not value.isascii()


def person_name(name: str) -> tuple[str, str]:
    """(last, first) of a provider as the practice keys them: "Dr. Ana Lopez, MD", "Lopez, Ana", "Ana Lopez"."""
    name = re.sub(r"^\s*dr\.?\s+", "", name or "", flags=re.I)
    parts = [part.strip() for part in name.split(",") if part.strip() and not _CREDENTIALS.match(part.strip())]
    if len(parts) >= 2:
        return text(parts[0]), text(parts[1])
    words = [word for word in (parts[0] if parts else "").split() if not _CREDENTIALS.match(word)]
    if len(words) < 2:
        return text(" ".join(words)), ""
    return text(words[-1]), text(" ".join(words[:-1]))


def code_without_dot(code: str) -> str:
    return code.replace(".", "").strip().upper()


def address(line1: str, line2: str, city: str, state: str, zip_code: str) -> Address | None:
    if not (line1 or city or state or zip_code):
        return None
    return Address(text(line1), text(line2), text(city), state, zip_code)


def _claim_address(claim: Claim, prefix: str) -> Address | None:
    return address(*(getattr(claim, f"{prefix}_{part}") for part in Provider.ADDRESS_FIELDS))


def patient_control_number(claim: Claim) -> str:
    """CLM01: the patient's account number (box 26), or the claim number when none was entered."""
    return (claim.patient_account_number or claim.number)[:CLM01_MAX]


@dataclass
class Context:
    """What a claim's mapping reads beyond the claim: the practice's providers by NPI."""

    providers: dict[str, Provider]


# ---- checks before mapping ----------------------------------------------------------------------------
def export_problems(claim: Claim, context: Context) -> list[str]:
    """What keeps this claim from a valid 837P, in the billing team's words (never a patient's data)."""
    problems = []
    if not claim.is_exportable:
        problems.append(f"it is {claim.get_status_display().lower()}, not ready or approved")
    if not claim.payer.payer_id:
        problems.append(f"payer {claim.payer.name} has no electronic payer ID (admin: payers)")
    if claim.has_other_plan:
        if claim.secondary_payer is None:
            problems.append("another plan (11d) without the other payer (9d)")
        elif not claim.secondary_payer.payer_id:
            problems.append(f"other payer {claim.secondary_payer.name} has no electronic payer ID (admin: payers)")
    if not (claim.billing_name and claim.billing_address_line1 and claim.billing_city and claim.billing_state
            and claim.billing_zip_code):
        problems.append("billing provider name and address (33) incomplete")
    rendering = claim.rendering_npi
    if rendering and rendering != claim.billing_npi and rendering not in context.providers:
        problems.append(
            f"rendering NPI {claim.rendering_npi} is not one of the practice's providers: add them under Providers "
            "(admin), as the 837P names the rendering provider"
        )
    if not (claim.patient_address_line1 and claim.patient_city and claim.patient_state and claim.patient_zip_code):
        problems.append("patient's address (5) incomplete")
    if not (claim.patient_dob and claim.patient_sex):
        problems.append("patient's date of birth and sex (3) missing")
    if not claim.insured_is_patient and not (claim.insured_last_name and claim.insured_first_name):
        problems.append("insured's name (4) missing: the patient is not the insured (6)")
    if not claim.diagnoses:
        problems.append("no diagnosis (21)")
    if claim.facility_name and not (claim.facility_address_line1 and claim.facility_city and claim.facility_state
                                    and claim.facility_zip_code):
        problems.append("service facility address (32) incomplete")
    # 005010X222A1 asks the full nine-digit ZIP code (ZIP+4) of the billing provider and the service facility.
    if claim.billing_zip_code and len(claim.billing_zip_code) != 9:
        problems.append("billing provider ZIP code (33) needs all nine digits (ZIP+4) in an 837P")
    if claim.facility_name and claim.facility_zip_code and len(claim.facility_zip_code) != 9:
        problems.append("service facility ZIP code (32) needs all nine digits (ZIP+4) in an 837P")
    if set(claim.related_causes) & set(ACCIDENT_CAUSES) and not claim.current_illness_date:
        problems.append("an accident (10b/10c) needs the date of injury (14), sent as the accident date")
    if claim.frequency_code in (ClaimFrequency.REPLACEMENT, ClaimFrequency.VOID) and not claim.original_reference:
        problems.append("a replacement or void (22) needs the original reference number")
    for label, value in (
        ("member ID (1a)", claim.member_id),
        ("prior authorisation (23)", claim.prior_auth_number),
        ("original reference (22)", claim.original_reference),
        ("patient account number (26)", claim.patient_account_number),
        ("other claim ID (11b)", claim.other_claim_id),
        ("policy group (11)", claim.insured_group_number),
        ("other insured's member ID (9)", claim.other_insured_member_id),
        ("other insured's group (9a)", claim.other_insured_group_number),
    ):
        if has_separator(value):
            problems.append(f"{label} holds one of * : ^ ~, which an 837P cannot carry: correct it on the claim")
        if has_non_ascii(value):
            problems.append(
                f"{label} holds an accented letter or symbol an 837P cannot carry: correct it on the claim"
            )
    lines = list(claim.lines.all())
    if not lines:
        problems.append("no service line (24)")
    for line in lines:
        if line.ndc and (line.ndc_quantity is None or not line.ndc_unit):
            problems.append(f"line {line.number}: an NDC needs its unit and quantity")
    return problems


# ---- claim ----------------------------------------------------------------------------------------------
def billing_provider(claim: Claim, context: Context) -> Party:
    """2010AA (box 33, 33a NPI, 25 tax ID); a clinician billing under their own name is a person."""
    provider = context.providers.get(claim.billing_npi)
    is_person = provider is not None and provider.kind == ProviderKind.CLINICIAN
    last, first = person_name(claim.billing_name) if is_person else (text(claim.billing_name), "")
    contacts = [Contact(text(claim.billing_name), [("TE", claim.billing_phone)])] if claim.billing_phone else []
    return Party(
        "85", last_name=last, first_name=first, is_person=is_person, id_qualifier="XX", identifier=claim.billing_npi,
        address=_claim_address(claim, "billing"), references=[Reference("EI", claim.group_tin)], contacts=contacts,
    )


def subscriber(claim: Claim) -> Subscriber:
    """2000B/2010BA/2010BB: the insured's policy, the insured (box 1a, 4, 7, 11, 11a-c) and the payer."""
    self_insured = claim.insured_is_patient
    group_number = text(claim.insured_group_number)
    coverage = Coverage(
        payer_responsibility="P",
        relationship=Relationship.SELF if self_insured else "",
        group_number=group_number,
        group_name="" if group_number else text(claim.insured_plan_name),
        claim_filing_indicator=CLAIM_FILING_INDICATOR.get(claim.payer.payer_type, "CI"),
    )
    if self_insured:
        last, first = claim.patient_last_name, claim.patient_first_name
        birth, sex = claim.patient_dob, claim.patient_sex
        where = _claim_address(claim, "patient") or _claim_address(claim, "insured")
    else:
        last, first = claim.insured_last_name or claim.patient_last_name, claim.insured_first_name
        birth, sex = claim.insured_dob, claim.insured_sex
        where = _claim_address(claim, "insured")
    references = [Reference(PROPERTY_CASUALTY_CLAIM_NUMBER, claim.other_claim_id)] if claim.other_claim_id else []
    insured = Party(
        "IL", last_name=text(last), first_name=text(first), is_person=True, id_qualifier="MI",
        identifier=claim.member_id, address=where, birth_date=birth, sex=sex or "", references=references,
    )
    payer = claim.payer
    return Subscriber(
        coverage=coverage,
        insured=insured,
        payer=Party("PR", last_name=text(payer.name), id_qualifier="PI", identifier=payer.payer_id,
                    address=address(payer.address_line1, payer.address_line2, payer.city, payer.state,
                                    payer.zip_code)),
    )


def patient(claim: Claim) -> Patient | None:
    """2000C/2010CA, only when the patient is not the insured (PAT01 carries box 6)."""
    if claim.insured_is_patient:
        return None
    return Patient(
        claim.patient_relationship,
        Party("QC", last_name=text(claim.patient_last_name), first_name=text(claim.patient_first_name),
              is_person=True, address=_claim_address(claim, "patient"), birth_date=claim.patient_dob,
              sex=claim.patient_sex),
    )


def other_coverage(claim: Claim) -> list[OtherCoverage]:
    """2320/2330A/2330B: the other plan of box 11d (9, 9a, 9d), secondary to this claim's payer."""
    if not claim.has_other_plan or claim.secondary_payer is None:
        return []
    other_payer = claim.secondary_payer
    same_person = (claim.other_insured_last_name.lower(), claim.other_insured_first_name.lower()) == (
        claim.patient_last_name.lower(), claim.patient_first_name.lower())
    group_number = text(claim.other_insured_group_number)
    return [
        OtherCoverage(
            coverage=Coverage(
                payer_responsibility="S",
                relationship=Relationship.SELF if same_person else Relationship.OTHER,
                group_number=group_number,
                group_name="" if group_number else text(claim.other_insured_plan_name),
                claim_filing_indicator=CLAIM_FILING_INDICATOR.get(other_payer.payer_type, "CI"),
            ),
            benefits_assignment="Y",
            release_of_information="Y",
            insured=Party("IL", last_name=text(claim.other_insured_last_name),
                          first_name=text(claim.other_insured_first_name), is_person=True, id_qualifier="MI",
                          identifier=claim.other_insured_member_id),
            payer=Party("PR", last_name=text(other_payer.name), id_qualifier="PI", identifier=other_payer.payer_id),
        )
    ]


def _referring(claim: Claim, entity_code: str) -> Party:
    return Party(entity_code, last_name=text(claim.referring_last_name), first_name=text(claim.referring_first_name),
                 is_person=True, id_qualifier="XX", identifier=claim.referring_npi)


def claim_providers(claim: Claim, context: Context) -> list[Party]:
    """2310A referring (DN), 2310B rendering (when not the billing NPI), 2310C service facility."""
    parties = []
    if claim.referring_qualifier == ReferringQualifier.REFERRING and claim.referring_npi:
        parties.append(_referring(claim, REFERRING_PROVIDER))
    if claim.rendering_npi and claim.rendering_npi != claim.billing_npi:
        provider = context.providers.get(claim.rendering_npi)
        if provider is not None and provider.kind == ProviderKind.ORGANISATION:
            last, first, is_person = text(provider.name), "", False
        else:
            (last, first), is_person = person_name(provider.name if provider else ""), True
        parties.append(Party(RENDERING_PROVIDER, last_name=last, first_name=first, is_person=is_person,
                             id_qualifier="XX", identifier=claim.rendering_npi))
    if claim.facility_name:
        parties.append(Party(SERVICE_FACILITY, last_name=text(claim.facility_name),
                             id_qualifier="XX" if claim.facility_npi else "", identifier=claim.facility_npi,
                             address=_claim_address(claim, "facility")))
    return parties


def claim_dates(claim: Claim) -> list[ClaimDate]:
    """Box 14 (431 onset or 484 last menstrual period); for an accident (10b/10c) that date is the injury's,
    sent as the accident date (DTP*439) too, which the 837P requires with CLM11 AA or OA."""
    dates = []
    if claim.current_illness_date and claim.current_illness_qualifier:
        dates.append(ClaimDate(claim.current_illness_qualifier, claim.current_illness_date))
    if claim.current_illness_date and set(claim.related_causes) & set(ACCIDENT_CAUSES):
        dates.append(ClaimDate(ACCIDENT, claim.current_illness_date))
    return dates


def service_lines(claim: Claim) -> list[ServiceLine]:
    ordered = claim.referring_qualifier == ReferringQualifier.ORDERING
    ordering = _referring(claim, ORDERING_PROVIDER) if ordered else None
    lines = []
    for position, line in enumerate(claim.lines.all(), start=1):
        pointers = [DIAGNOSIS_LETTERS.index(letter) + 1 for letter in line.dx_pointers.upper()
                    if letter in DIAGNOSIS_LETTERS]
        place = line.place_of_service if line.place_of_service not in ("", claim.place_of_service) else ""
        drug = None
        if line.ndc:
            drug = Drug(line.ndc, line.ndc_quantity, line.ndc_unit)
        lines.append(
            ServiceLine(
                line_number=position,
                procedure_code=line.code.upper(),
                charge=line.charge,
                units=line.units,
                modifiers=[modifier.upper() for modifier in line.modifiers if modifier],
                place_of_service=place,
                diagnosis_pointers=pointers,
                dates=[ClaimDate(SERVICE_DATE, line.date_of_service or claim.date_of_service)],
                notes=[Note("ADD", text(line.narrative))] if text(line.narrative) else [],
                drug=drug,
                providers=[ordering] if ordering else [],
            )
        )
    return lines


def claim_record(claim: Claim, context: Context) -> Claim837:
    """The claim as an 837P 2300 loop with everything above and below it. ``claim.lines`` may be prefetched;
    ``claim.payer`` and ``claim.secondary_payer`` are read (select them related)."""
    diagnoses = [code_without_dot(code) for code in claim.diagnoses if code]
    references = []
    if claim.frequency_code in (ClaimFrequency.REPLACEMENT, ClaimFrequency.VOID) and claim.original_reference:
        references.append(Reference(ORIGINAL_REFERENCE, claim.original_reference))
    if claim.prior_auth_number:
        references.append(Reference(PRIOR_AUTHORIZATION, claim.prior_auth_number))
    info = text(claim.additional_info)
    causes = claim.related_causes
    return Claim837(
        billing_provider=billing_provider(claim, context),
        subscriber=subscriber(claim),
        patient=patient(claim),
        claim_id=patient_control_number(claim),
        total_charge=sum((line.charge for line in claim.lines.all()), Decimal("0")),
        place_of_service=claim.place_of_service,
        frequency_code=claim.frequency_code or ClaimFrequency.ORIGINAL,
        related_causes=causes,
        accident_state=claim.auto_accident_state if "AA" in causes else "",
        dates=claim_dates(claim),
        references=references,
        notes=[Note("ADD", info)] if info else [],
        diagnoses=[Diagnosis("ABK" if index == 0 else "ABF", code) for index, code in enumerate(diagnoses)],
        providers=claim_providers(claim, context),
        other_coverage=other_coverage(claim),
        lines=service_lines(claim),
    )


# ---- interchange ----------------------------------------------------------------------------------------
def interchange_record(
    *, records: list[Claim837], clearinghouse, control_number: int, group_control_number: int, created: datetime
) -> Interchange837:
    """One interchange, one group, one transaction set (ST02 and BHT03 from the control numbers) for a
    clearinghouse's settings. Claims are sorted by billing provider and subscriber by the caller or not at all
    (the writer gives adjacent equal ones one HL)."""
    contact_numbers = [(kind, value) for kind, value in (("TE", clearinghouse.contact_phone),
                                                        ("EM", clearinghouse.contact_email)) if value]
    transaction = Transaction837(
        control_number=f"{group_control_number:04d}"[-9:],
        submitter=Party("41", last_name=text(clearinghouse.submitter_name), id_qualifier="46",
                        identifier=clearinghouse.submitter_etin,
                        contacts=[Contact(text(clearinghouse.contact_name), contact_numbers)]),
        receiver=Party("40", last_name=text(clearinghouse.receiver_name), id_qualifier="46",
                       identifier=clearinghouse.receiver_etin),
        reference=f"{control_number:09d}",
        created=created.replace(microsecond=0),
        claims=records,
    )
    return Interchange837(
        sender_id=clearinghouse.sender_id,
        receiver_id=clearinghouse.receiver_id,
        sender_qualifier=clearinghouse.sender_qualifier,
        receiver_qualifier=clearinghouse.receiver_qualifier,
        application_sender=clearinghouse.application_sender,
        application_receiver=clearinghouse.application_receiver,
        control_number=control_number,
        group_control_number=group_control_number,
        created=created.replace(second=0, microsecond=0),
        usage=clearinghouse.usage,
        acknowledgment_requested="1" if clearinghouse.acknowledgment_requested else "0",
        transactions=[transaction],
    )
