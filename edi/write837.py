"""Writing 005010X222A1 837P interchanges from the dataclasses of edi.records.

The control numbers are the caller's (``Interchange837.control_number`` ISA13/IEA02,
``group_control_number`` GS06/GE02, ``Transaction837.control_number`` ST02/SE02); SE01 counts
the segments written. Separators: ``*`` elements, ``:`` components, ``^`` repetitions, ``~``
segments, one segment per line.

The HL hierarchy is rebuilt from the flat claims: consecutive claims with an equal billing
provider (and pay-to) share one 2000A, consecutive claims of an equal subscriber share one 2000B,
and of an equal patient one 2000C. Sort claims by billing provider and subscriber first to get
the fewest HLs (claims that are not adjacent get their own HL, which is valid too)::

    ISA GS ST BHT  NM1*41 PER  NM1*40
      HL 20  PRV NM1*85 N3 N4 REF PER  [NM1*87 N3 N4]  [NM1*PE N3 N4 REF]
        HL 22  SBR [PAT] NM1*IL N3 N4 DMG REF PER  NM1*PR N3 N4 REF
          [HL 23  PAT NM1*QC N3 N4 DMG REF PER]
            CLM DTP... (PWK CN1 AMT) REF... (K3) NTE... (CR1 CR2 CRC) HI (HCP)
              NM1... (2310)  SBR CAS AMT OI (MOA) NM1... (2320/2330)
              LX SV1 (PWK CR1 CR3 CRC) DTP... (QTY MEA CN1) REF... (AMT K3) NTE... (PS1 HCP)
                LIN CTP REF  NM1... (2420)  (SVD CAS DTP AMT  LQ FRM)
    SE GE IEA

Segments in parentheses are the ``RawSegment`` kept by the reader, written back in their slot.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import TextIO

from .records import (
    Adjustment,
    Claim837,
    ClaimDate,
    Coverage,
    Diagnosis,
    Interchange837,
    OtherCoverage,
    Party,
    RawSegment,
    ServiceLine,
    Transaction837,
)
from .x12 import SegmentWriter

VERSION = "005010X222A1"
DIAGNOSES_PER_HI = 12
REASONS_PER_CAS = 6
# Where kept raw segments go among the mapped ones: the mapped segment they follow.
CLAIM_RAW_SLOTS = {"PWK": "DTP", "CN1": "DTP", "AMT": "DTP", "K3": "REF", "CR1": "NTE", "CR2": "NTE",
                   "CRC": "NTE", "HI": "HI", "HCP": "HI"}
LINE_RAW_SLOTS = {"SV5": "SV1", "PWK": "SV1", "CR1": "SV1", "CR3": "SV1", "CRC": "SV1", "QTY": "DTP",
                  "MEA": "DTP", "CN1": "DTP", "AMT": "REF", "K3": "REF", "PS1": "NTE", "HCP": "NTE"}


# ---- element formatting -------------------------------------------------------------------
def amount_text(value: Decimal | None) -> str:
    """An X12 R (decimal) value without exponent or needless trailing zeros: 40.00 -> 40, 21.50 -> 21.5."""
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def date_text(value: date) -> str:
    return value.strftime("%Y%m%d")


def time_text(value: datetime) -> str:
    """HHMM, HHMMSS or HHMMSSDD, as precise as the value."""
    if value.microsecond:
        return value.strftime("%H%M%S") + f"{value.microsecond // 10_000:02d}"
    return value.strftime("%H%M%S") if value.second else value.strftime("%H%M")


def chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Writer837:
    """Writes one interchange: ``Writer837(out).write(interchange)``."""

    def __init__(self, out: TextIO):
        self.out = SegmentWriter(out)

    def seg(self, segment_id: str, *elements) -> None:
        self.out.write(segment_id, *elements)

    # envelope --------------------------------------------------------------------------------
    def write(self, interchange: Interchange837) -> None:
        self._isa(interchange)
        self.seg("GS", "HC", interchange.application_sender or interchange.sender_id,
                 interchange.application_receiver or interchange.receiver_id, date_text(interchange.created),
                 time_text(interchange.created), str(interchange.group_control_number), "X", VERSION)
        for transaction in interchange.transactions:
            self._transaction(transaction)
        self.seg("GE", str(len(interchange.transactions)), str(interchange.group_control_number))
        self.seg("IEA", "1", f"{interchange.control_number:09d}")

    def _isa(self, interchange: Interchange837) -> None:
        created = interchange.created
        if len(interchange.sender_id) > 15 or len(interchange.receiver_id) > 15:
            raise ValueError("ISA06/ISA08 sender and receiver IDs have at most 15 characters")
        if not 0 < interchange.control_number <= 999_999_999:
            raise ValueError(f"ISA13 control number {interchange.control_number} is not 1-999999999")
        self.out.write_isa(
            "00", " " * 10, "00", " " * 10,
            interchange.sender_qualifier, interchange.sender_id.ljust(15),
            interchange.receiver_qualifier, interchange.receiver_id.ljust(15),
            created.strftime("%y%m%d"), created.strftime("%H%M"), self.out.repetition, "00501",
            f"{interchange.control_number:09d}", interchange.acknowledgment_requested, interchange.usage,
            self.out.component,
        )

    def _transaction(self, transaction: Transaction837) -> None:
        first = self.out.count
        self.seg("ST", "837", transaction.control_number, VERSION)
        self.seg("BHT", "0019", transaction.purpose, transaction.reference, date_text(transaction.created),
                 time_text(transaction.created), transaction.claim_or_encounter)
        self._party(transaction.submitter)
        self._party(transaction.receiver)
        self._hierarchy(transaction.claims)
        self.seg("SE", str(self.out.count - first + 1), transaction.control_number)

    # HL hierarchy ----------------------------------------------------------------------------
    def _hierarchy(self, claims: Iterable[Claim837]) -> None:
        number = 0
        provider_hl = subscriber_hl = None
        provider_key = subscriber_key = patient_key = None
        for claim in claims:
            key = (claim.billing_provider, claim.pay_to, claim.pay_to_plan)
            if provider_hl is None or key != provider_key:
                number += 1
                provider_hl, provider_key, subscriber_key = number, key, None
                self._billing_provider_level(number, claim)
            if subscriber_key is None or claim.subscriber != subscriber_key:
                number += 1
                subscriber_hl, subscriber_key, patient_key = number, claim.subscriber, None
                self._subscriber_level(number, provider_hl, claim, has_patient=claim.patient is not None)
            if claim.patient is not None and claim.patient != patient_key:
                number += 1
                patient_key = claim.patient
                self._patient_level(number, subscriber_hl, claim)
            self._claim(claim)

    def _billing_provider_level(self, number: int, claim: Claim837) -> None:
        provider = claim.billing_provider
        self.seg("HL", str(number), "", "20", "1")
        if provider.taxonomy_code:
            self.seg("PRV", provider.taxonomy_role or "BI", "PXC", provider.taxonomy_code)
        self._party(provider, with_taxonomy=False)
        for party in (claim.pay_to, claim.pay_to_plan):
            if party is not None:
                self._party(party)

    def _subscriber_level(self, number: int, parent: int, claim: Claim837, *, has_patient: bool) -> None:
        subscriber = claim.subscriber
        self.seg("HL", str(number), str(parent), "22", "1" if has_patient else "0")
        self._coverage(subscriber.coverage)
        self._raw_all(subscriber.extra_segments)
        self._party(subscriber.insured)
        self._party(subscriber.payer)

    def _patient_level(self, number: int, parent: int, claim: Claim837) -> None:
        patient = claim.patient
        self.seg("HL", str(number), str(parent), "23", "0")
        if not any(segment.id == "PAT" for segment in patient.extra_segments):
            self.seg("PAT", patient.relationship)
        self._raw_all(patient.extra_segments)
        self._party(patient.person)

    # parties ---------------------------------------------------------------------------------
    def _party(self, party: Party, *, with_taxonomy: bool = True) -> None:
        """NM1 PRV N3 N4 DMG (DTP) REF... PER..."""
        self.seg("NM1", party.entity_code, "1" if party.is_person else "2", party.last_name, party.first_name,
                 party.middle_name, "", party.suffix, party.id_qualifier, party.identifier)
        if with_taxonomy and party.taxonomy_code:
            self.seg("PRV", party.taxonomy_role, "PXC", party.taxonomy_code)
        address = party.address
        if address is not None:
            self.seg("N3", address.line1, address.line2)
            self.seg("N4", address.city, address.state, address.postal_code, address.country_code, "", "",
                     address.country_subdivision)
        if party.birth_date is not None or party.sex:
            self.seg("DMG", "D8", date_text(party.birth_date) if party.birth_date else "", party.sex)
        self._raw_all(party.extra_segments)
        for reference in party.references:
            self.seg("REF", reference.qualifier, reference.value)
        for contact in party.contacts:
            numbers = [item for pair in contact.numbers for item in pair]
            self.seg("PER", contact.function_code, contact.name, *numbers)

    def _coverage(self, coverage: Coverage) -> None:
        self.seg("SBR", coverage.payer_responsibility, coverage.relationship, coverage.group_number,
                 coverage.group_name, coverage.insurance_type, "", "", "", coverage.claim_filing_indicator)

    # claim -----------------------------------------------------------------------------------
    def _claim(self, claim: Claim837) -> None:
        raw = _by_slot(claim.extra_segments, CLAIM_RAW_SLOTS)
        causes = [*claim.related_causes, "", "", ""][:3] + [claim.accident_state, claim.accident_country]
        self.seg(
            "CLM", claim.claim_id, amount_text(claim.total_charge), "", "",
            [claim.place_of_service, claim.facility_code_qualifier, claim.frequency_code],
            claim.provider_signature_on_file, claim.assignment_participation, claim.benefits_assignment,
            claim.release_of_information, claim.patient_signature_source, causes if any(causes) else "",
            claim.special_program, "", "", "", "", "", "", "", claim.delay_reason,
        )
        self._dates(claim.dates)
        self._raw_all(raw["DTP"])
        for reference in claim.references:
            self.seg("REF", reference.qualifier, reference.value)
        self._raw_all(raw["REF"])
        for note in claim.notes:
            self.seg("NTE", note.code, note.text)
        self._raw_all(raw["NTE"])
        self._diagnoses(claim.diagnoses)
        self._raw_all(raw["HI"] + raw[None])
        for party in claim.providers:
            self._party(party)
        for other in claim.other_coverage:
            self._other_coverage(other)
        for line in claim.lines:
            self._line(line)

    def _dates(self, dates: list[ClaimDate]) -> None:
        for item in dates:
            if item.end is None:
                self.seg("DTP", item.qualifier, "D8", date_text(item.start))
            else:
                self.seg("DTP", item.qualifier, "RD8", f"{date_text(item.start)}-{date_text(item.end)}")

    def _diagnoses(self, diagnoses: list[Diagnosis]) -> None:
        for group in chunks(diagnoses, DIAGNOSES_PER_HI):
            self.seg("HI", *[[diagnosis.qualifier, diagnosis.code] for diagnosis in group])

    def _other_coverage(self, other: OtherCoverage) -> None:
        self._coverage(other.coverage)
        self._adjustments(other.adjustments)
        for item in other.amounts:
            self.seg("AMT", item.qualifier, amount_text(item.amount))
        if other.benefits_assignment or other.patient_signature_source or other.release_of_information:
            self.seg("OI", "", "", other.benefits_assignment, other.patient_signature_source, "",
                     other.release_of_information)
        self._raw_all(other.extra_segments)
        for party in (other.insured, other.payer, *other.payer_parties):
            if party is not None:
                self._party(party)

    def _adjustments(self, adjustments: list[Adjustment]) -> None:
        groups: list[list[Adjustment]] = []
        for adjustment in adjustments:
            if groups and groups[-1][0].group_code == adjustment.group_code and len(groups[-1]) < REASONS_PER_CAS:
                groups[-1].append(adjustment)
            else:
                groups.append([adjustment])
        for group in groups:
            triples = [(item.reason_code, amount_text(item.amount), amount_text(item.quantity)) for item in group]
            self.seg("CAS", group[0].group_code, *[text for triple in triples for text in triple])

    # service line ----------------------------------------------------------------------------
    def _line(self, line: ServiceLine) -> None:
        raw = _by_slot(line.extra_segments, LINE_RAW_SLOTS)
        self.seg("LX", str(line.line_number))
        procedure = [line.procedure_qualifier, line.procedure_code, *[*line.modifiers, "", "", "", ""][:4]]
        if line.description:
            procedure.append(line.description)
        self.seg(
            "SV1", procedure, amount_text(line.charge), line.unit_basis, amount_text(line.units),
            line.place_of_service, "", [str(pointer) for pointer in line.diagnosis_pointers], "",
            line.emergency, "", line.epsdt, line.family_planning, "", "", line.copay_exempt,
        )
        self._raw_all(raw["SV1"])
        self._dates(line.dates)
        self._raw_all(raw["DTP"])
        for reference in line.references:
            self.seg("REF", reference.qualifier, reference.value)
        self._raw_all(raw["REF"])
        for note in line.notes:
            self.seg("NTE", note.code, note.text)
        self._raw_all(raw["NTE"] + raw[None])
        if line.drug is not None:
            drug = line.drug
            self.seg("LIN", "", drug.product_qualifier, drug.ndc)
            self.seg("CTP", "", "", "", amount_text(drug.quantity), [drug.unit])
            if drug.prescription_reference is not None:
                self.seg("REF", drug.prescription_reference.qualifier, drug.prescription_reference.value)
        for party in line.providers:
            self._party(party)
        self._raw_all(line.tail_segments)

    # kept segments ---------------------------------------------------------------------------
    def _raw_all(self, segments: list[RawSegment]) -> None:
        for segment in segments:
            self.seg(segment.id, *[list(components) for components in segment.elements])


def _by_slot(segments: list[RawSegment], slots: dict[str, str]) -> dict[str | None, list[RawSegment]]:
    """Kept segments by the mapped segment they follow; unknown IDs under None (written last)."""
    placed: dict[str | None, list[RawSegment]] = {slot: [] for slot in set(slots.values())}
    placed.setdefault("NTE", [])
    placed[None] = []
    for segment in segments:
        placed[slots.get(segment.id)].append(segment)
    return placed


def write_837p(interchange: Interchange837, out: TextIO) -> None:
    Writer837(out).write(interchange)


def render_837p(interchange: Interchange837) -> str:
    """The interchange as text."""
    buffer = io.StringIO()
    write_837p(interchange, buffer)
    return buffer.getvalue()
