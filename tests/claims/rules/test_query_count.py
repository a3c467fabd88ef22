"""Reference data is loaded once per batch with one query per table: the number of queries does not
depend on the number of lines or claims (never a query per rule, line or claim)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims.models import DemographicEdit, Payer
from claims.rules import check_document
from codes.choices import MUEAdjudication, PTPModifierIndicator, Source
from tests.codes.factories import (
    make_addon,
    make_code,
    make_fee,
    make_modifier,
    make_mue,
    make_ndc,
    make_pos,
    make_ptp,
    make_release,
)

pytestmark = pytest.mark.django_db

SURGERY = [f"{11000 + i}" for i in range(40)]
OTHER = ["99213", "99214", "96372", "99211", "J1100", "J1030", "J3490", "G0008", "90686", "17000", "17003"]
CODES = SURGERY + OTHER


@pytest.fixture
def reference_rows():
    hcpcs = make_release(Source.HCPCS, "2026 January")
    ptp = make_release(Source.PTP_PRACTITIONER, "PTP 2026Q1")
    mue = make_release(Source.MUE_PRACTITIONER, "MUE 2026Q1")
    aoc = make_release(Source.AOC, "AOC 2026Q1")
    rvu = make_release(Source.PFS_RVU, "RVU26A")
    make_release(Source.POS, "POS 2026")
    ndc = make_release(Source.NDC_CROSSWALK, "NDC 2026Q1")
    for code in CODES:
        terminated = date(2024, 3, 31) if code == "J1030" else None
        make_code(code, release=hcpcs, added_date=date(2000, 1, 1), termination_date=terminated, is_drug=code[0] == "J")
        make_fee(rvu, code, "A", global_days="010" if code in SURGERY else "XXX")
        make_mue(mue, code, 1, adjudication_indicator=MUEAdjudication.DOS_CLINICAL)
    for first, second in zip(SURGERY[::2], SURGERY[1::2], strict=True):
        make_ptp(ptp, first, second, modifier_indicator=PTPModifierIndicator.ALLOWED)
    make_ptp(ptp, "96372", "99211", modifier_indicator=PTPModifierIndicator.NOT_ALLOWED)
    make_addon(aoc, "17003", "17000")
    make_ndc(ndc, "63323050601", "J1100")
    for modifier in ("25", "59", "XS", "RT", "LT", "JZ"):
        make_modifier(modifier)
    make_pos("11", "Office")
    Payer.objects.create(name="Acme Health", payer_type="commercial", timely_filing_days=120)
    DemographicEdit.objects.create(
        kind="procedure", code_from="99381", code_to="99381", age_max=0, description="Infant", source="CPT"
    )


def service_line(number: int, code: str) -> dict[str, Any]:
    line = {"line": number, "code": code, "modifiers": [], "units": 1 + number % 3, "charge": 100.0}
    line["dx_pointers"] = ["A"]
    if number % 5 == 0:
        line["modifiers"] = ["59"]
    if code == "J1100":
        line.update(ndc="63323050601", ndc_unit="ML", ndc_qty=1, container="single_dose", modifiers=["JZ"])
    return line


def make_claim(claim_id: str, line_count: int, *, payer: str = "commercial") -> dict[str, Any]:
    return {
        "id": claim_id,
        "payer_type": payer,
        "payer_name": "Acme Health" if payer == "commercial" else "Medicare Part B",
        "patient": {"dob": "1961-06-02", "sex": "F"},
        "billing_npi": "1234567893",
        "rendering_npi": "1234567893",
        "rendering_specialty": "11",
        "group_tin": "311234567",
        "dos": "2026-03-09",
        "pos": "11",
        "submission_date": "2026-03-12",
        "diagnoses": ["J45.909", "Z79.899"],
        "history": [
            {"code": "99213", "dos": "2025-01-14", "rendering_npi": "1234567893", "specialty": "11"},
            {"code": SURGERY[0], "dos": "2026-03-01", "rendering_npi": "1234567893", "specialty": "11"},
        ],
        "lines": [service_line(n, CODES[(n - 1) % len(CODES)]) for n in range(1, line_count + 1)],
    }


def queries_for(document: dict[str, Any]) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        result = check_document(document)
    assert len(result["claims"]) == len(document["claims"])
    return [query["sql"] for query in captured.captured_queries]


@pytest.fixture
def warmed_up(reference_rows):
    """Anything loaded once per process (rule modules, code libraries) is loaded before counting."""
    check_document({"claims": [make_claim("WARM", 3)]})


@pytest.mark.usefixtures("warmed_up")
def test_one_line_and_fifty_lines_cost_the_same_queries():
    one = queries_for({"claims": [make_claim("C-1", 1)]})
    fifty = queries_for({"claims": [make_claim("C-50", 50)]})
    assert len(one) == len(fifty), "\n".join(fifty)
    assert len(one) <= 15  # one per reference table, payers and demographic edits


@pytest.mark.usefixtures("warmed_up")
def test_one_claim_and_twenty_claims_cost_the_same_queries():
    one = queries_for({"claims": [make_claim("C-1", 8)]})
    twenty = queries_for(
        {"claims": [make_claim(f"C-{i}", 1 + i % 20, payer=("commercial", "medicare")[i % 2]) for i in range(20)]}
    )
    assert len(one) == len(twenty), "\n".join(twenty)


@pytest.mark.usefixtures("warmed_up")
def test_medicare_and_commercial_claims_cost_the_same_queries():
    assert len(queries_for({"claims": [make_claim("C-1", 5, payer="medicare")]})) == len(
        queries_for({"claims": [make_claim("C-2", 5, payer="commercial")]})
    )
