"""MUE rules (MUE-LINE, MUE-DOS-POLICY, MUE-DOS-CLINICAL, MUE-ZERO), each shown firing and staying silent."""

import pytest

from claims.rules import load_rule_modules
from claims.rules.context import ClaimContext
from claims.rules.engine import apply_precedence, check_claim
from claims.rules.inputs import parse_claim
from claims.rules.registry import Finding

from .builders import claim, fee, findings, line, mue, payer_for, reference, run
from .test_bundling import ALL_TABLES, OTHER_NPI, checked, example

MUE_RULES = {"MUE-LINE", "MUE-DOS-POLICY", "MUE-DOS-CLINICAL", "MUE-ZERO"}
NPI = "1234567893"

load_rule_modules()


def mue_only(data, ref):
    return [pair for pair in run(data, ref) if pair[1] in MUE_RULES]


def mue_findings(data, ref):
    return [f for f in findings(data, ref) if f.rule in MUE_RULES]


class TestMUELine:
    @staticmethod
    def ref():
        return reference(codes=["J3471", "20610"], mue=[mue("20610", 2, mai=1, rationale="Anatomic Consideration")])

    def test_line_units_above_the_value_fire(self):
        [finding] = mue_findings(claim(line(1, "20610", units=3)), self.ref())
        assert (finding.line, finding.rule, finding.category, finding.severity) == (1, "MUE-LINE", "MUE", "ERROR")
        assert finding.message == "Line 1: 3 units of 20610 exceed the MUE of 2 per line."
        assert "separate lines" in finding.hint
        assert (finding.carc, finding.rarc, finding.data_release) == ("151", "N362", "MUE-test")

    def test_at_the_value_is_silent(self):
        assert mue_only(claim(line(1, "20610", units=2)), self.ref()) == []

    def test_separate_lines_are_not_summed(self):
        data = claim(line(1, "20610", units=2, modifiers=["RT"]), line(2, "20610", units=2, modifiers=["LT"]))
        assert mue_only(data, self.ref()) == []


class TestMUEDosPolicy:
    def test_ex13_style_17000_times_3(self):
        ref = reference(codes=["17000", "17003"], mue=[mue("17000", 1, mai=2)])
        [finding] = mue_findings(claim(line(1, "17000", units=3)), ref)
        assert (finding.line, finding.rule, finding.category, finding.severity) == (1, "MUE-DOS-POLICY", "MUE", "ERROR")
        assert "3 units of 17000 on 2026-03-09 exceed the MUE of 1 (MAI 2" in finding.message
        assert "17003 × 2" in finding.hint
        assert mue_only(claim(line(1, "17000", units=1)), ref) == []

    def test_lines_are_summed_and_every_line_is_flagged(self):
        ref = reference(codes=["17000"], mue=[mue("17000", 1, mai=2)])
        data = claim(line(1, "17000"), line(2, "17000", modifiers=["59"]))
        assert mue_only(data, ref) == [(1, "MUE-DOS-POLICY"), (2, "MUE-DOS-POLICY")]

    def test_same_day_history_of_same_npi_counts(self):
        ref = reference(codes=["17000"], mue=[mue("17000", 1, mai=2)])
        same = [{"code": "17000", "dos": "2026-03-09", "rendering_npi": NPI}]
        assert mue_only(claim(line(1, "17000"), history=same), ref) == [(1, "MUE-DOS-POLICY")]
        for other in (
            {"code": "17000", "dos": "2026-03-09", "rendering_npi": OTHER_NPI},
            {"code": "17000", "dos": "2026-03-08", "rendering_npi": NPI},
            {"code": "17000", "dos": "2026-03-09", "rendering_npi": NPI, "status": "denied"},
        ):
            assert mue_only(claim(line(1, "17000"), history=[other]), ref) == [], other

    def test_other_rendering_npi_is_counted_apart(self):
        ref = reference(codes=["17000"], mue=[mue("17000", 1, mai=2)])
        data = claim(line(1, "17000"), line(2, "17000", rendering_npi=OTHER_NPI))
        assert mue_only(data, ref) == []

    def test_bilateral_50_counts_one_unit(self):
        ref = reference(codes=["69210"], mue=[mue("69210", 1, mai=2)], fee=[fee("69210", bilateral_surgery="1")])
        assert mue_only(claim(line(1, "69210", modifiers=["50"], units=2)), ref) == []
        assert mue_only(claim(line(1, "69210", modifiers=["50"])), ref) == []

    def test_rt_lt_lines_of_a_bilateral_code_get_the_50_hint(self):
        ref = reference(codes=["69210"], mue=[mue("69210", 1, mai=2)], fee=[fee("69210", bilateral_surgery="1")])
        data = claim(line(1, "69210", modifiers=["RT"]), line(2, "69210", modifiers=["LT"]))
        found = mue_findings(data, ref)
        assert [(f.line, f.rule) for f in found] == [(1, "MUE-DOS-POLICY"), (2, "MUE-DOS-POLICY")]
        assert all("modifier 50 and 1 unit" in f.hint for f in found)

    def test_suppresses_rtlt_split_on_the_same_lines(self):
        """§0.6 rule 5: a date-of-service MUE silences MOD-RTLT-SPLIT on the lines it flags."""
        ref = reference(codes=["69210"], mue=[mue("69210", 1, mai=2)])
        data = claim(line(1, "69210", modifiers=["RT"]), line(2, "69210", modifiers=["LT"]))
        ctx = ClaimContext(parse_claim(data), ref, payer_for(data))
        mine = mue_findings(data, ref)
        split = [Finding(n, "MOD-RTLT-SPLIT", "MODIFIER", "WARNING", "", "", "", "", "", "") for n in (1, 2)]
        assert {f.rule for f in apply_precedence(mine + split, ctx)} == {"MUE-DOS-POLICY"}


class TestMUEDosClinical:
    @staticmethod
    def ref():
        return reference(codes=["J0585"], mue=[mue("J0585", 600, mai=3)])

    def test_summed_units_above_the_value_warn_on_every_line(self):
        data = claim(line(1, "J0585", units=400), line(2, "J0585", units=300, modifiers=["JW"]))
        found = mue_findings(data, self.ref())
        assert [(f.line, f.rule, f.category, f.severity) for f in found] == [
            (1, "MUE-DOS-CLINICAL", "MUE", "WARNING"),
            (2, "MUE-DOS-CLINICAL", "MUE", "WARNING"),
        ]
        assert "700 units of J0585 exceed the MUE of 600 (MAI 3" in found[0].message

    def test_within_the_value_is_silent(self):
        data = claim(line(1, "J0585", units=400), line(2, "J0585", units=200, modifiers=["JW"]))
        assert mue_only(data, self.ref()) == []

    def test_payer_without_ncci_is_silent(self):
        data = claim(line(1, "J0585", units=700), payer_type="commercial", payer_config={"apply_ncci": False})
        assert mue_only(data, self.ref()) == []
        data["payer_config"] = {"apply_ncci": True}
        assert mue_only(data, self.ref()) == [(1, "MUE-DOS-CLINICAL")]

    def test_mue_table_not_loaded_is_unchecked(self):
        data = claim(line(1, "J0585", units=700))
        ref = reference(codes=["J0585"])
        result = check_claim(ClaimContext(parse_claim(data), ref, payer_for(data)))
        assert [f for f in result.findings if f.rule in MUE_RULES] == []
        assert "MUE" in result.unchecked


class TestMUEZero:
    @staticmethod
    def ref():
        return reference(
            codes=["36416", "97010"],
            mue=[mue("36416", 0, mai=2, rationale="CMS Policy"), mue("97010", 0, mai=2, rationale="CMS Policy")],
        )

    def test_medicare_fires(self):
        [finding] = mue_findings(claim(line(1, "36416")), self.ref())
        assert (finding.line, finding.rule, finding.category, finding.severity) == (1, "MUE-ZERO", "MUE", "ERROR")
        assert "MUE of 0 ('CMS Policy')" in finding.message
        assert "capillary" in finding.hint.lower()

    @pytest.mark.parametrize("payer_type", ["medicaid", "commercial"])
    def test_other_payers_do_not_apply_zero_rows(self, payer_type):
        data = claim(line(1, "36416", units=3), payer_type=payer_type, payer_name="")
        assert mue_only(data, self.ref()) == []

    @pytest.mark.parametrize("liability", ["GY", "GA", "GZ", "GX"])
    def test_liability_modifier_silences_it(self, liability):
        """§0.6 rule 2."""
        assert mue_only(claim(line(1, "97010", modifiers=[liability])), self.ref()) == []
        assert mue_only(claim(line(1, "97010")), self.ref()) == [(1, "MUE-ZERO")]

    @pytest.mark.parametrize("specific", ["COD-MPFS-STATUS", "MCR-HCPCS-SUBST", "DRG-ORAL-MEDICARE", "COD-S-CODE"])
    def test_specific_coverage_rules_suppress_it(self, specific):
        """§0.6 rule 3."""
        data = claim(line(1, "97010"))
        ctx = ClaimContext(parse_claim(data), self.ref(), payer_for(data))
        mine = mue_findings(data, self.ref())
        other = Finding(1, specific, "X", "ERROR", "", "", "", "", "", "")
        assert [f.rule for f in apply_precedence([*mine, other], ctx)] == [specific]


class TestWorkedExamples:
    def test_ex13_17000_times_3(self):
        data, expected = example("EX-13")
        ref = reference(
            codes=["17000", "17003"],
            mue=[mue("17000", 1, mai=2)],
            fee=[fee("17000", global_days="010")],
            loaded=ALL_TABLES,
        )
        assert expected == [(1, "MUE-DOS-POLICY")]
        assert checked(data, ref) == expected

    def test_ex22_botox_with_jw_within_mue(self):
        data, expected = example("EX-22")
        for item in data["lines"]:
            item.pop("dose", None)  # not used by these rules ("discarded": true is not a number for the parser)
        ref = reference(
            codes=["64615", "J0585"],
            mue=[mue("J0585", 600, mai=3)],
            fee=[fee("64615", global_days="010"), fee("J0585", status="E")],
            loaded=ALL_TABLES,
        )
        assert expected == []
        assert checked(data, ref) == []
        data["lines"][1]["units"] = 600
        assert checked(data, ref) == [(2, "MUE-DOS-CLINICAL"), (3, "MUE-DOS-CLINICAL")]
