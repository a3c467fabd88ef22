"""AUTHORIZATION rules, shown firing and staying silent."""

from claims.rules.registry import registry

from .builders import claim, findings, line, reference, result, run

PA_CODES = ["J1745", "Q5103", "Q5104", "Q5121", "J0585"]
COMMERCIAL = {
    "payer_type": "commercial",
    "payer_config": {"timely_filing_days": 90, "pa_required_codes": PA_CODES},
    "patient": {"dob": "1979-02-02", "sex": "F"},
    "dos": "2024-08-12",
    "submission_date": "2024-08-19",
    "diagnoses": ["K50.90"],
}
REF = reference(codes=["96365", "96366", "Q5103", "99213"])


def auth(data, *, use_prefilters=True):
    return [pair for pair in run(data, REF, use_prefilters=use_prefilters) if pair[1].startswith("AUTH-")]


def example_16(**fields):
    """scrub-examples EX-16: infliximab biosimilar infusion, no PA number."""
    return claim(
        line(1, "96365", charge=400),
        line(2, "96366", charge=120),
        line(3, "Q5103", units=50, charge=4500, dose={"amount": 500, "unit": "mg"}, container="single_dose"),
        **{**COMMERCIAL, **fields},
    )


def test_example_16_pa_code_without_number_fires_on_its_line():
    assert auth(example_16()) == [(3, "AUTH-MISSING")]
    [finding] = [f for f in findings(example_16(), REF) if f.rule == "AUTH-MISSING"]
    assert (finding.category, finding.severity, finding.carc) == ("AUTHORIZATION", "ERROR", "197")


def test_with_an_authorization_number_is_silent():
    assert auth(example_16(prior_auth_number="PA-2024-5531")) == []


def test_payer_without_a_pa_list_is_silent():
    assert auth(example_16(payer_config={"timely_filing_days": 90})) == []
    assert auth(claim(line(1, "Q5103"), dos="2024-08-12", submission_date="2024-08-19")) == []  # Medicare


def test_auth_mismatch_is_reported_as_not_checked_on_a_claim_with_an_authorization_number():
    rule = registry.get("AUTH-MISMATCH")
    assert (rule.category, rule.severity, rule.carc, rule.rarc) == ("AUTHORIZATION", "WARNING", "198", "N54")
    checked = result(example_16(prior_auth_number="PA-2024-5531"), REF)
    assert [(f.line, f.rule) for f in checked.findings] == []
    assert [entry.as_dict() for entry in checked.unchecked_checks if entry.category == "AUTHORIZATION"] == [
        {
            "category": "AUTHORIZATION",
            "check": "Authorization match (dates, codes and units)",
            "reason": "ClaimDesk keeps no authorization records to compare the authorization number with; "
            "check the dates, codes and units against the payer's authorization",
            "lines": None,
        }
    ]
    assert "AUTHORIZATION" in checked.as_dict()["unchecked"]


def test_auth_mismatch_says_nothing_on_a_claim_without_an_authorization_number():
    checked = result(example_16(), REF)
    assert [(f.line, f.rule) for f in checked.findings] == [(3, "AUTH-MISSING")]
    assert not [entry for entry in checked.unchecked_checks if entry.category == "AUTHORIZATION"]
