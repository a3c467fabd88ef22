"""MODIFIER rules (catalogue §3.6), each shown firing and staying silent."""

from __future__ import annotations

import pytest

from .builders import claim, code, fee, findings, line, reference
from .test_payer import example, expected_pairs, own_pairs


def lines_of(data, ref, rule_id):
    """The lines on which ``rule_id`` fired (other categories' rules may fire too; they are ignored)."""
    return [f.line for f in findings(data, ref) if f.rule == rule_id]


def unchecked(data, ref):
    from claims.rules import load_rule_modules
    from claims.rules.context import ClaimContext
    from claims.rules.engine import check_claim
    from claims.rules.inputs import parse_claim

    from .builders import payer_for

    load_rule_modules()
    return check_claim(ClaimContext(parse_claim(data), ref, payer_for(data))).unchecked


def the_finding(data, ref, rule_id):
    [finding] = [f for f in findings(data, ref) if f.rule == rule_id]
    assert finding.category == "MODIFIER"
    return finding


CODES = ["99213", "99214", "99396", "20610", "17000", "64615", "93000", "93010", "71046", "96372", "J1100", "J0585"]
CODES += ["80053", "97110", "97161", "45380", "11102", "27447", "G0439"]


def ref(**facts):
    return reference(
        codes=[c for c in CODES if c not in ("J1100", "J0585")]
        + [
            code("J1100", is_drug=True, drug_dose_amount=1, drug_dose_unit="mg", drug_route="injection"),
            code("J0585", is_drug=True, drug_dose_amount=1, drug_dose_unit="unit", drug_route="injection"),
        ],
        **facts,
    )


class TestMod25NonEm:
    def test_25_on_a_procedure_fires(self):
        data = claim(line(1, "99213"), line(2, "20610", modifiers=["25"]))
        finding = the_finding(data, ref(), "MOD-25-NON-EM")
        assert (finding.line, finding.severity, finding.carc) == (2, "ERROR", "4")
        assert "20610" in finding.message

    def test_25_on_the_em_is_silent(self):
        assert lines_of(claim(line(1, "99213", modifiers=["25"]), line(2, "20610")), ref(), "MOD-25-NON-EM") == []


class TestMod59Em:
    @pytest.mark.parametrize("modifier", ["59", "XE", "XS", "XP", "XU"])
    def test_distinct_modifier_on_em_fires(self, modifier):
        assert lines_of(claim(line(1, "99213", modifiers=[modifier])), ref(), "MOD-59-EM") == [1]

    def test_59_on_a_procedure_is_silent(self):
        assert lines_of(claim(line(1, "99213"), line(2, "20610", modifiers=["59"])), ref(), "MOD-59-EM") == []


class TestMod59XBoth:
    @pytest.mark.parametrize("modifiers", [["59", "XS"], ["XS", "XU"]])
    def test_59_with_x_or_two_x_fires(self, modifiers):
        finding = the_finding(claim(line(1, "45380", modifiers=modifiers)), ref(), "MOD-59-X-BOTH")
        assert (finding.line, finding.severity, finding.rarc) == (1, "WARNING", "N519")

    def test_single_x_is_silent(self):
        assert lines_of(claim(line(1, "45380", modifiers=["XS"])), ref(), "MOD-59-X-BOTH") == []


class TestMod57Misuse:
    def facts(self):
        return ref(fee=[fee("11102", global_days="000"), fee("27447", global_days="090"), fee("99213")])

    def test_57_on_a_procedure_fires(self):
        assert lines_of(claim(line(1, "11102", modifiers=["57"])), self.facts(), "MOD-57-MISUSE") == [1]

    def test_57_on_em_with_a_minor_procedure_fires(self):
        data = claim(line(1, "99213", modifiers=["57"]), line(2, "11102"))
        finding = the_finding(data, self.facts(), "MOD-57-MISUSE")
        assert (finding.line, finding.severity) == (1, "WARNING")
        assert "11102" in finding.message

    def test_57_on_em_with_major_surgery_next_day_is_silent(self):
        data = claim(line(1, "99213", modifiers=["57"]), line(2, "11102"), line(3, "27447", dos="2026-03-10"))
        assert lines_of(data, self.facts(), "MOD-57-MISUSE") == []

    def test_57_on_em_with_major_surgery_same_day_is_silent(self):
        data = claim(line(1, "99213", modifiers=["57"]), line(2, "27447"))
        assert lines_of(data, self.facts(), "MOD-57-MISUSE") == []


class TestModEmNeeds25:
    def test_problem_em_with_preventive_without_25_fires(self):
        data = claim(line(1, "99396"), line(2, "99213"), payer_type="commercial")
        finding = the_finding(data, ref(), "MOD-EM-NEEDS-25")
        assert (finding.line, finding.severity) == (2, "WARNING")
        assert "99396" in finding.message

    def test_with_25_is_silent(self):
        data = claim(line(1, "99396"), line(2, "99213", modifiers=["25"]), payer_type="commercial")
        assert lines_of(data, ref(), "MOD-EM-NEEDS-25") == []

    def test_preventive_in_history_same_day_counts(self):
        data = claim(line(1, "99213"), payer_type="commercial", history=[{"code": "99396", "dos": "2026-03-09"}])
        assert lines_of(data, ref(), "MOD-EM-NEEDS-25") == [1]


class TestModBilateral:
    def facts(self):
        return ref(fee=[fee("20610", bilateral_surgery="1"), fee("17000", bilateral_surgery="0")])

    def test_50_with_rt_fires(self):
        finding = the_finding(claim(line(1, "20610", modifiers=["50", "RT"])), self.facts(), "MOD-BILATERAL")
        assert (finding.line, finding.severity, finding.carc) == (1, "ERROR", "4")

    def test_50_with_two_units_fires_for_medicare_only(self):
        data = claim(line(1, "20610", modifiers=["50"], units=2))
        assert lines_of(data, self.facts(), "MOD-BILATERAL") == [1]
        assert lines_of({**data, "payer_type": "commercial"}, self.facts(), "MOD-BILATERAL") == []

    def test_50_on_indicator_0_fires(self):
        finding = the_finding(claim(line(1, "17000", modifiers=["50"])), self.facts(), "MOD-BILATERAL")
        assert "indicator 0" in finding.message
        assert finding.data_release == "RVU-test"

    def test_50_one_unit_on_indicator_1_is_silent(self):
        assert lines_of(claim(line(1, "20610", modifiers=["50"])), self.facts(), "MOD-BILATERAL") == []

    def test_unchecked_without_fee_schedule(self):
        assert "MODIFIER" in unchecked(claim(line(1, "17000", modifiers=["50"])), ref())


class TestModRtLtSplit:
    def facts(self):
        return ref(fee=[fee("20610", bilateral_surgery="1"), fee("64615", bilateral_surgery="2")])

    def test_rt_and_lt_lines_fire_on_both(self):
        data = claim(line(1, "20610", modifiers=["RT"]), line(2, "20610", modifiers=["LT"]))
        assert lines_of(data, self.facts(), "MOD-RTLT-SPLIT") == [1, 2]

    def test_one_line_with_50_is_silent(self):
        assert lines_of(claim(line(1, "20610", modifiers=["50"])), self.facts(), "MOD-RTLT-SPLIT") == []

    def test_not_bilateral_indicator_1_is_silent(self):
        data = claim(line(1, "64615", modifiers=["RT"]), line(2, "64615", modifiers=["LT"]))
        assert lines_of(data, self.facts(), "MOD-RTLT-SPLIT") == []

    def test_commercial_is_silent(self):
        data = claim(line(1, "20610", modifiers=["RT"]), line(2, "20610", modifiers=["LT"]), payer_type="commercial")
        assert lines_of(data, self.facts(), "MOD-RTLT-SPLIT") == []

    def test_date_of_service_mue_suppresses_it(self):
        """§0.6 rule 5: a DOS MUE on the lines replaces the split finding."""
        from .builders import mue

        facts = ref(fee=[fee("20610", bilateral_surgery="1")], mue=[mue("20610", 1, mai=2, rationale="Policy")])
        data = claim(line(1, "20610", modifiers=["RT"]), line(2, "20610", modifiers=["LT"]))
        found = {(f.line, f.rule) for f in findings(data, facts)}
        assert {(1, "MUE-DOS-POLICY"), (2, "MUE-DOS-POLICY")} <= found
        assert not found & {(1, "MOD-RTLT-SPLIT"), (2, "MOD-RTLT-SPLIT")}


class TestModPcTc:
    def facts(self):
        return ref(
            fee=[
                fee("93000", pctc_indicator="4"),
                fee("71046", pctc_indicator="1"),
                fee("96372", pctc_indicator="5"),
                fee("80053", pctc_indicator="6"),
            ]
        )

    def test_26_on_global_only_code_fires(self):
        finding = the_finding(claim(line(1, "93000", modifiers=["26"])), self.facts(), "MOD-PCTC")
        assert (finding.line, finding.severity) == (1, "ERROR")
        assert "indicator 4" in finding.message

    def test_tc_on_indicator_6_fires_but_26_is_allowed(self):
        assert lines_of(claim(line(1, "80053", modifiers=["TC"])), self.facts(), "MOD-PCTC") == [1]
        assert lines_of(claim(line(1, "80053", modifiers=["26"])), self.facts(), "MOD-PCTC") == []

    def test_26_on_indicator_1_is_silent(self):
        assert lines_of(claim(line(1, "71046", modifiers=["26"])), self.facts(), "MOD-PCTC") == []


class TestModPcFacility:
    def facts(self):
        return ref(fee=[fee("71046", pctc_indicator="1")])

    def test_global_test_in_hospital_fires(self):
        finding = the_finding(claim(line(1, "71046"), pos="22"), self.facts(), "MOD-PC-FACILITY")
        assert (finding.line, finding.severity) == (1, "WARNING")

    def test_with_26_or_in_the_office_is_silent(self):
        assert lines_of(claim(line(1, "71046", modifiers=["26"]), pos="22"), self.facts(), "MOD-PC-FACILITY") == []
        assert lines_of(claim(line(1, "71046"), pos="11"), self.facts(), "MOD-PC-FACILITY") == []


class TestModRepeat:
    @pytest.mark.parametrize(("code_", "modifier"), [("99213", "76"), ("80053", "76"), ("93000", "91")])
    def test_wrong_repeat_modifier_fires(self, code_, modifier):
        assert lines_of(claim(line(1, code_, modifiers=[modifier])), ref(), "MOD-REPEAT") == [1]

    # G0306 (CBC) is a laboratory HCPCS code: CMS type of service 5 in the HCPCS Level II file.
    @pytest.mark.parametrize(("code_", "modifier"), [("93000", "76"), ("80053", "91"), ("G0306", "91")])
    def test_right_repeat_modifier_is_silent(self, code_, modifier):
        assert lines_of(claim(line(1, code_, modifiers=[modifier])), ref(), "MOD-REPEAT") == []


class TestModAbnConflict:
    def test_ga_and_gz_fire(self):
        finding = the_finding(claim(line(1, "93000", modifiers=["GA", "GZ"])), ref(), "MOD-ABN-CONFLICT")
        assert (finding.line, finding.severity, finding.rarc) == (1, "ERROR", "N519")

    def test_one_liability_modifier_is_silent(self):
        assert lines_of(claim(line(1, "93000", modifiers=["GA"])), ref(), "MOD-ABN-CONFLICT") == []


class TestModJwJzMissing:
    def test_single_dose_without_jw_jz_fires(self):
        data = claim(line(1, "96372"), line(2, "J0585", units=100, container="single_dose"))
        finding = the_finding(data, ref(), "MOD-JWJZ-MISSING")
        assert (finding.line, finding.severity) == (2, "ERROR")

    def test_with_jz_is_silent(self):
        data = claim(line(1, "J0585", units=100, modifiers=["JZ"], container="single_dose"))
        assert lines_of(data, ref(), "MOD-JWJZ-MISSING") == []

    def test_administered_line_next_to_a_jw_line_is_silent(self):
        data = claim(
            line(1, "J0585", units=100, container="single_dose"),
            line(2, "J0585", units=100, modifiers=["JW"], container="single_dose"),
        )
        assert lines_of(data, ref(), "MOD-JWJZ-MISSING") == []

    @pytest.mark.parametrize(
        "change",
        [{"container": "multi_dose"}, {"dos": "2023-06-30"}, {"payer_type": "commercial"}, {"pos": "50"}],
    )
    def test_multi_dose_before_july_2023_other_payers_and_fqhc_are_silent(self, change):
        fields = {"container": change.get("container", "single_dose")}
        claim_fields = {k: v for k, v in change.items() if k != "container"}
        data = claim(line(1, "J0585", units=100, **fields), **claim_fields)
        assert lines_of(data, ref(), "MOD-JWJZ-MISSING") == []


class TestModJwJzConflict:
    def test_jw_and_jz_on_one_line_fire(self):
        data = claim(line(1, "J0585", units=100, modifiers=["JW", "JZ"], container="single_dose"))
        assert lines_of(data, ref(), "MOD-JWJZ-CONFLICT") == [1]

    def test_jz_next_to_a_jw_line_fires(self):
        data = claim(
            line(1, "J0585", units=100, modifiers=["JZ"], container="single_dose"),
            line(2, "J0585", units=100, modifiers=["JW"], container="single_dose"),
        )
        assert lines_of(data, ref(), "MOD-JWJZ-CONFLICT") == [1]

    def test_jw_on_a_non_drug_or_multi_dose_fires(self):
        assert lines_of(claim(line(1, "96372", modifiers=["JW"])), ref(), "MOD-JWJZ-CONFLICT") == [1]
        data = claim(line(1, "J1100", units=10, modifiers=["JZ"], container="multi_dose"))
        assert lines_of(data, ref(), "MOD-JWJZ-CONFLICT") == [1]

    def test_correct_jw_split_is_silent(self):
        data = claim(
            line(1, "J0585", units=155, container="single_dose"),
            line(2, "J0585", units=45, modifiers=["JW"], container="single_dose"),
        )
        assert lines_of(data, ref(), "MOD-JWJZ-CONFLICT") == []


class TestModTelehealth:
    def test_pos_10_without_95_fires(self):
        finding = the_finding(claim(line(1, "99213"), pos="10"), ref(), "MOD-TELEHEALTH")
        assert (finding.line, finding.severity, finding.carc) == (1, "WARNING", "5")

    def test_95_with_office_pos_fires(self):
        assert lines_of(claim(line(1, "99213", modifiers=["95"]), pos="11"), ref(), "MOD-TELEHEALTH") == [1]

    def test_93_and_95_fire(self):
        assert lines_of(claim(line(1, "99213", modifiers=["93", "95"]), pos="10"), ref(), "MOD-TELEHEALTH") == [1]

    def test_pos_10_with_95_is_silent(self):
        assert lines_of(claim(line(1, "99213", modifiers=["95"]), pos="10"), ref(), "MOD-TELEHEALTH") == []

    def test_therapy_with_95_in_person_and_commercial_are_silent(self):
        data = claim(line(1, "97110", modifiers=["GP", "95"]), pos="11")
        assert lines_of(data, ref(), "MOD-TELEHEALTH") == []
        assert lines_of(claim(line(1, "99213"), pos="10", payer_type="commercial"), ref(), "MOD-TELEHEALTH") == []


class TestModTherapyGp:
    def test_always_therapy_without_gp_fires(self):
        finding = the_finding(claim(line(1, "97110")), ref(), "MOD-THERAPY-GP")
        assert (finding.line, finding.severity, finding.rarc) == (1, "ERROR", "N822")

    def test_pt_evaluation_with_go_fires(self):
        assert lines_of(claim(line(1, "97161", modifiers=["GO"])), ref(), "MOD-THERAPY-GP") == [1]

    def test_with_gp_is_silent(self):
        assert lines_of(claim(line(1, "97110", modifiers=["GP"])), ref(), "MOD-THERAPY-GP") == []
        assert lines_of(claim(line(1, "97161", modifiers=["GP"])), ref(), "MOD-THERAPY-GP") == []


class TestExamples:
    """scrub-examples.json: the MODIFIER/DRUG/PAYER_RULE findings are exactly the expected ones."""

    def check(self, example_id, facts):
        ex = example(example_id)
        assert own_pairs(findings(ex["claim"], facts)) == expected_pairs(ex)

    def test_ex_02_telehealth_pos_10_without_95(self):
        self.check("EX-02", reference(codes=["99213"], fee=[fee("99213")]))

    def test_ex_17_pos_10_with_95_is_clean(self):
        self.check("EX-17", reference(codes=["99213"], fee=[fee("99213")]))
