"""``manage.py scrub_claims``: json/csv/text output, exit status 2 for bad input, no partial output."""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from claims.output import CSV_COLUMNS, render_text
from codes.choices import Source
from tests.codes.factories import make_code, make_release

CLEAN = {
    "id": "CLEAN-1",
    "payer_type": "medicare",
    "payer_name": "Medicare Part B",
    "patient": {"dob": "1951-06-02", "sex": "M"},
    "billing_npi": "1234567893",
    "rendering_npi": "1234567893",
    "dos": "2026-03-09",
    "pos": "11",
    "submission_date": "2026-03-12",
    "diagnoses": ["J45.909"],
    "lines": [{"line": 1, "code": "99213", "units": 1, "charge": 120.0, "dx_pointers": ["A"]}],
}
# J1030 was terminated on 2024-03-31: COD-EFFECTIVE on line 2.
RISKY = {
    **copy.deepcopy(CLEAN),
    "id": "RISKY-1",
    "lines": [
        {"line": 1, "code": "99213", "units": 1, "charge": 120.0, "dx_pointers": ["A"]},
        {"line": 2, "code": "J1030", "units": 1, "charge": 14.0, "dx_pointers": ["A"]},
    ],
}
DOCUMENT = {"claims": [CLEAN, RISKY]}


@pytest.fixture
def reference_rows(db):
    release = make_release(Source.HCPCS, "2026 January")
    make_code("99213", release=release, added_date=date(1992, 1, 1))
    make_code("J1030", release=release, added_date=date(2000, 1, 1), termination_date=date(2024, 3, 31))
    return release


def write_input(tmp_path: Path, data, name: str = "claims.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def scrub(*args: str) -> str:
    out = io.StringIO()
    call_command("scrub_claims", *args, stdout=out)
    return out.getvalue()


def finding_pairs(document) -> dict[str, list[tuple]]:
    return {c["id"]: [(f["line"], f["rule"]) for f in c["findings"]] for c in document["claims"]}


# --- output formats ------------------------------------------------------------------------------


def test_json_is_the_default_and_follows_the_scrub_format(reference_rows, tmp_path):
    text = scrub(str(write_input(tmp_path, DOCUMENT)))
    assert text.startswith('{\n  "claims"')  # indent 2
    result = json.loads(text)
    assert set(result) == {"claims", "reference_data"}
    assert result["reference_data"]["hcpcs"] == "2026 January"
    clean, risky = result["claims"]
    assert clean["id"] == "CLEAN-1" and clean["findings"] == [] and clean["risk"] == "none"
    assert risky["risk"] == "high"
    assert (2, "COD-EFFECTIVE") in finding_pairs(result)["RISKY-1"]
    finding = next(f for f in risky["findings"] if f["rule"] == "COD-EFFECTIVE")
    assert finding["category"] == "CODE_VALIDITY" and finding["severity"] == "ERROR"
    assert "terminated 2024-03-31" in finding["message"] and finding["hint"]


def test_csv_has_one_row_per_finding_with_claim_id_and_risk(reference_rows, tmp_path):
    expected = json.loads(scrub(str(write_input(tmp_path, DOCUMENT))))
    rows = list(csv.DictReader(io.StringIO(scrub(str(write_input(tmp_path, DOCUMENT)), "--format", "csv"))))
    findings = [(c["id"], c["risk"], f) for c in expected["claims"] for f in c["findings"]]
    assert len(rows) == len(findings) > 0
    assert tuple(rows[0]) == CSV_COLUMNS
    for row, (claim_id, risk, finding) in zip(rows, findings, strict=True):
        assert row["claim_id"] == claim_id and row["risk"] == risk
        assert row["line"] == ("" if finding["line"] is None else str(finding["line"]))
        for name in ("rule", "category", "severity", "message", "hint", "carc", "rarc", "source", "data_release"):
            assert row[name] == finding[name]


def test_text_report_shows_each_claim_line_and_finding(reference_rows, tmp_path):
    report = scrub(str(write_input(tmp_path, DOCUMENT)), "--format", "text")
    assert "Claim CLEAN-1 · risk NONE · no findings" in report
    assert "Claim RISKY-1 · risk HIGH" in report
    block = report.split("Claim RISKY-1", 1)[1]
    assert "  Line 2" in block
    assert "ERROR    COD-EFFECTIVE  (CODE_VALIDITY)" in block
    assert "Fix: Use J1010" in block
    assert "CARC 181 · RARC N56" in block
    assert "Reference data used:\n  hcpcs: 2026 January\n" in report
    assert "2 claims checked. Risk: 1 high, 0 medium, 0 low, 1 none." in report


def test_text_report_lists_unchecked_categories():
    document = {
        "claims": [{"id": "X-1", "risk": "none", "findings": [], "unchecked": ["NCCI_PTP", "MUE"]}],
        "reference_data": {},
    }
    report = render_text(document)
    assert (
        "Claim X-1 · risk NONE · no findings; 2 checks not run\n"
        "  Not checked (reference table not loaded): NCCI_PTP, MUE\n"
    ) in report
    assert "Reference data: none loaded" in report


def test_text_report_says_which_checks_did_not_run_and_why():
    checks = [
        {
            "category": "CODE_VALIDITY",
            "check": "CPT code validity",
            "reason": "no CPT code set loaded",
            "lines": [1, 2],
        },
        {"category": "MUE", "check": "MUE (units)", "reason": "no MUE limits (practitioner) loaded", "lines": None},
    ]
    document = {
        "claims": [
            {
                "id": "X-1",
                "risk": "none",
                "findings": [],
                "unchecked": ["CODE_VALIDITY", "MUE"],
                "unchecked_checks": checks,
            }
        ],
        "reference_data": {},
    }
    report = render_text(document)
    assert report.startswith(
        "Claim X-1 · risk NONE · no findings; 2 checks not run\n"
        "  Not checked:\n"
        "    CPT code validity (lines 1, 2): no CPT code set loaded [CODE_VALIDITY]\n"
        "    MUE (units): no MUE limits (practitioner) loaded [MUE]\n"
    )


def test_json_output_lists_unchecked_categories_when_tables_are_missing(reference_rows, tmp_path):
    """Only the code set is loaded here: whatever could not run is named, never passed silently."""
    result = json.loads(scrub(str(write_input(tmp_path, {"claims": [CLEAN]}))))
    report = scrub(str(write_input(tmp_path, {"claims": [CLEAN]})), "--format", "text")
    unchecked = result["claims"][0].get("unchecked", [])
    assert unchecked == sorted(unchecked)
    for category in unchecked:
        assert category in report
    checks = result["claims"][0]["unchecked_checks"]
    assert sorted({check["category"] for check in checks}) == unchecked
    # no licensed CPT file, no fee-schedule file: 99213 on line 1 is not checked for validity
    assert {
        "category": "CODE_VALIDITY",
        "check": "CPT code validity",
        "reason": "no CPT code set loaded",
        "lines": [1],
    } in (checks)
    assert "CPT code validity (line 1): no CPT code set loaded [CODE_VALIDITY]" in report
    flowing = " ".join(report.split())  # long entries wrap at 100 characters
    for check in checks:
        assert f"{check['check']}" in flowing and check["reason"] in flowing


def test_output_file_is_written_and_nothing_printed(reference_rows, tmp_path):
    target = tmp_path / "out" / "result.json"
    target.parent.mkdir()
    assert scrub(str(write_input(tmp_path, DOCUMENT)), "--output", str(target)) == ""
    assert finding_pairs(json.loads(target.read_text(encoding="utf-8")))["RISKY-1"]
    assert [p.name for p in target.parent.iterdir()] == ["result.json"]  # no temporary file left


def test_stdin_is_read_with_a_dash(reference_rows, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(json.dumps(DOCUMENT).encode())))
    assert finding_pairs(json.loads(scrub("-")))["CLEAN-1"] == []


# --- malformed input: exit status 2, error names claim/line/field, nothing written -----------------


def bad_line_dos():
    data = copy.deepcopy(DOCUMENT)
    data["claims"][1]["lines"][1]["dos"] = "2026-02-30"
    return data


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (bad_line_dos(), "claim RISKY-1, line 2, field 'dos': '2026-02-30' is not a date"),
        ({"claims": [{**CLEAN, "payer_type": "tricare"}]}, "claim CLEAN-1, field 'payer_type'"),
        ({"claims": [{**CLEAN, "lines": []}]}, "claim CLEAN-1, field 'lines'"),
        ('{"claims": [', "is not valid JSON"),
        ({"claims": "none"}, "field 'claims'"),
    ],
)
def test_malformed_input_raises_returncode_2_and_writes_nothing(tmp_path, data, expected):
    target = tmp_path / "result.json"
    target.write_text("previous result", encoding="utf-8")
    out = io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command("scrub_claims", str(write_input(tmp_path, data)), "--output", str(target), stdout=out)
    assert error.value.returncode == 2
    assert expected in str(error.value)
    assert target.read_text(encoding="utf-8") == "previous result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["claims.json", "result.json"]
    assert out.getvalue() == ""


def test_missing_input_file_is_returncode_2(tmp_path):
    with pytest.raises(CommandError) as error:
        call_command("scrub_claims", str(tmp_path / "nope.json"))
    assert error.value.returncode == 2
    assert "cannot read" in str(error.value)


def run_manage(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "billing_site.settings"}
    return subprocess.run(
        [sys.executable, "manage.py", "scrub_claims", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_process_exit_status_is_2_with_the_error_on_stderr(tmp_path):
    """As a user runs it: malformed input is rejected before the database is touched."""
    data = copy.deepcopy(DOCUMENT)
    data["claims"][1]["lines"][0]["units"] = [1]
    target = tmp_path / "result.csv"
    done = run_manage(str(write_input(tmp_path, data)), "--output", str(target), "--format", "csv")
    assert done.returncode == 2
    assert "claim RISKY-1, line 1, field 'units'" in done.stderr
    assert done.stdout == ""
    assert not target.exists()


def test_process_exit_status_is_2_for_invalid_json(tmp_path):
    done = run_manage(str(write_input(tmp_path, "{not json")))
    assert done.returncode == 2
    assert "is not valid JSON" in done.stderr and "line 1, column 2" in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize("output_format", ["json", "csv", "text"])
def test_worker_processes_write_exactly_what_one_process_writes(reference_rows, tmp_path, output_format):
    """With --jobs 2 each claim is checked and written out (encoded) in a worker process; the document
    is byte for byte the one a single process writes."""
    claims = []
    for number in range(120):
        claim = copy.deepcopy(RISKY if number % 3 else CLEAN)
        claim["id"] = f"{claim['id']}-{number}"
        claims.append(claim)
    source = write_input(tmp_path, {"claims": claims})
    one = scrub(str(source), "--format", output_format, "--jobs", "1")
    assert scrub(str(source), "--format", output_format, "--jobs", "2") == one
    assert "RISKY-1-1" in one
