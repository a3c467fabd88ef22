"""AUTHORIZATION rules, shown firing and staying silent."""

from claims.rules.registry import registry

from .builders import claim, findings, line, reference, run

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


def test_auth_mismatch_is_registered_but_never_fires_without_authorization_records():
    rule = registry.get("AUTH-MISMATCH")
    assert (rule.category, rule.severity, rule.carc, rule.rarc) == ("AUTHORIZATION", "WARNING", "198", "N54")
    assert "Not yet available" in rule.doc
    assert auth(example_16(prior_auth_number="PA-2024-5531")) == []
    # With a PA number on file there is still nothing to compare it with: no authorization records.
    assert "AUTH-MISMATCH" not in {rule for _, rule in auth(example_16(prior_auth_number="PA-1"))}
    # Its code pre-filter is always false: the rule itself is called only with the pre-filters off.
    assert auth(example_16(prior_auth_number="PA-1"), use_prefilters=False) == []
    assert auth(example_16(), use_prefilters=False) == [(3, "AUTH-MISSING")]
