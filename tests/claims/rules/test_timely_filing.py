"""TIMELY_FILING rules, shown firing and staying silent."""

import pytest

from claims.rules.timely_filing import medicare_deadline

from .builders import claim, findings, line, reference, run

REF = reference(codes=["99213"])
COMMERCIAL_90 = {"payer_type": "commercial", "payer_config": {"timely_filing_days": 90}}


def tf(data):
    return [pair for pair in run(data, REF) if pair[1] == "TF-LIMIT"]


def test_example_04_commercial_106_days_against_90():
    """scrub-examples EX-04."""
    data = claim(line(1, "99213"), dos="2024-05-01", submission_date="2024-08-15", **COMMERCIAL_90)
    assert tf(data) == [(None, "TF-LIMIT")]
    [finding] = [f for f in findings(data, REF) if f.rule == "TF-LIMIT"]
    assert (finding.category, finding.severity, finding.carc) == ("TIMELY_FILING", "ERROR", "29")
    assert "106 days" in finding.message and "90-day" in finding.hint


def test_commercial_on_the_last_day_is_silent():
    assert tf(claim(line(1, "99213"), dos="2024-05-01", submission_date="2024-07-30", **COMMERCIAL_90)) == []
    assert tf(claim(line(1, "99213"), dos="2024-05-01", submission_date="2024-07-31", **COMMERCIAL_90)) == [
        (None, "TF-LIMIT")
    ]


def test_earliest_line_dos_counts():
    data = claim(
        line(1, "99213", dos="2024-04-01"),
        line(2, "99213", dos="2024-07-01", modifiers=["76"]),
        dos="2024-07-01",
        submission_date="2024-07-15",
        **COMMERCIAL_90,
    )
    assert tf(data) == [(None, "TF-LIMIT")]


@pytest.mark.parametrize(
    "dos, last_day",
    [("2024-03-15", "2025-03-15"), ("2024-02-29", "2025-02-28"), ("2023-12-31", "2024-12-31")],
)
def test_medicare_one_calendar_year(dos, last_day):
    assert tf(claim(line(1, "99213"), dos=dos, submission_date=last_day)) == []
    from datetime import date, timedelta

    day_after = (date.fromisoformat(last_day) + timedelta(days=1)).isoformat()
    assert tf(claim(line(1, "99213"), dos=dos, submission_date=day_after)) == [(None, "TF-LIMIT")]


def test_feb_29_deadline():
    from datetime import date

    assert medicare_deadline(date(2024, 2, 29)) == date(2025, 2, 28)
    assert medicare_deadline(date(2024, 2, 28)) == date(2025, 2, 28)


def test_medicaid_uses_the_payer_days():
    data = claim(line(1, "99213"), payer_type="medicaid", dos="2024-01-02", submission_date="2024-05-01")
    assert tf(data) == []  # 120 days inside the 365-day default
    data["payer_config"] = {"timely_filing_days": 95}
    assert tf(data) == [(None, "TF-LIMIT")]
