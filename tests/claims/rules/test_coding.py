"""CODE_VALIDITY rules, each shown firing and staying silent."""

from datetime import date

import pytest

from .builders import claim, code, fee, line, mue, reference, run


class TestCodeEffective:
    def test_terminated_code_fires_and_names_the_successor(self):
        ref = reference(codes=[code("J1030", termination_date=date(2024, 3, 31))])
        from .builders import findings

        [finding] = findings(claim(line(1, "J1030"), dos="2024-04-01", submission_date="2024-04-05"), ref)
        assert (finding.line, finding.rule, finding.category, finding.severity) == (
            1,
            "COD-EFFECTIVE",
            "CODE_VALIDITY",
            "ERROR",
        )
        assert "terminated 2024-03-31" in finding.message
        assert "J1010" in finding.hint

    def test_last_valid_day_is_silent(self):
        ref = reference(codes=[code("J1030", termination_date=date(2024, 3, 31))])
        assert run(claim(line(1, "J1030"), dos="2024-03-31", submission_date="2024-04-05"), ref) == []

    def test_before_the_add_date_fires(self):
        ref = reference(codes=[code("J1010", added_date=date(2024, 4, 1))])
        assert run(claim(line(1, "J1010"), dos="2024-03-31", submission_date="2024-04-05"), ref) == [
            (1, "COD-EFFECTIVE")
        ]
        assert run(claim(line(1, "J1010"), dos="2024-04-01", submission_date="2024-04-05"), ref) == []

    def test_well_formed_unknown_code_fires_only_when_its_code_set_is_complete(self):
        ref = reference(codes=["99213"])
        assert run(claim(line(1, "29877"), line(2, "L3000")), ref) == [(1, "COD-EFFECTIVE"), (2, "COD-EFFECTIVE")]
        ref.complete_systems = frozenset({"HCPCS"})  # a CMS HCPCS file is loaded, no licensed CPT file
        assert run(claim(line(1, "29877"), line(2, "L3000")), ref) == [(2, "COD-EFFECTIVE")]
        ref.complete_systems = frozenset()  # starter data only
        assert run(claim(line(1, "29877"), line(2, "L3000"), line(3, "9921")), ref) == [(3, "COD-EFFECTIVE")]

    def test_unknown_and_malformed_codes_fire(self):
        ref = reference(codes=["99213"])
        assert run(claim(line(1, "99999"), line(2, "9921"), line(3, "99213")), ref) == [
            (1, "COD-EFFECTIVE"),
            (2, "COD-EFFECTIVE"),
        ]


# --- The other CODE_VALIDITY rules ----------------------------------------------------------------------
CODING_RULES = {
    "COD-EFFECTIVE",
    "COD-MPFS-STATUS",
    "COD-HCPCS-COV",
    "COD-S-CODE",
    "COD-T-CODE",
    "COD-C-CODE",
    "COD-CAT2-CHARGE",
    "COD-CAT2-ONLY",
    "COD-UNLISTED-DESC",
    "COD-CAT3",
}


def cod(data, ref):
    """(line, rule) pairs of the CODE_VALIDITY rules (and MUE-ZERO, for the precedence cases)."""
    return [pair for pair in run(data, ref) if pair[1] in CODING_RULES | {"MUE-ZERO"}]


def one(data, ref, rule):
    from .builders import findings

    [finding] = [f for f in findings(data, ref) if f.rule == rule]
    return finding


class TestMpfsStatus:
    def test_status_i_is_an_error(self):
        ref = reference(codes=["99215", "97605"], fee=[fee("99215"), fee("97605", "I")])
        data = claim(line(1, "99215"), line(2, "97605"))
        assert cod(data, ref) == [(2, "COD-MPFS-STATUS")]
        finding = one(data, ref, "COD-MPFS-STATUS")
        assert (finding.category, finding.severity, finding.carc, finding.rarc) == (
            "CODE_VALIDITY",
            "ERROR",
            "181",
            "N56",
        )
        assert finding.message == "97605 is not valid for Medicare (status I); Medicare pays a different code."
        assert finding.data_release == "RVU-test"

    def test_status_n_is_a_warning(self):
        ref = reference(codes=["97610"], fee=[fee("97610", "N")])
        data = claim(line(1, "97610"))
        finding = one(data, ref, "COD-MPFS-STATUS")
        assert (finding.line, finding.severity, finding.carc, finding.rarc) == (1, "WARNING", "96", "N130")

    @pytest.mark.parametrize("status", ["A", "X", "E", "B", "C"])
    def test_other_statuses_are_silent(self, status):
        ref = reference(codes=["99215"], fee=[fee("99215", status)])
        assert cod(claim(line(1, "99215")), ref) == []

    def test_not_applied_to_commercial_payers(self):
        ref = reference(codes=["97605"], fee=[fee("97605", "I")])
        assert cod(claim(line(1, "97605"), payer_type="commercial"), ref) == []

    @pytest.mark.parametrize("liability", ["GA", "GY", "GZ", "GX"])
    def test_liability_modifier_silences_it(self, liability):
        """§0.6 rule 2."""
        ref = reference(codes=["97610"], fee=[fee("97610", "N")])
        assert cod(claim(line(1, "97610", modifiers=[liability])), ref) == []

    def test_suppresses_mue_zero(self):
        """§0.6 rule 3: COD-MPFS-STATUS in turn suppresses MUE-ZERO."""
        ref = reference(codes=["97610"], fee=[fee("97610", "N")], mue=[mue("97610", 0, 3, "CMS Policy")])
        assert cod(claim(line(1, "97610")), ref) == [(1, "COD-MPFS-STATUS")]


class TestHcpcsCoverage:
    @pytest.mark.parametrize("coverage", ["I", "M", "S"])
    def test_non_covered_codes_fire(self, coverage):
        ref = reference(codes=[code("A4550", coverage_code=coverage)])
        data = claim(line(1, "A4550"))
        assert cod(data, ref) == [(1, "COD-HCPCS-COV")]
        assert one(data, ref, "COD-HCPCS-COV").category == "CODE_VALIDITY"

    @pytest.mark.parametrize("coverage", ["C", "D", ""])
    def test_covered_codes_are_silent(self, coverage):
        ref = reference(codes=[code("A4550", coverage_code=coverage)])
        assert cod(claim(line(1, "A4550")), ref) == []

    def test_liability_modifier_and_other_payers_silence_it(self):
        ref = reference(codes=[code("A4550", coverage_code="M")])
        assert cod(claim(line(1, "A4550", modifiers=["GY"])), ref) == []
        assert cod(claim(line(1, "A4550"), payer_type="commercial"), ref) == []


class TestSCode:
    def test_medicare_fires_and_suppresses_the_generic_coverage_rules(self):
        """§0.6 rule 3: COD-S-CODE is specific; COD-MPFS-STATUS and COD-HCPCS-COV stay silent."""
        ref = reference(codes=[code("S9083", coverage_code="I")], fee=[fee("S9083", "I")])
        data = claim(line(1, "S9083"))
        assert cod(data, ref) == [(1, "COD-S-CODE")]
        finding = one(data, ref, "COD-S-CODE")
        assert (finding.category, finding.severity) == ("CODE_VALIDITY", "ERROR")
        assert "Medicare will not pay S9083" in finding.message

    def test_commercial_accepts_s_codes_unless_configured(self):
        ref = reference(codes=["S9083"])
        assert cod(claim(line(1, "S9083"), payer_type="commercial"), ref) == []
        data = claim(line(1, "S9083"), payer_type="commercial", payer_config={"rejects_S_codes": True})
        assert cod(data, ref) == [(1, "COD-S-CODE")]

    def test_other_codes_are_silent(self):
        assert cod(claim(line(1, "99213")), reference(codes=["99213"])) == []


class TestTCode:
    def test_medicare_error_commercial_warning_medicaid_silent(self):
        ref = reference(codes=[code("T1015", coverage_code="I")])
        assert cod(claim(line(1, "T1015")), ref) == [(1, "COD-T-CODE")]
        assert one(claim(line(1, "T1015")), ref, "COD-T-CODE").severity == "ERROR"
        assert one(claim(line(1, "T1015"), payer_type="commercial"), ref, "COD-T-CODE").severity == "WARNING"
        assert cod(claim(line(1, "T1015"), payer_type="medicaid"), ref) == []


class TestCCode:
    def test_office_fires_and_asc_is_silent(self):
        ref = reference(codes=["C1713"])
        assert cod(claim(line(1, "C1713")), ref) == [(1, "COD-C-CODE")]
        assert one(claim(line(1, "C1713")), ref, "COD-C-CODE").category == "CODE_VALIDITY"
        assert cod(claim(line(1, "C1713"), pos="24"), ref) == []


class TestCategoryII:
    def test_quality_code_with_a_charge_fires(self):
        ref = reference(codes=["99213", "3074F"])
        data = claim(line(1, "99213"), line(2, "3074F", charge=25))
        assert cod(data, ref) == [(2, "COD-CAT2-CHARGE")]
        assert one(data, ref, "COD-CAT2-CHARGE").severity == "WARNING"

    @pytest.mark.parametrize("charge", [0, 0.01])
    def test_zero_or_a_cent_is_silent(self, charge):
        ref = reference(codes=["99213", "3074F"])
        assert cod(claim(line(1, "99213"), line(2, "3074F", charge=charge)), ref) == []

    def test_measurement_g_code_counts_as_a_quality_code(self):
        ref = reference(codes=["99213", "G8752"], fee=[fee("99213"), fee("G8752", "M")])
        assert cod(claim(line(1, "99213"), line(2, "G8752", charge=5)), ref) == [(2, "COD-CAT2-CHARGE")]

    def test_claim_of_only_quality_codes_fires_at_claim_level(self):
        ref = reference(codes=["3074F", "3044F"])
        data = claim(line(1, "3074F", charge=0), line(2, "3044F", charge=0))
        assert cod(data, ref) == [(None, "COD-CAT2-ONLY")]
        finding = one(data, ref, "COD-CAT2-ONLY")
        assert (finding.category, finding.severity) == ("CODE_VALIDITY", "ERROR")

    def test_zero_total_claim_fires(self):
        ref = reference(codes=["99213"])
        assert cod(claim(line(1, "99213", charge=0)), ref) == [(None, "COD-CAT2-ONLY")]

    def test_quality_code_with_a_visit_is_silent(self):
        ref = reference(codes=["99213", "3074F"])
        assert cod(claim(line(1, "99213"), line(2, "3074F", charge=0)), ref) == []


class TestUnlistedDescription:
    def test_unlisted_procedure_without_narrative_fires(self):
        ref = reference(codes=[code("17999", is_unlisted=True)])
        data = claim(line(1, "17999"))
        assert cod(data, ref) == [(1, "COD-UNLISTED-DESC")]
        assert one(data, ref, "COD-UNLISTED-DESC").category == "CODE_VALIDITY"

    def test_with_narrative_is_silent(self):
        ref = reference(codes=[code("17999", is_unlisted=True)])
        assert cod(claim(line(1, "17999", narrative="Cryotherapy of wart, left hand")), ref) == []

    def test_noc_drug_is_left_to_drg_noc_detail(self):
        """§0.6 rule 6: NOC drug codes are DRG-NOC-DETAIL's, never COD-UNLISTED-DESC."""
        ref = reference(codes=[code("J3490", is_unlisted=True, is_drug=True)])
        assert cod(claim(line(1, "J3490")), ref) == []


class TestUnlistedFromPublicData:
    """Unlisted CPT codes are known without a licensed CPT file: the code numbers of claims/rules/data/
    unlisted_cpt.txt (issue 11 part 1; catalogue §3.2 COD-UNLISTED-DESC)."""

    @pytest.mark.parametrize("code_", ["17999", "64999", "99499", "58999", "76999", "97139", "01999", "88399"])
    def test_unlisted_code_without_a_cpt_file_fires(self, code_):
        ref = reference(codes=[code(code_)])  # the code is known (HCPCS/RVU data) but not flagged unlisted
        assert cod(claim(line(1, code_)), ref) == [(1, "COD-UNLISTED-DESC")]
        assert cod(claim(line(1, code_, narrative="Cryotherapy of a plantar wart")), ref) == []

    def test_unlisted_code_in_no_loaded_table_fires(self):
        ref = reference(codes=[])
        ref.complete_systems = frozenset({"HCPCS"})  # no CPT code set loaded: CPT validity cannot be decided
        assert cod(claim(line(1, "64999")), ref) == [(1, "COD-UNLISTED-DESC")]

    @pytest.mark.parametrize("code_", ["17000", "64490", "21199", "28299"])  # 21199 and 28299 end in 99 but are listed
    def test_other_codes_are_silent(self, code_):
        assert cod(claim(line(1, code_)), reference(codes=[code_])) == []

    def test_list_matches_the_real_pfs_file(self):
        """Every listed code is in the CMS PFS relative value file, none nationally priced (status A)."""
        import csv

        from claims.rules.data import code_list
        from tests.conftest import shared_file

        path = shared_file("pfs_rvu/PPRRVU25_JAN_no_descriptors.csv")
        with path.open(encoding="latin-1", newline="") as handle:
            status = {row["HCPCS"]: row["STATUS CODE"] for row in csv.DictReader(handle) if not row["MOD"]}
        unlisted = code_list("unlisted_cpt.txt")
        assert len(unlisted) == 146
        assert unlisted <= set(status)
        assert {status[c] for c in unlisted} <= {"C", "X", "N", "I", "E", "J"}


@pytest.mark.django_db
def test_unlisted_code_with_only_the_hcpcs_file_loaded():
    """The one-claim path with a CMS HCPCS release and no licensed CPT file."""
    from claims.rules import check_document
    from codes.choices import Source
    from tests.codes.factories import make_code, make_release

    make_code("99213", release=make_release(Source.HCPCS, "2026 January"), added_date=date(2000, 1, 1))
    data = {"claims": [claim(line(1, "99213"), line(2, "17999"))]}
    [result] = check_document(data, today=date(2026, 3, 12))["claims"]
    assert [(f["line"], f["rule"]) for f in result["findings"] if f["rule"] == "COD-UNLISTED-DESC"] == [
        (2, "COD-UNLISTED-DESC")
    ]


class TestCategoryIII:
    def test_category_iii_fires_and_category_i_is_silent(self):
        ref = reference(codes=["0213T", "64490"])
        assert cod(claim(line(1, "0213T")), ref) == [(1, "COD-CAT3")]
        assert one(claim(line(1, "0213T")), ref, "COD-CAT3").severity == "WARNING"
        assert cod(claim(line(1, "64490")), ref) == []


def test_cod_effective_suppresses_the_other_code_rules_on_its_line():
    """§0.6 rule 1."""
    ref = reference(codes=[code("S0020", termination_date=date(2023, 6, 30))])
    assert cod(claim(line(1, "S0020"), dos="2024-01-02"), ref) == [(1, "COD-EFFECTIVE")]
