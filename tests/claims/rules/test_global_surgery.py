"""GLOBAL_SURGERY rules (GLB-POSTOP-EM, GLB-PREOP-EM-57, GLB-POSTOP-PROC), each shown firing and staying silent."""

from datetime import date, timedelta

import pytest

from claims.rules import load_rule_modules
from claims.rules.context import ClaimContext
from claims.rules.engine import check_claim
from claims.rules.inputs import parse_claim

from .builders import claim, fee, findings, line, payer_for, ptp, reference, run
from .test_bundling import ALL_TABLES, OTHER_NPI, checked, example

GLB_RULES = {"GLB-POSTOP-EM", "GLB-PREOP-EM-57", "GLB-POSTOP-PROC"}
NPI = "1234567893"  # the builders' claim: DOS 2026-03-09, specialty 11, group 311234567
DOS = date(2026, 3, 9)

load_rule_modules()


def ref():
    return reference(
        codes=["27447", "11102", "17000", "20610", "96372", "99213", "99214"],
        fee=[
            fee("27447", global_days="090"),
            fee("17000", global_days="010"),
            fee("11102", global_days="000"),
            fee("20610", global_days="000"),
            fee("96372", global_days="XXX"),
            fee("99213"),
            fee("99214"),
        ],
    )


def glb_only(data):
    return [pair for pair in run(data, ref()) if pair[1] in GLB_RULES]


def surgery(code="27447", days_before=30, **fields):
    dos = DOS - timedelta(days=days_before)
    return {"code": code, "dos": dos.isoformat(), "rendering_npi": NPI, "specialty": "11", **fields}


class TestPostOpEM:
    def test_visit_inside_a_90_day_global_fires(self):
        [finding] = [f for f in findings(claim(line(1, "99213"), history=[surgery()]), ref()) if f.rule in GLB_RULES]
        assert (finding.line, finding.rule, finding.category, finding.severity) == (
            1,
            "GLB-POSTOP-EM",
            "GLOBAL_SURGERY",
            "WARNING",
        )
        assert finding.message.startswith("Visit falls in the 90-day global of 27447 on 2026-02-07")
        assert "append 24" in finding.hint
        assert (finding.carc, finding.rarc, finding.data_release) == ("97", "N525", "RVU-test")

    def test_modifier_24_is_silent(self):
        assert glb_only(claim(line(1, "99213", modifiers=["24"]), history=[surgery()])) == []

    def test_25_counts_only_with_a_new_procedure_that_day(self):
        history = [surgery()]
        assert glb_only(claim(line(1, "99213", modifiers=["25"]), history=history)) == [(1, "GLB-POSTOP-EM")]
        new_procedure = line(2, "20610", modifiers=["79"])  # unrelated to the knee replacement
        assert glb_only(claim(line(1, "99213", modifiers=["25"]), new_procedure, history=history)) == []
        assert glb_only(claim(line(1, "99213", modifiers=["57"]), new_procedure, history=history)) == []

    @pytest.mark.parametrize(
        ("code", "days_before", "fires"),
        [
            ("27447", 90, True),
            ("27447", 91, False),
            ("27447", 0, False),  # same day: not post-op (GLB-PREOP-EM-57 covers the day of surgery)
            ("17000", 10, True),
            ("17000", 11, False),
            ("11102", 3, False),  # 000-day global has no post-op period
        ],
    )
    def test_window(self, code, days_before, fires):
        found = glb_only(claim(line(1, "99213"), history=[surgery(code, days_before)]))
        assert [pair for pair in found if pair[1] == "GLB-POSTOP-EM"] == ([(1, "GLB-POSTOP-EM")] if fires else [])

    def test_same_group_and_specialty_is_the_same_provider(self):
        history = [surgery(rendering_npi=OTHER_NPI, group_tin="311234567")]
        assert glb_only(claim(line(1, "99213"), history=history)) == [(1, "GLB-POSTOP-EM")]

    def test_other_physician_of_another_specialty_is_silent(self):
        history = [surgery(rendering_npi=OTHER_NPI, group_tin="311234567", specialty="20")]
        assert glb_only(claim(line(1, "99213"), history=history)) == []
        history = [surgery(rendering_npi=OTHER_NPI, group_tin="999999999")]
        assert glb_only(claim(line(1, "99213"), history=history)) == []

    def test_procedure_on_an_earlier_line_of_the_claim_counts(self):
        data = claim(line(1, "27447", dos="2026-03-01"), line(2, "99213"))
        [finding] = [f for f in findings(data, ref()) if f.rule in GLB_RULES]
        assert (finding.line, finding.rule, finding.related_lines) == (2, "GLB-POSTOP-EM", (1,))

    def test_fee_schedule_not_loaded_is_unchecked(self):
        data = claim(line(1, "99213"), history=[surgery()])
        result = check_claim(ClaimContext(parse_claim(data), reference(codes=["99213"]), payer_for(data)))
        assert [f for f in result.findings if f.rule in GLB_RULES] == []
        assert "GLOBAL_SURGERY" in result.unchecked


class TestPreOpEM57:
    def test_visit_the_day_before_a_major_procedure_fires(self):
        data = claim(line(1, "99214", dos="2026-03-08"), line(2, "27447"))
        [finding] = [f for f in findings(data, ref()) if f.rule in GLB_RULES]
        assert (finding.line, finding.rule, finding.category, finding.severity) == (
            1,
            "GLB-PREOP-EM-57",
            "GLOBAL_SURGERY",
            "WARNING",
        )
        assert finding.related_lines == (2,)
        assert "append 57" in finding.hint

    def test_modifier_57_is_silent(self):
        assert glb_only(claim(line(1, "99214", dos="2026-03-08", modifiers=["57"]), line(2, "27447"))) == []

    def test_25_does_not_replace_57(self):
        data = claim(line(1, "99214", dos="2026-03-08", modifiers=["25"]), line(2, "27447"))
        assert glb_only(data) == [(1, "GLB-PREOP-EM-57")]

    def test_minor_procedure_or_two_days_before_is_silent(self):
        assert glb_only(claim(line(1, "99214", dos="2026-03-08"), line(2, "17000"))) == []
        assert glb_only(claim(line(1, "99214"), line(2, "17000"))) == []
        assert glb_only(claim(line(1, "99214", dos="2026-03-07"), line(2, "27447"))) == []

    # Pub 100-04 Ch.12 §40.1.A: the global package includes pre-operative visits "beginning with the day
    # before the day of surgery up to and including the day of surgery"; only 57 (decision for surgery)
    # takes the visit out. 25 is for procedures with a 000/010 global, not a 090-day surgery.
    @pytest.mark.parametrize("modifiers", [[], ["25"]])
    def test_visit_on_the_day_of_a_major_procedure_fires_and_25_is_no_substitute(self, modifiers):
        data = claim(line(1, "99214", modifiers=modifiers), line(2, "27447"))  # one date of service
        [finding] = [f for f in findings(data, ref()) if f.rule in GLB_RULES]
        assert (finding.line, finding.rule, finding.related_lines) == (1, "GLB-PREOP-EM-57", (2,))
        assert "the day of 27447" in finding.message
        assert finding.hint.startswith("If this visit produced the decision for surgery, append 57")

    def test_visit_on_the_day_of_a_major_procedure_with_57_is_silent(self):
        assert glb_only(claim(line(1, "99214", modifiers=["57"]), line(2, "27447"))) == []

    def test_same_day_major_procedure_in_history_fires(self):
        assert glb_only(claim(line(1, "99214", modifiers=["25"]), history=[surgery(days_before=0)])) == [
            (1, "GLB-PREOP-EM-57")
        ]

    def test_same_day_ptp_edit_still_gives_ptp_mi1_nomod(self):
        # NCCI PTP practitioner file (v30.1): 27447 / 99214, modifier indicator 1. Without a modifier the visit
        # gets both findings (catalogue §0.6 rule 7); 25 bypasses the PTP edit but is no substitute for 57.
        with_ptp = reference(
            codes=["27447", "99214"],
            fee=[fee("27447", global_days="090"), fee("99214")],
            ptp=[ptp("27447", "99214", 1)],
        )
        rules = {"GLB-PREOP-EM-57", "PTP-MI1-NOMOD"}

        def found(modifiers):
            data = claim(line(1, "99214", modifiers=modifiers), line(2, "27447"))
            return sorted(pair for pair in run(data, with_ptp) if pair[1] in rules)

        assert found([]) == [(1, "GLB-PREOP-EM-57"), (1, "PTP-MI1-NOMOD")]
        assert found(["25"]) == [(1, "GLB-PREOP-EM-57")]
        assert found(["57"]) == []

    def test_procedure_by_another_provider_is_silent(self):
        data = claim(line(1, "99214", dos="2026-03-08"), history=[surgery(days_before=0, rendering_npi=OTHER_NPI)])
        assert glb_only(data) == []
        data = claim(line(1, "99214", dos="2026-03-08"), history=[surgery(days_before=0)])
        assert glb_only(data) == [(1, "GLB-PREOP-EM-57")]


class TestPostOpProcedure:
    def test_procedure_inside_a_global_fires(self):
        [finding] = [
            f for f in findings(claim(line(1, "11102"), history=[surgery("17000", 7)]), ref()) if f.rule in GLB_RULES
        ]
        assert (finding.line, finding.rule, finding.category, finding.severity) == (
            1,
            "GLB-POSTOP-PROC",
            "GLOBAL_SURGERY",
            "WARNING",
        )
        assert "10-day global of 17000 on 2026-03-02" in finding.message
        assert "58" in finding.hint and "78" in finding.hint and "79" in finding.hint

    @pytest.mark.parametrize("modifier", ["58", "78", "79"])
    def test_58_78_79_are_silent(self, modifier):
        assert glb_only(claim(line(1, "11102", modifiers=[modifier]), history=[surgery("17000", 7)])) == []

    def test_code_without_a_global_is_silent(self):
        assert glb_only(claim(line(1, "96372"), history=[surgery("17000", 7)])) == []

    def test_outside_the_window_is_silent(self):
        assert glb_only(claim(line(1, "11102"), history=[surgery("17000", 11)])) == []
        assert glb_only(claim(line(1, "20610"), history=[surgery("27447", 60)])) == [(1, "GLB-POSTOP-PROC")]


class TestWorkedExamples:
    @staticmethod
    def example_ref():
        return reference(
            codes=["11102", "17000"],
            fee=[fee("11102", global_days="000"), fee("17000", global_days="010")],
            loaded=ALL_TABLES,
        )

    def test_ex19_biopsy_with_79_in_a_10_day_global(self):
        data, expected = example("EX-19")
        assert expected == []
        assert checked(data, self.example_ref()) == []
        data["lines"][0]["modifiers"] = []
        assert checked(data, self.example_ref()) == [(1, "GLB-POSTOP-PROC")]

    def test_ex22_same_day_drug_lines_are_not_in_a_global(self):
        data, expected = example("EX-22")
        for item in data["lines"]:
            item.pop("dose", None)  # not used by these rules ("discarded": true is not a number for the parser)
        ref = reference(
            codes=["64615", "J0585"],
            fee=[fee("64615", global_days="010"), fee("J0585", status="E", global_days="XXX")],
            loaded=ALL_TABLES,
        )
        assert expected == []
        assert checked(data, ref) == []
