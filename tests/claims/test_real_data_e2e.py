"""End to end: import the real CMS files of ../shared/data, then check claims built from their rows.

The files are imported once for the module with ClaimDesk's own importers (HCPCS Level II, PFS RVU,
NCCI PTP head file, practitioner MUE, add-on code edits) and the claims are checked with
``manage.py scrub_claims`` (``check_document`` until the command exists). Every claim is built from a
row read from the files at test time, never from hard-coded facts: a PTP pair with modifier indicator 0
and a deletion date, an MUE with MAI 2, a type-1 add-on edit, fee-schedule status I and N codes, a
terminated HCPCS code. Each is shown firing and, on a near-identical claim, staying silent. Only the
rule under test is asserted: real files carry other facts that other rules may legitimately report.
Skipped cleanly when ../shared/data is absent (a user's clone).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from tests.conftest import shared_file

from .conftest import rolled_back

pytestmark = pytest.mark.shared_data

HCPCS_TXT = "hcpcs_level2/HCPC2026_JAN_ANWEB_01122026.txt"
HCPCS_CSV = "hcpcs_level2/HCPC2026_JAN_ANWEB_01122026.csv"
RVU = "pfs_rvu/PPRRVU25_JAN_no_descriptors.csv"
PTP_HEAD = "ncci_ptp/ccipra-v322r0-f1_head.txt"
MUE = "ncci_mue/MCR_MUE_PractitionerServices_Eff_04-01-2026.csv"
AOC = "ncci_aoc/AOC_V2026Q2-MCR.csv"
CPT_CODE = re.compile(r"^\d{5}$")


def _ymd(value: str) -> date:
    return date(int(value[:4]), int(value[4:6]), int(value[6:8]))


# --- the module's database: the real files, imported once ------------------------------------------------
@pytest.fixture(scope="module")
def real_reference(django_db_setup, django_db_blocker):
    files = {name: shared_file(name) for name in (HCPCS_TXT, RVU, PTP_HEAD, MUE, AOC)}
    try:
        from codes.importers.ptp import PTPImporter
    except ImportError as error:  # another helper's module, possibly not finished yet
        pytest.skip(f"codes.importers.ptp is not available yet ({error})")
    from codes.importers.aoc import AOCImporter
    from codes.importers.hcpcs import HCPCSImporter
    from codes.importers.mue import MUEImporter
    from codes.importers.rvu import RVUImporter

    with rolled_back(django_db_blocker):
        # HCPCS first: the edit importers create codes they name that are not known yet.
        HCPCSImporter(files[HCPCS_TXT]).run()
        RVUImporter(files[RVU]).run()
        PTPImporter(files[PTP_HEAD], setting="practitioner").run()
        MUEImporter(files[MUE], service_type="practitioner").run()
        AOCImporter(files[AOC]).run()
        yield


def valid_on(code: str, *days: date) -> bool:
    """The code is in the imported code set and valid on every given date."""
    from codes.models import ProcedureCode

    row = ProcedureCode.objects.filter(code=code).first()
    if row is None:
        return False
    return all(
        (row.added_date is None or row.added_date <= day)
        and (row.termination_date is None or day <= row.termination_date)
        for day in days
    )


# --- claims ---------------------------------------------------------------------------------------------
def service(number: int, code: str, **fields: Any) -> dict[str, Any]:
    return {"line": number, "code": code, "modifiers": [], "units": 1, "charge": 100.0, "dx_pointers": ["A"], **fields}


def claim(claim_id: str, dos: date, *lines: dict[str, Any], payer_type: str = "medicare") -> dict[str, Any]:
    data = {
        "id": claim_id,
        "payer_type": payer_type,
        "payer_name": {"medicare": "Medicare Part B", "commercial": "Commercial PPO"}.get(payer_type, payer_type),
        "patient": {"dob": "1950-04-02", "sex": "F"},
        "billing_npi": "1234567893",
        "rendering_npi": "1993999998",
        "rendering_specialty": "08",
        "group_tin": "741234567",
        "dos": dos.isoformat(),
        "pos": "11",
        "submission_date": (dos + timedelta(days=7)).isoformat(),
        "diagnoses": ["I10"],
        "prior_auth_number": None,
        "history": [],
        "lines": list(lines),
    }
    if payer_type != "medicare":
        data["payer_config"] = {"timely_filing_days": 365, "apply_ncci": True}
    return data


def pairs(result: dict[str, Any], rule: str) -> list[tuple[int | None, str, str]]:
    return sorted((f["line"], f["rule"], f["category"]) for f in result["findings"] if f["rule"] == rule)


def check(scrub, *claims: dict[str, Any]) -> dict[str, dict[str, Any]]:
    output = scrub(list(claims))
    assert [c["id"] for c in output["claims"]] == [c["id"] for c in claims]
    return {c["id"]: c for c in output["claims"]}


# --- rows read from the files ---------------------------------------------------------------------------
@dataclass
class PTPPair:
    column_1: str
    column_2: str
    effective: date
    deletion: date
    rationale: str


def ptp_mi0_with_deletion() -> PTPPair:
    """The first MI 0 row of the PTP head file that was deleted after it took effect, both codes valid."""
    with shared_file(PTP_HEAD).open(encoding="utf-8", newline="") as handle:
        for raw in handle:
            cells = raw.rstrip("\r\n").split("\t")
            if len(cells) < 7 or not re.fullmatch(r"\d{8}", cells[3]) or not re.fullmatch(r"\d{8}", cells[4]):
                continue
            column_1, column_2, _, effective, deletion, indicator, rationale = cells[:7]
            effective_day, deletion_day = _ymd(effective), _ymd(deletion)
            if indicator != "0" or deletion_day - effective_day < timedelta(days=60):
                continue
            if valid_on(column_1, effective_day, deletion_day) and valid_on(column_2, effective_day, deletion_day):
                return PTPPair(column_1, column_2, effective_day, deletion_day, rationale)
    pytest.fail(f"no deleted MI 0 row in {PTP_HEAD}")


def mue_rows() -> list[tuple[str, int, str]]:
    """(code, MUE value, MAI text) of the practitioner MUE file (the preamble rows skipped)."""
    text = shared_file(MUE).read_text(encoding="utf-8", errors="replace")
    rows = []
    for cells in csv.reader(io.StringIO(text)):
        if len(cells) >= 3 and re.fullmatch(r"[0-9A-Z]{5}", cells[0]) and cells[1].strip().isdigit():
            rows.append((cells[0], int(cells[1]), cells[2]))
    return rows


def addon_rows() -> list[dict[str, str]]:
    with shared_file(AOC).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def rvu_rows() -> list[dict[str, str]]:
    text = shared_file(RVU).read_text(encoding="utf-8", errors="replace")
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("HCPCS,"))
    return list(csv.DictReader(io.StringIO("\n".join(lines[start:]))))


# --- the tests ------------------------------------------------------------------------------------------
def test_ptp_mi0_pair_fires_while_active_and_not_after_its_deletion(real_reference, db, scrub):
    pair = ptp_mi0_with_deletion()
    active_day = max(pair.effective, pair.deletion - timedelta(days=30))
    after_day = pair.deletion + timedelta(days=1)
    lines = (service(1, pair.column_1), service(2, pair.column_2))
    results = check(scrub, claim("PTP-ACTIVE", active_day, *lines), claim("PTP-DELETED", after_day, *lines))

    assert pairs(results["PTP-ACTIVE"], "PTP-MI0") == [(2, "PTP-MI0", "NCCI_PTP")], (pair, results["PTP-ACTIVE"])
    [finding] = [f for f in results["PTP-ACTIVE"]["findings"] if f["rule"] == "PTP-MI0"]
    assert finding["severity"] == "ERROR"
    assert pair.column_1 in finding["message"] and pair.column_2 in finding["message"]
    assert pairs(results["PTP-DELETED"], "PTP-MI0") == [], (pair, results["PTP-DELETED"])


def test_ptp_mi0_is_not_bypassed_by_a_modifier(real_reference, db, scrub):
    pair = ptp_mi0_with_deletion()
    active_day = max(pair.effective, pair.deletion - timedelta(days=30))
    results = check(
        scrub, claim("PTP-59", active_day, service(1, pair.column_1), service(2, pair.column_2, modifiers=["59"]))
    )
    assert pairs(results["PTP-59"], "PTP-MI0") == [(2, "PTP-MI0", "NCCI_PTP")]


def test_mue_mai2_fires_above_the_value_and_not_at_it(real_reference, db, scrub):
    dos = date(2026, 4, 15)
    add_ons = {row["Add-On_Code"] for row in addon_rows()}
    code, value, _ = next(
        (code, value, mai)
        for code, value, mai in sorted(mue_rows())
        if mai.startswith("2")
        and 1 <= value <= 3
        and CPT_CODE.match(code)
        and code not in add_ons
        and valid_on(code, dos)
    )
    results = check(
        scrub,
        claim("MUE-OVER", dos, service(1, code, units=value + 1)),
        claim("MUE-AT", dos, service(1, code, units=value)),
    )
    assert pairs(results["MUE-OVER"], "MUE-DOS-POLICY") == [(1, "MUE-DOS-POLICY", "MUE")], (code, value)
    [finding] = [f for f in results["MUE-OVER"]["findings"] if f["rule"] == "MUE-DOS-POLICY"]
    assert finding["severity"] == "ERROR"
    assert pairs(results["MUE-AT"], "MUE-DOS-POLICY") == []


def test_mue_mai2_sums_units_over_lines_of_the_same_date(real_reference, db, scrub):
    dos = date(2026, 4, 15)
    code, value, _ = next(
        (code, value, mai)
        for code, value, mai in sorted(mue_rows())
        if mai.startswith("2") and value == 1 and CPT_CODE.match(code) and valid_on(code, dos)
    )
    results = check(scrub, claim("MUE-SPLIT", dos, service(1, code), service(2, code, modifiers=["76"])))
    assert pairs(results["MUE-SPLIT"], "MUE-DOS-POLICY") == [(1, "MUE-DOS-POLICY", "MUE"), (2, "MUE-DOS-POLICY", "MUE")]


def test_type1_addon_without_its_primary_fires_and_with_it_is_silent(real_reference, db, scrub):
    dos = date(2026, 4, 15)
    row = next(
        row
        for row in sorted(addon_rows(), key=lambda r: (r["Add-On_Code"], r["Primary_Code"]))
        if row["AOC_Edit_Type"] == "1"
        and not (row["AOC_DelDT"] or row["Primary_Code_DelDT"] or row["AOC_Edit_DelDT"])
        and CPT_CODE.match(row["Add-On_Code"])
        and CPT_CODE.match(row["Primary_Code"])
        and valid_on(row["Add-On_Code"], dos)
        and valid_on(row["Primary_Code"], dos)
    )
    add_on, primary = row["Add-On_Code"], row["Primary_Code"]
    results = check(
        scrub,
        claim("AOC-ALONE", dos, service(1, add_on)),
        claim("AOC-WITH-PRIMARY", dos, service(1, primary), service(2, add_on)),
    )
    assert pairs(results["AOC-ALONE"], "AOC-NO-PRIMARY") == [(1, "AOC-NO-PRIMARY", "ADD_ON")], (add_on, primary)
    [finding] = [f for f in results["AOC-ALONE"]["findings"] if f["rule"] == "AOC-NO-PRIMARY"]
    assert finding["severity"] == "ERROR"  # type 1
    assert pairs(results["AOC-WITH-PRIMARY"], "AOC-NO-PRIMARY") == []


@pytest.mark.parametrize(("status", "severity"), [("I", "ERROR"), ("N", "WARNING")])
def test_fee_schedule_status_i_and_n_are_flagged_for_medicare_only(real_reference, db, scrub, status, severity):
    dos = date(2025, 3, 3)
    code = next(
        row["HCPCS"]
        for row in rvu_rows()
        if row["STATUS CODE"] == status
        and not row["MOD"]
        and CPT_CODE.match(row["HCPCS"])
        and not row["HCPCS"].startswith("99")  # E/M: preventive and substitution rules take precedence
        and row["GLOB DAYS"] != "ZZZ"  # not an add-on
        and valid_on(row["HCPCS"], dos)
    )
    results = check(
        scrub,
        claim("MPFS-MEDICARE", dos, service(1, code)),
        claim("MPFS-GY", dos, service(1, code, modifiers=["GY"])),
        claim("MPFS-COMMERCIAL", dos, service(1, code), payer_type="commercial"),
    )
    assert pairs(results["MPFS-MEDICARE"], "COD-MPFS-STATUS") == [(1, "COD-MPFS-STATUS", "CODE_VALIDITY")], code
    [finding] = [f for f in results["MPFS-MEDICARE"]["findings"] if f["rule"] == "COD-MPFS-STATUS"]
    assert finding["severity"] == severity
    assert f"status {status}" in finding["message"]
    assert pairs(results["MPFS-GY"], "COD-MPFS-STATUS") == []  # liability modifier (§0.6 rule 2)
    assert pairs(results["MPFS-COMMERCIAL"], "COD-MPFS-STATUS") == []  # Medicare only (§0.5)


def test_terminated_hcpcs_code_fires_after_its_termination_and_not_before(real_reference, db, scrub):
    with shared_file(HCPCS_CSV).open(encoding="latin-1", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["RECID"] == "3" and r["TERM DT"].strip()]
    row = next(
        r
        for r in sorted(rows, key=lambda r: r["HCPC"])
        if r["ADD DT"].strip() and _ymd(r["ADD DT"]) < _ymd(r["TERM DT"]) - timedelta(days=30)
    )
    code, terminated = row["HCPC"], _ymd(row["TERM DT"])
    results = check(
        scrub,
        claim("HCPCS-LAST-DAY", terminated, service(1, code)),
        claim("HCPCS-AFTER", terminated + timedelta(days=1), service(1, code)),
    )
    assert pairs(results["HCPCS-AFTER"], "COD-EFFECTIVE") == [(1, "COD-EFFECTIVE", "CODE_VALIDITY")], code
    after = results["HCPCS-AFTER"]["findings"]
    assert [f["rule"] for f in after if f["line"] == 1] == ["COD-EFFECTIVE"]  # §0.6 rule 1
    assert f"terminated {terminated:%Y-%m-%d}" in after[0]["message"]
    assert pairs(results["HCPCS-LAST-DAY"], "COD-EFFECTIVE") == []


def test_reference_releases_are_reported(real_reference, db, scrub):
    output = scrub([claim("RELEASES", date(2026, 4, 15), service(1, "99213"))])
    used = output.get("reference_data", {})
    assert {"hcpcs", "ptp", "mue", "aoc", "fee_schedule"} <= set(used), used
    assert used["aoc"] == "2026 Q2"
