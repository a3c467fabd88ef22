"""Issue 12's "done means", through the services the pages call: a practice imports its PM system's 837P, every
claim is checked, the biller fixes or acknowledges what was found and submits, a supervisor who did not import
them approves the flagged ones, and the ready and approved claims go out as an 837P that pyx12 accepts."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import Group

from claims import services
from claims.choices import ClaimStatus, OverrideDecisionChoice
from claims.models import Patient
from claims.roles import SUPERVISORS
from claims.selectors import claim_open_review
from edi.imports import file_import
from edi.services import interchange_export
from edi.write837 import render_837p

from .builders import full_interchange
from .conftest import pyx12_findings
from .export_helpers import make_clearinghouse

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 20)  # a few weeks after the built claims' dates of service


@pytest.fixture
def reviewer(django_user_model):
    user = django_user_model.objects.create_user("supervisor.dana", password="pw-dana-1")
    user.groups.add(Group.objects.get(name=SUPERVISORS))
    return user


def test_imported_claims_are_checked_fixed_approved_and_exported_as_a_valid_837p(supervisor, biller, reviewer):
    imported = file_import(raw=render_837p(full_interchange()).encode(), file_name="pm.837", user=supervisor,
                           today=TODAY)  # fmt: skip
    claims = [row.claim for row in imported.imported_claims.order_by("position")]
    assert len(claims) == 3 and all(claim.status == ClaimStatus.CHECKED and claim.risk for claim in claims)

    approved = 0
    for claim in claims:
        # The biller fixes what is theirs to fix and gives a reason for the rest.
        if claim.payer.payer_id == "":
            pytest.fail(f"{claim.number}: the imported payer lost its payer ID")
        if claim.facility_name and len(claim.facility_zip_code) == 5:  # the 837P wants the facility's ZIP+4
            claim.facility_zip_code += "1234"
            entered = Patient(last_name=claim.patient_last_name, first_name=claim.patient_first_name,
                              date_of_birth=claim.patient_dob, sex=claim.patient_sex, member_id=claim.member_id)
            claim = services.claim_save(claim=claim, lines=list(claim.lines.all()), patient=entered, user=biller,
                                        version=claim.version)  # fmt: skip
            services.claim_check(claim=claim, user=biller, today=TODAY)
        overrides = {finding.key: f"Documented in the chart ({finding.rule})" for finding in claim.findings.all()}
        try:
            services.claim_submit(claim=claim, user=biller, overrides=overrides, today=TODAY, draw=lambda: 0.99)
        except services.UnacknowledgedFindings as left:  # found by this check: the claim sent just before
            assert {finding.rule for finding in left.findings} == {"DUP-HISTORY"}, left.findings
            overrides |= {finding.key: "A second dose, another NDC" for finding in claim.findings.all()}
            services.claim_submit(claim=claim, user=biller, overrides=overrides, today=TODAY, draw=lambda: 0.99)
        claim.refresh_from_db()
        assert claim.status in (ClaimStatus.READY, ClaimStatus.FLAGGED), claim.number
        if claim.status == ClaimStatus.FLAGGED:
            review = claim_open_review(claim)
            for finding in review.snapshot.data["findings"]:
                if finding.get("override"):
                    services.override_decide(claim=claim, user=reviewer, finding_key=finding["key"],
                                             decision=OverrideDecisionChoice.ACCEPTED)  # fmt: skip
            services.review_approve(claim=claim, user=reviewer)
            claim.refresh_from_db()
            approved += 1
        assert claim.is_exportable, claim.number

    assert approved >= 1  # flagged claims went through review (errors were acknowledged)
    interchange = interchange_export(claims=claims, clearinghouse=make_clearinghouse(), user=supervisor)
    valid, findings = pyx12_findings(interchange.content)
    assert findings == [] and valid is True
    assert {claim.status for claim in type(claims[0]).objects.filter(pk__in=[c.pk for c in claims])} == {
        ClaimStatus.SENT
    }
