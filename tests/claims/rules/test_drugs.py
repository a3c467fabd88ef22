"""DRUG rules (catalogue §3.7), each shown firing and staying silent, with the §0.6 cases they take part in."""

from __future__ import annotations

import pytest

from .builders import claim, code, fee, findings, line, mue, ptp, reference
from .test_payer import example, expected_pairs, own_pairs


def lines_of(data, ref, rule_id):
    return [f.line for f in findings(data, ref) if f.rule == rule_id]


def pairs(data, ref):
    return {(f.line, f.rule) for f in findings(data, ref)}


def the_finding(data, ref, rule_id):
    [finding] = [f for f in findings(data, ref) if f.rule == rule_id]
    assert finding.category == "DRUG"
    return finding


def drug(code_, amount=None, unit="", route="injection", **fields):
    return code(code_, is_drug=True, drug_dose_amount=amount, drug_dose_unit=unit, drug_route=route, **fields)


DRUGS = [
    drug("J1745", 10, "mg", route="injection"),
    drug("J1100", 1, "mg"),
    drug("J0585", 1, "unit"),
    drug("J2405", 1, "mg"),
    drug("J0696", 250, "mg"),
    drug("Q5103", 10, "mg", route="infusion"),
    drug("Q5104", 10, "mg", route="infusion"),
    drug("Q5121", 10, "mg", route="infusion"),
    drug("J3490", route="", is_unlisted=True),
    drug("J8499", route="oral", is_unlisted=True, coverage_code="M"),
    drug("J8501", 5, "mg", route="oral"),
    drug("J7507", 1, "mg", route="oral"),
    drug("Q0162", 1, "mg", route="oral"),
    drug("J9045", 50, "mg"),
    drug("J2920", 40, "mg", description="Injection, methylprednisolone sodium succinate, up to 40 mg"),
]
PLAIN = ["96372", "96374", "96365", "96413", "96360", "99213", "90686", "90471", "90715", "64615"]


def ref(**facts):
    return reference(codes=DRUGS + PLAIN, **facts)


class TestDrgUnits:
    def test_wrong_units_fire_with_the_expected_count(self):
        data = claim(line(1, "J1745", units=5, dose={"amount": 500, "unit": "mg"}))
        finding = the_finding(data, ref(), "DRG-UNITS")
        assert (finding.line, finding.severity, finding.rarc) == (1, "WARNING", "M53")
        assert finding.message == "J1745 is billed in 10 mg units: 500 mg → 50 units, not 5."

    def test_remainder_rounds_up(self):
        assert lines_of(claim(line(1, "J0696", units=3, dose={"amount": 600, "unit": "mg"})), ref(), "DRG-UNITS") == []
        assert lines_of(claim(line(1, "J0696", units=2, dose={"amount": 600, "unit": "mg"})), ref(), "DRG-UNITS") == [1]

    def test_up_to_descriptor_one_unit_covers_a_smaller_dose(self):
        data = claim(line(1, "J2920", units=1, dose={"amount": 30, "unit": "mg"}))
        assert lines_of(data, ref(), "DRG-UNITS") == []

    def test_grams_convert_to_milligrams(self):
        data = claim(line(1, "J0696", units=4, dose={"amount": 1, "unit": "g"}))
        assert lines_of(data, ref(), "DRG-UNITS") == []

    def test_jw_line_is_checked_against_the_discarded_amount(self):
        data = claim(
            line(1, "J0585", units=155, dose={"amount": 155, "unit": "units"}, container="single_dose"),
            line(
                2,
                "J0585",
                units=45,
                modifiers=["JW"],
                dose={"amount": 200, "unit": "units", "discarded": 45},
                container="single_dose",
            ),
        )
        assert lines_of(data, ref(), "DRG-UNITS") == []

    def test_no_dose_is_silent(self):
        assert lines_of(claim(line(1, "J1745", units=5)), ref(), "DRG-UNITS") == []


class TestDrgNdcRequired:
    def test_medicaid_drug_line_without_ndc_fires(self):
        data = claim(line(1, "J1100", units=10), payer_type="medicaid")
        finding = the_finding(data, ref(), "DRG-NDC-REQUIRED")
        assert (finding.line, finding.severity, finding.rarc) == (1, "ERROR", "M119")

    def test_medicare_specific_drug_without_ndc_is_silent(self):
        assert lines_of(claim(line(1, "J1100", units=10)), ref(), "DRG-NDC-REQUIRED") == []

    def test_noc_drug_without_ndc_fires_for_every_payer(self):
        for payer_type in ("medicare", "commercial"):
            data = claim(line(1, "J3490", narrative="dexamethasone 4 mg IM"), payer_type=payer_type)
            assert lines_of(data, ref(), "DRG-NDC-REQUIRED") == [1]

    def test_medicaid_line_with_ndc_is_silent(self):
        data = claim(line(1, "J1100", units=10, ndc="63323050601", ndc_unit="ML", ndc_qty=1), payer_type="medicaid")
        assert lines_of(data, ref(), "DRG-NDC-REQUIRED") == []


class TestDrgNdcFormat:
    @pytest.mark.parametrize(
        "ndc_fields",
        [
            {"ndc": "0409-3795-01", "ndc_unit": "ML", "ndc_qty": 1},  # 4-4-2 without zero-fill
            {"ndc": "6332305060", "ndc_unit": "ML", "ndc_qty": 1},  # 10 digits
            {"ndc": "63323050601", "ndc_unit": "MG", "ndc_qty": 1},  # bad qualifier
            {"ndc": "63323050601", "ndc_unit": "ML", "ndc_qty": 0},  # quantity 0
        ],
    )
    def test_bad_ndc_fires(self, ndc_fields):
        finding = the_finding(claim(line(1, "J1100", units=10, **ndc_fields)), ref(), "DRG-NDC-FORMAT")
        assert (finding.line, finding.severity) == (1, "ERROR")

    def test_good_ndc_is_silent(self):
        for ndc in ("63323050601", "63323-0506-01"):
            data = claim(line(1, "J1100", units=10, ndc=ndc, ndc_unit="ML", ndc_qty=1))
            assert lines_of(data, ref(), "DRG-NDC-FORMAT") == []


class TestDrgNdcXwalk:
    def facts(self):
        return ref(ndc=[("63323050601", "J1100"), ("00069080901", "Q5103")])

    def test_ndc_of_another_code_fires(self):
        data = claim(line(1, "J1100", units=10, ndc="00069080901", ndc_unit="UN", ndc_qty=1))
        finding = the_finding(data, self.facts(), "DRG-NDC-XWALK")
        assert (finding.line, finding.severity, finding.rarc) == (1, "WARNING", "M119")
        assert "Q5103" in finding.message

    def test_matching_ndc_is_silent(self):
        data = claim(line(1, "J1100", units=10, ndc="63323050601", ndc_unit="ML", ndc_qty=1))
        assert lines_of(data, self.facts(), "DRG-NDC-XWALK") == []

    def test_code_not_in_the_crosswalk_is_silent(self):
        data = claim(line(1, "J1745", units=50, ndc="00069080901", ndc_unit="UN", ndc_qty=1))
        assert lines_of(data, self.facts(), "DRG-NDC-XWALK") == []


class TestDrgNocDetail:
    def test_no_narrative_fires(self):
        data = claim(line(1, "J3490", ndc="63323050601", ndc_unit="ML", ndc_qty=1))
        finding = the_finding(data, ref(), "DRG-NOC-DETAIL")
        assert (finding.line, finding.severity, finding.rarc) == (1, "ERROR", "N350")

    def test_narrative_without_dose_fires(self):
        data = claim(line(1, "J3490", narrative="dexamethasone", ndc="63323050601", ndc_unit="ML", ndc_qty=1))
        assert lines_of(data, ref(), "DRG-NOC-DETAIL") == [1]

    def test_name_dose_and_ndc_are_silent(self):
        data = claim(line(1, "J3490", narrative="dexamethasone 4 mg IM", ndc="63323050601", ndc_unit="ML", ndc_qty=1))
        assert lines_of(data, ref(), "DRG-NOC-DETAIL") == []

    def test_it_replaces_cod_unlisted_desc(self):
        """§0.6 rule 6."""
        found = pairs(claim(line(1, "J3490")), ref())
        assert (1, "DRG-NOC-DETAIL") in found
        assert (1, "COD-UNLISTED-DESC") not in found


class TestDrgNocSpecificExists:
    def test_ndc_of_a_specific_code_fires(self):
        facts = ref(ndc=[("63323050601", "J1100")])
        data = claim(line(1, "J3490", narrative="dexamethasone 4 mg IM", ndc="63323050601", ndc_unit="ML", ndc_qty=1))
        finding = the_finding(data, facts, "DRG-NOC-SPECIFIC-EXISTS")
        assert (finding.line, finding.severity, finding.carc) == (1, "WARNING", "189")
        assert "J1100" in finding.message

    def test_ndc_without_a_specific_code_is_silent(self):
        facts = ref(ndc=[("00000000001", "J1100")])
        data = claim(line(1, "J3490", narrative="dexamethasone 4 mg IM", ndc="63323050601", ndc_unit="ML", ndc_qty=1))
        assert lines_of(data, facts, "DRG-NOC-SPECIFIC-EXISTS") == []


class TestDrgRouteMismatch:
    def test_96372_with_j8499_fires_on_the_administration_line(self):
        """The team's flagship case: a Medicare patient, 96372 and J8499."""
        data = claim(line(1, "96372"), line(2, "J8499", narrative="ondansetron 8 mg tablet"))
        finding = the_finding(data, ref(), "DRG-ROUTE-MISMATCH")
        assert (finding.line, finding.severity, finding.carc) == (1, "ERROR", "11")
        assert finding.message == "96372 (injection/infusion) cannot be billed with an oral drug (J8499)."
        assert (2, "DRG-ORAL-MEDICARE") in pairs(data, ref())

    def test_commercial_and_oral_antiemetic_fire_too(self):
        data = claim(line(1, "96374"), line(2, "Q0162", units=8), payer_type="commercial")
        assert lines_of(data, ref(), "DRG-ROUTE-MISMATCH") == [1]

    def test_an_injectable_drug_on_the_claim_is_silent(self):
        data = claim(line(1, "96372"), line(2, "J8499", narrative="ondansetron 8 mg"), line(3, "J1100", units=10))
        assert lines_of(data, ref(), "DRG-ROUTE-MISMATCH") == []

    def test_injection_with_injectable_drug_is_silent(self):
        assert lines_of(claim(line(1, "96372"), line(2, "J1100", units=10)), ref(), "DRG-ROUTE-MISMATCH") == []


class TestDrgOralMedicare:
    def test_j8499_to_medicare_fires(self):
        finding = the_finding(claim(line(1, "J8499", narrative="ondansetron 8 mg")), ref(), "DRG-ORAL-MEDICARE")
        assert (finding.line, finding.severity, finding.carc) == (1, "ERROR", "96")

    def test_mue_oral_medication_rationale_fires(self):
        facts = ref(mue=[mue("J8501", 0, mai=3, rationale="Oral Medication; Not Payable")])
        assert lines_of(claim(line(1, "J8501", units=1)), facts, "DRG-ORAL-MEDICARE") == [1]

    def test_it_suppresses_the_generic_coverage_rules(self):
        """§0.6 rule 3: DRG-ORAL-MEDICARE replaces COD-MPFS-STATUS, COD-HCPCS-COV and MUE-ZERO."""
        facts = ref(fee=[fee("J8499", status="N")], mue=[mue("J8499", 0, rationale="CMS Policy")])
        found = pairs(claim(line(1, "J8499", narrative="ondansetron 8 mg")), facts)
        assert (1, "DRG-ORAL-MEDICARE") in found
        assert not found & {(1, "COD-MPFS-STATUS"), (1, "COD-HCPCS-COV"), (1, "MUE-ZERO")}

    def test_commercial_or_gy_is_silent(self):
        data = claim(line(1, "J8499", narrative="ondansetron 8 mg"), payer_type="commercial")
        assert lines_of(data, ref(), "DRG-ORAL-MEDICARE") == []
        data = claim(line(1, "J8499", narrative="ondansetron 8 mg", modifiers=["GY"]))
        assert lines_of(data, ref(), "DRG-ORAL-MEDICARE") == []


class TestDrgVaccineAdmin:
    def test_vaccine_with_96372_fires_on_the_96372_line(self):
        data = claim(line(1, "90715"), line(2, "96372"), payer_type="commercial")
        finding = the_finding(data, ref(), "DRG-VACCINE-ADMIN")
        assert (finding.line, finding.severity) == (2, "ERROR")

    def test_vaccine_with_90471_is_silent(self):
        data = claim(line(1, "90715"), line(2, "90471"), payer_type="commercial")
        assert lines_of(data, ref(), "DRG-VACCINE-ADMIN") == []

    def test_96372_for_another_drug_is_silent(self):
        data = claim(line(1, "90715"), line(2, "96372"), line(3, "J1100", units=10), payer_type="commercial")
        assert lines_of(data, ref(), "DRG-VACCINE-ADMIN") == []


class TestDrgFacilityPos:
    def facts(self):
        return ref(fee=[fee("96372", pctc_indicator="5"), fee("99213", pctc_indicator="0")])

    def test_injection_in_the_hospital_fires(self):
        finding = the_finding(claim(line(1, "96372"), pos="22"), self.facts(), "DRG-FACILITY-POS")
        assert (finding.line, finding.severity, finding.carc) == (1, "WARNING", "5")

    def test_office_or_other_indicator_is_silent(self):
        assert lines_of(claim(line(1, "96372"), pos="11"), self.facts(), "DRG-FACILITY-POS") == []
        assert lines_of(claim(line(1, "99213"), pos="22"), self.facts(), "DRG-FACILITY-POS") == []


class TestDrgAdminHierarchy:
    def test_second_initial_service_fires_on_the_lower_one(self):
        data = claim(line(1, "96374"), line(2, "96365"), line(3, "J1100", units=10))
        finding = the_finding(data, ref(), "DRG-ADMIN-HIERARCHY")
        assert (finding.line, finding.severity) == (1, "WARNING")
        assert finding.related_lines == (2,)
        assert "96365" in finding.message

    def test_two_units_of_an_initial_code_fire(self):
        assert lines_of(claim(line(1, "96365", units=2)), ref(), "DRG-ADMIN-HIERARCHY") == [1]

    def test_separate_site_with_xu_is_silent(self):
        data = claim(line(1, "96365"), line(2, "96374", modifiers=["XU"]))
        assert lines_of(data, ref(), "DRG-ADMIN-HIERARCHY") == []

    def test_one_initial_service_is_silent(self):
        assert lines_of(claim(line(1, "96365"), line(2, "J1100", units=10)), ref(), "DRG-ADMIN-HIERARCHY") == []

    def test_it_suppresses_ptp_mi1_nomod_for_the_same_pair(self):
        """§0.6 rule 4: 96365 + 96374 (PTP MI 1) gives the hierarchy fix, not the generic PTP finding."""
        facts = ref(ptp=[ptp("96365", "96374", 1)])
        found = pairs(claim(line(1, "96365"), line(2, "96374")), facts)
        assert (2, "DRG-ADMIN-HIERARCHY") in found
        assert (2, "PTP-MI1-NOMOD") not in found


class TestDrgNonPreferred:
    CONFIG = {"preferred_products": {"infliximab": {"preferred": ["Q5103", "Q5104"], "non_preferred": ["J1745"]}}}

    def test_non_preferred_product_fires(self):
        data = claim(
            line(1, "J1745", units=50),
            payer_type="commercial",
            payer_config=self.CONFIG,
            prior_auth_number="PA1",
        )
        finding = the_finding(data, ref(), "DRG-NONPREFERRED")
        assert (finding.line, finding.severity, finding.rarc) == (1, "WARNING", "N130")
        assert "Q5103, Q5104" in finding.message

    def test_preferred_product_and_medicare_are_silent(self):
        data = claim(line(1, "Q5103", units=50), payer_type="commercial", payer_config=self.CONFIG)
        assert lines_of(data, ref(), "DRG-NONPREFERRED") == []
        data = claim(line(1, "J1745", units=50), payer_type="medicare", payer_config=self.CONFIG)
        assert lines_of(data, ref(), "DRG-NONPREFERRED") == []


class TestExamples:
    def test_ex_22_botox_with_jw_line_is_clean(self):
        ex = example("EX-22")
        facts = reference(
            codes=[
                "64615",
                code("J0585", is_drug=True, drug_dose_amount=1, drug_dose_unit="unit", drug_route="injection"),
            ],
            fee=[fee("64615", global_days="010", bilateral_surgery="0"), fee("J0585", status="E")],
            mue=[mue("J0585", 600, mai=3), mue("64615", 1, mai=2, rationale="Policy")],
        )
        assert own_pairs(findings(ex["claim"], facts)) == expected_pairs(ex) == set()
