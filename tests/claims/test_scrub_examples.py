"""Acceptance: every worked example of ``../shared/docs/scrub-examples.json`` through the real engine.

Each example is checked with ``claims.rules.engine.check_document`` (the path the batch check, the API
and the browser share) against a test database holding the reference facts it needs: the starter
data set (real CMS rows among our codes: PTP 96372/99211 MI 0, 45380/45378 MI 0, 45385/45380 MI 1,
MUE 17000 = 1 MAI 2, AOC 17003 -> 17000, 99417 status I ...), plus, where the starter set does not
carry them, the few rows of the real CMS files listed in ``SUPPLEMENT_*`` below (added only when
missing). The claim must produce exactly its expected set of (line, rule, category): no more, no
less; a clean example produces no finding at all.
"""

from __future__ import annotations

import dataclasses
import gc
import io
import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from codes.choices import MUEAdjudication, Source
from codes.models import FeeScheduleIndicator, MUELimit, ProcedureCode, PTPEdit, Release
from tests.codes.factories import make_code, make_fee, make_mue, make_ptp

from .conftest import findings_of, rolled_back, scrub_with_engine

EXAMPLES_FILE = Path(settings.SHARED_DATA_DIR).parent / "docs" / "scrub-examples.json"


def _examples() -> list[Any]:
    if not EXAMPLES_FILE.exists():
        return [pytest.param(None, id="examples-absent")]
    examples = json.loads(EXAMPLES_FILE.read_text(encoding="utf-8"))["examples"]
    return [pytest.param(example, id=example["id"]) for example in examples]


EXAMPLES = _examples()

# Rows of the real CMS files that the examples need beyond the starter set's usual content (the starter
# set may carry them already; then nothing is added).
# Codes: (code, fields); the HCPCS dates come from HCPC2026_JAN_ANWEB (J1030: added 1982-01-01,
# terminated 2024-03-31).
SUPPLEMENT_CODES = [
    ("29877", {}),  # knee arthroscopy, chondroplasty (EX-11)
    ("G0289", {"added_date": date(2003, 1, 1), "coverage_code": "C"}),  # separate-compartment chondroplasty
    ("76942", {}),  # ultrasound guidance for needle placement (EX-15)
    ("64615", {}),  # chemodenervation for chronic migraine (EX-22)
    (
        "J1030",
        {
            "added_date": date(1982, 1, 1),
            "termination_date": date(2024, 3, 31),
            "is_drug": True,
            "drug_dose_amount": Decimal("40"),
            "drug_dose_unit": "mg",
            "coverage_code": "D",
        },
    ),
]
# PPRRVU25_JAN: code, modifier, status, PC/TC, global days, multiple procedure, bilateral surgery.
SUPPLEMENT_FEES = [
    ("29877", "", "A", "0", "090", "3", "1"),
    ("G0289", "", "A", "0", "ZZZ", "0", "1"),
    ("76942", "", "A", "1", "XXX", "0", "0"),
    ("76942", "26", "A", "1", "XXX", "0", "0"),
    ("76942", "TC", "A", "1", "XXX", "0", "0"),
    ("64615", "", "A", "0", "010", "2", "2"),
]
# MCR_MUE_PractitionerServices_Eff_04-01-2026: code, value, MAI, rationale.
SUPPLEMENT_MUES = [
    ("29877", 1, MUEAdjudication.DOS_POLICY, "CMS Policy"),
    ("G0289", 1, MUEAdjudication.DOS_POLICY, "CMS Policy"),
    ("76942", 1, MUEAdjudication.DOS_CLINICAL, "CMS Policy"),
    ("64615", 1, MUEAdjudication.DOS_POLICY, "Code Descriptor / CPT Instruction"),
]
# ptp_practitioner_v30.1_2024Q2_pairs_derived: column 1, column 2, modifier indicator, rationale (open rows).
SUPPLEMENT_PTP = [
    ("29881", "29877", 0, "Misuse of Column Two code with Column One code"),
    ("29881", "G0289", 1, "HCPCS/CPT procedure code definition"),
    ("20611", "76942", 1, "CPT Manual or CMS manual coding instruction"),
]


def _newest(source: str) -> Release:
    return Release.objects.filter(source=source).order_by("-effective_date", "-imported_at").first()


def add_supplement() -> list[str]:
    """Add the supplement rows the loaded starter data does not already hold; returns what was added."""
    fee_release = _newest(Source.PFS_RVU)
    mue_release = _newest(Source.MUE_PRACTITIONER)
    ptp_release = _newest(Source.PTP_PRACTITIONER)
    added = []
    for code, fields in SUPPLEMENT_CODES:
        if not ProcedureCode.objects.filter(code=code).exists():
            make_code(code, **fields)
            added.append(f"code {code}")
    for code, modifier, status, pctc, global_days, multiple, bilateral in SUPPLEMENT_FEES:
        if FeeScheduleIndicator.objects.filter(release=fee_release, code=code, modifier=modifier).exists():
            continue
        make_fee(
            fee_release,
            code,
            status,
            modifier=modifier,
            pctc_indicator=pctc,
            global_days=global_days,
            multiple_procedure=multiple,
            bilateral_surgery=bilateral,
        )
        added.append(f"fee {code}{'-' + modifier if modifier else ''}")
    for code, value, indicator, rationale in SUPPLEMENT_MUES:
        if not MUELimit.objects.filter(release=mue_release, code=code).exists():
            make_mue(mue_release, code, value, adjudication_indicator=indicator, rationale=rationale)
            added.append(f"MUE {code}")
    for column_1, column_2, indicator, rationale in SUPPLEMENT_PTP:
        if not PTPEdit.objects.filter(release=ptp_release, column_1=column_1, column_2=column_2).exists():
            make_ptp(
                ptp_release, column_1, column_2, effective_date=None, modifier_indicator=indicator, rationale=rationale
            )
            added.append(f"PTP {column_1}/{column_2}")
    return added


def add_fee_schedule_files(years: set[int]) -> list[Release]:
    """A real-shaped (not starter) PFS relative value release for each year, effective January 1, holding
    the rows of the loaded fee-schedule release (starter rows and supplement: real PPRRVU rows).

    Without a licensed CPT file, CPT validity is judged from the relative value file of the date of
    service's year, and the starter subset never judges it (issue 11): every check of the examples
    must run, so the fixture loads such a file. Every CPT code of the examples is in the real files of
    their years."""
    source_release = _newest(Source.PFS_RVU)
    rows = list(FeeScheduleIndicator.objects.filter(release=source_release))
    made = []
    for year in sorted(years):
        release = Release.objects.create(
            source=Source.PFS_RVU,
            label=f"RVU{year % 100:02d}A",
            effective_date=date(year, 1, 1),
            file_name=f"PPRRVU{year % 100:02d}_JAN.csv",
            sha256=f"{year:064x}",
        )
        FeeScheduleIndicator.objects.bulk_create(_copy_row(row, release) for row in rows)
        made.append(release)
    return made


def _copy_row(row: FeeScheduleIndicator, release: Release) -> FeeScheduleIndicator:
    values = {f.attname: getattr(row, f.attname) for f in FeeScheduleIndicator._meta.concrete_fields}
    values.pop("id")
    values["release_id"] = release.pk
    return FeeScheduleIndicator(**values)


def _example_dates() -> set[date]:
    dates = set()
    for param in EXAMPLES:
        example = param.values[0]
        if example is None:
            continue
        claim = example["claim"]
        for text in [claim.get("dos"), *(line.get("dos") for line in claim["lines"])]:
            if text:
                dates.add(date.fromisoformat(text))
    return dates


def _example_years() -> set[int]:
    return {day.year for day in _example_dates()}


@pytest.fixture(scope="module")
def example_reference(django_db_setup, django_db_blocker):
    """Starter data with the shipped ICD-10-CM editions of the examples' fiscal years, plus the supplement and the
    fee-schedule file of the examples' years, loaded once for the module and rolled back after it."""
    from io import StringIO

    from django.core.management import call_command

    from codes.icd10cm import fiscal_year

    years = sorted({fiscal_year(day) for day in _example_dates()})
    editions = [arg for year in years for arg in ("--icd10cm-year", str(year))]
    with rolled_back(django_db_blocker):
        call_command("load_starter_data", *editions, stdout=StringIO())
        add_supplement()
        add_fee_schedule_files(_example_years())
        yield


def _need(example: dict[str, Any] | None) -> dict[str, Any]:
    if example is None:
        pytest.skip(f"worked examples not available: {EXAMPLES_FILE} is absent (../shared/docs missing)")
    return example


def _describe(pairs: set[tuple[int | None, str, str]]) -> str:
    return ", ".join(f"({line}, {rule}, {category})" for line, rule, category in sorted(pairs, key=str)) or "none"


@pytest.mark.parametrize("example", EXAMPLES)
def test_example_gives_exactly_the_expected_findings(example, example_reference, db):
    example = _need(example)
    claim = {**example["claim"], "id": example["id"]}
    output = scrub_with_engine([claim])
    [result] = output["claims"]
    actual = findings_of(output)[0]
    expected = {(item["line"], item["rule"], item["category"]) for item in example["expect"]}
    assert actual == expected, (
        f"{example['id']} ({example['description']})\n"
        f"  expected: {_describe(expected)}\n"
        f"  actual:   {_describe(actual)}\n"
        f"  missing:  {_describe(expected - actual)}\n"
        f"  extra:    {_describe(actual - expected)}\n"
        f"  messages: {[(f['line'], f['rule'], f['message']) for f in result['findings']]}"
    )
    if not expected:
        assert result["findings"] == []
        assert result["risk"] == "none"
    assert not result.get("unchecked"), f"{example['id']}: categories not checked: {result.get('unchecked')}"


@pytest.mark.parametrize("example", EXAMPLES)
def test_example_risk_follows_its_findings(example, example_reference, db):
    """An error makes the claim high risk; warnings only: low (one) or medium (several)."""
    example = _need(example)
    output = scrub_with_engine([{**example["claim"], "id": example["id"]}])
    [result] = output["claims"]
    severities = [f["severity"] for f in result["findings"]]
    warnings = severities.count("WARNING")
    expected = "high" if "ERROR" in severities else "medium" if warnings > 1 else "low" if warnings else "none"
    assert result["risk"] == expected


PTP_FACT = re.compile(r"PTP (\w{5})/(\w{5})\b.*?(?:MI|modifier indicator) ([019])")


def _cited_ptp(example: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [m.groups() for fact in example["facts"]["sourced"] for m in PTP_FACT.finditer(fact)]


EXAMPLES_CITING_PTP = [p for p in EXAMPLES if p.values[0] is None or _cited_ptp(p.values[0])]


@pytest.mark.parametrize("example", EXAMPLES_CITING_PTP)
def test_sourced_ptp_facts_are_in_the_test_database(example, example_reference, db):
    """The PTP rows an example's "facts" cite are present, open and carry the cited indicator."""
    example = _need(example)
    for column_1, column_2, indicator in _cited_ptp(example):
        rows = PTPEdit.objects.filter(column_1=column_1, column_2=column_2, deletion_date__isnull=True)
        assert [r.modifier_indicator for r in rows] == [int(indicator)], f"PTP {column_1}/{column_2}"


def test_supplement_mues_match_the_real_file(example_reference, db):
    """Guard against typos in the supplement: the MUE rows were copied from the 2026 Q2 practitioner file."""
    from tests.conftest import SHARED_DATA

    path = SHARED_DATA / "ncci_mue" / "MCR_MUE_PractitionerServices_Eff_04-01-2026.csv"
    if not path.exists():
        pytest.skip("real MUE file not available: ../shared/data is absent")
    wanted = {code for code, *_ in SUPPLEMENT_MUES}
    real = {}
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        cells = raw.split(",")
        if cells[0] in wanted:
            real[cells[0]] = (int(cells[1]), int(cells[2][0]))
    stored = {
        m.code: (m.value, m.adjudication_indicator)
        for m in MUELimit.objects.filter(code__in=wanted, service_type="practitioner")
    }
    assert stored == real


# --- the engine's shortcuts, held to the worked examples --------------------------------------------


def _examples_document() -> dict[str, Any]:
    examples = [param.values[0] for param in EXAMPLES if param.values[0] is not None]
    if not examples:
        pytest.skip(f"worked examples not available: {EXAMPLES_FILE} is absent (../shared/docs missing)")
    return {"claims": [{**example["claim"], "id": example["id"]} for example in examples]}


def test_pre_filters_never_change_the_findings(example_reference, db, monkeypatch):
    """The rules' ``when`` and ``claim_when`` pre-filters only spare calls that would find nothing: with
    every pre-filter switched off the worked examples give exactly the same output document."""
    from claims.rules import check_document, load_rule_modules, registry

    load_rule_modules()
    document = _examples_document()
    with_pre_filters = check_document(document)
    unfiltered = {
        rule_id: dataclasses.replace(rule, code_when=None, when=None, claim_when=None)
        for rule_id, rule in registry._rules.items()
    }
    monkeypatch.setattr(registry, "_rules", unfiltered)
    assert check_document(document) == with_pre_filters
    assert any(claim["findings"] for claim in with_pre_filters["claims"])


def test_batch_check_a_few_claims_at_a_time_gives_the_same_findings(example_reference, db, monkeypatch):
    """The batch check reads the claims as a stream and loads the reference data a chunk of claims at a
    time (the codes not seen before), with the PTP pairs from the release's index: the worked examples
    (history, drugs, NDCs, payer settings), two claims per chunk, come out exactly as when the data is
    loaded for the whole document at once."""
    from claims.rules import batch
    from claims.rules.engine import check_document

    monkeypatch.setattr(batch, "CHUNK_CLAIMS", 2)
    monkeypatch.setattr(batch, "READ_BYTES", 64)
    document = _examples_document()
    stream = io.BytesIO(json.dumps(document, indent=1).encode())
    reference_data, results = batch.iter_batch(batch.read_claims(stream), jobs=1)
    assert {"claims": list(results), "reference_data": reference_data} == check_document(document)


def test_checking_claims_makes_no_reference_cycles(example_reference, db):
    """The batch check's worker processes run without the garbage collector, so checking a claim must
    leave nothing that only the collector could free."""
    from claims.rules.context import ClaimContext
    from claims.rules.engine import BatchData, RulePlan, check_claim
    from claims.rules.inputs import parse_document

    claims = parse_document(_examples_document())
    batch = BatchData(claims)
    plan = RulePlan(batch.ref)

    def check_all() -> None:
        for claim in claims:
            check_claim(ClaimContext(claim, batch.ref, batch.payer_for(claim), batch.demographic_edits), plan).as_dict()

    check_all()  # first use: lazily loaded code sets and caches
    collecting = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        check_all()
        assert gc.collect() == 0
    finally:
        if collecting:
            gc.enable()
