"""classify(): every boundary of every range, and the reasons for invalid codes."""

import pytest

from codes.classify import HCPCS_SECTIONS, classify, looks_unlisted


@pytest.mark.parametrize(
    ("code", "section"),
    [
        ("99202", "Evaluation and Management"),
        ("99499", "Evaluation and Management"),
        ("98000", "Evaluation and Management"),
        ("98016", "Evaluation and Management"),
        ("00100", "Anesthesia"),
        ("01999", "Anesthesia"),
        ("10004", "Surgery"),
        ("69990", "Surgery"),
        ("70010", "Radiology"),
        ("79999", "Radiology"),
        ("80047", "Pathology and Laboratory"),
        ("89398", "Pathology and Laboratory"),
        ("90281", "Medicine"),
        ("98017", "Medicine"),
        ("97999", "Medicine"),
        ("99201", "Medicine"),
        ("99500", "Medicine"),
        ("99607", "Medicine"),
    ],
)
def test_cpt_category_i_section_boundaries(code, section):
    result = classify(code)
    assert result.valid, result.reason
    assert (result.system, result.category, result.section) == ("CPT", "I", section)


@pytest.mark.parametrize(
    "code", ["00099", "02000", "10003", "69991", "70009", "80000", "80046", "89399", "90280", "99608", "99999", "00000"]
)
def test_numeric_codes_outside_every_cpt_range_are_invalid(code):
    result = classify(code)
    assert not result.valid
    assert "outside every CPT Category I section range" in result.reason


@pytest.mark.parametrize(("code", "valid"), [("0001F", True), ("9007F", True), ("0000F", False), ("9008F", False)])
def test_category_ii_range(code, valid):
    result = classify(code)
    assert result.valid is valid
    if valid:
        assert (result.system, result.category) == ("CPT", "II")
    else:
        assert "0001F-9007F" in result.reason


@pytest.mark.parametrize(("code", "valid"), [("0042T", True), ("0591T", True), ("9999T", True), ("0041T", False)])
def test_category_iii_range(code, valid):
    result = classify(code)
    assert result.valid is valid
    if valid:
        assert (result.category, result.section) == ("III", "Category III (emerging technology)")
    else:
        assert "0042T" in result.reason


@pytest.mark.parametrize(
    ("code", "section"),
    [
        ("0001U", "Pathology and Laboratory (proprietary laboratory analyses)"),
        ("0002M", "Pathology and Laboratory (multianalyte assays)"),
        ("0001A", "Medicine (vaccine product and administration)"),
    ],
)
def test_suffixed_category_i_codes(code, section):
    result = classify(code)
    assert (result.valid, result.system, result.category, result.section) == (True, "CPT", "I", section)


@pytest.mark.parametrize("code", ["0000U", "0000M", "0000A"])
def test_suffixed_codes_with_zero_number_are_invalid(code):
    assert not classify(code).valid


@pytest.mark.parametrize("letter", sorted(HCPCS_SECTIONS))
def test_every_hcpcs_section_letter_at_both_ends(letter):
    for code in (f"{letter}0000", f"{letter}9999"):
        result = classify(code)
        assert (result.valid, result.system, result.category) == (True, "HCPCS", "")
        assert result.section_letter == letter
        assert result.section == HCPCS_SECTIONS[letter]


@pytest.mark.parametrize("letter", ["F", "I", "N", "O", "W", "X", "Y", "Z"])
def test_letters_without_a_hcpcs_section_are_invalid(letter):
    result = classify(f"{letter}1234")
    assert not result.valid
    assert f"no section starts with '{letter}'" in result.reason


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("9921", "has 4 characters"),
        ("J01211", "has 6 characters"),
        ("0001G", "must end in F (Category II), T (Category III)"),
        ("", "empty"),
        ("   ", "empty"),
        ("J01A1", "neither a CPT code"),
        ("99-13", "neither a CPT code"),
    ],
)
def test_invalid_codes_say_why(code, reason):
    result = classify(code)
    assert not result.valid
    assert not result
    assert reason in result.reason


def test_input_is_trimmed_and_upper_cased():
    result = classify(" j0121 ")
    assert (result.code, result.valid, result.section_letter) == ("J0121", True, "J")


def test_non_text_input_is_invalid():
    assert classify(99213).reason == "A procedure code must be text."


@pytest.mark.parametrize(
    ("code", "expected"),
    [("17999", True), ("99499", True), ("01999", True), ("99213", False), ("J3490", False), ("0599T", False)],
)
def test_looks_unlisted(code, expected):
    assert looks_unlisted(code) is expected
