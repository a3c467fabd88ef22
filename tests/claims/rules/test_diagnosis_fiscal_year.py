"""FMT-DX-INVALID judges diagnoses by the ICD-10-CM edition of the fiscal year containing the date of service
(October 1 to September 30), loaded in the database; a fiscal year with no edition is reported as not checked,
never judged by another year's code set (issue 11).

The shipped FY2021 and FY2025 editions are loaded (codes/icd10cm_editions/, from the simple-icd-10-cm
releases on PyPI): FY2022-FY2024 have none here.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from claims.rules import check_document
from codes.importers.icd10cm import shipped_importers

from ..conftest import rolled_back
from .builders import claim, line

pytestmark = pytest.mark.django_db
DX_VALIDITY = {"category": "FORMAT", "check": "Diagnosis code validity"}


@pytest.fixture(scope="module")
def editions(django_db_setup, django_db_blocker):
    """Loaded once for the module and rolled back after it."""
    with rolled_back(django_db_blocker):
        call_command("load_starter_data", "--without-icd10cm", stdout=StringIO())
        for importer in shipped_importers([2021, 2025]):
            importer.run()
        yield


def result_for(diagnoses: list[str], dos: str) -> dict:
    data = claim(line(1, "99213"), diagnoses=diagnoses, dos=dos, submission_date=dos)
    [result] = check_document({"claims": [data]})["claims"]
    return result


def rules(result: dict) -> set[str]:
    return {finding["rule"] for finding in result["findings"]}


def not_run(result: dict) -> list[dict]:
    return [
        entry
        for entry in result.get("unchecked_checks", [])
        if {key: entry[key] for key in DX_VALIDITY} == DX_VALIDITY
    ]


def test_a_code_that_took_effect_in_fy2025_is_unknown_in_fy2021_and_billable_in_fy2025(editions):
    early = result_for(["E66.811"], "2021-05-03")
    assert "FMT-DX-INVALID" in rules(early)
    [finding] = [f for f in early["findings"] if f["rule"] == "FMT-DX-INVALID"]
    assert "not in the ICD-10-CM code set" in finding["message"] and finding["data_release"].startswith("FY2021")
    assert "FMT-DX-INVALID" not in rules(result_for(["E66.811"], "2024-10-01"))  # FY2025's first day


def test_a_code_billable_until_fy2021_is_a_heading_in_fy2025(editions):
    assert "FMT-DX-INVALID" not in rules(result_for(["M54.5"], "2021-09-30"))  # FY2021's last day
    later = result_for(["M54.5"], "2025-03-03")
    [finding] = [f for f in later["findings"] if f["rule"] == "FMT-DX-INVALID"]
    assert "category heading" in finding["message"] and "M54.50" in finding["hint"]


def test_a_fiscal_year_without_an_edition_is_reported_as_not_checked(editions):
    """May 2024 is FY2024: E66.811 (from FY2025) is not passed, E66.8 (billable then) is not rejected."""
    result = result_for(["E66.811", "E66.8", "R10.2"], "2024-05-15")
    assert "FMT-DX-INVALID" not in rules(result)
    assert not_run(result) == [
        {
            **DX_VALIDITY,
            "reason": "no ICD-10-CM code set loaded for fiscal year 2024 (dates of service 2023-10-01 to 2024-09-30); "
            "check the codes by hand, and ask an administrator to import CMS's ICD-10-CM file of that year",
            "lines": None,
        }
    ]
    assert "FORMAT" in result["unchecked"]


def test_without_an_edition_the_format_is_still_checked(editions):
    result = result_for(["E11.9", "123"], "2023-02-01")
    [finding] = [f for f in result["findings"] if f["rule"] == "FMT-DX-INVALID"]
    assert "not in ICD-10-CM format" in finding["message"]
    assert not_run(result)


def test_a_fiscal_year_with_an_edition_reports_nothing_unchecked(editions):
    assert not_run(result_for(["E11.9"], "2025-01-06")) == []


def test_an_edition_imported_from_a_cms_file_replaces_the_shipped_one_for_its_year(editions, tmp_path):
    """A CMS order file for FY2025 that (for this test) lists E11.9 as a heading wins over the shipped edition."""
    order = tmp_path / "icd10cm_order_2025.txt"
    rows = [("E11", "0", "Type 2 diabetes mellitus"), ("E119", "0", "Type 2 diabetes mellitus without complications"),
            ("E1190", "1", "Type 2 diabetes mellitus without complications, test child")]  # fmt: skip
    order.write_text(
        "".join(f"{n:05d} {code:<7} {flag} {text[:60]:<60} {text}\n" for n, (code, flag, text) in enumerate(rows, 1)),
        encoding="utf-8",
    )
    call_command("import_icd10cm", str(order), stdout=StringIO())
    result = result_for(["E11.9"], "2025-01-06")
    [finding] = [f for f in result["findings"] if f["rule"] == "FMT-DX-INVALID"]
    assert "E11.90" in finding["hint"] and finding["data_release"] == "FY2025"
