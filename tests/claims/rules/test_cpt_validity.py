"""CPT code validity from public data (issue 11): the PFS relative value file of the year says which CPT
code numbers exist; where no loaded file can say, the check is reported as not run, never as passed.

The releases are imported with ``import_rvu`` from small files written here (real PPRRVU layout, rows of
the real files): RVU20D lists 99201 (deleted 2021-01-01), RVU26A does not; neither lists 99210 (never
a code).
"""

from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command

from claims.rules import check_document, load_rule_modules
from claims.rules.context import ClaimContext
from claims.rules.engine import RulePlan
from claims.rules.inputs import parse_claim
from claims.rules.reference import ReferenceData
from codes.choices import CodeOrigin, Source
from codes.models import ProcedureCode
from tests.codes.factories import make_code, make_fee, make_release

from .builders import claim, line, payer_for

pytestmark = pytest.mark.django_db

HEADER = (
    "HCPCS,MOD,STATUS CODE,NOT USED FOR MEDICARE PAYMENT,WORK RVU,PCTC IND,GLOB DAYS,MULT PROC,BILAT SURG,"
    "ASST SURG,CO- SURG,TEAM SURG,CONV FACTOR\n"
)
ROW = {
    "99201": "99201,,A,,0.48,0,XXX,0,0,0,0,0,36.0896\n",
    "99202": "99202,,A,,0.93,0,XXX,0,0,0,0,0,32.3465\n",
    "99213": "99213,,A,,1.30,0,XXX,0,0,0,0,0,32.3465\n",
    "0042T": "0042T,,C,,0.00,9,XXX,9,9,9,9,9,32.3465\n",
    "99417": "99417,,A,,0.61,0,ZZZ,0,0,0,0,0,32.3465\n",
    "J1100": "J1100,,E,,0.00,9,XXX,9,9,9,9,9,32.3465\n",
}
CPT_VALIDITY = {"category": "CODE_VALIDITY", "check": "CPT code validity"}


def import_rvu(tmp_path, name: str, *codes: str) -> None:
    path = tmp_path / name
    path.write_text(HEADER + "".join(ROW[code] for code in codes), encoding="utf-8")
    call_command("import_rvu", str(path), stdout=StringIO())


@pytest.fixture
def fee_files(tmp_path):
    """RVU20D (with 99201) and RVU26A (without it), as a practice that imported both would have them."""
    import_rvu(tmp_path, "PPRRVU20_OCT.csv", "99201", "99202", "99213", "J1100")
    import_rvu(tmp_path, "PPRRVU26_JAN.csv", "99202", "99213", "99417", "0042T", "J1100")


def result_for(*lines, dos: str = "2026-03-09") -> dict:
    [result] = check_document({"claims": [claim(*lines, dos=dos, submission_date=dos)]})["claims"]
    return result


def findings(result: dict) -> list[tuple[int | None, str]]:
    return [(f["line"], f["rule"]) for f in result["findings"]]


def cpt_entries(result: dict) -> list[dict]:
    return [c for c in result.get("unchecked_checks", []) if c["check"] == "CPT code validity"]


class TestWithTheFeeScheduleFileOfTheYear:
    def test_a_deleted_code_is_not_valid_and_the_message_says_where_it_was_last_listed(self, fee_files):
        # The 2020 import made 99201 a known code with no dates (origin: edit file): the pre-filter must
        # still let COD-EFFECTIVE look at it.
        assert ProcedureCode.objects.get(code="99201").origin == CodeOrigin.EDIT_FILE
        result = result_for(line(1, "99201"), line(2, "99213"))
        assert findings(result) == [(1, "COD-EFFECTIVE")]
        [finding] = result["findings"]
        assert finding["message"] == (
            "99201 is not a CPT code of 2026: it is not in the Medicare physician fee schedule file RVU26A "
            "(DOS 2026-03-09); last listed in RVU20D."
        )
        assert finding["hint"].startswith("Use 99202")
        assert finding["data_release"] == "RVU26A"
        assert cpt_entries(result) == []

    def test_a_code_that_never_existed_is_not_valid(self, fee_files):
        result = result_for(line(1, "99210"))
        assert findings(result) == [(1, "COD-EFFECTIVE")]
        assert "not in the Medicare physician fee schedule file RVU26A" in result["findings"][0]["message"]
        assert "nor in any other loaded one" in result["findings"][0]["message"]
        assert result["risk"] == "high"

    def test_a_listed_code_passes(self, fee_files):
        result = result_for(line(1, "99213"), line(2, "99202"))
        assert findings(result) == []
        assert cpt_entries(result) == []

    def test_the_file_of_the_year_decides_for_an_older_date_of_service(self, fee_files):
        # 99201 was a code in 2020: judged by RVU20D, not by the newest file.
        assert findings(result_for(line(1, "99201"), dos="2020-11-02")) == []

    def test_a_code_of_a_later_year_is_not_valid_before_it(self, fee_files):
        result = result_for(line(1, "99417"), dos="2020-11-02")  # 99417 came in 2021
        assert findings(result) == [(1, "COD-EFFECTIVE")]
        assert result["findings"][0]["message"] == (
            "99417 is not a CPT code of 2020: it is not in the Medicare physician fee schedule file RVU20D "
            "(DOS 2020-11-02); the loaded files list it from RVU26A (effective 2026-01-01)."
        )

    def test_a_year_without_its_file_is_not_checked(self, fee_files):
        result = result_for(line(1, "99201"), line(2, "99213"), dos="2025-06-02")
        assert findings(result) == []
        assert cpt_entries(result) == [
            {
                **CPT_VALIDITY,
                "reason": "no CPT code set loaded for 2025 (no licensed CPT file, no PFS relative value file of 2025)",
                "lines": [1, 2],
            }
        ]
        assert "CODE_VALIDITY" in result["unchecked"]

    def test_a_category_iii_code_the_file_does_not_list_is_not_judged(self, fee_files):
        result = result_for(line(1, "0043T"), line(2, "0042T"))
        assert [item for item in findings(result) if item[1] == "COD-EFFECTIVE"] == []
        [entry] = cpt_entries(result)
        assert entry["lines"] == [1]
        assert entry["reason"].startswith("no CPT code set loaded; the PFS relative value file RVU26A lists only some")

    def test_hcpcs_codes_are_not_judged_by_the_fee_schedule(self, fee_files):
        # J1100 is named only by the fee-schedule file, L3000 by nothing: without the HCPCS file neither is
        # checked; J0585 comes from a code file (the starter data's CMS rows): checked.
        make_code("J0585", added_date=date(2000, 1, 1))
        result = result_for(line(1, "J1100"), line(2, "L3000"), line(3, "J0585"))
        assert [item for item in findings(result) if item[1] == "COD-EFFECTIVE"] == []
        assert cpt_entries(result) == []
        [entry] = [c for c in result["unchecked_checks"] if c["check"] == "HCPCS Level II code validity"]
        assert entry == {
            "category": "CODE_VALIDITY",
            "check": "HCPCS Level II code validity",
            "reason": "no HCPCS Level II code file loaded",
            "lines": [1, 2],
        }

    def test_a_hcpcs_file_decides_for_hcpcs_codes(self, fee_files):
        make_release(Source.HCPCS, label="2026 January")
        result = result_for(line(1, "J1100"), line(2, "L3000"))
        assert findings(result) == [(2, "COD-EFFECTIVE")]  # not in the HCPCS file's code set
        assert [c for c in result.get("unchecked_checks", []) if c["lines"]] == []

    def test_a_licensed_cpt_file_decides_instead(self, fee_files):
        make_release(Source.CPT, label="cpt_2026", effective_date=date(2026, 1, 1))
        make_code("99215", origin=CodeOrigin.CPT_FILE)
        result = result_for(line(1, "99215"))  # not in RVU26A, but in the licensed file
        assert findings(result) == []
        assert cpt_entries(result) == []

    def test_the_pre_filter_lets_every_cpt_code_through_when_the_fee_schedule_decides(self, fee_files):
        load_rule_modules()
        data = claim(line(1, "99201"), line(2, "99210"), line(3, "99213"), dos="2026-03-09")
        parsed = parse_claim(data)
        ref = ReferenceData.load([parsed])
        plan = RulePlan(ref)
        assert [plan.kind(item).effective for item in parsed.lines] == [True, True, True]
        ctx = ClaimContext(parsed, ref, payer_for(data))
        from claims.rules.engine import check_claim

        assert [(f.line, f.rule) for f in check_claim(ctx, plan).findings] == [
            (1, "COD-EFFECTIVE"),
            (2, "COD-EFFECTIVE"),
        ]


class TestWithoutACPTSource:
    def test_no_cpt_source_at_all_lists_the_check_with_its_reason(self):
        result = result_for(line(1, "99201"), line(2, "99210"), line(3, "99213"))
        assert findings(result) == []
        assert cpt_entries(result) == [{**CPT_VALIDITY, "reason": "no CPT code set loaded", "lines": [1, 2, 3]}]
        assert "CODE_VALIDITY" in result["unchecked"]
        assert result["unchecked"] == sorted({entry["category"] for entry in result["unchecked_checks"]})

    def test_a_starter_fee_schedule_never_judges_a_code_absent(self, tmp_path):
        starter = make_release(Source.PFS_RVU, label="starter (2026 Q1)", is_starter=True)
        make_fee(starter, "99213")
        result = result_for(line(1, "99201"), line(2, "99213"))
        assert findings(result) == []
        assert cpt_entries(result) == [{**CPT_VALIDITY, "reason": "no CPT code set loaded", "lines": [1, 2]}]

    def test_a_missing_table_is_an_entry_too(self):
        result = result_for(line(1, "99213"))
        ptp = [entry for entry in result["unchecked_checks"] if entry["category"] == "NCCI_PTP"]
        assert ptp == [
            {
                "category": "NCCI_PTP",
                "check": "NCCI PTP (unbundling)",
                "reason": "no NCCI PTP edits (practitioner) loaded",
                "lines": None,
            }
        ]
