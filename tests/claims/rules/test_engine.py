"""The engine around the rules: risk grading, unchecked categories, payer resolution, NCCI switch,
the output document of scrub-format.md, and input errors that name claim, line and field."""

from __future__ import annotations

import copy
import dataclasses
import io
import json
from datetime import date
from typing import Any

import pytest

from claims.choices import Category, Risk
from claims.models import Payer
from claims.rules import batch as batch_module
from claims.rules import check_document, load_rule_modules, registry
from claims.rules.batch import iter_batch, read_claims
from claims.rules.context import PAYER_TYPE_DEFAULTS
from claims.rules.engine import BatchData, ClaimResult, check_claim, grade_risk
from claims.rules.inputs import ScrubInputError, parse_claim, parse_document
from claims.rules.reference import REFERENCE_KEYS, TABLES
from claims.rules.registry import Finding, NotChecked
from codes.choices import MUEAdjudication, PTPModifierIndicator, Source
from codes.models import DiagnosisCode
from tests.codes.factories import make_code, make_fee, make_mue, make_pos, make_ptp, make_release

from .builders import claim, line, reference

FINDING_KEYS = {"line", "rule", "category", "severity", "message", "hint", "carc", "rarc", "source", "data_release"}


def finding(severity: str, rule: str = "X-TEST", line_no: int | None = 1) -> Finding:
    return Finding(line_no, rule, "FORMAT", severity, "message", "hint", "", "", "source", "")


# --- risk grading -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("severities", "risk"),
    [
        ([], "none"),
        (["INFO"], "none"),
        (["INFO", "INFO", "INFO"], "none"),
        (["WARNING"], "low"),
        (["WARNING", "INFO"], "low"),
        (["WARNING", "WARNING"], "medium"),
        (["WARNING", "WARNING", "WARNING", "INFO"], "medium"),
        (["ERROR"], "high"),
        (["ERROR", "WARNING", "WARNING"], "high"),
        (["INFO", "ERROR"], "high"),
    ],
)
def test_grade_risk(severities, risk):
    assert grade_risk(finding(s, rule=f"R{i}") for i, s in enumerate(severities)) == risk
    assert ClaimResult("C", [finding(s) for s in severities]).risk == risk


def test_claim_result_lists_unchecked_only_when_there_is_something_to_say():
    assert ClaimResult("C", []).as_dict() == {"id": "C", "risk": "none", "findings": []}
    assert ClaimResult("C", [], unchecked=["MUE"]).as_dict()["unchecked"] == ["MUE"]
    entry = NotChecked(Category.CODE_VALIDITY, "CPT code validity", "no CPT code set loaded", (1, 2))
    assert ClaimResult.of("C", [], [entry]).as_dict() == {
        "id": "C",
        "risk": "none",
        "findings": [],
        "unchecked": ["CODE_VALIDITY"],
        "unchecked_checks": [
            {
                "category": "CODE_VALIDITY",
                "check": "CPT code validity",
                "reason": "no CPT code set loaded",
                "lines": [1, 2],
            }
        ],
    }


# --- unchecked categories (no database: in-memory reference data) -------------------------------------------


def result_for(data: dict[str, Any], ref, payer=None) -> ClaimResult:
    from claims.rules.context import ClaimContext

    from .builders import payer_for

    load_rule_modules()
    return check_claim(ClaimContext(parse_claim(data), ref, payer or payer_for(data)))


def categories_needing(table: str, payer_type: str = "medicare") -> set[str]:
    load_rule_modules()
    return {rule.category for rule in registry.all() if table in rule.needs and rule.applies_to(payer_type)}


def test_missing_tables_are_listed_as_unchecked():
    ref = reference(codes=["99213"], loaded={"codes"})
    unchecked = result_for(claim(line(1, "99213")), ref).unchecked
    assert "NCCI_PTP" in unchecked and "MUE" in unchecked
    for table in TABLES:
        if table != "codes":
            assert categories_needing(table) <= set(unchecked), table
    assert unchecked == sorted(unchecked)


def test_loaded_tables_are_not_unchecked():
    ref = reference(codes=["99213"], loaded=set(TABLES))
    assert result_for(claim(line(1, "99213")), ref).unchecked == []


def test_a_category_is_unchecked_only_for_its_missing_table():
    ref = reference(codes=["99213"], loaded=set(TABLES) - {"ptp"})
    unchecked = set(result_for(claim(line(1, "99213")), ref).unchecked)
    assert unchecked == categories_needing("ptp") == {"NCCI_PTP"}


# --- which checks did not run, and why (unchecked_checks) ----------------------------------------------------


def test_a_missing_table_names_the_check_and_the_reason():
    ref = reference(codes=["99213"], loaded=set(TABLES) - {"ptp", "mue"})
    result = result_for(claim(line(1, "99213")), ref)
    assert [check.as_dict() for check in result.unchecked_checks] == [
        {"category": "MUE", "check": "MUE (units)", "reason": "no MUE limits (practitioner) loaded", "lines": None},
        {
            "category": "NCCI_PTP",
            "check": "NCCI PTP (unbundling)",
            "reason": "no NCCI PTP edits (practitioner) loaded",
            "lines": None,
        },
    ]
    assert result.unchecked == ["MUE", "NCCI_PTP"]
    output = result.as_dict()
    assert output["unchecked"] == ["MUE", "NCCI_PTP"]
    assert [entry["check"] for entry in output["unchecked_checks"]] == ["MUE (units)", "NCCI PTP (unbundling)"]


def test_a_rule_reports_a_check_it_could_not_run_through_the_context():
    from claims.rules.context import ClaimContext

    from .builders import payer_for

    data = claim(line(1, "99213"), line(2, "99214"))
    ctx = ClaimContext(parse_claim(data), reference(codes=["99213"]), payer_for(data))
    reason = "no ICD-10-CM code set loaded for fiscal year 2024 (DOS 2023-10-01 to 2024-09-30)"
    for number in (2, 1, 2):
        ctx.not_checked(category=Category.CODE_VALIDITY, check="Diagnosis code validity", reason=reason, line=number)
    ctx.not_checked(category=Category.DEMOGRAPHIC, check="Age edits", reason="no date of birth")
    assert [check.as_dict() for check in ctx.unchecked_checks] == [
        {"category": "CODE_VALIDITY", "check": "Diagnosis code validity", "reason": reason, "lines": [2, 1]},
        {"category": "DEMOGRAPHIC", "check": "Age edits", "reason": "no date of birth", "lines": None},
    ]
    assert ctx.unchecked_checks[0].text == f"Diagnosis code validity (lines 2, 1): {reason}"


def test_the_engine_puts_what_rules_could_not_run_in_the_result():
    # Starter data only (no code set complete, no fee-schedule file): CPT validity is not checked.
    ref = reference(codes=["99213"], loaded={"codes"})
    ref.complete_systems = frozenset()
    result = result_for(claim(line(1, "99213"), line(2, "99210")), ref)
    assert [f.rule for f in result.findings if f.category == Category.CODE_VALIDITY] == []
    assert [check.as_dict() for check in result.unchecked_checks if check.lines] == [
        {
            "category": "CODE_VALIDITY",
            "check": "CPT code validity",
            "reason": "no CPT code set loaded",
            "lines": [1, 2],
        }
    ]
    assert "CODE_VALIDITY" in result.unchecked


# --- the NCCI switch ---------------------------------------------------------------------------------------


def ncci_claim(**fields):
    # 99211 is the column-2 code of an indicator-0 edit with 96372; J1100 x 3 exceeds its MUE of 1 (MAI 2).
    return claim(
        line(1, "96372"), line(2, "99211"), line(3, "J1100", units=3), payer_type="commercial", payer_name="", **fields
    )


def ncci_reference():
    from .builders import mue, ptp

    return reference(
        codes=["96372", "99211", "J1100"],
        ptp=[ptp("96372", "99211", 0)],
        mue=[mue("J1100", 1, mai=2)],
        loaded=set(TABLES),
    )


def categories(result: ClaimResult) -> set[str]:
    return {f.category for f in result.findings}


def test_ncci_edits_apply_by_default():
    found = categories(result_for(ncci_claim(), ncci_reference()))
    assert {"NCCI_PTP", "MUE"} <= found


def test_apply_ncci_false_skips_ptp_and_mue():
    data = ncci_claim(payer_config={"apply_ncci": False})
    result = result_for(data, ncci_reference())
    assert not categories(result) & {"NCCI_PTP", "MUE"}
    # Skipped on purpose, so not "unchecked" either, even with the tables missing.
    empty = reference(codes=["96372", "99211", "J1100"], loaded={"codes"})
    assert not set(result_for(data, empty).unchecked) & {"NCCI_PTP", "MUE"}


# --- payer resolution: inline payer_config > stored Payer (by name) > payer-type defaults -----------------------


def resolved(data: dict[str, Any]):
    parsed = parse_document({"claims": [data]})
    return BatchData(parsed).payer_for(parsed[0])


@pytest.mark.django_db
def test_payer_type_defaults_without_a_stored_payer():
    payer = resolved(claim(line(1, "99213"), payer_type="commercial", payer_name="Nobody Health"))
    defaults = PAYER_TYPE_DEFAULTS["commercial"]
    assert (payer.timely_filing_days, payer.apply_ncci, payer.rejects_s_codes) == (
        defaults["timely_filing_days"],
        defaults["apply_ncci"],
        defaults["rejects_s_codes"],
    )
    assert payer.pa_required_codes == frozenset()


@pytest.mark.django_db
def test_stored_payer_is_found_by_name_and_overrides_the_defaults():
    Payer.objects.create(
        name="Acme Health",
        payer_type="commercial",
        timely_filing_days=120,
        apply_ncci=False,
        rejects_s_codes=True,
        pa_required_codes="J1745, Q5103",
        pa_required_ranges="J9000-J9999",
        preferred_products={"infliximab": {"preferred": ["Q5103"], "non_preferred": ["J1745"]}},
    )
    payer = resolved(claim(line(1, "99213"), payer_type="commercial", payer_name="acme health"))
    assert (payer.timely_filing_days, payer.apply_ncci, payer.rejects_s_codes) == (120, False, True)
    assert payer.pa_required_codes == {"J1745", "Q5103"}
    assert payer.requires_prior_auth("J9035") and not payer.requires_prior_auth("J1100")
    assert payer.preferred_products == {"infliximab": {"preferred": ("Q5103",), "non_preferred": ("J1745",)}}


@pytest.mark.django_db
def test_inline_payer_config_overrides_the_stored_payer():
    Payer.objects.create(name="Acme Health", payer_type="commercial", timely_filing_days=120, apply_ncci=False)
    data = claim(
        line(1, "99213"),
        payer_type="commercial",
        payer_name="Acme Health",
        payer_config={"timely_filing_days": 30, "apply_ncci": True, "pa_required_codes": ["J0897"]},
    )
    payer = resolved(data)
    assert (payer.timely_filing_days, payer.apply_ncci, payer.pa_required_codes) == (30, True, {"J0897"})
    # A key left out of payer_config keeps the stored setting.
    payer = resolved({**data, "payer_config": {"pa_required_codes": []}})
    assert (payer.timely_filing_days, payer.apply_ncci, payer.pa_required_codes) == (120, False, frozenset())


@pytest.mark.django_db
def test_stored_payer_of_another_type_is_not_used():
    Payer.objects.create(name="Acme Health", payer_type="commercial", timely_filing_days=120)
    payer = resolved(claim(line(1, "99213"), payer_type="medicare", payer_name="Acme Health"))
    assert payer.timely_filing_days == PAYER_TYPE_DEFAULTS["medicare"]["timely_filing_days"]


@pytest.mark.django_db
def test_stored_payer_without_ncci_skips_ptp_through_check_document():
    hcpcs = make_release(Source.HCPCS, "2026 January")
    for code in ("96372", "99211"):
        make_code(code, release=hcpcs, added_date=date(2000, 1, 1))
    ptp = make_release(Source.PTP_PRACTITIONER, "PTP 2026Q1")
    make_ptp(ptp, "96372", "99211", modifier_indicator=PTPModifierIndicator.NOT_ALLOWED)
    data = claim(line(1, "96372"), line(2, "99211"), payer_type="commercial", payer_name="Acme Health")
    with_ncci = check_document({"claims": [data]})["claims"][0]
    assert (2, "PTP-MI0") in {(f["line"], f["rule"]) for f in with_ncci["findings"]}
    Payer.objects.create(name="Acme Health", payer_type="commercial", apply_ncci=False)
    without = check_document({"claims": [data]})["claims"][0]
    assert not any(f["category"] == "NCCI_PTP" for f in without["findings"])


# --- the output document (scrub-format.md) -------------------------------------------------------------


@pytest.fixture
def all_tables(db):
    """One release of every table the rules read, with the facts a plain office visit needs."""
    labels = {
        Source.HCPCS: "2026 January",
        Source.PTP_PRACTITIONER: "PTP 2026Q1",
        Source.MUE_PRACTITIONER: "MUE 2026Q1",
        Source.AOC: "AOC 2026Q1",
        Source.PFS_RVU: "RVU26A",
        Source.POS: "POS 2026",
        Source.NDC_CROSSWALK: "NDC 2026Q1",
    }
    releases = {source: make_release(source, label) for source, label in labels.items()}
    make_code("99213", release=releases[Source.HCPCS], added_date=date(1992, 1, 1))
    make_code("J1030", release=releases[Source.HCPCS], added_date=date(2000, 1, 1), termination_date=date(2024, 3, 31))
    make_fee(releases[Source.PFS_RVU], "99213", "A")
    make_mue(releases[Source.MUE_PRACTITIONER], "99213", 1, adjudication_indicator=MUEAdjudication.DOS_CLINICAL)
    make_pos("11", "Office")
    # The ICD-10-CM edition of the claims' fiscal year, with the diagnosis they carry (not a reference key:
    # a finding names the edition it used).
    icd10cm = make_release(Source.ICD10CM, "FY2026", effective_date=date(2025, 10, 1))
    DiagnosisCode.objects.create(release=icd10cm, code="J45909", billable=True, description="Asthma, test")
    return labels


def test_output_document_shape(all_tables):
    clean = claim(line(1, "99213"), id="CLEAN")
    risky = claim(line(1, "99213"), line(2, "J1030"), id="RISKY")
    document = check_document({"claims": [clean, risky]})
    assert set(document) == {"claims", "reference_data"}
    assert document["reference_data"] == {REFERENCE_KEYS[source]: label for source, label in all_tables.items()}
    first, second = document["claims"]
    assert first == {"id": "CLEAN", "risk": "none", "findings": []}  # clean: no findings, nothing unchecked
    assert set(second) == {"id", "risk", "findings"}
    assert second["risk"] in Risk.values and second["risk"] == "high"
    for item in second["findings"]:
        assert set(item) == FINDING_KEYS
        assert item["category"] == registry.get(item["rule"]).category
        assert item["category"] in Category.values
        assert item["line"] is None or isinstance(item["line"], int)
    assert (2, "COD-EFFECTIVE") in {(f["line"], f["rule"]) for f in second["findings"]}


@pytest.mark.django_db
def test_empty_tables_are_unchecked_in_the_output_document():
    hcpcs = make_release(Source.HCPCS, "2026 January")
    make_code("99213", release=hcpcs, added_date=date(1992, 1, 1))
    document = check_document({"claims": [claim(line(1, "99213"))]})
    assert document["reference_data"] == {"hcpcs": "2026 January"}
    result = document["claims"][0]
    assert "NCCI_PTP" in result["unchecked"] and "MUE" in result["unchecked"]


@pytest.mark.django_db
def test_empty_document_is_refused_as_input():
    # scrub-format.md does not provide for a document without claims: a clear input error (issue 10), not a
    # server error deep in the reference-data look-ups.
    with pytest.raises(ScrubInputError, match="the document holds no claims") as caught:
        check_document({"claims": []})
    assert caught.value.field == "claims"


# --- input errors name claim, line and field; nothing is checked ---------------------------------------


def error_of(data: Any) -> ScrubInputError:
    with pytest.raises(ScrubInputError) as caught:
        parse_document(data)
    return caught.value


def two_claims() -> list[dict[str, Any]]:
    return [claim(line(1, "99213"), id="A-1"), claim(line(1, "99213"), line(2, "J1100"), id="B-2")]


def test_bad_claim_date_names_claim_and_field():
    claims = two_claims()
    claims[1]["dos"] = "2026-13-01"
    error = error_of({"claims": claims})
    assert (error.claim_id, error.line, error.field) == ("B-2", None, "dos")
    assert str(error) == "claim B-2, field 'dos': '2026-13-01' is not a date in the form YYYY-MM-DD"
    assert error.as_dict() == {"error": str(error), "claim": "B-2", "line": None, "field": "dos"}


def test_bad_line_date_names_claim_line_and_field():
    claims = two_claims()
    claims[1]["lines"][1]["dos"] = "03/09/2026"
    error = error_of({"claims": claims})
    assert (error.claim_id, error.line, error.field) == ("B-2", 2, "dos")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("charge", "abc"),
        ("charge", [1]),
        ("modifiers", "25"),
        ("units", {"n": 1}),
        ("code", 99213.5),
        ("dx_pointers", 1),
    ],
)
def test_wrong_type_names_the_line_field(field, value):
    claims = two_claims()
    claims[1]["lines"][1][field] = value
    error = error_of({"claims": claims})
    assert (error.claim_id, error.line, error.field) == ("B-2", 2, field)


def test_missing_or_empty_lines():
    for value in (None, [], "99213"):
        claims = two_claims()
        claims[0]["lines"] = value
        error = error_of({"claims": claims})
        assert (error.claim_id, error.line, error.field) == ("A-1", None, "lines")


def test_unknown_payer_type():
    claims = two_claims()
    claims[0]["payer_type"] = "tricare"
    error = error_of({"claims": claims})
    assert (error.claim_id, error.field) == ("A-1", "payer_type")
    assert "medicare, medicaid, commercial" in error.message


def test_duplicate_claim_ids():
    claims = two_claims()
    claims[1]["id"] = "A-1"
    error = error_of({"claims": claims})
    assert error.field == "id" and "repeated: A-1" in error.message


def test_claim_without_id_is_named_by_position():
    claims = two_claims()
    del claims[1]["id"]
    claims[1]["payer_type"] = None
    error = error_of({"claims": claims})
    assert error.claim_id == "#2" and error.field == "payer_type"


@pytest.mark.parametrize("document", [[], {"claim": []}, {"claims": {}}, "claims"])
def test_document_must_hold_a_claims_list(document):
    assert "claims" in str(error_of(document))


def test_input_is_not_mutated_and_errors_leave_no_result():
    claims = two_claims()
    snapshot = copy.deepcopy(claims)
    claims_bad = copy.deepcopy(claims)
    claims_bad[1]["lines"][0]["units"] = [2]
    with pytest.raises(ScrubInputError):
        check_document({"claims": claims_bad})  # raises before any database access
    assert claims == snapshot


@pytest.mark.django_db
def test_starter_code_set_does_not_make_other_codes_invalid():
    """With only the starter codes loaded, a real CPT code outside them is not called invalid."""
    from claims.rules.engine import check_document
    from codes.choices import Source
    from tests.codes.factories import make_code, make_release

    starter = make_release(Source.CPT, label="starter (2026)", is_starter=True)
    make_code("99213", release=starter)
    document = {
        "claims": [
            {
                "id": "S-1",
                "payer_type": "commercial",
                "dos": "2026-03-02",
                "submission_date": "2026-03-03",
                "diagnoses": ["J45.909"],
                "lines": [{"line": 1, "code": "29877", "charge": 10, "dx_pointers": ["A"]}],
            }
        ]
    }
    assert [f["rule"] for f in check_document(document)["claims"][0]["findings"]] == []
    licensed = make_release(Source.CPT, label="CPT 2026", is_starter=False)
    make_code("99214", release=licensed)
    assert [f["rule"] for f in check_document(document)["claims"][0]["findings"]] == ["COD-EFFECTIVE"]


def check_in_workers(document, *, jobs):
    """``iter_batch`` (the batch check of scrub_claims) collected into one output document."""
    reference_data, results = iter_batch(document["claims"], jobs=jobs)
    return {"claims": list(results), "reference_data": reference_data}


@pytest.mark.django_db
def test_batch_check_in_worker_processes_gives_the_same_document():
    """The batch check of scrub_claims with forked workers returns exactly what check_document returns."""

    release = make_release(Source.PTP_PRACTITIONER, label="v32.2")
    codes_release = make_release(Source.CPT, label="CPT 2026")
    for code in ("96372", "99211", "99213"):
        make_code(code, release=codes_release)
    make_ptp(release, "96372", "99211", modifier_indicator=PTPModifierIndicator.NOT_ALLOWED)
    claims = []
    for number in range(60):
        lines = [
            {"line": 1, "code": "96372", "charge": 30, "dx_pointers": ["A"]},
            {"line": 2, "code": "99211" if number % 2 else "99213", "charge": 20, "dx_pointers": ["A"]},
        ]
        claims.append(
            {
                "id": f"B-{number}",
                "payer_type": "medicare",
                "dos": "2026-03-02",
                "submission_date": "2026-03-03",
                "diagnoses": ["J45.909"],
                "lines": lines,
            }
        )
    document = {"claims": claims}
    expected = check_document(document)
    assert check_in_workers(document, jobs=2) == expected
    assert {f["rule"] for f in expected["claims"][1]["findings"]} == {"PTP-MI0"}


@pytest.mark.django_db
def test_batch_check_in_workers_reports_malformed_input_with_claim_line_and_field():

    claims = [
        {
            "id": f"B-{n}",
            "payer_type": "medicare",
            "dos": "2026-03-02",
            "lines": [{"line": 1, "code": "99213", "units": 1}],
        }
        for n in range(30)
    ]
    claims[17]["lines"][0]["dos"] = "2026-02-30"
    with pytest.raises(ScrubInputError) as error:
        check_in_workers({"claims": claims}, jobs=2)
    assert (error.value.claim_id, error.value.line, error.value.field) == ("B-17", 1, "dos")
    claims[17]["lines"][0]["dos"] = "2026-03-02"
    claims[20]["id"] = "B-3"
    with pytest.raises(ScrubInputError, match="repeated: B-3"):
        check_in_workers({"claims": claims}, jobs=2)


# --- pre-filters and reading the reference data ahead --------------------------------------------------


def test_a_rule_its_claim_pre_filter_rules_out_is_not_called(monkeypatch):
    """``claim_when`` is asked once per claim; when it says no, the line rule is not run on any line."""
    load_rule_modules()
    ref = reference(codes=["99213"])
    data = claim(line(1, "99213", units=0), line(2, "99213", units=1))
    assert "FMT-UNITS" in {f.rule for f in check_claim_of(data, ref)}
    asked = []
    rule = registry.get("FMT-UNITS")
    monkeypatch.setitem(
        registry._rules, "FMT-UNITS", dataclasses.replace(rule, claim_when=lambda ctx: asked.append(ctx) or False)
    )
    assert "FMT-UNITS" not in {f.rule for f in check_claim_of(data, ref)}
    assert len(asked) == 1


def check_claim_of(data: dict[str, Any], ref) -> list[Finding]:
    from .builders import findings

    return findings(data, ref)


def read_all(text: str, read_bytes: int, monkeypatch, *, as_text: bool = False) -> list[Any]:
    monkeypatch.setattr(batch_module, "READ_BYTES", read_bytes)
    return list(read_claims(io.BytesIO(text.encode()), as_text=as_text))


@pytest.mark.parametrize("read_bytes", [1, 3, 7, 64, 1 << 20])
def test_claims_are_read_one_at_a_time_whatever_the_window(read_bytes, monkeypatch):
    """The streaming reader gives exactly the claims ``json.loads`` reads, wherever the blocks it reads
    cut the text (inside strings, escapes, numbers, literals and multi-byte characters)."""
    claims = [
        {"id": "Ä-1", "payer_type": "medicare", "lines": [{"code": 99213, "units": 12.5, "ndc": None}]},
        {"id": 'quote"d \\ \u00e9', "flag": True, "other": False, "n": -1e3, "list": [[], {}, "ü€𝄞"]},
        12345,
        "text",
    ]
    document = {"note": {"claims": "not these"}, "claims": claims, "tail": [1, 2, 3]}
    for text in (
        json.dumps(document),
        json.dumps(document, indent=2, ensure_ascii=False),
        "\ufeff" + json.dumps(document),
    ):
        assert read_all(text, read_bytes, monkeypatch) == claims
        # As text (what the batch hands its workers): each claim's own JSON text, nothing around it.
        texts = read_all(text, read_bytes, monkeypatch, as_text=True)
        assert all(type(claim) is batch_module.ClaimText for claim in texts)
        assert [json.loads(claim) for claim in texts] == claims
        assert texts[2:] == ["12345", '"text"']
    assert read_all('{"claims": []}', read_bytes, monkeypatch) == []
    assert read_all('{"claims": []}', read_bytes, monkeypatch, as_text=True) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "is not valid JSON: Expecting value (line 1, column 1)"),
        ("{not json", "is not valid JSON: Expecting property name enclosed in double quotes (line 1, column 2)"),
        (
            '{"claims": [\n  {"id": 1},\n  {"id": 2,,}\n]}',
            "is not valid JSON: Expecting property name enclosed in double quotes (line 3, column 12)",
        ),
        ('{"claims": [{"id": 1}', "is not valid JSON: Expecting ',' delimiter (line 1, column 22)"),
        ('{"claims": [{"id": "open', "is not valid JSON: Unterminated string starting at (line 1, column 20)"),
        ('{"claims": [1]} x', "is not valid JSON: Extra data (line 1, column 17)"),
        ('{"claims": [NaN]}', "NaN is not a JSON number"),
        ('[{"id": 1}]', "the document must be a JSON object with a 'claims' list"),
        ('{"claim": []}', "the document must have a 'claims' list"),
        ('{"claims": "none"}', "the document must have a 'claims' list"),
        ('{"claims": [], "claims": []}', "more than one 'claims' list"),
    ],
)
@pytest.mark.parametrize("read_bytes", [5, 1 << 20])
def test_malformed_documents_are_reported_with_line_and_column(text, expected, read_bytes, monkeypatch):
    try:
        json.loads(text)
    except ValueError as error:  # the reader says what json says, where it says it
        if "JSON" in expected:
            assert f"{error.msg} (line {error.lineno}, column {error.colno})" in expected
    for as_text in (False, True):
        with pytest.raises(ScrubInputError) as error:
            read_all(text, read_bytes, monkeypatch, as_text=as_text)
        assert expected in str(error.value)


def test_bytes_that_are_not_utf8_are_reported():
    with pytest.raises(ScrubInputError, match="not UTF-8"):
        list(read_claims(io.BytesIO(b'{"claims": [{"id": "\xff"}]}')))


def test_the_input_is_read_only_as_fast_as_it_is_checked(db, monkeypatch):
    """The batch check holds a bounded number of chunks: a claim far down the input is not read before
    the first results are out."""
    monkeypatch.setattr(batch_module, "CHUNK_CLAIMS", 5)
    read = []

    def claims():
        for number in range(1, 1000):
            read.append(number)
            yield {"id": f"S-{number}", "payer_type": "commercial", "dos": "2026-03-02", "lines": [{"code": "99213"}]}

    _, results = iter_batch(claims(), jobs=1)
    next(results)
    assert len(read) <= batch_module.PARALLEL_MINIMUM + batch_module.CHUNK_CLAIMS


@pytest.mark.django_db(transaction=True)
def test_worker_processes_reading_the_database_themselves_give_the_same_results(monkeypatch):
    """Each worker process loads the reference facts of its chunks' codes itself (the PTP pairs from the
    shared index): thousands of claims in two workers come out as ``check_document`` gives them."""
    from django.db import connection

    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("an in-memory SQLite database cannot be read by another process")
    monkeypatch.setattr(batch_module, "CHUNK_CLAIMS", 97)
    release = make_release(Source.PTP_PRACTITIONER, label="v32.2")
    codes_release = make_release(Source.CPT, label="CPT 2026")
    for code in ("96372", "99211", "99213"):
        make_code(code, release=codes_release)
    make_ptp(release, "96372", "99211", modifier_indicator=PTPModifierIndicator.NOT_ALLOWED)
    claims = [
        {
            "id": f"P-{number}",
            "payer_type": "medicare",
            "dos": "2026-03-02",
            "submission_date": "2026-03-03",
            "diagnoses": ["J45.909"],
            "lines": [
                {"line": 1, "code": "96372", "charge": 30, "dx_pointers": ["A"]},
                {"line": 2, "code": "99211" if number % 2 else "99213", "charge": 20, "dx_pointers": ["A"]},
            ],
        }
        for number in range(2000)
    ]
    expected = check_document({"claims": claims})
    assert check_in_workers({"claims": claims}, jobs=2) == expected
    # The claims as scrub_claims reads them: JSON text, decoded in the workers.
    as_text = [batch_module.ClaimText(json.dumps(claim)) for claim in claims]
    assert check_in_workers({"claims": as_text}, jobs=2) == expected
    assert {f["rule"] for f in expected["claims"][1]["findings"]} == {"PTP-MI0"}
