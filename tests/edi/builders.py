"""An 837P built from dataclasses in the tests: every field the writer must carry (NDC drug line,
coordination of benefits, referring provider, auto accident with state, frequency 7 with the
original reference), with ICD-10-CM diagnoses. Names and numbers are made up."""

from datetime import date, datetime
from decimal import Decimal

from edi.records import (
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
    Reference,
    ServiceLine,
    Subscriber,
    Transaction837,
)


def billing_provider() -> Party:
    return Party(
        "85", last_name="NORTHSIDE FAMILY MEDICINE", id_qualifier="XX", identifier="1234567893",
        address=Address("100 MAIN ST", "SUITE 2", "ALBANY", "NY", "122070001"),
        references=[Reference("EI", "141234567")],
        contacts=[Contact("BILLING OFFICE", [("TE", "5185550100"), ("EX", "12")])],
        taxonomy_code="207Q00000X", taxonomy_role="BI",
    )


def dependent_subscriber() -> Subscriber:
    return Subscriber(
        coverage=Coverage("P", "", "GRP-7788", "ACME EMPLOYEES PLAN", "", "CI"),
        insured=Party("IL", last_name="RIVERA", first_name="ANA", middle_name="M", is_person=True,
                      id_qualifier="MI", identifier="XJH123456789",
                      address=Address("12 ELM ST", "", "ALBANY", "NY", "12208"),
                      birth_date=date(1980, 4, 2), sex="F"),
        payer=Party("PR", last_name="EMPIRE HEALTH PLAN", id_qualifier="PI", identifier="EHP01",
                    address=Address("PO BOX 4000", "", "NEW YORK", "NY", "10001")),
    )


def self_subscriber() -> Subscriber:
    return Subscriber(
        coverage=Coverage("P", "18", "", "", "", "MB"),
        insured=Party("IL", last_name="CHEN", first_name="LI", is_person=True, id_qualifier="MI",
                      identifier="1EG4TE5MK73", address=Address("9 OAK AVE", "", "TROY", "NY", "12180"),
                      birth_date=date(1948, 11, 30), sex="M"),
        payer=Party("PR", last_name="MEDICARE PART B", id_qualifier="PI", identifier="13202"),
    )


def accident_claim() -> Claim837:
    """A child's replacement claim (frequency 7) after a car accident, with a secondary payer."""
    return Claim837(
        billing_provider=billing_provider(),
        pay_to=Party("87", address=Address("PO BOX 55", "", "ALBANY", "NY", "12201")),
        subscriber=dependent_subscriber(),
        patient=Patient("19", Party("QC", last_name="RIVERA", first_name="SOFIA", is_person=True,
                                    address=Address("12 ELM ST", "", "ALBANY", "NY", "12208"),
                                    birth_date=date(2012, 6, 15), sex="F")),
        claim_id="PCN-2026-0001",
        total_charge=Decimal("330.50"),
        place_of_service="11",
        frequency_code="7",
        patient_signature_source="",
        related_causes=["AA"],
        accident_state="NY",
        dates=[ClaimDate("431", date(2026, 3, 1)), ClaimDate("439", date(2026, 3, 1))],
        references=[Reference("F8", "EHP-ICN-99887766"), Reference("G1", "AUTH-5521")],
        notes=[Note("ADD", "CORRECTED UNITS ON LINE 2")],
        diagnoses=[Diagnosis("ABK", "S134XXA"), Diagnosis("ABF", "V4352XA"), Diagnosis("ABF", "R51")],
        providers=[
            Party("DN", last_name="OKAFOR", first_name="JAMES", is_person=True, id_qualifier="XX",
                  identifier="1245319599"),
            Party("82", last_name="PATEL", first_name="NINA", is_person=True, id_qualifier="XX",
                  identifier="1679576722", taxonomy_code="208D00000X", taxonomy_role="PE"),
            Party("77", last_name="NORTHSIDE URGENT CARE", id_qualifier="XX", identifier="1376609297",
                  address=Address("200 STATE ST", "", "ALBANY", "NY", "12207")),
        ],
        other_coverage=[
            OtherCoverage(
                coverage=Coverage("S", "01", "G-551", "", "", "CI"),
                adjustments=[Adjustment("PR", "1", Decimal("50.00")), Adjustment("CO", "45", Decimal("20.50"))],
                amounts=[Amount("D", Decimal("200.00"))],
                benefits_assignment="Y", patient_signature_source="P", release_of_information="Y",
                insured=Party("IL", last_name="RIVERA", first_name="LUIS", is_person=True, id_qualifier="MI",
                              identifier="W99887766", address=Address("12 ELM ST", "", "ALBANY", "NY", "12208")),
                payer=Party("PR", last_name="MUTUAL AUTO INSURANCE", id_qualifier="PI", identifier="MAI77"),
            )
        ],
        lines=[
            ServiceLine(1, "99214", Decimal("180.00"), Decimal("1"), modifiers=["25"], diagnosis_pointers=[1, 2, 3],
                        dates=[ClaimDate("472", date(2026, 3, 2))], references=[Reference("6R", "L-1")]),
            ServiceLine(2, "97140", Decimal("90.00"), Decimal("3"), modifiers=["GP", "59"], diagnosis_pointers=[1],
                        dates=[ClaimDate("472", date(2026, 3, 2))], notes=[Note("ADD", "THREE 15-MIN UNITS")]),
            ServiceLine(3, "J1885", Decimal("60.50"), Decimal("2"), diagnosis_pointers=[1],
                        dates=[ClaimDate("472", date(2026, 3, 2))],
                        drug=Drug("00409379301", Decimal("2"), "ML", prescription_reference=None)),
        ],
    )


def drug_claim(claim_id: str, ndc: str) -> Claim837:
    """A Medicare claim of the insured themself: an injection with its NDC, work-related."""
    return Claim837(
        billing_provider=billing_provider(),
        subscriber=self_subscriber(),
        claim_id=claim_id,
        total_charge=Decimal("145.25"),
        place_of_service="11",
        related_causes=["EM"],
        dates=[ClaimDate("431", date(2026, 2, 20))],
        diagnoses=[Diagnosis("ABK", "M545"), Diagnosis("ABF", "Z79899")],
        providers=[Party("DN", last_name="OKAFOR", first_name="JAMES", is_person=True, id_qualifier="XX",
                         identifier="1245319599")],
        lines=[
            ServiceLine(1, "96372", Decimal("45.25"), Decimal("1"), diagnosis_pointers=[1],
                        dates=[ClaimDate("472", date(2026, 2, 24))]),
            ServiceLine(2, "J3301", Decimal("100.00"), Decimal("4"), diagnosis_pointers=[1, 2],
                        dates=[ClaimDate("472", date(2026, 2, 24), date(2026, 2, 24))],
                        drug=Drug(ndc, Decimal("1"), "ML", prescription_reference=Reference("XZ", "RX7788"))),
        ],
    )


def full_interchange(extra_claims: int = 0) -> Interchange837:
    claims = [accident_claim(), drug_claim("PCN-2026-0002", "00003029305"), drug_claim("PCN-2026-0003", "00003029320")]
    claims += [drug_claim(f"PCN-BULK-{n:05d}", "00003029305") for n in range(extra_claims)]
    transaction = Transaction837(
        control_number="0042",
        submitter=Party("41", last_name="NORTHSIDE FAMILY MEDICINE", id_qualifier="46", identifier="NFM001",
                        contacts=[Contact("ROSA DIAZ", [("TE", "5185550100"), ("EM", "BILLING@EXAMPLE.ORG")])]),
        receiver=Party("40", last_name="EXAMPLE CLEARINGHOUSE", id_qualifier="46", identifier="ECH999"),
        reference="BATCH-42",
        created=datetime(2026, 3, 10, 9, 30, 15),
        claims=claims,
    )
    return Interchange837(
        sender_id="NFM001", receiver_id="ECH999", application_sender="NFM001", application_receiver="ECH999",
        control_number=1042, group_control_number=42,
        created=datetime(2026, 3, 10, 9, 30), usage="T", transactions=[transaction],
    )
