"""FORMAT rules, each shown firing and staying silent; plus the worked examples for the rules of the
FORMAT, CODE_VALIDITY (except COD-EFFECTIVE), DEMOGRAPHIC, DUPLICATE, TIMELY_FILING and AUTHORIZATION
modules written with them."""

import copy
import json
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings

from claims.rules.formatting import npi_is_valid

from .builders import claim, code, findings, line, place, reference, run

FORMAT_RULES = {
    "FMT-NPI-LUHN",
    "FMT-DX-COUNT",
    "FMT-DX-INVALID",
    "FMT-DX-SEQ",
    "FMT-POS",
    "FMT-UNITS",
    "FMT-MOD-COUNT",
    "FMT-DOS",
}
# Every rule of the modules this test family covers (see the module docstring).
OUR_RULES = FORMAT_RULES | {
    "COD-MPFS-STATUS",
    "COD-HCPCS-COV",
    "COD-S-CODE",
    "COD-T-CODE",
    "COD-C-CODE",
    "COD-CAT2-CHARGE",
    "COD-CAT2-ONLY",
    "COD-UNLISTED-DESC",
    "COD-CAT3",
    "DEM-AGE-PREVENTIVE",
    "DEM-AGE-CODE",
    "DEM-SEX-PROC",
    "DEM-SEX-DX",
    "DUP-LINE",
    "DUP-HISTORY",
    "TF-LIMIT",
    "AUTH-MISSING",
    "AUTH-MISMATCH",
}
PLACES = [place("10", "Telehealth in patient's home"), place("11"), place("24", "ASC", "facility")]


def fmt(data, ref=None):
    """(line, rule) pairs of the FORMAT rules only; other families are tested in their own files."""
    ref = ref or reference(codes=["99213", "99214"], places=PLACES)
    return [pair for pair in run(data, ref) if pair[1] in FORMAT_RULES]


class TestNpiLuhn:
    def test_check_digit(self):
        assert npi_is_valid("1234567893")
        assert npi_is_valid("1993999998")
        assert not npi_is_valid("1234567890")
        assert not npi_is_valid("3234567893")  # must start with 1 or 2
        assert not npi_is_valid("123456789")

    def test_bad_billing_npi_fires_at_claim_level(self):
        [finding] = [
            f for f in findings(claim(line(1, "99213"), billing_npi="1234567890"), _ref()) if f.rule in FORMAT_RULES
        ]
        assert (finding.line, finding.rule, finding.category, finding.severity) == (
            None,
            "FMT-NPI-LUHN",
            "FORMAT",
            "ERROR",
        )
        assert "1234567890 (billing)" in finding.message

    def test_valid_npis_are_silent(self):
        assert fmt(claim(line(1, "99213"), billing_npi="1234567893", rendering_npi="1993999998")) == []

    def test_line_rendering_npi_and_short_npi(self):
        data = claim(line(1, "99213", rendering_npi="1993999990"), referring_npi="12345")
        [finding] = [f for f in findings(data, _ref()) if f.rule == "FMT-NPI-LUHN"]
        assert finding.line is None
        assert "1993999990 (rendering, line 1)" in finding.message
        assert "12345 (referring)" in finding.message and "10 digits" in finding.message


def _ref(**facts):
    return reference(codes=["99213", "99214", "99215", "G0439"], places=PLACES, **facts)


class TestDxCount:
    def test_five_pointers_fire_on_the_line(self):
        data = claim(
            line(1, "99213"),
            line(2, "99214", dx_pointers=["A", "B", "C", "D", "E"]),
            diagnoses=["E11.9", "I10", "E78.5", "K21.9", "R07.9"],
        )
        [finding] = [f for f in findings(data, _ref()) if f.rule in FORMAT_RULES]
        assert (finding.line, finding.rule, finding.category) == (2, "FMT-DX-COUNT", "FORMAT")
        assert "A, B, C, D, E" in finding.message

    def test_four_pointers_are_silent(self):
        data = claim(line(1, "99214", dx_pointers=["A", "B", "C", "D"]), diagnoses=["E11.9", "I10", "E78.5", "K21.9"])
        assert fmt(data) == []

    @pytest.mark.parametrize(
        "pointers, diagnoses",
        [
            ([], ["I10"]),  # no pointer
            (["B"], ["I10"]),  # points past the list
            (["M"], ["I10"]),  # not A-L
            (["1"], ["I10"]),  # numeric pointer: not a letter
            (["A"], ["I10"] * 13),  # more than 12 diagnoses on the claim
        ],
    )
    def test_bad_structure_fires(self, pointers, diagnoses):
        assert fmt(claim(line(1, "99213", dx_pointers=pointers), diagnoses=diagnoses)) == [(1, "FMT-DX-COUNT")]


class TestDxInvalid:
    def test_header_code_fires_at_claim_level_with_its_children(self):
        [finding] = [
            f
            for f in findings(claim(line(1, "99213"), diagnoses=["M54.5"], dos="2024-08-12"), _ref())
            if f.rule in FORMAT_RULES
        ]
        assert (finding.line, finding.rule, finding.category, finding.severity) == (
            None,
            "FMT-DX-INVALID",
            "FORMAT",
            "ERROR",
        )
        assert finding.message.startswith("Diagnosis M54.5 is not a billable ICD-10-CM code for DOS 2024-08-12")
        assert "M54.50" in finding.hint and "M54.59" in finding.hint

    @pytest.mark.parametrize("dx", ["M54.50", "M5450", "E11.9", "S01.81XA", "U07.1"])
    def test_billable_codes_with_or_without_dot_are_silent(self, dx):
        assert fmt(claim(line(1, "99213"), diagnoses=[dx])) == []

    @pytest.mark.parametrize("dx", ["E11", "Z99.999", "M54.5.0", "123", "E11.9999"])
    def test_headers_unknown_and_malformed_codes_fire(self, dx):
        assert fmt(claim(line(1, "99213"), diagnoses=[dx])) == [(None, "FMT-DX-INVALID")]

    def test_several_bad_codes_make_one_finding(self):
        data = claim(line(1, "99213", dx_pointers=["A", "B"]), diagnoses=["E11", "M54.5", "I10"])
        [finding] = [f for f in findings(data, _ref()) if f.rule == "FMT-DX-INVALID"]
        assert "E11" in finding.message and "M54.5" in finding.message and "I10" not in finding.message


class TestDxSequence:
    def test_external_cause_first_fires(self):
        data = claim(line(1, "99213", dx_pointers=["A", "B"]), diagnoses=["W19.XXXA", "S01.81XA"])
        [finding] = [f for f in findings(data, _ref()) if f.rule in FORMAT_RULES]
        assert (finding.line, finding.rule, finding.category, finding.severity) == (
            1,
            "FMT-DX-SEQ",
            "FORMAT",
            "WARNING",
        )
        assert "W19.XXXA" in finding.message

    def test_external_cause_second_is_silent(self):
        assert fmt(claim(line(1, "99213", dx_pointers=["B", "A"]), diagnoses=["W19.XXXA", "S01.81XA"])) == []


class TestPlaceOfService:
    REF = reference(codes=["99213"], places=[*PLACES, place("35", "Unassigned", "unassigned")])

    @pytest.mark.parametrize("pos", ["35", "77"])
    def test_unassigned_or_unknown_claim_pos_fires_at_claim_level(self, pos):
        [finding] = [f for f in findings(claim(line(1, "99213"), pos=pos), self.REF) if f.rule in FORMAT_RULES]
        assert (finding.line, finding.rule, finding.category) == (None, "FMT-POS", "FORMAT")
        assert f"Place of service {pos} is not a valid CMS POS code." == finding.message

    def test_bad_line_pos_fires(self):
        assert fmt(claim(line(1, "99213"), line(2, "99213", pos="35")), self.REF) == [(None, "FMT-POS")]

    def test_valid_pos_is_silent(self):
        assert fmt(claim(line(1, "99213"), line(2, "99213", pos="24", modifiers=["76"])), self.REF) == []

    def test_without_the_pos_table_the_format_family_is_unchecked(self):
        from claims.rules.context import ClaimContext
        from claims.rules.engine import check_claim
        from claims.rules.inputs import parse_claim

        from .builders import payer_for

        data = claim(line(1, "99213"), pos="35")
        result = check_claim(ClaimContext(parse_claim(data), reference(codes=["99213"]), payer_for(data)))
        assert "FORMAT" in result.unchecked
        assert [f.rule for f in result.findings if f.rule == "FMT-POS"] == []


class TestUnits:
    @pytest.mark.parametrize("fields", [{"units": 0}, {"units": -1}, {"units": "two"}, {"units": None}, {"charge": -5}])
    def test_bad_units_or_negative_charge_fire(self, fields):
        assert fmt(claim(line(1, "99213", **fields))) == [(1, "FMT-UNITS")]

    def test_positive_units_and_charge_are_silent(self):
        assert fmt(claim(line(1, "99213", units=2, charge=10))) == []


class TestModifierCount:
    def test_five_modifiers_fire(self):
        data = claim(line(1, "99213", modifiers=["25", "GA", "GY", "KX", "95"]))
        assert fmt(data) == [(1, "FMT-MOD-COUNT")]

    def test_four_modifiers_are_silent(self):
        assert fmt(claim(line(1, "99213", modifiers=["25", "GA", "KX", "95"]))) == []


class TestDateOfService:
    def test_dos_after_submission_fires(self):
        data = claim(
            line(1, "99213"), line(2, "99213", dos="2026-03-20", modifiers=["76"]), submission_date="2026-03-12"
        )
        assert fmt(data) == [(2, "FMT-DOS")]

    def test_dos_before_birth_fires(self):
        data = claim(line(1, "99213"), patient={"dob": "2026-03-10", "sex": "F"}, dos="2026-03-09")
        assert fmt(data) == [(1, "FMT-DOS")]

    def test_dos_on_submission_day_is_silent(self):
        assert fmt(claim(line(1, "99213"), dos="2026-03-12", submission_date="2026-03-12")) == []


def test_invalid_code_line_keeps_only_cod_effective():
    """§0.6 rule 1: COD-EFFECTIVE on a line suppresses the line-level FORMAT rules."""
    ref = reference(codes=[code("J1030", termination_date=date(2024, 3, 31))], places=PLACES)
    data = claim(line(1, "J1030", modifiers=["JW", "JZ", "GA", "GY", "KX"], units=0), dos="2024-04-01")
    assert [pair for pair in run(data, ref) if pair[1] in FORMAT_RULES | {"COD-EFFECTIVE"}] == [(1, "COD-EFFECTIVE")]


# --- The worked examples of scrub-examples.json -------------------------------------------------------
EXAMPLES = Path(settings.BASE_DIR).parent / "shared" / "docs" / "scrub-examples.json"


def _examples():
    if not EXAMPLES.exists():
        return []
    return json.loads(EXAMPLES.read_text())["examples"]


def _example_reference(example):
    """Every code of the example valid, except those the examples show terminated (J1030, 2024-03-31)."""
    claim_data = example["claim"]
    codes = {item["code"] for item in claim_data["lines"]} | {item["code"] for item in claim_data.get("history", [])}
    terminated = {"J1030": date(2024, 3, 31)}
    facts = [code(c, termination_date=terminated.get(c)) for c in sorted(codes)]
    return reference(codes=facts, places=PLACES)


@pytest.mark.parametrize("example", _examples(), ids=lambda e: e["id"])
def test_worked_example_findings_of_our_rules(example):
    """Each example gives exactly the expected findings of these modules' rules, and no others of them."""
    data = copy.deepcopy(example["claim"])
    got = sorted(
        ((f.line, f.rule, f.category) for f in findings(data, _example_reference(example)) if f.rule in OUR_RULES),
        key=str,
    )
    expected = sorted(
        ((item["line"], item["rule"], item["category"]) for item in example["expect"] if item["rule"] in OUR_RULES),
        key=str,
    )
    assert got == expected
