"""Claims that exercise every box the 837P export writes, and a clearinghouse to send them to. Names and
numbers are made up."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from claims.choices import ClaimStatus, PayerType, ProviderKind, ReviewOutcome
from claims.models import Provider
from edi.models import Clearinghouse
from tests.claims.factories import make_claim, make_line, make_patient, make_payer

BILLING_NPI = "1234567893"
RENDERING_NPI = "1679576722"
REFERRING_NPI = "1245319599"
FACILITY_NPI = "1376609297"


def make_clearinghouse(name: str = "Example Clearinghouse", **fields) -> Clearinghouse:
    values = {
        "sender_id": "NFM001",
        "receiver_id": "ECH999",
        "submitter_name": "Northside Family Medicine",
        "submitter_etin": "NFM001",
        "contact_name": "Rosa Diaz",
        "contact_phone": "5185550100",
        "receiver_name": "Example Clearinghouse",
        "receiver_etin": "ECH999",
        "usage": "T",
    }
    values.update(fields)
    return Clearinghouse.objects.create(name=name, **values)


def make_providers() -> None:
    Provider.objects.get_or_create(
        npi=BILLING_NPI,
        defaults={"name": "Northside Family Medicine", "kind": ProviderKind.ORGANISATION, "group_tin": "311234567",
                  "address_line1": "100 Main St", "city": "Albany", "state": "NY", "zip_code": "122070001",
                  "phone": "5185550100"},
    )
    Provider.objects.get_or_create(
        npi=RENDERING_NPI,
        defaults={"name": "Dr. Nina Patel, MD", "kind": ProviderKind.CLINICIAN, "group_tin": "311234567",
                  "specialty": "08"},
    )


def electronic_payer(name: str, payer_type: str, payer_id: str, **fields):
    """The payer of that name (made by another helper, perhaps) with its electronic payer ID."""
    payer = make_payer(name, payer_type, payer_id=payer_id, **fields)
    if not payer.payer_id:
        payer.payer_id = payer_id
        payer.save(update_fields=["payer_id"])
    return payer


def payers():
    primary = electronic_payer("Empire Health Plan", PayerType.COMMERCIAL, "EHP01", address_line1="PO Box 4000",
                               city="New York", state="NY", zip_code="10001")
    secondary = electronic_payer("Mutual Auto Insurance", PayerType.COMMERCIAL, "MAI77")
    medicare = electronic_payer("Medicare Part B", PayerType.MEDICARE, "13202")
    return primary, secondary, medicare


PATIENT_ADDRESS = {
    "patient_address_line1": "9 Oak Ave",
    "patient_city": "Troy",
    "patient_state": "NY",
    "patient_zip_code": "12180",
}
BILLING = {
    "billing_npi": BILLING_NPI,
    "billing_name": "Northside Family Medicine",
    "billing_address_line1": "100 Main St",
    "billing_address_line2": "Suite 2",
    "billing_city": "Albany",
    "billing_state": "NY",
    "billing_zip_code": "122070001",
    "billing_phone": "5185550100",
    "group_tin": "311234567",
}


def ready(user, **fields):
    """A ready claim (status set directly: the export is under test, not the check)."""
    fields.setdefault("status", ClaimStatus.READY)
    fields.setdefault("payer", payers()[2])
    for name, value in {**BILLING, **PATIENT_ADDRESS}.items():
        fields.setdefault(name, value)
    return make_claim(user, **fields)


def accident_replacement_claim(user):
    """A child's replacement claim (frequency 7) after a car accident in NJ, with a secondary payer, a referring
    provider, a rendering provider who is not the billing one, a service facility, a drug line with its NDC,
    prior authorisation, box 19 and a line note; approved by a reviewer."""
    make_providers()
    primary, secondary, _ = payers()
    patient = make_patient(last_name="Rivera", first_name="Sofia", date_of_birth=date(2012, 6, 15), sex="F",
                           member_id="XJH123456789")
    return ready(
        user,
        status=ClaimStatus.REVIEWED,
        review_outcome=ReviewOutcome.APPROVED,
        payer=primary,
        patient=patient,
        lines=[
            make_line("99214", modifiers=["25"], dx_pointers="ABC", charge=Decimal("180.00")),
            make_line("97140", modifiers=["GP", "59"], units=Decimal("3"), dx_pointers="A", charge=Decimal("90.00"),
                      narrative="Three 15-min units", date_of_service=date(2026, 3, 3), place_of_service="22"),
            make_line("J1885", units=Decimal("2"), dx_pointers="A", charge=Decimal("60.50"), ndc="00409379301",
                      ndc_unit="ML", ndc_quantity=Decimal("2.5")),
        ],
        rendering_npi=RENDERING_NPI,
        date_of_service=date(2026, 3, 2),
        diagnoses=["S13.4XXA", "V43.52XA", "R51.9"],
        prior_auth_number="AUTH-5521",
        patient_address_line1="12 Elm St",
        patient_city="Albany",
        patient_state="NY",
        patient_zip_code="12208",
        patient_relationship="19",
        insured_last_name="Rivera",
        insured_first_name="Ana",
        insured_address_line1="12 Elm St",
        insured_city="Albany",
        insured_state="NY",
        insured_zip_code="12208",
        insured_group_number="GRP-7788",
        insured_dob=date(1980, 4, 2),
        insured_sex="F",
        other_claim_id="PC-4455",
        insured_plan_name="Acme Employees Plan",
        has_other_plan=True,
        other_insured_last_name="Rivera",
        other_insured_first_name="Luis",
        other_insured_member_id="W99887766",
        other_insured_group_number="G-551",
        other_insured_plan_name="Mutual Auto",
        secondary_payer=secondary,
        auto_accident=True,
        auto_accident_state="NJ",
        current_illness_date=date(2026, 3, 1),
        current_illness_qualifier="431",
        referring_qualifier="DN",
        referring_last_name="Okafor",
        referring_first_name="James",
        referring_npi=REFERRING_NPI,
        additional_info="Corrected units: line 2",
        frequency_code="7",
        original_reference="EHP-ICN-99887766",
        patient_account_number="PCN-2026-0001",
        facility_name="Northside Urgent Care",
        facility_address_line1="200 State St",
        facility_city="Albany",
        facility_state="NY",
        facility_zip_code="122070002",
        facility_npi=FACILITY_NPI,
    )


def ordered_drug_claim(user):
    """The insured themself, Medicare, work-related, an ordering provider (DK), a drug line; no account number."""
    make_providers()
    return ready(
        user,
        lines=[make_line("96372", charge=Decimal("45.25")),
               make_line("J3301", units=Decimal("4"), dx_pointers="AB", charge=Decimal("100.00"), ndc="00003029305",
                         ndc_unit="ML", ndc_quantity=Decimal("1"))],
        diagnoses=["M54.50", "Z79.899"],
        employment_related=True,
        current_illness_date=date(2026, 2, 20),
        current_illness_qualifier="431",
        referring_qualifier="DK",
        referring_last_name="Okafor",
        referring_first_name="James",
        referring_npi=REFERRING_NPI,
        insured_plan_name="Medicare",
    )
