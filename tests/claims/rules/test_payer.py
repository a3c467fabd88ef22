"""PAYER_RULE rules (catalogue §3.8), each shown firing and staying silent; and the worked examples of
scrub-examples.json that involve the MODIFIER, DRUG and PAYER_RULE rules."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings

from claims.rules import load_rule_modules, registry

from .builders import addon, claim, code, fee, findings, line, mue, ptp, reference

EXAMPLES_FILE = Path(settings.SHARED_DATA_DIR).parent / "docs" / "scrub-examples.json"
OWN_CATEGORIES = ("MODIFIER", "DRUG", "PAYER_RULE")


def example(example_id: str) -> dict:
    if not EXAMPLES_FILE.exists():
        pytest.skip("scrub-examples.json is not available")
    examples = json.loads(EXAMPLES_FILE.read_text(encoding="utf-8"))["examples"]
    return copy.deepcopy(next(e for e in examples if e["id"] == example_id))


def own_pairs(found) -> set[tuple[int | None, str]]:
    """(line, rule) pairs of the MODIFIER, DRUG and PAYER_RULE rules, checking each finding's category."""
    load_rule_modules()
    pairs = set()
    for finding in found:
        if finding.category in OWN_CATEGORIES:
            assert finding.category == registry.get(finding.rule).category
            pairs.add((finding.line, finding.rule))
    return pairs


def expected_pairs(ex: dict) -> set[tuple[int | None, str]]:
    return {(e["line"], e["rule"]) for e in ex["expect"] if e["category"] in OWN_CATEGORIES}


def lines_of(data, ref, rule_id):
    return [f.line for f in findings(data, ref) if f.rule == rule_id]


def the_finding(data, ref, rule_id):
    [finding] = [f for f in findings(data, ref) if f.rule == rule_id]
    assert finding.category == "PAYER_RULE"
    return finding


CODES = ["90686", "90732", "90746", "90715", "90471", "90472", "90460", "G0008", "G0009", "96372", "99215"]
CODES += ["99417", "G2212", "99243", "99253", "99396", "99213", "G0438", "G0439", "G0402", "99214"]
CODES += ["97014", "G0283", "G0281", "99418", "G0316", "99223", "99245", "99255"]


def ref(**facts):
    return reference(codes=CODES, **facts)


class TestMcrVaccineAdmin:
    def test_flu_vaccine_with_90471_fires_on_the_admin_line(self):
        finding = the_finding(claim(line(1, "90686"), line(2, "90471")), ref(), "MCR-VACCINE-ADMIN")
        assert (finding.line, finding.severity, finding.rarc) == (2, "ERROR", "N657")
        assert "G0008" in finding.message

    def test_pneumococcal_and_hep_b_fire(self):
        assert lines_of(claim(line(1, "90732"), line(2, "90471")), ref(), "MCR-VACCINE-ADMIN") == [2]
        assert lines_of(claim(line(1, "90746"), line(2, "90460")), ref(), "MCR-VACCINE-ADMIN") == [2]

    def test_with_g0008_is_silent(self):
        assert lines_of(claim(line(1, "90686"), line(2, "G0008")), ref(), "MCR-VACCINE-ADMIN") == []

    def test_flu_with_g0008_and_another_vaccine_with_90471_is_silent(self):
        data = claim(line(1, "90686"), line(2, "G0008"), line(3, "90715"), line(4, "90471"))
        assert lines_of(data, ref(), "MCR-VACCINE-ADMIN") == []

    def test_commercial_is_silent(self):
        data = claim(line(1, "90686"), line(2, "90471"), payer_type="commercial")
        assert lines_of(data, ref(), "MCR-VACCINE-ADMIN") == []


class TestMcrHcpcsSubst:
    def test_99417_fires_and_names_g2212(self):
        finding = the_finding(claim(line(1, "99215"), line(2, "99417")), ref(), "MCR-HCPCS-SUBST")
        assert (finding.line, finding.severity, finding.carc, finding.rarc) == (2, "ERROR", "181", "N56")
        assert finding.hint == "Replace 99417 with G2212."

    def test_consultations_fire(self):
        assert lines_of(claim(line(1, "99243")), ref(), "MCR-HCPCS-SUBST") == [1]
        assert lines_of(claim(line(1, "99253"), pos="21"), ref(), "MCR-HCPCS-SUBST") == [1]

    def test_g2212_and_commercial_99417_are_silent(self):
        assert lines_of(claim(line(1, "99215"), line(2, "G2212")), ref(), "MCR-HCPCS-SUBST") == []
        data = claim(line(1, "99215"), line(2, "99417"), payer_type="commercial")
        assert lines_of(data, ref(), "MCR-HCPCS-SUBST") == []

    def test_it_suppresses_cod_mpfs_status_and_mue_zero(self):
        """§0.6 rule 3."""
        facts = ref(fee=[fee("99417", status="I"), fee("99215")], mue=[mue("99243", 0, rationale="CMS Policy")])
        found = {(f.line, f.rule) for f in findings(claim(line(1, "99215"), line(2, "99417")), facts)}
        assert (2, "MCR-HCPCS-SUBST") in found
        assert (2, "COD-MPFS-STATUS") not in found
        found = {(f.line, f.rule) for f in findings(claim(line(1, "99243")), facts)}
        assert (1, "MCR-HCPCS-SUBST") in found
        assert (1, "MUE-ZERO") not in found


    def test_97014_names_g0283_and_g0281_for_wound_care(self):
        """97014 (unattended electrical stimulation) is status I in the PFS RVU file; Medicare pays G0283, or
        G0281 for chronic ulcers (catalogue §3.8, changes of 2026-12)."""
        finding = the_finding(claim(line(1, "97014")), ref(), "MCR-HCPCS-SUBST")
        assert finding.line == 1 and "G0283" in finding.message and "G0281" in finding.message
        assert finding.hint == "Replace 97014 with G0283 (G0281 for wound care)."

    @pytest.mark.parametrize(
        ("code_", "substitute"),
        [("99418", "G0316"), ("99245", "99205 (new) or 99215 (established)"), ("99255", "99223 (initial)")],
    )
    def test_other_table_entries(self, code_, substitute):
        finding = the_finding(claim(line(1, code_), pos="21"), ref(), "MCR-HCPCS-SUBST")
        assert finding.hint.startswith(f"Replace {code_} with {substitute}")

    def test_g0283_g0281_and_commercial_97014_are_silent(self):
        assert lines_of(claim(line(1, "G0283"), line(2, "G0281")), ref(), "MCR-HCPCS-SUBST") == []
        assert lines_of(claim(line(1, "97014"), payer_type="commercial"), ref(), "MCR-HCPCS-SUBST") == []

    def test_real_pfs_file_gives_status_i_and_active_substitutes(self):
        """Every CPT code of the table has status I in the CMS PFS relative value file, and each of its
        substitutes is active there (status A)."""
        import csv

        from claims.rules.payer import SUBSTITUTES
        from tests.conftest import shared_file

        path = shared_file("pfs_rvu/PPRRVU25_JAN_no_descriptors.csv")
        with path.open(encoding="latin-1", newline="") as handle:
            status = {row["HCPCS"]: row["STATUS CODE"] for row in csv.DictReader(handle) if not row["MOD"]}
        assert {"97014", "99417", "99242", "99255"} <= set(SUBSTITUTES)
        for code_, substitute in SUBSTITUTES.items():
            assert status[code_] == "I", code_
            assert substitute.codes, code_
            assert {status[c] for c in substitute.codes} == {"A"}, (code_, substitute.codes)


class TestMcrPreventive:
    def test_routine_physical_to_medicare_fires(self):
        finding = the_finding(claim(line(1, "99396")), ref(), "MCR-PREVENTIVE")
        assert (finding.line, finding.severity, finding.carc) == (1, "WARNING", "96")

    def test_with_gy_or_commercial_is_silent(self):
        assert lines_of(claim(line(1, "99396", modifiers=["GY"])), ref(), "MCR-PREVENTIVE") == []
        assert lines_of(claim(line(1, "99396"), payer_type="commercial"), ref(), "MCR-PREVENTIVE") == []

    def test_it_suppresses_cod_mpfs_status(self):
        """§0.6 rule 3: the specific rule replaces the generic status-N finding."""
        found = {(f.line, f.rule) for f in findings(claim(line(1, "99396")), ref(fee=[fee("99396", status="N")]))}
        assert (1, "MCR-PREVENTIVE") in found
        assert (1, "COD-MPFS-STATUS") not in found


class TestMcrAwvFreq:
    PATIENT = {"dob": "1950-01-01", "sex": "F", "medicare_part_b_effective": "2015-03-01"}

    def awv(self, code_, dos, history=(), **patient):
        return claim(
            line(1, code_),
            dos=dos,
            submission_date=dos,
            patient={**self.PATIENT, **patient},
            history=[{"code": c, "dos": d} for c, d in history],
        )

    def test_second_initial_awv_fires(self):
        finding = the_finding(self.awv("G0438", "2024-08-05", [("G0438", "2022-06-01")]), ref(), "MCR-AWV-FREQ")
        assert (finding.line, finding.severity, finding.carc, finding.rarc) == (1, "ERROR", "119", "M86")

    def test_first_initial_awv_is_silent(self):
        assert lines_of(self.awv("G0438", "2024-08-05"), ref(), "MCR-AWV-FREQ") == []

    def test_subsequent_awv_needs_11_full_months(self):
        history = [("G0439", "2023-08-20")]
        assert lines_of(self.awv("G0439", "2024-07-31", history), ref(), "MCR-AWV-FREQ") == [1]
        assert lines_of(self.awv("G0439", "2024-08-01", history), ref(), "MCR-AWV-FREQ") == []

    def test_awv_in_the_first_part_b_year_fires(self):
        data = self.awv("G0438", "2024-08-05", medicare_part_b_effective="2024-01-01")
        assert lines_of(data, ref(), "MCR-AWV-FREQ") == [1]
        data = self.awv("G0438", "2025-01-01", medicare_part_b_effective="2024-01-01")
        assert lines_of(data, ref(), "MCR-AWV-FREQ") == []

    def test_awv_within_12_months_of_the_ippe_fires(self):
        assert lines_of(self.awv("G0438", "2024-08-05", [("G0402", "2024-01-10")]), ref(), "MCR-AWV-FREQ") == [1]
        assert lines_of(self.awv("G0438", "2025-01-10", [("G0402", "2024-01-10")]), ref(), "MCR-AWV-FREQ") == []

    def test_ippe_late_or_repeated_fires(self):
        assert lines_of(self.awv("G0402", "2024-08-05"), ref(), "MCR-AWV-FREQ") == [1]
        data = self.awv("G0402", "2024-08-05", [("G0402", "2024-03-01")], medicare_part_b_effective="2024-02-01")
        assert lines_of(data, ref(), "MCR-AWV-FREQ") == [1]
        data = self.awv("G0402", "2024-08-05", medicare_part_b_effective="2024-02-01")
        assert lines_of(data, ref(), "MCR-AWV-FREQ") == []

    def test_commercial_is_silent(self):
        data = {**self.awv("G0438", "2024-08-05", [("G0438", "2022-06-01")]), "payer_type": "commercial"}
        assert lines_of(data, ref(), "MCR-AWV-FREQ") == []

    def test_add_months_clamps_to_the_month_end(self):
        from claims.rules.payer import add_months

        assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
        assert add_months(date(2023, 8, 1), 12) == date(2024, 8, 1)


# --- worked examples (scrub-examples.json) ---------------------------------------------------------


class TestExamples:
    def check(self, example_id, facts):
        ex = example(example_id)
        assert own_pairs(findings(ex["claim"], facts)) == expected_pairs(ex)

    def test_ex_08_99417_on_line_2(self):
        facts = reference(
            codes=["99215", code("99417", is_add_on=True)],
            fee=[fee("99215"), fee("99417", status="I", global_days="ZZZ")],
            aoc=[addon("99417", "99205"), addon("99417", "99215")],
        )
        self.check("EX-08", facts)
        assert (2, "MCR-HCPCS-SUBST") in expected_pairs(example("EX-08"))

    def test_ex_12_second_g0438(self):
        self.check("EX-12", reference(codes=["G0438", "G0439"], fee=[fee("G0438"), fee("G0439")]))

    def test_ex_20_awv_after_12_months_with_problem_visit_is_clean(self):
        facts = reference(codes=["G0439", "99214"], fee=[fee("G0439"), fee("99214")], ptp=[ptp("G0439", "99214", 1)])
        self.check("EX-20", facts)
