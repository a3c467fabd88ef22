"""Build claims and in-memory reference data for rule tests (no database needed)."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from claims.rules.context import PAYER_TYPE_DEFAULTS, ClaimContext, ResolvedPayer
from claims.rules.engine import BatchData, RulePlan, apply_precedence, check_claim
from claims.rules.inputs import parse_claim
from claims.rules.reference import (
    AddOnRow,
    CodeFacts,
    FeeFacts,
    ModifierFacts,
    MUEFacts,
    PlaceFacts,
    PTPRow,
    ReferenceData,
)
from codes.classify import classify
from codes.icd10cm import DiagnosisCodeSet
from codes.importers.icd10cm import shipped_edition

BASE_CLAIM: dict[str, Any] = {
    "id": "T-1",
    "payer_type": "medicare",
    "payer_name": "Medicare Part B",
    "patient": {"dob": "1951-06-02", "sex": "M"},
    "billing_npi": "1234567893",
    "rendering_npi": "1234567893",
    "rendering_specialty": "11",
    "group_tin": "311234567",
    "dos": "2026-03-09",
    "pos": "11",
    "submission_date": "2026-03-12",
    "diagnoses": ["J45.909"],
    "prior_auth_number": None,
    "history": [],
    "lines": [],
}


def line(number: int, code: str, **fields: Any) -> dict[str, Any]:
    """One service line in scrub format; defaults: 1 unit, $100, pointer A."""
    return {"line": number, "code": code, "modifiers": [], "units": 1, "charge": 100.0, "dx_pointers": ["A"], **fields}


def claim(*lines: dict[str, Any], **fields: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE_CLAIM)
    data.update(fields)
    data["lines"] = list(lines)
    return data


def code(code: str, **fields: Any) -> CodeFacts:
    """Facts for a code: valid since 2000 unless told otherwise."""
    shape = classify(code)
    values = {
        "code": code,
        "system": shape.system or "HCPCS",
        "cpt_category": shape.category,
        "section": shape.section,
        "label": "",
        "description": "",
        "added_date": date(2000, 1, 1),
        "termination_date": None,
        "coverage_code": "",
        "is_add_on": False,
        "is_unlisted": False,
        "is_drug": False,
        "drug_dose_amount": None,
        "drug_dose_unit": "",
        "drug_route": "",
        "release_label": "test",
    }
    values.update(fields)
    if values["drug_dose_amount"] is not None:
        values["drug_dose_amount"] = Decimal(str(values["drug_dose_amount"]))
    return CodeFacts(**values)


def fee(code: str, status: str = "A", **fields: Any) -> FeeFacts:
    values = {
        "modifier": "",
        "pctc_indicator": "0",
        "global_days": "XXX",
        "multiple_procedure": "0",
        "bilateral_surgery": "0",
        "release_label": "RVU-test",
    }
    values.update(fields)
    return FeeFacts(code=code, status=status, **values)


def mue(code: str, value: int, mai: int = 3, rationale: str = "Clinical: Data") -> MUEFacts:
    return MUEFacts(code, value, mai, rationale, "MUE-test")


def ptp(
    column_1: str,
    column_2: str,
    indicator: int,
    rationale: str = "Misuse of column two code with column one code",
    effective: date | None = date(1996, 1, 1),
    deletion: date | None = None,
) -> PTPRow:
    return PTPRow(column_1, column_2, effective, deletion, indicator, rationale)


def addon(add_on: str, primary: str, edit_type: int = 1, notes: str = "") -> AddOnRow:
    return AddOnRow(add_on, primary, edit_type, date(2000, 1, 1), None, notes)


def modifier(code: str, group: str = "") -> ModifierFacts:
    return ModifierFacts(code, group, date(2000, 1, 1), None)


def place(code: str, name: str = "Office", facility_type: str = "non_facility") -> PlaceFacts:
    return PlaceFacts(code, name, facility_type)


@cache
def icd10cm_code_set(year: int = 2026) -> DiagnosisCodeSet:
    """A shipped ICD-10-CM edition read from its file (no database), once per test session."""
    return shipped_edition(year).read_code_set()


def reference(*, codes: list[str | CodeFacts] = (), **facts: Any) -> ReferenceData:
    """In-memory reference data; plain code strings become valid codes. Diagnoses are judged by the
    shipped FY2026 edition for every date unless ``diagnoses`` says otherwise (None: no edition)."""
    code_facts = [c if isinstance(c, CodeFacts) else code(c) for c in codes]
    facts.setdefault("diagnoses", icd10cm_code_set())
    return ReferenceData.from_facts(codes=code_facts, **facts)


def payer_for(data: dict[str, Any]) -> ResolvedPayer:
    payer_type = data["payer_type"]
    defaults = PAYER_TYPE_DEFAULTS[payer_type]
    config = data.get("payer_config") or {}
    preferred = {
        family: {k: tuple(v) for k, v in lists.items()}
        for family, lists in (config.get("preferred_products") or {}).items()
    }
    return ResolvedPayer(
        payer_type=payer_type,
        timely_filing_days=config.get("timely_filing_days", defaults["timely_filing_days"]),
        apply_ncci=config.get("apply_ncci", defaults["apply_ncci"]),
        pa_required_codes=frozenset(config.get("pa_required_codes", ())),
        preferred_products=preferred,
        rejects_s_codes=config.get("rejects_S_codes", defaults["rejects_s_codes"]),
        ndc_required_all_drug_lines=config.get("ndc_required_all_drug_lines", defaults["ndc_required_all_drug_lines"]),
    )


def run(
    data: dict[str, Any], ref: ReferenceData, demographic_edits=(), *, use_prefilters: bool = True
) -> list[tuple[int | None, str]]:
    """Check one claim dict against in-memory reference data; returns its (line, rule) pairs
    (``use_prefilters=False``: every rule called wherever its payer types and tables allow)."""
    return [(f.line, f.rule) for f in findings(data, ref, demographic_edits, use_prefilters=use_prefilters)]


def findings(data: dict[str, Any], ref: ReferenceData, demographic_edits=(), *, use_prefilters: bool = True):
    return result(data, ref, demographic_edits, use_prefilters=use_prefilters).findings


def result(data: dict[str, Any], ref: ReferenceData, demographic_edits=(), *, use_prefilters: bool = True):
    """The engine's whole result for one claim dict: findings and the checks that did not run."""
    from claims.rules import load_rule_modules

    load_rule_modules()
    parsed = parse_claim(data)
    ctx = ClaimContext(parsed, ref, payer_for(data), demographic_edits)
    return check_claim(ctx, RulePlan(ref, use_prefilters=use_prefilters))


__all__ = ["BatchData", "apply_precedence", "claim", "line", "reference", "run", "findings", "result"]
