"""DEMOGRAPHIC rules, each shown firing and staying silent."""

import pytest

from claims.models import DemographicEdit

from .builders import claim, findings, line, reference, run

DEMOGRAPHIC_RULES = {"DEM-AGE-PREVENTIVE", "DEM-AGE-CODE", "DEM-SEX-PROC", "DEM-SEX-DX"}


def edit(kind, low, high=None, sex="", age_min=None, age_max=None, hint=""):
    return DemographicEdit(
        kind=kind,
        code_from=low,
        code_to=high or low,
        sex=sex,
        age_min=age_min,
        age_max=age_max,
        description=f"{low} test range",
        source="test",
        hint=hint,
    )


EDITS = [
    edit("procedure", "Q0091", sex="F"),
    edit("procedure", "G0101", sex="F"),
    edit("procedure", "84153", sex="M"),
    edit("procedure", "G0102", "G0103", sex="M"),
    edit("procedure", "90460", "90461", age_max=18, hint="Use 90471/90472 for patients 19+."),
    edit("procedure", "99460", "99463", age_max=0),
    edit("diagnosis", "Z0141", sex="F"),
    edit("diagnosis", "O00", "O9A", sex="F"),
    edit("diagnosis", "N40", sex="M"),
    edit("diagnosis", "C61", sex="M"),
    edit("diagnosis", "P00", "P96", age_max=0),
]
CODES = ["99213", "99395", "99396", "99385", "99381", "99391", "99387", "Q0091", "G0101", "84153", "G0102"]
CODES += ["90460", "90471", "99460", "36415"]
REF = reference(codes=CODES)
FEMALE_45 = {"dob": "1979-02-02", "sex": "F"}
MALE_70 = {"dob": "1956-05-20", "sex": "M"}


def dem(data, edits=EDITS):
    return [pair for pair in run(data, REF, demographic_edits=edits) if pair[1] in DEMOGRAPHIC_RULES]


def one(data, rule, edits=EDITS):
    [finding] = [f for f in findings(data, REF, demographic_edits=edits) if f.rule == rule]
    return finding


class TestPreventiveAge:
    def test_example_05_45_year_old_billed_18_to_39(self):
        """scrub-examples EX-05 (commercial, 99395 for a 45-year-old)."""
        data = claim(
            line(1, "99395", charge=230),
            payer_type="commercial",
            patient=FEMALE_45,
            dos="2024-08-12",
            submission_date="2024-08-19",
            diagnoses=["Z00.00"],
        )
        assert dem(data) == [(1, "DEM-AGE-PREVENTIVE")]
        finding = one(data, "DEM-AGE-PREVENTIVE")
        assert (finding.category, finding.severity, finding.carc) == ("DEMOGRAPHIC", "ERROR", "6")
        assert finding.hint == "Patient is 45: use 99396."

    def test_right_band_is_silent(self):
        data = claim(line(1, "99396"), payer_type="commercial", patient=FEMALE_45, dos="2024-08-12")
        assert dem(data) == []

    def test_band_edges_use_completed_years_at_the_dos(self):
        # 40th birthday on 2019-02-02: 99396 from that day, 99395 the day before.
        before = claim(line(1, "99395"), patient=FEMALE_45, dos="2019-02-01", submission_date="2019-02-05")
        on = claim(line(1, "99395"), patient=FEMALE_45, dos="2019-02-02", submission_date="2019-02-05")
        assert dem(before) == []
        assert dem(on) == [(1, "DEM-AGE-PREVENTIVE")]

    def test_infant_and_senior_bands(self):
        infant = {"dob": "2025-09-01", "sex": "M"}
        assert dem(claim(line(1, "99381"), patient=infant)) == []
        assert one(claim(line(1, "99391"), patient=MALE_70), "DEM-AGE-PREVENTIVE").hint == "Patient is 69: use 99397."
        assert dem(claim(line(1, "99387"), patient=MALE_70)) == []

    def test_other_codes_and_missing_dob_are_silent(self):
        assert dem(claim(line(1, "99213"), patient=MALE_70)) == []
        assert dem(claim(line(1, "99395"), patient={"sex": "M"})) == []


class TestAgeCode:
    def test_90460_for_an_adult_fires_with_the_table_hint(self):
        data = claim(line(1, "90460"), patient={"dob": "2005-01-01", "sex": "F"})  # 21 on 2026-03-09
        assert dem(data) == [(1, "DEM-AGE-CODE")]
        finding = one(data, "DEM-AGE-CODE")
        assert (finding.category, finding.severity) == ("DEMOGRAPHIC", "ERROR")
        assert finding.hint == "Use 90471/90472 for patients 19+."

    def test_90460_through_age_18_is_silent(self):
        assert dem(claim(line(1, "90460"), patient={"dob": "2007-03-10", "sex": "F"})) == []  # 19 tomorrow
        assert dem(claim(line(1, "90471"), patient={"dob": "2005-01-01", "sex": "F"})) == []

    def test_newborn_code_for_a_one_year_old_fires(self):
        assert dem(claim(line(1, "99460"), patient={"dob": "2025-03-01", "sex": "F"})) == [(1, "DEM-AGE-CODE")]
        assert dem(claim(line(1, "99460"), patient={"dob": "2026-03-01", "sex": "F"})) == []

    def test_age_limited_diagnosis_pointed_to_by_the_line_fires(self):
        data = claim(line(1, "99213"), patient=MALE_70, diagnoses=["P07.30"])
        assert dem(data) == [(1, "DEM-AGE-CODE")]
        assert dem(claim(line(1, "99213"), patient=MALE_70, diagnoses=["I10"])) == []

    def test_without_the_table_nothing_fires(self):
        assert dem(claim(line(1, "90460"), patient={"dob": "2005-01-01", "sex": "F"}), edits=()) == []


class TestSexProcedure:
    def test_female_procedure_for_a_male_fires(self):
        data = claim(line(1, "Q0091"), patient=MALE_70)
        assert dem(data) == [(1, "DEM-SEX-PROC")]
        finding = one(data, "DEM-SEX-PROC")
        assert (finding.category, finding.severity, finding.carc) == ("DEMOGRAPHIC", "WARNING", "7")
        assert "female-only" in finding.message

    def test_matching_sex_or_unknown_sex_is_silent(self):
        assert dem(claim(line(1, "Q0091"), patient={"dob": "1956-05-20", "sex": "F"})) == []
        assert dem(claim(line(1, "Q0091"), patient={"dob": "1956-05-20", "sex": "U"})) == []

    def test_male_range_for_a_female_fires(self):
        assert dem(claim(line(1, "G0102"), line(2, "84153"), patient=FEMALE_45)) == [
            (1, "DEM-SEX-PROC"),
            (2, "DEM-SEX-PROC"),
        ]

    def test_kx_bypasses_it_for_medicare_only(self):
        assert dem(claim(line(1, "Q0091", modifiers=["KX"]), patient=MALE_70)) == []
        data = claim(line(1, "Q0091", modifiers=["KX"]), patient=MALE_70, payer_type="commercial")
        assert dem(data) == [(1, "DEM-SEX-PROC")]


class TestSexDiagnosis:
    def test_female_diagnosis_for_a_male_fires_at_claim_level(self):
        data = claim(line(1, "99213"), patient=MALE_70, diagnoses=["Z01.419"])
        assert dem(data) == [(None, "DEM-SEX-DX")]
        finding = one(data, "DEM-SEX-DX")
        assert (finding.category, finding.severity, finding.carc) == ("DEMOGRAPHIC", "WARNING", "10")
        assert "Z01.419" in finding.message

    @pytest.mark.parametrize("dx", ["N40.0", "C61", "N4000"])
    def test_male_diagnosis_for_a_female_fires(self, dx):
        assert dem(claim(line(1, "99213"), patient=FEMALE_45, diagnoses=[dx])) == [(None, "DEM-SEX-DX")]

    def test_pregnancy_chapter_range(self):
        assert dem(claim(line(1, "99213"), patient=MALE_70, diagnoses=["O09.90"])) == [(None, "DEM-SEX-DX")]
        assert dem(claim(line(1, "99213"), patient=MALE_70, diagnoses=["O9A.111"])) == [(None, "DEM-SEX-DX")]

    def test_matching_sex_and_neutral_codes_are_silent(self):
        assert dem(claim(line(1, "99213"), patient=MALE_70, diagnoses=["N40.0", "I10"])) == []
        assert dem(claim(line(1, "99213"), patient=FEMALE_45, diagnoses=["Z01.419"])) == []

    def test_kx_on_the_pointing_line_bypasses_it_for_medicare(self):
        data = claim(
            line(1, "99213", dx_pointers=["B"]),
            line(2, "36415", modifiers=["KX"], dx_pointers=["A"]),
            patient=MALE_70,
            diagnoses=["Z01.419", "I10"],
        )
        assert dem(data) == []
        data["lines"][1]["dx_pointers"] = ["B"]
        data["lines"][0]["dx_pointers"] = ["A"]
        assert dem(data) == [(None, "DEM-SEX-DX")]


@pytest.mark.django_db
def test_seeded_table_has_sourced_ranges():
    """The data migration seeds the catalogue's ranges, each with its source."""
    rows = list(DemographicEdit.objects.filter(active=True))
    assert all(row.source for row in rows)
    female_proc = {r.code_from for r in rows if r.kind == "procedure" and r.sex == "F"}
    male_proc = {r.code_from for r in rows if r.kind == "procedure" and r.sex == "M"}
    assert {"Q0091", "G0101", "57452", "58300", "88142", "76805"} <= female_proc
    assert {"55250", "55700", "84153", "G0102", "G0103"} <= male_proc

    def covering(code, kind="diagnosis"):
        return {r.sex for r in rows if r.kind == kind and r.sex and r.covers(code)}

    assert covering("Z01.419") == {"F"} and covering("Z12.4") == {"F"} and covering("Z34.00") == {"F"}
    assert covering("O9A.111") == {"F"} and covering("O00.0") == {"F"}
    assert covering("N40.0") == {"M"} and covering("C61") == {"M"} and covering("N41.0") == {"M"}
    assert covering("I10") == set()
    ages = {r.code_from: (r.age_min, r.age_max) for r in rows if r.kind == "procedure" and not r.sex}
    assert ages["90460"] == (None, 18) and ages["99460"] == (None, 0)
    seeded = tuple(rows)
    assert dem(claim(line(1, "Q0091"), patient=MALE_70), edits=seeded) == [(1, "DEM-SEX-PROC")]


# --- DEM-SEX-PROC / DEM-SEX-DX from whole, cited code families (catalogue §3.9, changes of 2026-12) --------------
# These need no DemographicEdit row: the families are claims/rules/data/sex_specific_codes.csv.

FEMALE_PROCEDURES = ["56405", "57452", "58150", "58999", "59000", "59400", "59899", "76801", "76805", "76828"]
FEMALE_PROCEDURES += ["88141", "88142", "88155", "88164", "88175", "Q0091", "G0101"]
MALE_PROCEDURES = ["54000", "55250", "55700", "55899", "84152", "84153", "84154", "G0102", "G0103"]
# Neighbours just outside the families, and cytopathology of any other source (88160-88162): either sex.
EITHER_SEX_PROCEDURES = ["53899", "55920", "60000", "76800", "76830", "84155", "88160", "88161", "88162", "99213"]
FAMILY_REF = reference(codes=FEMALE_PROCEDURES + MALE_PROCEDURES + EITHER_SEX_PROCEDURES + ["36415"])


def families(data):
    return sorted(
        (pair for pair in run(data, FAMILY_REF) if pair[1] in DEMOGRAPHIC_RULES), key=lambda p: (p[0] or 0, p[1])
    )


class TestSexFamilies:
    def test_issue_example_hysterectomy_with_uterine_fibroid_on_a_male(self):
        data = claim(line(1, "58150"), patient=MALE_70, diagnoses=["D25.9"])
        assert families(data) == [(None, "DEM-SEX-DX"), (1, "DEM-SEX-PROC")]
        assert families(claim(line(1, "58150"), patient=FEMALE_45, diagnoses=["D25.9"])) == []

    @pytest.mark.parametrize("code_", FEMALE_PROCEDURES)
    def test_female_procedure_families(self, code_):
        assert families(claim(line(1, code_), patient=MALE_70)) == [(1, "DEM-SEX-PROC")]
        assert families(claim(line(1, code_), patient=FEMALE_45)) == []

    @pytest.mark.parametrize("code_", MALE_PROCEDURES)
    def test_male_procedure_families(self, code_):
        assert families(claim(line(1, code_), patient=FEMALE_45)) == [(1, "DEM-SEX-PROC")]
        assert families(claim(line(1, code_), patient=MALE_70)) == []

    @pytest.mark.parametrize("code_", EITHER_SEX_PROCEDURES)
    def test_codes_outside_the_families_are_silent(self, code_):
        assert families(claim(line(1, code_), patient=MALE_70)) == []
        assert families(claim(line(1, code_), patient=FEMALE_45)) == []

    def test_kx_bypasses_the_families_for_medicare_only(self):
        assert families(claim(line(1, "58150", modifiers=["KX"]), patient=MALE_70, diagnoses=["D25.9"])) == []
        data = claim(line(1, "58150", modifiers=["KX"]), patient=MALE_70, diagnoses=["D25.9"], payer_type="commercial")
        assert families(data) == [(None, "DEM-SEX-DX"), (1, "DEM-SEX-PROC")]

    def test_every_entry_names_its_source(self):
        from claims.rules.demographic import SEX_EDITS

        assert len(SEX_EDITS) == 31
        assert all(entry.source and entry.description and entry.sex in ("F", "M") for entry in SEX_EDITS)
        # CPT ranges are public code-number ranges: the table carries our labels, never CPT descriptor text.
        assert all("code numbers only" in entry.source for entry in SEX_EDITS if entry.source.startswith("CPT"))


def _diagnosis_blocks():
    from claims.rules.demographic import SEX_EDITS

    return [entry for entry in SEX_EDITS if entry.kind == "diagnosis"]


@pytest.mark.parametrize("block", _diagnosis_blocks(), ids=lambda block: f"{block.code_from}-{block.code_to}")
def test_diagnosis_block_from_the_tabular_list(block):
    """A test per ICD-10-CM block: its ends are codes of the tabular list (April 2026 code set of the installed
    simple-icd-10-cm), and its first and last billable codes conflict with the other sex only."""
    from .builders import icd10cm_code_set

    code_set = icd10cm_code_set()
    assert block.code_from in code_set and block.code_to in code_set
    billable = sorted(code for code in code_set.billable if block.covers(code))
    assert billable, f"no billable code in {block.code_from}-{block.code_to}"
    other = MALE_70 if block.sex == "F" else FEMALE_45
    same = FEMALE_45 if block.sex == "F" else MALE_70
    for code in (billable[0], billable[-1]):
        dotted = f"{code[:3]}.{code[3:]}" if len(code) > 3 else code
        assert families(claim(line(1, "99213"), patient=other, diagnoses=[dotted])) == [(None, "DEM-SEX-DX")], dotted
        assert families(claim(line(1, "99213"), patient=same, diagnoses=[dotted])) == [], dotted


@pytest.mark.parametrize(
    ("dx", "sex"),
    [
        ("D07.39", "F"),
        ("D07.4", "M"),
        ("D39.2", "F"),
        ("D39.8", ""),  # other female genital organs: not in the catalogue's D39.0-D39.2
        ("C58", "F"),
        ("C60.0", "M"),
        ("C50.911", ""),  # breast: either sex
        ("C64.1", ""),
        ("D28.9", "F"),
        ("D29.1", "M"),
        ("D30.00", ""),
        ("N39.0", ""),
        ("N53.9", "M"),
        ("N60.01", ""),  # breast disorders: either sex
        ("N98.9", "F"),
        ("N99.89", ""),
        ("R85.610", ""),
        ("R86.9", "M"),
        ("R87.610", "F"),
        ("Z12.4", "F"),
        ("Z12.5", "M"),
        ("Z12.6", ""),
        ("Z32.01", ""),  # pregnancy test: not in the catalogue's list
        ("Z33.1", "F"),
        ("Z3A.20", "F"),
        ("Z37.0", "F"),
        ("Z38.00", ""),  # the liveborn infant's own record: either sex
        ("Z39.2", "F"),
    ],
)
def test_block_boundaries(dx, sex):
    expected_for = {"F": MALE_70, "M": FEMALE_45}
    for patient in (MALE_70, FEMALE_45):
        found = families(claim(line(1, "99213"), patient=patient, diagnoses=[dx]))
        fires = sex != "" and expected_for[sex] is patient
        assert found == ([(None, "DEM-SEX-DX")] if fires else []), (dx, patient["sex"])
