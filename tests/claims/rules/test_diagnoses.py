"""The ICD-10-CM helpers behind FMT-DX-INVALID, FMT-DX-SEQ and DEM-SEX-DX."""

import pytest

from claims.rules import diagnoses


@pytest.mark.parametrize(
    "raw, dotted",
    [("M54.50", "M54.50"), ("M5450", "M54.50"), ("m54.5", "M54.5"), (" I10 ", "I10"), ("S0181XA", "S01.81XA")],
)
def test_normalize_adds_the_dot(raw, dotted):
    assert diagnoses.normalize(raw) == dotted
    assert diagnoses.bare(raw) == dotted.replace(".", "")


@pytest.mark.parametrize("code", ["M54.50", "M5450", "E11.9", "I10", "Z01.419", "S01.81XA", "W19.XXXA", "U07.1"])
def test_billable_codes(code):
    result = diagnoses.check(code)
    assert result.billable and result.status == diagnoses.VALID


def test_headers_are_not_billable_and_list_their_children():
    result = diagnoses.check("M54.5")
    assert result.status == diagnoses.HEADER and not result.billable
    assert result.children == ("M54.50", "M54.51", "M54.59")
    assert diagnoses.check("E11").status == diagnoses.HEADER
    assert "heading" in result.reason()


@pytest.mark.parametrize("code", ["Z99.999", "A00.00"])
def test_unknown_codes(code):
    assert diagnoses.check(code).status == diagnoses.UNKNOWN


@pytest.mark.parametrize("code", ["", "123", "M54.5.0", "A00-A09", "E11.99999", "1"])
def test_malformed_codes(code):
    assert diagnoses.check(code).status == diagnoses.BAD_FORMAT


def test_lookups_are_cached():
    diagnoses.check.cache_clear()
    diagnoses.check("E11.9")
    diagnoses.check("E11.9")
    assert diagnoses.check.cache_info().hits == 1


@pytest.mark.parametrize(
    "code, external", [("W19.XXXA", True), ("V00.01XA", True), ("Y93.01", True), ("S01.81XA", False)]
)
def test_external_cause(code, external):
    assert diagnoses.is_external_cause(code) is external


def test_code_list_index_agrees_with_the_library_tabular_tree():
    """The fast code-list index decides billable status exactly as the library's XML tree does."""
    import random
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm as library

    codes = sorted(diagnoses.code_set().codes)
    sample = random.Random(7).sample(codes, 3000) + ["M545", "M5450", "E11", "E119", "S0181", "S0181XA", "R05"]
    for plain in sample:
        dotted = f"{plain[:3]}.{plain[3:]}" if len(plain) > 3 else plain
        assert library.is_valid_item(dotted), dotted
        assert library.is_leaf(dotted) == (plain not in diagnoses.code_set().headers), dotted
