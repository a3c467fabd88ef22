"""Plain helpers that create payers, patients and claims for tests (no factory library needed)."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal
from typing import Any

from claims.choices import ClaimStatus, PayerType
from claims.models import Claim, ClaimLine, Patient, Payer

_sequence = itertools.count(1)

MEDICARE = "Medicare Part B"


def claim_header() -> dict[str, Any]:
    """A clean claim header (valid NPIs and TIN, an office visit on a date the starter data covers); new
    each time, so a test may change it."""
    return {
        "billing_npi": "1234567893",
        "rendering_npi": "1234567893",
        "rendering_specialty": "11",
        "group_tin": "311234567",
        "place_of_service": "11",
        "date_of_service": date(2026, 3, 9),
        "diagnoses": ["J45.909"],
    }


def make_payer(name: str = MEDICARE, payer_type: str = PayerType.MEDICARE, **fields) -> Payer:
    payer, _ = Payer.objects.get_or_create(name=name, defaults={"payer_type": payer_type, **fields})
    return payer


def make_patient(**fields) -> Patient:
    number = next(_sequence)
    values = {
        "last_name": "Doe",
        "first_name": f"Pat{number}",
        "date_of_birth": date(1950, 3, 1),
        "sex": "F",
        "member_id": f"1EG4TE5MK{number:02d}",
    }
    values.update(fields)
    return Patient.objects.create(**values)


def make_line(code: str = "99213", **fields) -> ClaimLine:
    values: dict[str, Any] = {"code": code, "units": Decimal(1), "charge": Decimal("100.00"), "dx_pointers": "A"}
    values.update(fields)
    values.setdefault("modifiers", [])
    return ClaimLine(**values)


def make_claim(
    user,
    *,
    lines: list[ClaimLine] | list[str] | None = None,
    payer: Payer | None = None,
    patient: Patient | None = None,
    status: str = ClaimStatus.DRAFT,
    **fields,
) -> Claim:
    """A saved claim with its lines (codes or unsaved ``ClaimLine``s), written directly (no services)."""
    values: dict[str, Any] = {
        **claim_header(),
        "payer": payer or make_payer(),
        "patient": patient or make_patient(),
        "status": status,
        "created_by": user,
    }
    patient = values["patient"]
    values.update(
        member_id=patient.member_id,
        patient_last_name=patient.last_name,
        patient_first_name=patient.first_name,
        patient_dob=patient.date_of_birth,
        patient_sex=patient.sex,
    )
    values.update(fields)
    claim = Claim.objects.create(**values)
    items = [make_line(item) if isinstance(item, str) else item for item in (lines or ["99213"])]
    for number, line in enumerate(items, start=1):
        line.claim, line.number = claim, number
    ClaimLine.objects.bulk_create(items)
    return claim
