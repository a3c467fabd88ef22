"""Reading 837P professional claims (005010X222A1 and A2) into the dataclasses of edi.records.

The transaction set is walked segment by segment (edi.x12 checks the envelopes), keeping track
of the loop the current segment belongs to::

    ST, BHT                            header
      NM1*41 PER                       1000A submitter
      NM1*40                           1000B receiver
      HL*n**20 PRV                     2000A billing provider level
        NM1*85 N3 N4 REF PER           2010AA billing provider; NM1*87 2010AB pay-to; NM1*PE 2010AC pay-to plan
        HL*n*p*22 SBR PAT              2000B subscriber level
          NM1*IL N3 N4 DMG REF PER     2010BA insured
          NM1*PR N3 N4 REF             2010BB payer
          HL*n*p*23 PAT                2000C patient level (only when the patient is not the insured)
            NM1*QC N3 N4 DMG REF PER   2010CA patient
          CLM DTP PWK CN1 AMT REF K3 NTE CR1 CR2 CRC HI HCP      2300 claim
            NM1 (DN P3 82 77 DQ PW 45 ...) PRV N3 N4 REF PER    2310A-F claim providers and places
            SBR CAS AMT OI MOA                                  2320 other subscriber (COB)
              NM1*IL / NM1*PR / NM1*DN... N3 N4 DTP REF          2330A-G
            LX SV1 PWK CR1 CR3 CRC DTP QTY MEA CN1 REF AMT K3 NTE PS1 HCP   2400 service line
              LIN CTP REF                                       2410 drug (NDC)
              NM1 PRV N3 N4 REF PER                             2420A-H line providers
              SVD CAS DTP AMT / LQ FRM                          2430 adjudication, 2440 form (kept raw)
    SE

The N3, N4, DMG, REF, PER and PRV that follow an NM1 belong to it (and DTP in 2330). A claim is
complete at the next CLM, HL or SE, so ``Reader837.claims()`` yields claims one at a time and
memory stays small however many claims a file carries. Segments that are not mapped are kept as
``RawSegment`` on the claim, line, subscriber or party they came with.

Problems raise ``edi.x12.X12Error`` with the segment number, ID and what is wrong.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TextIO

from .records import (
    DIAGNOSIS_QUALIFIERS,
    Address,
    Adjustment,
    Amount,
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
    RawSegment,
    Reference,
    ServiceLine,
    Subscriber,
    Transaction837,
)
from .x12 import Segment, X12Error, reader_for

__all__ = ["Reader837", "X12Error", "read_837p", "SUPPORTED_837P_VERSIONS"]

SUPPORTED_837P_VERSIONS = ("005010X222A1", "005010X222A2")
PARTY_DETAIL_SEGMENTS = frozenset({"N3", "N4", "DMG", "REF", "PER", "PRV"})
CLAIM_LOOPS = ("2300", "2310")
OTHER_COVERAGE_LOOPS = ("2320", "2330")
LINE_LOOPS = ("2400", "2410", "2420")
LINE_TAIL_LOOPS = ("2430", "2440")


# ---- element conversions ------------------------------------------------------------------
def parse_amount(segment: Segment, position: int, *, required: bool = True) -> Decimal | None:
    text = segment[position]
    if not text:
        if required:
            raise segment.error(f"{segment.id}{position:02d} amount missing")
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise segment.error(f"{segment.id}{position:02d} {text[:20]!r} is not a number") from None
    if not value.is_finite():
        raise segment.error(f"{segment.id}{position:02d} {text[:20]!r} is not a number")
    return value


def parse_date(segment: Segment, text: str, what: str) -> date:
    try:
        if len(text) != 8 or not text.isdigit():
            raise ValueError
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise segment.error(f"{what} {text[:20]!r} is not a date CCYYMMDD") from None


def parse_time(segment: Segment, text: str, what: str) -> time:
    """HHMM, HHMMSS or HHMMSSDD (hundredths)."""
    try:
        if len(text) not in (4, 6, 7, 8) or not text.isdigit():
            raise ValueError
        hundredths = text[6:].ljust(2, "0") if len(text) > 6 else "0"
        return time(int(text[:2]), int(text[2:4]), int(text[4:6] or 0), int(hundredths) * 10_000)
    except ValueError:
        raise segment.error(f"{what} {text[:20]!r} is not a time HHMM[SS[DD]]") from None


def parse_claim_date(segment: Segment) -> ClaimDate:
    """DTP*qualifier*D8*CCYYMMDD or DTP*qualifier*RD8*CCYYMMDD-CCYYMMDD."""
    qualifier, form, value = segment[1], segment[2], segment[3]
    if form == "D8":
        return ClaimDate(qualifier, parse_date(segment, value, "DTP03"))
    if form == "RD8":
        start, _, end = value.partition("-")
        return ClaimDate(qualifier, parse_date(segment, start, "DTP03"), parse_date(segment, end, "DTP03 end"))
    raise segment.error(f"DTP02 {form[:10]!r} is not D8 or RD8")


def raw(segment: Segment) -> RawSegment:
    return RawSegment(segment.id, tuple(tuple(segment.components(i)) for i in range(1, len(segment.elements))))


# ---- the parts of a claim, one segment each -------------------------------------------------
def parse_party(segment: Segment) -> Party:
    """NM1."""
    if not segment[1]:
        raise segment.error("NM101 entity identifier code missing")
    return Party(
        entity_code=segment[1],
        is_person=segment[2] == "1",
        last_name=segment[3],
        first_name=segment[4],
        middle_name=segment[5],
        suffix=segment[7],
        id_qualifier=segment[8],
        identifier=segment[9],
    )


def add_party_detail(party: Party, segment: Segment) -> None:
    """N3, N4, DMG, REF, PER, PRV (and DTP in 2330) after an NM1."""
    if segment.id == "N3":
        party.address = party.address or Address()
        party.address.line1, party.address.line2 = segment[1], segment[2]
    elif segment.id == "N4":
        party.address = party.address or Address()
        party.address.city, party.address.state, party.address.postal_code = segment[1], segment[2], segment[3]
        party.address.country_code, party.address.country_subdivision = segment[4], segment[7]
    elif segment.id == "DMG":
        if segment[2]:
            party.birth_date = parse_date(segment, segment[2], "DMG02 birth date")
        party.sex = segment[3]
    elif segment.id == "REF":
        party.references.append(parse_reference(segment))
    elif segment.id == "PER":
        party.contacts.append(parse_contact(segment))
    elif segment.id == "PRV":
        party.taxonomy_role, party.taxonomy_code = segment[1], segment[3]
    else:
        party.extra_segments.append(raw(segment))


def parse_reference(segment: Segment) -> Reference:
    if not segment[1]:
        raise segment.error("REF01 qualifier missing")
    return Reference(segment[1], segment[2])


def parse_contact(segment: Segment) -> Contact:
    numbers = [(segment[i], segment[i + 1]) for i in (3, 5, 7) if segment[i]]
    return Contact(name=segment[2], numbers=numbers, function_code=segment[1])


def parse_coverage(segment: Segment) -> Coverage:
    """SBR."""
    return Coverage(
        payer_responsibility=segment[1],
        relationship=segment[2],
        group_number=segment[3],
        group_name=segment[4],
        insurance_type=segment[5],
        claim_filing_indicator=segment[9],
    )


def parse_claim(segment: Segment, billing_provider: Party, subscriber: Subscriber) -> Claim837:
    """CLM."""
    if not segment[1]:
        raise segment.error("CLM01 patient control number missing")
    place = segment.components(5)
    if not place or not place[0]:
        raise segment.error("CLM05-1 place of service missing")
    causes = segment.components(11)
    return Claim837(
        billing_provider=billing_provider,
        subscriber=subscriber,
        claim_id=segment[1],
        total_charge=parse_amount(segment, 2),
        place_of_service=place[0],
        facility_code_qualifier=segment.component(5, 2),
        frequency_code=segment.component(5, 3),
        provider_signature_on_file=segment[6],
        assignment_participation=segment[7],
        benefits_assignment=segment[8],
        release_of_information=segment[9],
        patient_signature_source=segment[10],
        related_causes=[cause for cause in causes[:3] if cause],
        accident_state=causes[3] if len(causes) > 3 else "",
        accident_country=causes[4] if len(causes) > 4 else "",
        special_program=segment[12],
        delay_reason=segment[20],
    )


def parse_diagnoses(segment: Segment) -> list[Diagnosis] | None:
    """HI of diagnoses; None when the HI carries something else (anesthesia procedures, condition codes)."""
    diagnoses = []
    for position in range(1, len(segment.elements)):
        parts = segment.components(position)
        if not parts:
            continue
        if parts[0] not in DIAGNOSIS_QUALIFIERS:
            return None
        if len(parts) < 2 or not parts[1]:
            raise segment.error(f"HI{position:02d} diagnosis code missing after qualifier {parts[0]}")
        diagnoses.append(Diagnosis(parts[0], parts[1]))
    return diagnoses


def parse_pointer(segment: Segment, text: str) -> int:
    """SV107 diagnosis pointer 1-12 (some systems write '1.00')."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal(0)
    if not value.is_finite() or value != value.to_integral_value() or not 1 <= value <= 12:
        raise segment.error(f"SV107 diagnosis pointer {text[:10]!r} is not a number 1-12")
    return int(value)


def fill_service(line: ServiceLine, segment: Segment) -> None:
    """SV1 onto the line opened by LX."""
    procedure = segment.components(1)
    if len(procedure) < 2 or not procedure[1]:
        raise segment.error("SV101 procedure code missing (expected qualifier and code, e.g. HC:99213)")
    line.procedure_qualifier, line.procedure_code = procedure[0], procedure[1]
    line.modifiers = [modifier for modifier in procedure[2:6] if modifier]
    line.description = procedure[6] if len(procedure) > 6 else ""
    line.charge = parse_amount(segment, 2)
    line.unit_basis = segment[3]
    line.units = parse_amount(segment, 4, required=False)
    line.place_of_service = segment[5]
    line.diagnosis_pointers = [parse_pointer(segment, text) for text in segment.components(7) if text]
    line.emergency, line.epsdt, line.family_planning = segment[9], segment[11], segment[12]
    line.copay_exempt = segment[15]


def parse_adjustments(segment: Segment) -> list[Adjustment]:
    """CAS: a group code and up to six (reason, amount, quantity) triples."""
    adjustments = []
    for position in range(2, 20, 3):
        if not segment[position]:
            continue
        adjustments.append(
            Adjustment(
                group_code=segment[1],
                reason_code=segment[position],
                amount=parse_amount(segment, position + 1),
                quantity=parse_amount(segment, position + 2, required=False),
            )
        )
    return adjustments


def parse_header_datetime(segment: Segment, date_position: int, time_position: int) -> datetime:
    day = parse_date(segment, segment[date_position], f"{segment.id}{date_position:02d}")
    moment = parse_time(segment, segment[time_position], f"{segment.id}{time_position:02d}")
    return datetime.combine(day, moment)


# ---- the walk through the loops ----------------------------------------------------------
@dataclass
class _Position:
    """Where the reader is in the 837P: current loop and the objects being filled."""

    loop: str = ""
    transaction: Transaction837 | None = None
    hierarchy: dict[str, str] = field(default_factory=dict)  # HL01 -> HL03
    billing_provider: Party | None = None
    pending_taxonomy: tuple[str, str] | None = None  # PRV in 2000A comes before NM1*85
    pay_to: Party | None = None
    pay_to_plan: Party | None = None
    subscriber: Subscriber | None = None
    patient: Patient | None = None
    claim: Claim837 | None = None
    line: ServiceLine | None = None
    other_coverage: OtherCoverage | None = None
    party: Party | None = None  # the NM1 whose N3/N4/REF... follow


class Reader837:
    """Reads the claims of an 837P interchange: ``Reader837(path_or_bytes_or_stream).claims()``."""

    def __init__(self, source: str | Path | bytes | TextIO):
        self.x12 = reader_for(source)
        self.interchange: Interchange837 | None = None
        self._group_version = ""
        self._at = _Position()

    @property
    def notices(self) -> list[str]:
        """What the reader had to decide (e.g. a component separator differing from ISA16)."""
        return self.x12.notices

    def claims(self) -> Iterator[tuple[Transaction837, Claim837]]:
        """Each claim with its transaction set (whose ``claims`` list is left empty to keep memory small).

        Claims of the same billing provider / subscriber share those objects: copy before changing one.
        """
        for segment in self.x12.segments():
            finished = self._read(segment)
            if finished is not None:
                yield finished

    # dispatch ------------------------------------------------------------------------------
    def _read(self, segment: Segment) -> tuple[Transaction837, Claim837] | None:
        at = self._at
        if at.party is not None and self._belongs_to_party(segment):
            add_party_detail(at.party, segment)
            return None
        at.party = None
        handler = getattr(self, f"_on_{segment.id.lower()}", None)
        if handler is not None:
            return handler(segment)
        self._keep_raw(segment)
        return None

    def _belongs_to_party(self, segment: Segment) -> bool:
        return segment.id in PARTY_DETAIL_SEGMENTS or (segment.id == "DTP" and self._at.loop == "2330")

    def _finish_claim(self) -> tuple[Transaction837, Claim837] | None:
        at = self._at
        claim, at.claim, at.line, at.other_coverage = at.claim, None, None, None
        return (at.transaction, claim) if claim is not None else None

    def _keep_raw(self, segment: Segment) -> None:
        """A segment this reader does not map: kept on the loop it came with."""
        at, loop = self._at, self._at.loop
        if loop in LINE_TAIL_LOOPS:
            at.line.tail_segments.append(raw(segment))
        elif loop in LINE_LOOPS:
            at.line.extra_segments.append(raw(segment))
        elif loop in OTHER_COVERAGE_LOOPS:
            at.other_coverage.extra_segments.append(raw(segment))
        elif loop in CLAIM_LOOPS:
            at.claim.extra_segments.append(raw(segment))
        elif loop in ("2000C", "2010CA"):
            at.patient.extra_segments.append(raw(segment))
        elif loop in ("2000B", "2010BA", "2010BB"):
            at.subscriber.extra_segments.append(raw(segment))
        elif loop in ("2000A", "2010AA", "2010AB", "2010AC"):
            at.billing_provider.extra_segments.append(raw(segment))
        elif segment.id not in ("GE", "IEA"):
            raise segment.error(f"unexpected {segment.id} segment {self._where()}")

    def _where(self) -> str:
        return f"in loop {self._at.loop}" if self._at.loop else "outside a transaction set"

    # envelope --------------------------------------------------------------------------------
    def _on_isa(self, segment: Segment) -> None:
        self.interchange = Interchange837(
            sender_qualifier=segment[5],
            sender_id=segment[6].strip(),
            receiver_qualifier=segment[7],
            receiver_id=segment[8].strip(),
            control_number=int(segment[13]),
            group_control_number=0,
            created=datetime.combine(
                parse_date(segment, "20" + segment[9], "ISA09"), parse_time(segment, segment[10], "ISA10")
            ),
            acknowledgment_requested=segment[14],
            usage=segment[15],
        )

    def _on_gs(self, segment: Segment) -> None:
        if self._group_version:
            raise segment.error("a second functional group (GS): this reader takes one group per interchange")
        if segment[1] != "HC":
            raise segment.error(f"GS01 {segment[1][:10]!r} is not HC: not a group of health care claims")
        if segment[8] not in SUPPORTED_837P_VERSIONS:
            raise segment.error(
                f"unsupported version {segment[8][:20]!r} (GS08); "
                f"this reader takes {', '.join(SUPPORTED_837P_VERSIONS)}"
            )
        if not segment[6].isdigit():
            raise segment.error(f"GS06 group control number {segment[6][:10]!r} is not numeric")
        self._group_version = segment[8]
        self.interchange.application_sender, self.interchange.application_receiver = segment[2], segment[3]
        self.interchange.group_control_number = int(segment[6])
        self.interchange.created = parse_header_datetime(segment, 4, 5)

    def _on_st(self, segment: Segment) -> None:
        if segment[1] != "837":
            raise segment.error(f"ST01 {segment[1][:10]!r} is not 837")
        version = segment[3] or self._group_version
        if version not in SUPPORTED_837P_VERSIONS:
            raise segment.error(f"unsupported version {version[:20]!r} (ST03)")
        self._at = _Position(loop="header")
        self._at.transaction = Transaction837(
            control_number=segment[2],
            submitter=Party("41"),
            receiver=Party("40"),
            reference="",
            created=self.interchange.created,
            version=version,
        )
        self.interchange.transactions.append(self._at.transaction)  # claims are added by read_837p

    def _on_bht(self, segment: Segment) -> None:
        transaction = self._at.transaction
        transaction.purpose, transaction.reference = segment[2], segment[3]
        transaction.created = parse_header_datetime(segment, 4, 5)
        transaction.claim_or_encounter = segment[6]

    def _on_se(self, segment: Segment) -> tuple[Transaction837, Claim837] | None:
        finished = self._finish_claim()
        self._at.loop = ""
        return finished

    # hierarchy -------------------------------------------------------------------------------
    def _on_hl(self, segment: Segment) -> tuple[Transaction837, Claim837] | None:
        at = self._at
        finished = self._finish_claim()
        number, parent, level = segment[1], segment[2], segment[3]
        if number != str(len(at.hierarchy) + 1):
            raise segment.error(f"HL01 {number[:10]!r} out of sequence (expected {len(at.hierarchy) + 1})")
        expected_parent = {"20": None, "22": "20", "23": "22"}
        if level not in expected_parent:
            raise segment.error(f"HL03 {level[:10]!r} is not 20 (billing provider), 22 (subscriber) or 23 (patient)")
        if expected_parent[level] is not None and at.hierarchy.get(parent) != expected_parent[level]:
            raise segment.error(f"HL02 {parent[:10]!r} is not a level-{expected_parent[level]} HL")
        at.hierarchy[number] = level
        if level == "20":
            at.loop, at.billing_provider, at.pending_taxonomy = "2000A", Party("85"), None
            at.pay_to = at.pay_to_plan = at.subscriber = at.patient = None
        elif level == "22":
            at.loop, at.subscriber, at.patient = "2000B", Subscriber(Coverage(), Party(""), Party("")), None
        else:
            at.loop, at.patient = "2000C", Patient("", Party(""))
        return finished

    def _on_prv(self, segment: Segment) -> None:
        if self._at.loop == "2000A":
            self._at.pending_taxonomy = (segment[1], segment[3])
        else:
            self._keep_raw(segment)

    def _on_sbr(self, segment: Segment) -> None:
        at = self._at
        if at.loop == "2000B":
            at.subscriber.coverage = parse_coverage(segment)
        elif at.loop in CLAIM_LOOPS + OTHER_COVERAGE_LOOPS:
            at.other_coverage = OtherCoverage(parse_coverage(segment))
            at.claim.other_coverage.append(at.other_coverage)
            at.loop = "2320"
        else:
            raise segment.error(f"unexpected SBR {self._where()}")

    def _on_pat(self, segment: Segment) -> None:
        at = self._at
        if at.loop == "2000C":
            at.patient.relationship = segment[1]
            if len(segment.elements) > 2:  # death date, weight, pregnancy: kept whole
                at.patient.extra_segments.append(raw(segment))
        else:
            self._keep_raw(segment)

    # names -----------------------------------------------------------------------------------
    def _on_nm1(self, segment: Segment) -> None:
        at = self._at
        party = parse_party(segment)
        at.party = party
        place = self._place_party(party, segment)
        if place is None:
            at.party = None
            self._keep_raw(segment)

    def _place_party(self, party: Party, segment: Segment) -> str | None:
        """Put a new NM1 where it belongs; returns the loop it opens, None when it belongs nowhere."""
        at, code, loop = self._at, party.entity_code, self._at.loop
        if loop in ("header", "1000A", "1000B") and code in ("41", "40"):
            if code == "41":
                at.transaction.submitter = party
            else:
                at.transaction.receiver = party
            at.loop = "1000A" if code == "41" else "1000B"
        elif loop.startswith(("2000A", "2010A")) and code in ("85", "87", "PE"):
            self._place_billing_party(party)
        elif loop.startswith(("2000B", "2010B")) and code in ("IL", "PR"):
            if code == "IL":
                at.subscriber.insured = party
            else:
                at.subscriber.payer = party
            at.loop = "2010BA" if code == "IL" else "2010BB"
        elif loop.startswith(("2000C", "2010C")) and code == "QC":
            at.patient.person, at.loop = party, "2010CA"
        elif loop in CLAIM_LOOPS:
            at.claim.providers.append(party)
            at.loop = "2310"
        elif loop in OTHER_COVERAGE_LOOPS:
            self._place_other_coverage_party(party)
        elif loop in LINE_LOOPS:
            at.line.providers.append(party)
            at.loop = "2420"
        else:
            return None
        return at.loop

    def _place_billing_party(self, party: Party) -> None:
        at = self._at
        if party.entity_code == "85":
            at.billing_provider, at.loop = party, "2010AA"
            if at.pending_taxonomy:
                party.taxonomy_role, party.taxonomy_code = at.pending_taxonomy
        elif party.entity_code == "87":
            at.pay_to, at.loop = party, "2010AB"
        else:
            at.pay_to_plan, at.loop = party, "2010AC"

    def _place_other_coverage_party(self, party: Party) -> None:
        other = self._at.other_coverage
        if party.entity_code == "IL" and other.insured is None:
            other.insured = party
        elif party.entity_code == "PR" and other.payer is None:
            other.payer = party
        else:
            other.payer_parties.append(party)
        self._at.loop = "2330"

    # claim -----------------------------------------------------------------------------------
    def _on_clm(self, segment: Segment) -> tuple[Transaction837, Claim837] | None:
        at = self._at
        finished = self._finish_claim()
        if at.subscriber is None or not at.subscriber.insured.entity_code or not at.subscriber.payer.entity_code:
            raise segment.error("claim without a subscriber level (HL 22 with NM1*IL and NM1*PR) before it")
        if at.billing_provider is None or not at.billing_provider.last_name:
            raise segment.error("claim without a billing provider name (2010AA NM1*85) before it")
        at.claim = parse_claim(segment, at.billing_provider, at.subscriber)
        at.claim.pay_to, at.claim.pay_to_plan, at.claim.patient = at.pay_to, at.pay_to_plan, at.patient
        at.loop = "2300"
        return finished

    def _on_dtp(self, segment: Segment) -> None:
        at = self._at
        if at.loop == "2300":
            at.claim.dates.append(parse_claim_date(segment))
        elif at.loop in ("2400", "2410"):
            at.line.dates.append(parse_claim_date(segment))
            at.loop = "2400"
        else:
            self._keep_raw(segment)

    def _on_ref(self, segment: Segment) -> None:
        at = self._at
        if at.loop == "2300":
            at.claim.references.append(parse_reference(segment))
        elif at.loop == "2400":
            at.line.references.append(parse_reference(segment))
        elif at.loop == "2410" and at.line.drug.prescription_reference is None:
            at.line.drug.prescription_reference = parse_reference(segment)
        else:
            self._keep_raw(segment)

    def _on_nte(self, segment: Segment) -> None:
        at = self._at
        if at.loop == "2300":
            at.claim.notes.append(Note(segment[1], segment[2]))
        elif at.loop == "2400":
            at.line.notes.append(Note(segment[1], segment[2]))
        else:
            self._keep_raw(segment)

    def _on_hi(self, segment: Segment) -> None:
        diagnoses = parse_diagnoses(segment) if self._at.loop == "2300" else None
        if diagnoses is None:
            self._keep_raw(segment)
        else:
            self._at.claim.diagnoses.extend(diagnoses)

    # other coverage --------------------------------------------------------------------------
    def _on_cas(self, segment: Segment) -> None:
        if self._at.loop == "2320":
            self._at.other_coverage.adjustments.extend(parse_adjustments(segment))
        else:
            self._keep_raw(segment)

    def _on_amt(self, segment: Segment) -> None:
        if self._at.loop == "2320":
            self._at.other_coverage.amounts.append(Amount(segment[1], parse_amount(segment, 2)))
        else:
            self._keep_raw(segment)

    def _on_oi(self, segment: Segment) -> None:
        other = self._at.other_coverage
        if self._at.loop != "2320":
            self._keep_raw(segment)
            return
        other.benefits_assignment, other.patient_signature_source = segment[3], segment[4]
        other.release_of_information = segment[6]

    # service lines ---------------------------------------------------------------------------
    def _on_lx(self, segment: Segment) -> None:
        at = self._at
        if at.claim is None:
            raise segment.error(f"service line (LX) outside a claim {self._where()}")
        if not segment[1].isdigit():
            raise segment.error(f"LX01 line number {segment[1][:10]!r} is not a number")
        at.line = ServiceLine(line_number=int(segment[1]), procedure_code="", charge=Decimal(0))
        at.claim.lines.append(at.line)
        at.loop = "2400"

    def _on_sv1(self, segment: Segment) -> None:
        at = self._at
        if at.loop != "2400" or at.line.procedure_code:
            raise segment.error("SV1 not right after an LX")
        fill_service(at.line, segment)

    def _on_lin(self, segment: Segment) -> None:
        at = self._at
        if at.loop not in ("2400", "2410") or at.line.drug is not None:
            self._keep_raw(segment)
            return
        at.line.drug = Drug(ndc=segment[3], product_qualifier=segment[2])
        at.loop = "2410"

    def _on_ctp(self, segment: Segment) -> None:
        at = self._at
        if at.loop != "2410":
            self._keep_raw(segment)
            return
        at.line.drug.quantity = parse_amount(segment, 4, required=False)
        at.line.drug.unit = segment.component(5, 1)

    def _on_svd(self, segment: Segment) -> None:
        self._open_line_tail(segment, "2430")

    def _on_lq(self, segment: Segment) -> None:
        self._open_line_tail(segment, "2440")

    def _open_line_tail(self, segment: Segment, loop: str) -> None:
        if self._at.line is None:
            raise segment.error(f"{segment.id} outside a service line")
        self._at.loop = loop
        self._keep_raw(segment)


def read_837p(source: str | Path | bytes | TextIO) -> Interchange837:
    """The whole interchange with every claim (small and medium files; big ones: Reader837.claims())."""
    reader = Reader837(source)
    for transaction, claim in reader.claims():
        transaction.claims.append(claim)
    return reader.interchange
