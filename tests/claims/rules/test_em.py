"""EM rule EM-NEW-EST, shown firing and staying silent."""

from datetime import date

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


class TestInterpretationOnlyHistory:
    """Catalogue §3.10 (2026-12): a history line that is interpretation-only (modifier 26, or a code whose PFS
    PC/TC indicator is 2, professional component only) does not make the patient established. In the CMS PFS
    relative value file (RVU25A) 93010 and 93042 have PC/TC indicator 2; 93000 (tracing with interpretation)
    has 4 (global test only) and 20610 has 0."""

    @staticmethod
    def ref():
        return reference(
            codes=["99203", "93010", "93042", "93000", "20610"],
            fee=[
                fee("93010", pctc_indicator="2"),
                fee("93042", pctc_indicator="2"),
                fee("93000", pctc_indicator="4"),
                fee("20610", pctc_indicator="0"),
                fee("99203", pctc_indicator="0"),
            ],
        )

    @pytest.mark.parametrize("code", ["93010", "93042"])
    def test_professional_component_only_code_does_not_establish(self, code):
        assert em_only(claim(line(1, "99203"), history=[seen(code=code)]), self.ref()) == []

    def test_a_26_line_does_not_establish(self):
        assert em_only(claim(line(1, "99203"), history=[seen(code="20610", modifiers=["26"])]), self.ref()) == []

    @pytest.mark.parametrize("code", ["93000", "20610"])
    def test_a_service_that_is_not_interpretation_only_establishes(self, code):
        assert em_only(claim(line(1, "99203"), history=[seen(code=code)]), self.ref()) == [(1, "EM-NEW-EST")]

    def test_real_pfs_file_gives_93010_and_93042_indicator_2(self):
        import csv

        from tests.conftest import shared_file

        path = shared_file("pfs_rvu/PPRRVU25_JAN_no_descriptors.csv")
        with path.open(encoding="latin-1", newline="") as handle:
            indicators = {row["HCPCS"]: row["PCTC IND"] for row in csv.DictReader(handle) if not row["MOD"]}
        assert (indicators["93010"], indicators["93042"]) == ("2", "2")
        assert indicators["93000"] != "2"


@pytest.mark.django_db
class TestInterpretationOnlyFromTheDatabase:
    """The history lines' codes are among the codes whose fee-schedule facts are loaded, in the one-claim path
    (``check_document``) and in the batch path (``ReferenceData.extend``, what the batch check's chunks use)."""

    @pytest.fixture
    def fee_schedule(self):
        from codes.choices import Source
        from tests.codes.factories import make_code, make_fee, make_release

        hcpcs = make_release(Source.HCPCS, "2026 January")
        rvu = make_release(Source.PFS_RVU, "RVU26A", effective_date=date(2025, 1, 1))
        for code, indicator in (("99203", "0"), ("93010", "2"), ("20610", "0")):
            make_code(code, release=hcpcs, added_date=date(2000, 1, 1))
            make_fee(rvu, code, pctc_indicator=indicator)

    def document(self, history_code):
        return {"claims": [claim(line(1, "99203"), history=[seen(code=history_code)])]}

    @pytest.mark.parametrize(("history_code", "expected"), [("93010", []), ("20610", [(1, "EM-NEW-EST")])])
    def test_one_claim_path(self, fee_schedule, history_code, expected):
        from claims.rules import check_document

        [result] = check_document(self.document(history_code), today=date(2026, 3, 12))["claims"]
        assert [(f["line"], f["rule"]) for f in result["findings"] if f["rule"] == "EM-NEW-EST"] == expected

    def test_batch_path_loads_the_history_codes(self, fee_schedule):
        from claims.rules.inputs import parse_document
        from claims.rules.reference import ReferenceData

        ref = ReferenceData.start(ptp_index=True)
        ref.extend(parse_document(self.document("93010")))
        facts = ref.fee("93010", date(2025, 5, 1))
        assert facts is not None and facts.pctc_indicator == "2"
