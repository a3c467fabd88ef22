"""CODE_VALIDITY rules, each shown firing and staying silent."""

from datetime import date

from .builders import claim, code, line, reference, run


class TestCodeEffective:
    def test_terminated_code_fires_and_names_the_successor(self):
        ref = reference(codes=[code("J1030", termination_date=date(2024, 3, 31))])
        from .builders import findings

        [finding] = findings(claim(line(1, "J1030"), dos="2024-04-01"), ref)
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
        assert run(claim(line(1, "J1030"), dos="2024-03-31"), ref) == []

    def test_before_the_add_date_fires(self):
        ref = reference(codes=[code("J1010", added_date=date(2024, 4, 1))])
        assert run(claim(line(1, "J1010"), dos="2024-03-31"), ref) == [(1, "COD-EFFECTIVE")]
        assert run(claim(line(1, "J1010"), dos="2024-04-01"), ref) == []

    def test_unknown_and_malformed_codes_fire(self):
        ref = reference(codes=["99213"])
        assert run(claim(line(1, "99999"), line(2, "9921"), line(3, "99213")), ref) == [
            (1, "COD-EFFECTIVE"),
            (2, "COD-EFFECTIVE"),
        ]
