"""ADD_ON rule AOC-NO-PRIMARY, shown firing and staying silent for each add-on edit type."""

from datetime import date

from claims.rules import load_rule_modules
from claims.rules.context import ClaimContext
from claims.rules.engine import check_claim
from claims.rules.inputs import parse_claim
from claims.rules.reference import AddOnRow
from claims.rules.registry import registry

from .builders import addon, claim, code, findings, line, payer_for, ptp, reference, run
from .test_bundling import ALL_TABLES, CHECKED_RULES, OTHER_NPI, checked, example

NPI = "1234567893"

load_rule_modules()


def aoc_only(data, ref):
    return [pair for pair in run(data, ref) if pair[1] == "AOC-NO-PRIMARY"]


def type_1_ref(*extra_codes, **facts):
    return reference(
        codes=[code("17003", is_add_on=True), "17000", *extra_codes], aoc=[addon("17003", "17000", 1)], **facts
    )


class TestType1:
    def test_add_on_alone_is_an_error(self):
        [finding] = [f for f in findings(claim(line(1, "17003", units=3)), type_1_ref()) if f.rule == "AOC-NO-PRIMARY"]
        assert (finding.line, finding.rule, finding.category, finding.severity) == (
            1,
            "AOC-NO-PRIMARY",
            "ADD_ON",
            "ERROR",
        )
        assert finding.message == "Add-on 17003 requires a primary procedure (17000) on the same date."
        assert (finding.carc, finding.data_release) == ("107", "test")

    def test_with_its_primary_is_silent(self):
        assert aoc_only(claim(line(1, "17000"), line(2, "17003", units=2)), type_1_ref()) == []

    def test_primary_in_same_day_history_counts(self):
        history = [{"code": "17000", "dos": "2026-03-09", "rendering_npi": NPI}]
        assert aoc_only(claim(line(1, "17003"), history=history), type_1_ref()) == []

    def test_primary_by_another_npi_or_on_another_date_does_not_count(self):
        ref = type_1_ref()
        assert aoc_only(claim(line(1, "17000", rendering_npi=OTHER_NPI), line(2, "17003")), ref) == [
            (2, "AOC-NO-PRIMARY")
        ]
        assert aoc_only(claim(line(1, "17000", dos="2026-03-08"), line(2, "17003")), ref) == [(2, "AOC-NO-PRIMARY")]

    def test_an_unlisted_code_is_not_a_primary(self):
        assert aoc_only(claim(line(1, "11102"), line(2, "17003")), type_1_ref("11102")) == [(2, "AOC-NO-PRIMARY")]

    def test_primary_invalid_on_its_date_does_not_count(self):
        """§0.6 rule 1: a COD-EFFECTIVE line is no primary."""
        ref = reference(
            codes=[code("17003", is_add_on=True), code("17000", termination_date=date(2020, 1, 1))],
            aoc=[addon("17003", "17000", 1)],
        )
        assert sorted(p for p in run(claim(line(1, "17000"), line(2, "17003")), ref) if p[1] in CHECKED_RULES) == [
            (1, "COD-EFFECTIVE"),
            (2, "AOC-NO-PRIMARY"),
        ]


class TestRowsThatApplyOnTheDate:
    """The add-on's rows are resolved per date of service, also when one batch holds many dates."""

    def test_a_primary_listed_from_a_later_date_counts_only_from_that_date(self):
        ref = reference(
            codes=[code("17003", is_add_on=True), "17000", "11102"],
            aoc=[
                addon("17003", "17000", 1),
                AddOnRow("17003", "11102", 1, date(2026, 3, 2), None, ""),  # listed from 2 March
                AddOnRow("17003", "17110", 1, date(2000, 1, 1), date(2026, 2, 28), ""),  # deleted after 28 Feb
            ],
        )
        before = claim(line(1, "11102", dos="2026-02-27"), line(2, "17003", dos="2026-02-27"), id="T-FEB")
        after = claim(line(1, "11102", dos="2026-03-03"), line(2, "17003", dos="2026-03-03"), id="T-MAR")
        last_day = claim(line(1, "17110", dos="2026-02-28"), line(2, "17003", dos="2026-02-28"), id="T-LAST")
        gone = claim(line(1, "17110", dos="2026-03-01"), line(2, "17003", dos="2026-03-01"), id="T-GONE")
        ref.codes["17110"] = code("17110")
        # Twice over, so the answers remembered for one date are never reused for the other.
        for data, expected in [
            (before, [(2, "AOC-NO-PRIMARY")]),
            (after, []),
            (last_day, []),
            (gone, [(2, "AOC-NO-PRIMARY")]),
        ] * 2:
            assert aoc_only(data, ref) == expected, data["id"]


class TestPrimaryDeniedByPTPMI0:
    @staticmethod
    def ref(**facts):
        return reference(
            codes=[code("11045", is_add_on=True), "11042", "97597"],
            aoc=[addon("11045", "11042", 1)],
            ptp=[ptp("97597", "11042", 0)],
            **facts,
        )

    def test_primary_denied_by_an_indicator_0_edit_does_not_count(self):
        data = claim(line(1, "97597"), line(2, "11042"), line(3, "11045"))
        pairs = run(data, self.ref())
        assert (2, "PTP-MI0") in pairs
        assert (3, "AOC-NO-PRIMARY") in pairs

    def test_decided_without_relying_on_rule_order(self):
        """AOC-NO-PRIMARY computes the PTP-MI0 denial itself (shared helper), so it holds when run alone."""
        data = claim(line(1, "97597"), line(2, "11042"), line(3, "11045"))
        ctx = ClaimContext(parse_claim(data), self.ref(), payer_for(data))
        rule = registry.get("AOC-NO-PRIMARY")
        assert [hit.message for hit in rule.function(ctx, ctx.lines[2])] == [
            "Add-on 11045 requires a primary procedure (11042) on the same date."
        ]
        assert list(rule.function(ctx, ctx.lines[1])) == []  # 11042 is no add-on

    def test_primary_counts_when_the_payer_does_not_apply_ncci(self):
        data = claim(
            line(1, "97597"),
            line(2, "11042"),
            line(3, "11045"),
            payer_type="commercial",
            payer_config={"apply_ncci": False},
        )
        assert aoc_only(data, self.ref()) == []

    def test_primary_with_a_bypassable_edit_still_counts(self):
        ref = reference(
            codes=[code("11045", is_add_on=True), "11042", "97597"],
            aoc=[addon("11045", "11042", 1)],
            ptp=[ptp("97597", "11042", 1)],
        )
        assert aoc_only(claim(line(1, "97597"), line(2, "11042"), line(3, "11045")), ref) == []


class TestType2And3:
    @staticmethod
    def ref():
        return reference(
            codes=[
                code("0054T", is_add_on=True),
                code("64494", is_add_on=True),
                "64493",
                "20610",
                code("J1100", is_drug=True),
                "3074F",
            ],
            aoc=[addon("0054T", "CCCCC", 2), addon("64494", "64493", 3)],
        )

    def test_type_2_alone_is_a_warning(self):
        [finding] = [f for f in findings(claim(line(1, "0054T")), self.ref()) if f.rule == "AOC-NO-PRIMARY"]
        assert (finding.line, finding.severity) == (1, "WARNING")
        assert "contractor-defined" in finding.message

    def test_type_2_with_any_procedure_is_silent(self):
        assert aoc_only(claim(line(1, "20610"), line(2, "0054T")), self.ref()) == []

    def test_type_2_with_only_a_drug_a_quality_code_or_another_add_on_warns(self):
        data = claim(line(1, "J1100"), line(2, "3074F", charge=0), line(3, "64494"), line(4, "0054T"))
        assert (4, "AOC-NO-PRIMARY") in aoc_only(data, self.ref())

    def test_type_3_alone_is_a_warning(self):
        [finding] = [f for f in findings(claim(line(1, "64494")), self.ref()) if f.rule == "AOC-NO-PRIMARY"]
        assert (finding.line, finding.severity) == (1, "WARNING")
        assert "64493" in finding.message

    def test_type_3_with_a_listed_or_another_primary_is_silent(self):
        assert aoc_only(claim(line(1, "64493"), line(2, "64494")), self.ref()) == []
        assert aoc_only(claim(line(1, "20610"), line(2, "64494")), self.ref()) == []


class TestCriticalCareOvernight:
    @staticmethod
    def ref():
        return reference(codes=[code("99292", is_add_on=True), "99291"], aoc=[addon("99292", "99291", 1)])

    def test_99291_on_the_previous_date_counts(self):
        history = [{"code": "99291", "dos": "2026-03-08", "rendering_npi": NPI}]
        assert aoc_only(claim(line(1, "99292"), history=history), self.ref()) == []
        assert aoc_only(claim(line(1, "99291", dos="2026-03-08"), line(2, "99292")), self.ref()) == []

    def test_99291_two_days_before_or_missing_fires(self):
        history = [{"code": "99291", "dos": "2026-03-07", "rendering_npi": NPI}]
        assert aoc_only(claim(line(1, "99292"), history=history), self.ref()) == [(1, "AOC-NO-PRIMARY")]
        assert aoc_only(claim(line(1, "99292")), self.ref()) == [(1, "AOC-NO-PRIMARY")]


class TestApplicability:
    def test_code_without_add_on_rows_is_silent(self):
        assert aoc_only(claim(line(1, "17000")), type_1_ref()) == []

    def test_aoc_table_not_loaded_is_unchecked(self):
        data = claim(line(1, "17003"))
        ref = reference(codes=[code("17003", is_add_on=True)])
        result = check_claim(ClaimContext(parse_claim(data), ref, payer_for(data)))
        assert [f for f in result.findings if f.rule == "AOC-NO-PRIMARY"] == []
        assert "ADD_ON" in result.unchecked

    def test_applies_to_every_payer(self):
        for payer_type in ("medicaid", "commercial"):
            data = claim(line(1, "17003"), payer_type=payer_type, payer_name="")
            assert aoc_only(data, type_1_ref()) == [(1, "AOC-NO-PRIMARY")]


class TestWorkedExamples:
    def test_ex01_17003_without_17000(self):
        data, expected = example("EX-01")
        ref = type_1_ref(loaded=ALL_TABLES)
        assert expected == [(1, "AOC-NO-PRIMARY")]
        assert checked(data, ref) == expected
        data["lines"].insert(0, {"line": 2, "code": "17000", "units": 1, "dx_pointers": ["A"]})
        assert checked(data, ref) == []
