"""EM rule EM-NEW-EST, shown firing and staying silent."""

import pytest

from claims.rules import load_rule_modules

from .builders import claim, fee, findings, line, reference, run
from .test_bundling import ALL_TABLES, OTHER_NPI, checked, example

NPI = "1234567893"  # the builders' claim: specialty 11, group 311234567

load_rule_modules()


def em_only(data, ref=None):
    ref = ref or reference(codes=["99203", "99213", "99385", "92004", "71046", "80053", "20610", "J1100"])
    return [pair for pair in run(data, ref) if pair[1] == "EM-NEW-EST"]


def seen(code="99213", dos="2025-05-01", **fields):
    return {"code": code, "dos": dos, "rendering_npi": NPI, "specialty": "11", "group_tin": "311234567", **fields}


class TestEMNewEstablished:
    def test_new_patient_code_after_a_visit_by_the_same_npi_fires(self):
        ref = reference(codes=["99203", "99213"])
        [finding] = [f for f in findings(claim(line(1, "99203"), history=[seen()]), ref) if f.rule == "EM-NEW-EST"]
        assert (finding.line, finding.rule, finding.category, finding.severity) == (1, "EM-NEW-EST", "EM", "WARNING")
        assert "99213 on 2025-05-01" in finding.message
        assert "99213" in finding.hint and "established" in finding.hint
        assert finding.carc == "11"

    def test_no_history_is_silent(self):
        assert em_only(claim(line(1, "99203"))) == []

    def test_established_code_is_silent(self):
        assert em_only(claim(line(1, "99213"), history=[seen()])) == []

    def test_more_than_three_years_ago_is_silent(self):
        assert em_only(claim(line(1, "99203"), history=[seen(dos="2023-03-08")])) == []
        assert em_only(claim(line(1, "99203"), history=[seen(dos="2023-03-09")])) == [(1, "EM-NEW-EST")]

    def test_same_group_and_specialty_is_the_same_provider(self):
        history = [seen(rendering_npi=OTHER_NPI)]
        assert em_only(claim(line(1, "99203"), history=history)) == [(1, "EM-NEW-EST")]

    def test_same_group_other_specialty_is_a_new_patient(self):
        history = [seen(rendering_npi=OTHER_NPI, specialty="06")]
        assert em_only(claim(line(1, "99203"), history=history)) == []

    def test_other_group_same_specialty_is_a_new_patient(self):
        history = [seen(rendering_npi=OTHER_NPI, group_tin="999999999")]
        assert em_only(claim(line(1, "99203"), history=history)) == []

    @pytest.mark.parametrize(
        "service",
        [
            {"code": "71046", "modifiers": ["26"]},  # interpretation only
            {"code": "80053"},  # lab test
            {"code": "J1100"},  # drug
            {"code": "99213", "status": "denied"},
        ],
    )
    def test_services_that_are_not_face_to_face_do_not_count(self, service):
        assert em_only(claim(line(1, "99203"), history=[seen(**service)])) == []

    def test_a_procedure_counts(self):
        assert em_only(claim(line(1, "99203"), history=[seen(code="20610")])) == [(1, "EM-NEW-EST")]

    def test_preventive_and_eye_codes(self):
        found = [
            f
            for f in findings(
                claim(line(1, "99385"), line(2, "92004"), history=[seen()]),
                reference(codes=["99385", "92004", "99213"]),
            )
            if f.rule == "EM-NEW-EST"
        ]
        assert [(f.line, f.rule) for f in found] == [(1, "EM-NEW-EST"), (2, "EM-NEW-EST")]
        assert "99395" in found[0].hint and "92014" in found[1].hint

    def test_earlier_line_of_the_same_claim_counts(self):
        data = claim(line(1, "99203", dos="2026-03-02"), line(2, "99203"))
        assert em_only(data) == [(2, "EM-NEW-EST")]

    def test_same_day_service_is_not_before_the_visit(self):
        assert em_only(claim(line(1, "99203"), history=[seen(dos="2026-03-09")])) == []


class TestWorkedExamples:
    def test_ex18_other_specialty_in_the_same_group(self):
        data, expected = example("EX-18")
        ref = reference(codes=["99203", "99204"], fee=[fee("99203"), fee("99204")], loaded=ALL_TABLES)
        assert expected == []
        assert checked(data, ref) == []
        data["history"][0]["specialty"] = data["rendering_specialty"]
        assert checked(data, ref) == [(1, "EM-NEW-EST")]
