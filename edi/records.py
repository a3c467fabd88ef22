"""Plain dataclasses for 837P professional claims, independent of the Django models.

One ``Claim837`` is one CMS-1500: it carries its billing provider, subscriber, payer and patient
(the HL hierarchy of the 837P is flattened, as on the paper form). The reader shares one object
between the claims of the same billing provider / subscriber, the writer groups equal ones back
under one HL.

    Interchange837                 ISA/GS envelope values
      transactions: Transaction837 ST/BHT + submitter (1000A) + receiver (1000B)
        claims: Claim837           2300 CLM and everything above it:
          billing_provider         2000A/2010AA, pay_to 2010AB
          subscriber: Subscriber   2000B SBR + 2010BA insured + 2010BB payer
          patient: Patient | None  2000C/2010CA, only when the patient is not the subscriber
          providers                2310A referring, 2310B rendering, 2310C service facility, 2310D...
          other_coverage           2320/2330 other subscriber and payer (coordination of benefits)
          lines: ServiceLine       2400 LX/SV1, 2410 drug (LIN/CTP), 2420 line providers

Segments that are not mapped are kept as ``RawSegment`` (ID and elements split into components)
on the loop they came from, and written back in their place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

# NM101 entity codes of the parties on a claim (2310 loops and 2420 line loops)
REFERRING_PROVIDER = "DN"
PRIMARY_CARE_PROVIDER = "P3"
RENDERING_PROVIDER = "82"
SERVICE_FACILITY = "77"
SUPERVISING_PROVIDER = "DQ"
ORDERING_PROVIDER = "DK"
PURCHASED_SERVICE_PROVIDER = "QB"

# DTP01 date qualifiers (box 14, 16, 18 and the service date)
ONSET_OF_CURRENT_ILLNESS = "431"
LAST_MENSTRUAL_PERIOD = "484"
INITIAL_TREATMENT = "454"
LAST_SEEN = "304"
ACCIDENT = "439"
DISABILITY_FROM = "360"
DISABILITY_TO = "361"
ADMISSION = "435"
DISCHARGE = "096"
SERVICE_DATE = "472"

# REF01 reference qualifiers on the claim
PRIOR_AUTHORIZATION = "G1"
ORIGINAL_REFERENCE = "F8"  # payer claim control number of the claim being replaced (frequency 7) or voided (8)
REFERRAL_NUMBER = "9F"
MEDICAL_RECORD_NUMBER = "EA"
CLEARINGHOUSE_TRACE = "D9"

# HI01-1 qualifiers of diagnoses: principal and other, ICD-10-CM and (legacy) ICD-9-CM
PRINCIPAL_DIAGNOSIS_QUALIFIERS = ("ABK", "BK")
OTHER_DIAGNOSIS_QUALIFIERS = ("ABF", "BF")
DIAGNOSIS_QUALIFIERS = PRINCIPAL_DIAGNOSIS_QUALIFIERS + OTHER_DIAGNOSIS_QUALIFIERS


@dataclass
class RawSegment:
    """A segment kept as read: its ID and each element's components (so separators can change)."""

    id: str
    elements: tuple[tuple[str, ...], ...] = ()


@dataclass
class Address:
    """N3/N4."""

    line1: str = ""
    line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country_code: str = ""
    country_subdivision: str = ""


@dataclass
class Contact:
    """PER: a contact name and its numbers as (qualifier, number): TE phone, EX extension, FX fax, EM e-mail."""

    name: str = ""
    numbers: list[tuple[str, str]] = field(default_factory=list)
    function_code: str = "IC"

    def number(self, qualifier: str) -> str:
        return next((value for kind, value in self.numbers if kind == qualifier), "")


@dataclass
class Reference:
    """REF: qualifier (EI tax ID, SY SSN, G2 provider commercial number, G1 prior authorization...) and value."""

    qualifier: str
    value: str


@dataclass
class Party:
    """An NM1 loop: a person or organisation with its identifier, address, references, contacts and taxonomy."""

    entity_code: str  # NM101: 85 billing provider, IL insured, PR payer, QC patient, DN referring...
    last_name: str = ""  # or the organisation's name
    first_name: str = ""
    middle_name: str = ""
    suffix: str = ""
    is_person: bool = False  # NM102 1 person, 2 organisation
    id_qualifier: str = ""  # NM108: XX NPI, 46 ETIN, MI member ID, PI payer ID, XV CMS plan ID
    identifier: str = ""  # NM109
    address: Address | None = None
    birth_date: date | None = None  # DMG, for the insured and the patient
    sex: str = ""
    references: list[Reference] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    taxonomy_code: str = ""  # PRV03 (healthcare provider taxonomy)
    taxonomy_role: str = ""  # PRV01: BI billing, PE performing, PT pay-to...
    extra_segments: list[RawSegment] = field(default_factory=list)

    @property
    def npi(self) -> str:
        return self.identifier if self.id_qualifier == "XX" else ""

    @property
    def name(self) -> str:
        if not self.is_person:
            return self.last_name
        return " ".join(part for part in (self.first_name, self.middle_name, self.last_name, self.suffix) if part)

    def reference(self, qualifier: str) -> str:
        return next((ref.value for ref in self.references if ref.qualifier == qualifier), "")

    @property
    def tax_id(self) -> str:
        """Employer's identification number (EI) or social security number (SY) of a billing provider."""
        return self.reference("EI") or self.reference("SY")

    @property
    def phone(self) -> str:
        return next((contact.number("TE") for contact in self.contacts if contact.number("TE")), "")


@dataclass
class Coverage:
    """SBR: the insured's policy, on 2000B (this payer) and on 2320 (other payers)."""

    payer_responsibility: str = "P"  # SBR01 P primary, S secondary, T tertiary...
    relationship: str = ""  # SBR02 patient's relationship to insured: 18 self, 01 spouse, 19 child, G8 other
    group_number: str = ""  # SBR03 insured's policy group or FECA number (box 11)
    group_name: str = ""  # SBR04 plan name (box 11c / 9d)
    insurance_type: str = ""  # SBR05, Medicare secondary payer type
    claim_filing_indicator: str = ""  # SBR09: MB Medicare B, MC Medicaid, CI commercial, BL, HM, 12...


@dataclass
class Subscriber:
    """2000B: the insured with their policy (box 1a, 4, 7, 11) and the payer (2010BB)."""

    coverage: Coverage
    insured: Party  # 2010BA NM1*IL with DMG
    payer: Party  # 2010BB NM1*PR
    extra_segments: list[RawSegment] = field(default_factory=list)  # e.g. PAT (death date, weight) in 2000B

    @property
    def member_id(self) -> str:
        return self.insured.identifier


@dataclass
class Patient:
    """2000C/2010CA: the patient when not the insured (box 2, 3, 5, 6)."""

    relationship: str  # PAT01: 01 spouse, 19 child, 20 employee, 21 unknown, 39 organ donor, 53 partner, G8 other
    person: Party
    extra_segments: list[RawSegment] = field(default_factory=list)


@dataclass
class ClaimDate:
    """DTP: a date or a range (RD8) with its qualifier (431 onset, 484 last menstrual period, 472 service...)."""

    qualifier: str
    start: date
    end: date | None = None  # set for RD8 ranges, even a one-day range


@dataclass
class Diagnosis:
    """One HI composite: qualifier (ABK principal / ABF other ICD-10-CM; BK / BF ICD-9-CM) and code without dot."""

    qualifier: str
    code: str


@dataclass
class Note:
    """NTE: ADD additional information (box 19), CER certification narrative, DCP goals..."""

    code: str
    text: str


@dataclass
class Adjustment:
    """One reason in a CAS: group code (CO, PR, OA, PI, CR), reason code, amount and optional quantity."""

    group_code: str
    reason_code: str
    amount: Decimal
    quantity: Decimal | None = None


@dataclass
class Amount:
    """AMT: D payer paid, A8 noncovered, EAF remaining patient liability, F5 patient paid, T tax..."""

    qualifier: str
    amount: Decimal


@dataclass
class OtherCoverage:
    """2320/2330: another payer of this claim for coordination of benefits (box 9, 9a, 9d, 11d)."""

    coverage: Coverage
    adjustments: list[Adjustment] = field(default_factory=list)  # claim-level CAS from that payer
    amounts: list[Amount] = field(default_factory=list)
    benefits_assignment: str = ""  # OI03 Y/N/W
    patient_signature_source: str = ""  # OI04
    release_of_information: str = ""  # OI06 I/Y
    insured: Party | None = None  # 2330A NM1*IL
    payer: Party | None = None  # 2330B NM1*PR
    payer_parties: list[Party] = field(default_factory=list)  # 2330C-G the other payer's provider IDs
    extra_segments: list[RawSegment] = field(default_factory=list)  # MOA, MIA...

    def amount(self, qualifier: str) -> Decimal | None:
        return next((item.amount for item in self.amounts if item.qualifier == qualifier), None)

    @property
    def payer_paid_amount(self) -> Decimal | None:
        return self.amount("D")


@dataclass
class Drug:
    """2410: the drug given on a line: NDC (LIN03, qualifier N4), quantity (CTP04) and unit (CTP05-1: UN, ML, GR...)."""

    ndc: str
    quantity: Decimal | None = None
    unit: str = ""
    product_qualifier: str = "N4"
    prescription_reference: Reference | None = None  # REF XZ prescription number / VY link sequence number


@dataclass
class ServiceLine:
    """2400: one line of box 24 (LX/SV1) with its dates, references, notes, drug and line providers."""

    line_number: int
    procedure_code: str
    charge: Decimal
    units: Decimal | None = None
    unit_basis: str = "UN"  # SV103 UN units, MJ anesthesia minutes
    procedure_qualifier: str = "HC"  # SV101-1 HC CPT/HCPCS, ER jurisdiction specific, WK ABC codes
    modifiers: list[str] = field(default_factory=list)  # SV101-3..6
    description: str = ""  # SV101-7 (not-otherwise-classified codes)
    place_of_service: str = ""  # SV105, only when it differs from the claim's
    diagnosis_pointers: list[int] = field(default_factory=list)  # SV107, 1-based into Claim837.diagnoses
    emergency: str = ""  # SV109 Y
    epsdt: str = ""  # SV111 Y
    family_planning: str = ""  # SV112 Y
    copay_exempt: str = ""  # SV115 0
    dates: list[ClaimDate] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)  # 6R line item control number, G1, 9B...
    notes: list[Note] = field(default_factory=list)
    drug: Drug | None = None
    providers: list[Party] = field(default_factory=list)  # 2420A-H (82, QB, DQ, DK ordering, DN, PE...)
    extra_segments: list[RawSegment] = field(default_factory=list)  # PWK, CR1, CR3, QTY, MEA, AMT, HCP...
    tail_segments: list[RawSegment] = field(default_factory=list)  # 2430 adjudication, 2440 form (in order)

    @property
    def service_date(self) -> ClaimDate | None:
        return next((item for item in self.dates if item.qualifier == SERVICE_DATE), None)

    def reference(self, qualifier: str) -> str:
        return next((ref.value for ref in self.references if ref.qualifier == qualifier), "")


@dataclass
class Claim837:
    """2300 and above: one CMS-1500."""

    billing_provider: Party  # 2010AA (box 33, 25 tax ID), taxonomy from the 2000A PRV
    subscriber: Subscriber  # 2000B
    claim_id: str  # CLM01 patient control number (box 26)
    total_charge: Decimal  # CLM02 (box 28)
    place_of_service: str  # CLM05-1 (box 24B when the lines do not override it)
    frequency_code: str = "1"  # CLM05-3: 1 original, 7 replacement, 8 void (box 22)
    facility_code_qualifier: str = "B"  # CLM05-2
    provider_signature_on_file: str = "Y"  # CLM06 (box 31)
    assignment_participation: str = "A"  # CLM07 A assigned, B lab services only, C not assigned (box 27)
    benefits_assignment: str = "Y"  # CLM08 Y/N/W (box 13)
    release_of_information: str = "Y"  # CLM09 I/Y (box 12)
    patient_signature_source: str = ""  # CLM10 P
    related_causes: list[str] = field(default_factory=list)  # CLM11-1..3: EM employment, AA auto, OA other (10a-c)
    accident_state: str = ""  # CLM11-4 (box 10b state)
    accident_country: str = ""  # CLM11-5
    special_program: str = ""  # CLM12
    delay_reason: str = ""  # CLM20
    pay_to: Party | None = None  # 2010AB
    pay_to_plan: Party | None = None  # 2010AC
    patient: Patient | None = None  # 2000C, None when the insured is the patient
    dates: list[ClaimDate] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    diagnoses: list[Diagnosis] = field(default_factory=list)
    providers: list[Party] = field(default_factory=list)  # 2310A-F
    other_coverage: list[OtherCoverage] = field(default_factory=list)
    lines: list[ServiceLine] = field(default_factory=list)
    extra_segments: list[RawSegment] = field(default_factory=list)  # PWK, CN1, AMT, K3, CR1, CR2, CRC, HCP...

    def date(self, qualifier: str) -> ClaimDate | None:
        return next((item for item in self.dates if item.qualifier == qualifier), None)

    def reference(self, qualifier: str) -> str:
        return next((ref.value for ref in self.references if ref.qualifier == qualifier), "")

    def provider(self, entity_code: str) -> Party | None:
        return next((party for party in self.providers if party.entity_code == entity_code), None)

    @property
    def prior_authorization(self) -> str:
        return self.reference(PRIOR_AUTHORIZATION)

    @property
    def original_reference(self) -> str:
        return self.reference(ORIGINAL_REFERENCE)

    @property
    def referring_provider(self) -> Party | None:
        return self.provider(REFERRING_PROVIDER) or self.provider(PRIMARY_CARE_PROVIDER)

    @property
    def rendering_provider(self) -> Party | None:
        return self.provider(RENDERING_PROVIDER)

    @property
    def service_facility(self) -> Party | None:
        return self.provider(SERVICE_FACILITY)

    @property
    def patient_person(self) -> Party:
        """The patient: 2010CA when present, else the insured."""
        return self.patient.person if self.patient else self.subscriber.insured


@dataclass
class Transaction837:
    """ST/BHT and the 1000A submitter / 1000B receiver of one transaction set, with its claims."""

    control_number: str  # ST02
    submitter: Party
    receiver: Party
    reference: str  # BHT03 originator's batch reference
    created: datetime  # BHT04/BHT05
    version: str = "005010X222A1"  # ST03
    purpose: str = "00"  # BHT02 00 original, 18 reissue
    claim_or_encounter: str = "CH"  # BHT06 CH chargeable, RP reporting (encounters)
    claims: list[Claim837] = field(default_factory=list)


@dataclass
class Interchange837:
    """ISA/GS values of an interchange and its transaction sets (one group: 837P files carry one)."""

    sender_id: str
    receiver_id: str
    control_number: int  # ISA13
    group_control_number: int  # GS06
    created: datetime  # ISA09/ISA10, GS04/GS05
    sender_qualifier: str = "ZZ"  # ISA05
    receiver_qualifier: str = "ZZ"  # ISA07
    application_sender: str = ""  # GS02
    application_receiver: str = ""  # GS03
    usage: str = "P"  # ISA15 P production, T test
    acknowledgment_requested: str = "0"  # ISA14
    transactions: list[Transaction837] = field(default_factory=list)

    @property
    def claims(self) -> list[Claim837]:
        return [claim for transaction in self.transactions for claim in transaction.claims]
