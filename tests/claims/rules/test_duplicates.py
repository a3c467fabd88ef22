"""DUPLICATE rules, each shown firing and staying silent."""

from datetime import date

import pytest

from .builders import claim, code, findings, line, reference, run

DUPLICATE_RULES = {"DUP-LINE", "DUP-HISTORY"}
REF = reference(codes=["99213", "36415", "80053", "J0585", "64615"])


def dup(data, ref=REF):
    return [pair for pair in run(data, ref) if pair[1] in DUPLICATE_RULES]


class TestDuplicateLine:
    def test_second_identical_line_fires(self):
        data = claim(line(1, "36415"), line(2, "99213"), line(3, "36415"), line(4, "36415"))
        assert dup(data) == [(3, "DUP-LINE"), (4, "DUP-LINE")]
        [finding, _] = [f for f in findings(data, REF) if f.rule == "DUP-LINE"]
        assert (finding.category, finding.severity, finding.carc) == ("DUPLICATE", "ERROR", "18")
        assert finding.related_lines == (1,)
        assert "repeats line 1" in finding.message

    def test_modifier_order_does_not_matter(self):
        data = claim(line(1, "80053", modifiers=["QW", "59"]), line(2, "80053", modifiers=["59", "QW"]))
        assert dup(data) == [(2, "DUP-LINE")]

    @pytest.mark.parametrize(
        "changes",
        [
            {"modifiers": ["91"]},  # repeat lab test
            {"modifiers": ["76"]},
            {"modifiers": ["77"]},
            {"dos": "2026-03-08"},
            {"pos": "22"},
            {"rendering_npi": "1993999998"},
            {"code": "80053"},
        ],
    )
    def test_a_difference_or_a_repeat_modifier_is_silent(self, changes):
        second = line(2, "36415")
        second.update(changes)
        assert dup(claim(line(1, "36415"), second)) == []

    def test_drug_jw_line_is_not_a_duplicate_of_the_administered_line(self):
        """scrub-examples EX-22 shape: J0585 x 155 and J0585-JW x 45."""
        data = claim(line(1, "64615"), line(2, "J0585", units=155), line(3, "J0585", modifiers=["JW"], units=45))
        assert dup(data) == []

    def test_invalid_code_line_keeps_only_cod_effective(self):
        """§0.6 rule 1: a line whose code is not valid on the DOS gets no other line finding."""
        ref = reference(codes=[code("J1030", termination_date=date(2024, 3, 31))])
        data = claim(line(1, "J1030"), line(2, "J1030"), dos="2024-04-01", submission_date="2024-04-02")
        assert [pair for pair in run(data, ref) if pair[1] in DUPLICATE_RULES | {"COD-EFFECTIVE"}] == [
            (1, "COD-EFFECTIVE"),
            (2, "COD-EFFECTIVE"),
        ]


class TestDuplicateHistory:
    def history(self, **fields):
        return {"code": "99213", "dos": "2026-03-09", "rendering_npi": "1234567893", "status": "paid", **fields}

    @pytest.mark.parametrize("status", ["paid", "accepted"])
    def test_paid_or_accepted_history_fires(self, status):
        data = claim(line(1, "99213"), history=[self.history(status=status)])
        assert dup(data) == [(1, "DUP-HISTORY")]
        [finding] = [f for f in findings(data, REF) if f.rule == "DUP-HISTORY"]
        assert (finding.category, finding.severity, finding.carc) == ("DUPLICATE", "ERROR", "18")

    @pytest.mark.parametrize(
        "changes",
        [
            {"status": "denied"},
            {"status": ""},
            {"dos": "2026-03-08"},
            {"rendering_npi": "1993999998"},
            {"code": "36415"},
        ],
    )
    def test_other_history_is_silent(self, changes):
        assert dup(claim(line(1, "99213"), history=[self.history(**changes)])) == []

    @pytest.mark.parametrize(
        ("status", "said"),
        [("ready", "ready to send"), ("flagged", "waiting for review"), ("approved", "approved")],
    )
    def test_a_claimdesk_claim_is_named_with_its_real_status(self, status, said):
        data = claim(line(1, "99213"), history=[self.history(status=status, claim="CLM-000042")])
        [finding] = [f for f in findings(data, REF) if f.rule == "DUP-HISTORY"]
        assert f"is already on claim CLM-000042 ({said})." in finding.message
        assert "accepted" not in finding.message and "CLM-000042" in finding.hint

    def test_payer_history_without_a_claim_number_says_claim_history(self):
        [finding] = [f for f in findings(claim(line(1, "99213"), history=[self.history(status="accepted")]), REF)]
        assert "is already in claim history (accepted by the payer)." in finding.message

    @pytest.mark.parametrize("frequency", ["7", "8"])
    def test_replacement_or_void_with_original_reference_is_silent(self, frequency):
        data = claim(line(1, "99213"), history=[self.history()], frequency_code=frequency, original_reference="PCN1")
        assert dup(data) == []

    @pytest.mark.parametrize("frequency", ["7", "8"])
    def test_replacement_without_original_reference_still_fires(self, frequency):
        """Box 22 without the original reference number names no claim it replaces: still a duplicate."""
        assert dup(claim(line(1, "99213"), history=[self.history()], frequency_code=frequency)) == [
            (1, "DUP-HISTORY")
        ]

    def test_original_claim_with_a_reference_still_fires(self):
        data = claim(line(1, "99213"), history=[self.history()], frequency_code="1", original_reference="PCN1")
        assert dup(data) == [(1, "DUP-HISTORY")]

    def test_replacement_does_not_excuse_identical_lines_on_itself(self):
        data = claim(line(1, "36415"), line(2, "36415"), frequency_code="7", original_reference="PCN1")
        assert dup(data) == [(2, "DUP-LINE")]
