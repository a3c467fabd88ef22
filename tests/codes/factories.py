"""Plain helpers that create reference rows for tests (no factory library needed)."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from codes.choices import (
    AddOnEditType,
    CodeOrigin,
    FacilityType,
    ModifierKind,
    MUEAdjudication,
    MUEServiceType,
    PTPModifierIndicator,
    PTPSetting,
    Source,
)
from codes.classify import classify
from codes.models import (
    AddOnEdit,
    ASPLimit,
    FeeScheduleIndicator,
    Modifier,
    MUELimit,
    NDCCrosswalk,
    PlaceOfService,
    ProcedureCode,
    PTPEdit,
    Release,
)

_sequence = itertools.count(1)


def make_release(source: str = Source.HCPCS, label: str | None = None, **fields) -> Release:
    number = next(_sequence)
    values = {
        "effective_date": date(2026, 1, 1),
        "file_name": f"file-{number}.txt",
        "sha256": f"{number:064x}",
        "imported_by": "tester",
        **fields,
    }
    return Release.objects.create(source=source, label=label or f"Test {number}", **values)


def make_code(code: str, **fields) -> ProcedureCode:
    result = classify(code)
    assert result, result.reason
    values = {
        "system": result.system,
        "cpt_category": result.category,
        "hcpcs_section": result.section_letter,
        "section": result.section,
        "origin": CodeOrigin.STARTER,
        **fields,
    }
    return ProcedureCode.objects.create(code=result.code, **values)


def make_modifier(code: str, **fields) -> Modifier:
    values = {"kind": ModifierKind.CPT if code.isdigit() else ModifierKind.HCPCS, "description": f"Modifier {code}"}
    return Modifier.objects.create(code=code, **{**values, **fields})


def make_pos(code: str, name: str = "Office", **fields) -> PlaceOfService:
    return PlaceOfService.objects.create(code=code, name=name, **{"facility_type": FacilityType.NON_FACILITY, **fields})


def make_ptp(release: Release, column_1: str, column_2: str, **fields) -> PTPEdit:
    values = {
        "setting": PTPSetting.PRACTITIONER,
        "effective_date": date(2020, 1, 1),
        "modifier_indicator": PTPModifierIndicator.ALLOWED,
        "rationale": "Standards of medical / surgical practice",
        **fields,
    }
    return PTPEdit.objects.create(release=release, column_1=column_1, column_2=column_2, **values)


def make_mue(release: Release, code: str, value: int = 1, **fields) -> MUELimit:
    values = {
        "service_type": MUEServiceType.PRACTITIONER,
        "adjudication_indicator": MUEAdjudication.DOS_CLINICAL,
        "rationale": "Clinical: Data",
        **fields,
    }
    return MUELimit.objects.create(release=release, code=code, value=value, **values)


def make_addon(release: Release, add_on_code: str, primary_code: str, **fields) -> AddOnEdit:
    values = {"edit_type": AddOnEditType.LISTED_ONLY, "effective_date": date(2020, 1, 1), **fields}
    return AddOnEdit.objects.create(release=release, add_on_code=add_on_code, primary_code=primary_code, **values)


def make_fee(release: Release, code: str, status: str = "A", **fields) -> FeeScheduleIndicator:
    values = {"global_days": "XXX", "pctc_indicator": "0", "multiple_procedure": "0", **fields}
    return FeeScheduleIndicator.objects.create(release=release, code=code, status=status, **values)


def make_asp(release: Release, code: str, dosage: str = "10 MG", limit: str = "1.2345", **fields) -> ASPLimit:
    return ASPLimit.objects.create(release=release, code=code, dosage=dosage, payment_limit=Decimal(limit), **fields)


def make_ndc(release: Release, ndc: str, code: str, **fields) -> NDCCrosswalk:
    values = {"drug_name": "Test drug", "labeler": "Test labs", "billing_units_per_package": Decimal("10"), **fields}
    return NDCCrosswalk.objects.create(release=release, ndc=ndc, code=code, **values)
