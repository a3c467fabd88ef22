"""NCCI_PTP rules (PTP-MI0, PTP-MI1-NOMOD), each shown firing and staying silent."""

import json
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings

from claims.rules import load_rule_modules
from claims.rules.context import ClaimContext
from claims.rules.engine import apply_precedence, check_claim
from claims.rules.inputs import parse_claim
from claims.rules.registry import Finding, registry
from tests.conftest import shared_file

from .builders import claim, code, findings, line, mue, payer_for, ptp, reference, run

PTP_RULES = {"PTP-MI0", "PTP-MI1-NOMOD"}
# The rules of this test suite's owner, for judging the worked examples (plus COD-EFFECTIVE, whose
# precedence they show).
CHECKED_RULES = {
    "PTP-MI0",
    "PTP-MI1-NOMOD",
    "MUE-LINE",
    "MUE-DOS-POLICY",
    "MUE-DOS-CLINICAL",
    "MUE-ZERO",
    "AOC-NO-PRIMARY",
    "EM-NEW-EST",
    "GLB-POSTOP-EM",
    "GLB-PREOP-EM-57",
    "GLB-POSTOP-PROC",
    "COD-EFFECTIVE",
}
ALL_TABLES = ("codes", "ptp", "mue", "aoc", "fee_schedule")
OTHER_NPI = "1558444216"

load_rule_modules()


def ptp_only(data, ref):
    return [pair for pair in run(data, ref) if pair[1] in PTP_RULES]


def example(ex_id):
    """A worked example of scrub-examples.json: its claim and its expected (line, rule) pairs."""
    path = Path(settings.SHARED_DATA_DIR).parent / "docs" / "scrub-examples.json"
    if not path.exists():
        pytest.skip("../shared/docs/scrub-examples.json is absent")
    [ex] = [e for e in json.loads(path.read_text())["examples"] if e["id"] == ex_id]
    expected = [(e["line"], e["rule"]) for e in ex["expect"] if e["rule"] in CHECKED_RULES]
    return ex["claim"], sorted(expected, key=lambda p: (p[0] or 0, p[1]))


def checked(data, ref):
    return sorted(((ln, rule) for ln, rule in run(data, ref) if rule in CHECKED_RULES), key=lambda p: (p[0] or 0, p[1]))


def colonoscopy_ref(indicator=0, **row):
    return reference(codes=["45380", "45378", "45385"], ptp=[ptp("45380", "45378", indicator, **row)])


class TestPTPMI0:
    def test_column_two_line_fires(self):
        ref = reference(
            codes=["45380", "45378"], ptp=[ptp("45380", "45378", 0, rationale="CPT Separate Procedure Definition")]
        )
        [finding] = [f for f in findings(claim(line(1, "45380"), line(2, "45378")), ref) if f.rule in PTP_RULES]
        assert (finding.line, finding.rule, finding.category, finding.severity) == (2, "PTP-MI0", "NCCI_PTP", "ERROR")
        assert finding.related_lines == (1,)
        assert "45378 is bundled into 45380 on line 1" in finding.message
        assert "CPT Separate Procedure Definition" in finding.message
        assert finding.hint.startswith("Remove 45378")
        assert (finding.carc, finding.data_release) == ("236", "test")

    def test_alone_is_silent(self):
        assert ptp_only(claim(line(1, "45378")), colonoscopy_ref()) == []

    def test_modifiers_do_not_bypass(self):
        data = claim(line(1, "45380", modifiers=["XS"]), line(2, "45378", modifiers=["59", "XS"]))
        assert ptp_only(data, colonoscopy_ref()) == [(2, "PTP-MI0")]

    def test_deleted_or_not_yet_effective_row_is_silent(self):
        data = claim(line(1, "45380"), line(2, "45378"), dos="2024-08-12")
        assert ptp_only(data, colonoscopy_ref(deletion=date(2024, 8, 12))) == []
        assert ptp_only(data, colonoscopy_ref(deletion=date(2024, 8, 13))) == [(2, "PTP-MI0")]
        assert ptp_only(data, colonoscopy_ref(effective=date(2024, 10, 1))) == []

    def test_indicator_9_is_ignored(self):
        assert ptp_only(claim(line(1, "45380"), line(2, "45378")), colonoscopy_ref(indicator=9)) == []

    def test_other_rendering_npi_or_date_is_silent(self):
        ref = colonoscopy_ref()
        assert ptp_only(claim(line(1, "45380"), line(2, "45378", rendering_npi=OTHER_NPI)), ref) == []
        assert ptp_only(claim(line(1, "45380"), line(2, "45378", dos="2026-03-10")), ref) == []

    def test_same_day_history_of_same_npi_is_a_column_one_partner(self):
        ref = colonoscopy_ref()
        history = [{"code": "45380", "dos": "2026-03-09", "rendering_npi": "1234567893"}]
        [finding] = [f for f in findings(claim(line(1, "45378"), history=history), ref) if f.rule in PTP_RULES]
        assert (finding.line, finding.rule) == (1, "PTP-MI0")
        assert finding.related_lines == ()
        assert "already billed for 2026-03-09 on another claim" in finding.message

    def test_history_of_other_npi_other_day_or_denied_is_silent(self):
        ref = colonoscopy_ref()
        for item in (
            {"code": "45380", "dos": "2026-03-09", "rendering_npi": OTHER_NPI},
            {"code": "45380", "dos": "2026-03-08", "rendering_npi": "1234567893"},
            {"code": "45380", "dos": "2026-03-09", "rendering_npi": "1234567893", "status": "denied"},
        ):
            assert ptp_only(claim(line(1, "45378"), history=[item]), ref) == [], item

    def test_pair_specific_hints(self):
        ref = reference(
            codes=["99211", "96372", "80053", "80048", "29881", "29877"],
            ptp=[ptp("96372", "99211", 0), ptp("80053", "80048", 0), ptp("29881", "29877", 0)],
        )
        hints = {
            f.line: f.hint
            for f in findings(claim(line(1, "99211", modifiers=["25"]), line(2, "96372")), ref)
            if f.rule == "PTP-MI0"
        }
        assert "Remove 99211" in hints[1] and "injection" in hints[1]
        [lab] = [f for f in findings(claim(line(1, "80053"), line(2, "80048")), ref) if f.rule == "PTP-MI0"]
        assert "comprehensive" in lab.hint
        [knee] = [
            f
            for f in findings(claim(line(1, "29881", modifiers=["RT"]), line(2, "29877", modifiers=["RT"])), ref)
            if f.rule == "PTP-MI0"
        ]
        assert "G0289" in knee.hint

    def test_invalid_partner_is_left_out(self):
        """§0.6 rule 1: a COD-EFFECTIVE line is not a PTP partner."""
        ref = reference(
            codes=[code("45380", termination_date=date(2020, 12, 31)), "45378"], ptp=[ptp("45380", "45378", 0)]
        )
        assert [p for p in run(claim(line(1, "45380"), line(2, "45378")), ref) if p[1] in CHECKED_RULES] == [
            (1, "COD-EFFECTIVE")
        ]


class TestPTPMI1NoMod:
    @staticmethod
    def ref():
        return reference(
            codes=["45385", "45380", "20611", "20610", "99214", "76942", "80061", "82465"],
            ptp=[
                ptp("45385", "45380", 1, rationale="More extensive procedure"),
                ptp("20611", "20610", 1),
                ptp("20611", "99214", 1),
                ptp("80061", "82465", 1),
            ],
        )

    def test_fires_without_modifier(self):
        [finding] = [f for f in findings(claim(line(1, "45385"), line(2, "45380")), self.ref()) if f.rule in PTP_RULES]
        assert (finding.line, finding.rule, finding.category, finding.severity) == (
            2,
            "PTP-MI1-NOMOD",
            "NCCI_PTP",
            "WARNING",
        )
        assert finding.related_lines == (1,)
        assert "More extensive procedure" in finding.message
        assert "XS" in finding.hint

    @pytest.mark.parametrize(
        ("mods_1", "mods_2"),
        [([], ["XS"]), ([], ["59"]), (["59"], []), (["XE"], []), ([], ["XU"]), ([], ["XP"]), ([], ["27"])],
    )
    def test_distinct_modifier_on_either_line_bypasses(self, mods_1, mods_2):
        data = claim(line(1, "45385", modifiers=mods_1), line(2, "45380", modifiers=mods_2))
        assert ptp_only(data, self.ref()) == []

    def test_91_on_a_repeated_lab_bypasses(self):
        assert ptp_only(claim(line(1, "80061"), line(2, "82465")), self.ref()) == [(2, "PTP-MI1-NOMOD")]
        assert ptp_only(claim(line(1, "80061"), line(2, "82465", modifiers=["91"])), self.ref()) == []

    @pytest.mark.parametrize(
        ("mods_1", "mods_2", "expected"),
        [
            (["RT"], ["LT"], []),
            (["F1"], ["F2"], []),
            (["LT"], ["LT"], [(2, "PTP-MI1-NOMOD")]),  # same side is not distinct
            (["RT"], [], [(2, "PTP-MI1-NOMOD")]),  # anatomic modifier on one line only
            ([], ["25"], [(2, "PTP-MI1-NOMOD")]),  # 25 on a procedure never bypasses
        ],
    )
    def test_anatomic_modifiers(self, mods_1, mods_2, expected):
        data = claim(line(1, "20611", modifiers=mods_1), line(2, "20610", modifiers=mods_2))
        assert ptp_only(data, self.ref()) == expected

    @pytest.mark.parametrize("modifier", ["25", "57", "24"])
    def test_em_column_two_needs_25_57_or_24(self, modifier):
        assert ptp_only(claim(line(1, "20611"), line(2, "99214", modifiers=[modifier])), self.ref()) == []

    def test_em_without_modifier_or_with_59_fires_with_em_hint(self):
        for mods_1, mods_2 in (([], []), ([], ["59"]), (["XS"], []), ([], ["XS"])):
            data = claim(line(1, "20611", modifiers=mods_1), line(2, "99214", modifiers=mods_2))
            assert ptp_only(data, self.ref()) == [(2, "PTP-MI1-NOMOD")], (mods_1, mods_2)
        [finding] = [f for f in findings(claim(line(1, "20611"), line(2, "99214")), self.ref()) if f.rule in PTP_RULES]
        assert "append 25" in finding.hint

    def test_history_partner_fires_and_its_modifier_bypasses(self):
        history = [{"code": "45385", "dos": "2026-03-09", "rendering_npi": "1234567893"}]
        assert ptp_only(claim(line(1, "45380"), history=history), self.ref()) == [(1, "PTP-MI1-NOMOD")]
        history[0]["modifiers"] = ["XS"]
        assert ptp_only(claim(line(1, "45380"), history=history), self.ref()) == []

    def test_one_finding_per_line_with_several_partners(self):
        ref = reference(codes=["45385", "45380", "45381"], ptp=[ptp("45385", "45380", 1), ptp("45381", "45380", 1)])
        data = claim(line(1, "45385"), line(2, "45381"), line(3, "45380"))
        assert ptp_only(data, ref) == [(3, "PTP-MI1-NOMOD")]


class TestModifier91:
    """Catalogue §3.3: 91 bypasses an indicator-1 edit only when both codes are clinical laboratory codes
    (80047-89398, PLA codes, laboratory HCPCS); 91 on any other code is no bypass (MOD-REPEAT). The pairs
    are modifier-indicator-1 rows of the CMS NCCI practitioner PTP file (v30.1, open-ended)."""

    PAIRS = [
        ("80047", "82330"),  # basic metabolic panel / calcium, ionized: both CPT laboratory
        ("80081", "G0306"),  # obstetric panel / CBC (HCPCS, CMS type of service 5): laboratory HCPCS
        ("0001U", "80503"),  # PLA code / pathology consultation (80047-89398)
        ("93000", "93010"),  # ECG with interpretation / ECG interpretation: not laboratory
        ("17311", "88305"),  # Mohs surgery / surgical pathology: only one is laboratory
    ]

    @staticmethod
    def ref():
        pairs = TestModifier91.PAIRS
        return reference(codes=sorted({c for pair in pairs for c in pair}), ptp=[ptp(a, b, 1) for a, b in pairs])

    @pytest.mark.parametrize(("column_1", "column_2"), PAIRS[:3])
    @pytest.mark.parametrize("on_line", [1, 2])
    def test_91_between_two_laboratory_codes_bypasses(self, column_1, column_2, on_line):
        assert ptp_only(claim(line(1, column_1), line(2, column_2)), self.ref()) == [(2, "PTP-MI1-NOMOD")]
        lines = [line(1, column_1), line(2, column_2)]
        lines[on_line - 1]["modifiers"] = ["91"]
        assert ptp_only(claim(*lines), self.ref()) == []

    @pytest.mark.parametrize(("column_1", "column_2"), PAIRS[3:])
    @pytest.mark.parametrize("on_line", [1, 2])
    def test_91_with_a_code_that_is_not_laboratory_is_no_bypass(self, column_1, column_2, on_line):
        lines = [line(1, column_1), line(2, column_2)]
        lines[on_line - 1]["modifiers"] = ["91"]
        assert ptp_only(claim(*lines), self.ref()) == [(2, "PTP-MI1-NOMOD")]

    def test_the_pairs_are_indicator_1_rows_of_the_cms_file(self):
        import csv
        import gzip

        path = shared_file("ncci_ptp/ptp_practitioner_v30.1_2024Q2_pairs_derived.csv.gz")
        wanted = set(self.PAIRS)
        with gzip.open(path, "rt", encoding="latin-1", newline="") as handle:
            found = {
                (row["column_1"], row["column_2"])
                for row in csv.DictReader(handle)
                if (row["column_1"], row["column_2"]) in wanted
                and row["deletion_date"] == "*"
                and row["modifier_indicator"] == "1"
            }
        assert found == wanted

    def test_laboratory_hcpcs_list_is_the_cms_type_of_service_5(self):
        import csv

        from claims.rules.data import code_list

        path = shared_file("hcpcs_level2/HCPC2026_JAN_ANWEB_01122026.csv")
        with path.open(encoding="latin-1", newline="") as handle:
            lab = {
                row["HCPC"].strip()
                for row in csv.DictReader(handle)
                if len(row["HCPC"].strip()) == 5 and "5" in {row[f"TOS{i}"].strip() for i in range(1, 6)}
            }
        assert code_list("laboratory_hcpcs.txt") == lab


class TestPayerApplicability:
    def test_commercial_follows_ncci_by_default(self):
        data = claim(line(1, "45380"), line(2, "45378"), payer_type="commercial", payer_name="Acme PPO")
        assert ptp_only(data, colonoscopy_ref()) == [(2, "PTP-MI0")]

    def test_payer_without_ncci_is_silent(self):
        data = claim(
            line(1, "45380"),
            line(2, "45378"),
            payer_type="commercial",
            payer_name="Acme PPO",
            payer_config={"apply_ncci": False},
        )
        assert ptp_only(data, colonoscopy_ref()) == []

    def test_ptp_table_not_loaded_is_unchecked(self):
        data = claim(line(1, "45380"), line(2, "45378"))
        ref = reference(codes=["45380", "45378"])
        result = check_claim(ClaimContext(parse_claim(data), ref, payer_for(data)))
        assert [f for f in result.findings if f.rule in PTP_RULES] == []
        assert "NCCI_PTP" in result.unchecked


class TestPrecedence:
    @staticmethod
    def finding(rule, line_no, related):
        return Finding(line_no, rule, "X", "WARNING", "", "", "", "", "", "", related_lines=related)

    def test_drug_hierarchy_suppresses_mi1_for_the_same_pair_only(self):
        """§0.6 rule 4: the PTP finding names its column-1 line so the engine can match the pair."""
        ref = reference(codes=["96365", "96374", "96375"], ptp=[ptp("96365", "96374", 1), ptp("96375", "96374", 1)])
        data = claim(line(1, "96365"), line(2, "96374"))
        ctx = ClaimContext(parse_claim(data), ref, payer_for(data))
        rule = registry.get("PTP-MI1-NOMOD")
        [ptp_finding] = [rule.stamp(hit, 2) for hit in rule.function(ctx, ctx.lines[1])]
        assert ptp_finding.related_lines == (1,)
        hierarchy = self.finding("DRG-ADMIN-HIERARCHY", 2, (1,))
        assert [f.rule for f in apply_precedence([hierarchy, ptp_finding], ctx)] == ["DRG-ADMIN-HIERARCHY"]
        other_pair = self.finding("PTP-MI1-NOMOD", 2, (3,))
        assert sorted(f.rule for f in apply_precedence([hierarchy, other_pair], ctx)) == [
            "DRG-ADMIN-HIERARCHY",
            "PTP-MI1-NOMOD",
        ]


class TestWorkedExamples:
    def test_ex06_nurse_visit_with_injection(self):
        data, expected = example("EX-06")
        ref = reference(
            codes=["99211", "96372", "J1100"],
            ptp=[ptp("96372", "99211", 0)],
            loaded=ALL_TABLES,
        )
        assert expected == [(1, "PTP-MI0")]
        assert checked(data, ref) == expected

    def test_ex09_biopsy_and_diagnostic_colonoscopy(self):
        data, expected = example("EX-09")
        ref = reference(
            codes=["45380", "45378"],
            ptp=[ptp("45380", "45378", 0, rationale="CPT Separate Procedure Definition")],
            loaded=ALL_TABLES,
        )
        assert expected == [(2, "PTP-MI0")]
        assert checked(data, ref) == expected

    def test_ex10_same_side_injections(self):
        data, expected = example("EX-10")
        ref = reference(codes=["20611", "20610"], ptp=[ptp("20611", "20610", 1)], loaded=ALL_TABLES)
        assert expected == [(2, "PTP-MI1-NOMOD")]
        assert checked(data, ref) == expected
        data["lines"][1]["modifiers"] = ["XS"]
        assert checked(data, ref) == []

    def test_ex11_meniscectomy_and_chondroplasty(self):
        data, expected = example("EX-11")
        ref = reference(
            codes=["29881", "29877", "G0289"],
            ptp=[ptp("29881", "29877", 0), ptp("29881", "G0289", 1)],
            loaded=ALL_TABLES,
        )
        assert expected == [(2, "PTP-MI0")]
        assert checked(data, ref) == expected

    def test_ex14_snare_and_biopsy_without_modifier(self):
        data, expected = example("EX-14")
        ref = reference(codes=["45385", "45380"], ptp=[ptp("45385", "45380", 1)], loaded=ALL_TABLES)
        assert expected == [(2, "PTP-MI1-NOMOD")]
        assert checked(data, ref) == expected

    def test_ex15_combined_claim(self):
        """Lines 1 and 3 are column-2 codes of 20611 (MI 1); line 4's invalid code suppresses the rest."""
        data, expected = example("EX-15")
        ref = reference(
            codes=["99214", "20611", "76942", code("J1030", termination_date=date(2024, 3, 31))],
            ptp=[ptp("20611", "99214", 1), ptp("20611", "76942", 1)],
            loaded=ALL_TABLES,
        )
        assert expected == [(1, "PTP-MI1-NOMOD"), (3, "PTP-MI1-NOMOD"), (4, "COD-EFFECTIVE")]
        assert checked(data, ref) == expected

    def test_ex20_awv_with_problem_visit_25(self):
        data, expected = example("EX-20")
        ref = reference(codes=["G0439", "99214"], ptp=[ptp("G0439", "99214", 1)], loaded=ALL_TABLES)
        assert expected == []
        assert checked(data, ref) == []
        data["lines"][1]["modifiers"] = []
        assert checked(data, ref) == [(2, "PTP-MI1-NOMOD")]

    def test_ex21_snare_and_biopsy_with_xs(self):
        data, expected = example("EX-21")
        ref = reference(
            codes=["45385", "45380"],
            ptp=[ptp("45385", "45380", 1, rationale="More extensive procedure")],
            mue=[mue(c, 1, mai=2) for c in ("45380", "45385")],
            loaded=ALL_TABLES,
        )
        assert expected == []
        assert checked(data, ref) == []
        data["lines"][1]["modifiers"] = []
        assert checked(data, ref) == [(2, "PTP-MI1-NOMOD")]


def test_edited_pairs_among_a_claims_codes_are_those_of_the_rows_in_memory():
    """``PTPRows.edits_among`` (the interactive path's PTP rows; the batch's index answers the same, see
    ``test_batch_equivalence``): every column-2 code among the codes -> its column-1 codes among them."""
    from random import Random

    from claims.rules.reference import PTPRows
    from codes.ptp_index import PTPRow

    rng = Random(11)
    universe = [f"{n:05d}" for n in range(10000, 10040)]
    rows = [PTPRow(rng.choice(universe), rng.choice(universe), None, None, rng.choice([0, 1]), "") for _ in range(300)]
    table = PTPRows(rows)
    for among in (universe, universe[::4], universe[:3], [], ["99999", *universe[:5]]):
        wanted: dict[str, set[str]] = {}
        for row in rows:
            if row.column_1 in among and row.column_2 in among:
                wanted.setdefault(row.column_2, set()).add(row.column_1)
        assert table.edits_among(among) == wanted
    assert table.edits_among(universe)  # the universe has edited pairs
