"""The ICD-10-CM helpers behind FMT-DX-INVALID, FMT-DX-SEQ and DEM-SEX-DX, judged by one edition's code set."""

import pytest

from claims.rules import diagnoses

from .builders import icd10cm_code_set


@pytest.mark.parametrize(
    "raw, dotted",
    [("M54.50", "M54.50"), ("M5450", "M54.50"), ("m54.5", "M54.5"), (" I10 ", "I10"), ("S0181XA", "S01.81XA")],
)
def test_normalize_adds_the_dot(raw, dotted):
    assert diagnoses.normalize(raw) == dotted
    assert diagnoses.bare(raw) == dotted.replace(".", "")


@pytest.mark.parametrize(
    "code", ["M54.50", "M5450", "E11.9", "I10", "Z01.419", "S01.81XA", "W19.XXXA", "U07.1", "QA0.0101"]
)
def test_billable_codes_of_fy2026(code):
    result = diagnoses.check(code, icd10cm_code_set(2026))
    assert result.billable and result.status == diagnoses.VALID


def test_headers_are_not_billable_and_list_their_children():
    result = diagnoses.check("M54.5", icd10cm_code_set(2026))
    assert result.status == diagnoses.HEADER and not result.billable
    assert result.children == ("M54.50", "M54.51", "M54.59")
    assert diagnoses.check("E11", icd10cm_code_set(2026)).status == diagnoses.HEADER
    assert "heading" in result.reason()


def test_the_answer_depends_on_the_fiscal_year_edition():
    """M54.5 was billable until FY2021 and a heading from FY2022; E66.811 exists from FY2025 only."""
    assert diagnoses.check("M54.5", icd10cm_code_set(2021)).billable
    assert diagnoses.check("M54.5", icd10cm_code_set(2025)).status == diagnoses.HEADER
    assert diagnoses.check("E66.811", icd10cm_code_set(2021)).status == diagnoses.UNKNOWN
    assert diagnoses.check("E66.811", icd10cm_code_set(2025)).billable
    assert diagnoses.check("R10.2", icd10cm_code_set(2025)).billable
    assert diagnoses.check("R10.2", icd10cm_code_set(2026)).status == diagnoses.HEADER


@pytest.mark.parametrize("code", ["Z99.999", "A00.00"])
def test_unknown_codes(code):
    assert diagnoses.check(code, icd10cm_code_set(2026)).status == diagnoses.UNKNOWN


@pytest.mark.parametrize("code", ["", "123", "M54.5.0", "A00-A09", "E11.99999", "1"])
def test_malformed_codes(code):
    assert diagnoses.check(code, icd10cm_code_set(2026)).status == diagnoses.BAD_FORMAT
    assert not diagnoses.well_formed(code)


@pytest.mark.parametrize(
    "code, external", [("W19.XXXA", True), ("V00.01XA", True), ("Y93.01", True), ("S01.81XA", False)]
)
def test_external_cause(code, external):
    assert diagnoses.is_external_cause(code) is external


def test_shipped_fy2026_edition_agrees_with_the_library_tabular_tree():
    """The edition shipped for FY2026 decides billable status exactly as the installed simple-icd-10-cm (April
    2026) tabular tree does."""
    import random
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm as library

    edition = icd10cm_code_set(2026)
    codes = sorted(edition.billable | edition.headers)
    sample = random.Random(7).sample(codes, 3000) + ["M545", "M5450", "E11", "E119", "S0181XA", "R05"]
    for plain in sample:
        shown = f"{plain[:3]}.{plain[3:]}" if len(plain) > 3 else plain
        if not library.is_valid_item(shown):  # a 7th-character stub (S01.81X): a heading here, not listed there
            assert plain in edition.headers, shown
            continue
        assert library.is_leaf(shown) == (plain in edition.billable), shown


def test_headers_found_by_search_agree_with_the_whole_header_set_on_every_code_and_beginning():
    """``status`` and ``children`` search the sorted codes when asked; over every code of a shipped edition,
    every beginning of each and codes that are not there, they say what the whole header set says."""
    edition = icd10cm_code_set(2026)
    listed = edition.billable | edition.headers
    asked = {code[:length] for code in listed for length in range(1, len(code) + 2)} | {"E1", "Z", "QQQ", "E66812"}
    for code in sorted(asked):
        expected = "valid" if code in edition.billable else "header" if code in edition.headers else "unknown"
        assert edition.status(code) == expected, code
    for header in ("M545", "R05", "S0181", "E11", "Z00"):
        below = tuple(sorted(code for code in listed if len(code) == len(header) + 1 and code.startswith(header)))
        assert edition.children(header) == below, header
