"""Claim workflows: save, check, submit, review. Every status change goes through here.

The flow (``ClaimStatus``)::

    draft ──check──▶ checked ──submit──▶ ready     (no error findings left)
                        │     └─submit──▶ flagged   (error findings acknowledged with a reason)
                        ▼                    │
       (any edit goes back to draft)         └─review──▶ reviewed (approved, or returned to the biller)

A claim is checked by the rules engine through the same path as ``scrub_claims`` and the API: the
claim is turned into one claim of the scrub format (``scrub_claim``) and handed to
``check_document``. Earlier claims of the same patient that have been sent (ready, flagged or
approved) are its history, read with one query.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .choices import ClaimStatus, ReviewOutcome, Severity
from .models import Claim, ClaimFinding, ClaimLine, ClaimStatusChange, Patient
from .rules import check_document

# Earlier claims that count as billed for the history rules (duplicates, global surgery, new patient …).
SENT_STATUSES = (ClaimStatus.READY, ClaimStatus.FLAGGED, ClaimStatus.REVIEWED)


class ClaimError(Exception):
    """A workflow step that cannot be done; the message says why, in the biller's words."""


class StaleClaimError(ClaimError):
    """Someone else saved the claim since it was opened."""


class UnacknowledgedFindings(ClaimError):
    """Submitting with error findings that are neither fixed nor acknowledged."""

    def __init__(self, findings: Sequence[dict[str, Any]]):
        self.findings = list(findings)
        rules = ", ".join(f"{f['rule']} (line {f['line']})" if f["line"] else f["rule"] for f in self.findings)
        super().__init__(f"Fix or acknowledge with a reason every error before submitting: {rules}.")


# --- the claim as the rules engine reads it -----------------------------------------------------------
def _number(value: Decimal | int | None) -> str | None:
    return None if value is None else format(Decimal(str(value)).normalize(), "f")


def scrub_line(line: ClaimLine) -> dict[str, Any]:
    """One line in the scrub format (saved or not)."""
    dose = None
    if line.dose_amount is not None:
        dose = {"amount": _number(line.dose_amount), "unit": line.dose_unit, "discarded": _number(line.dose_discarded)}
    return {
        "line": line.number,
        "code": line.code,
        "modifiers": [m for m in line.modifiers if m],
        "units": _number(line.units),
        "charge": _number(line.charge),
        "dx_pointers": list(line.dx_pointers),
        "ndc": line.ndc or None,
        "ndc_unit": line.ndc_unit or None,
        "ndc_qty": _number(line.ndc_quantity),
        "dose": dose,
        "container": line.container or None,
        "narrative": line.narrative or None,
        "dos": line.date_of_service.isoformat() if line.date_of_service else None,
        "pos": line.place_of_service or None,
    }


def scrub_claim(
    claim: Claim, lines: Iterable[ClaimLine], *, patient: Patient | None = None, history: Sequence[dict] = ()
) -> dict[str, Any]:
    """The claim in the scrub format of ``scrub-format.md`` (the same input ``scrub_claims`` reads)."""
    patient = patient or claim.patient
    payer = claim.payer
    return {
        "id": claim.number,
        "payer_type": payer.payer_type,
        "payer_name": payer.name,
        "patient": {"dob": patient.date_of_birth.isoformat() if patient.date_of_birth else None, "sex": patient.sex},
        "billing_npi": claim.billing_npi,
        "rendering_npi": claim.rendering_npi,
        "rendering_specialty": claim.rendering_specialty,
        "group_tin": claim.group_tin,
        "dos": claim.date_of_service.isoformat(),
        "pos": claim.place_of_service,
        "diagnoses": [d for d in claim.diagnoses if d],
        "prior_auth_number": claim.prior_auth_number or None,
        "history": list(history),
        "lines": [scrub_line(line) for line in lines],
    }


def patient_history(patient: Patient | None, *, exclude_claim: int | None = None) -> list[dict[str, Any]]:
    """The services of the patient's sent claims, as scrub-format history items (one query)."""
    if patient is None or patient.pk is None:
        return []
    rows = (
        ClaimLine.objects.filter(claim__patient=patient, claim__status__in=SENT_STATUSES)
        .exclude(claim__status=ClaimStatus.REVIEWED, claim__review_outcome=ReviewOutcome.RETURNED)
        .exclude(claim_id=exclude_claim)
        .select_related("claim")
        .order_by("claim__date_of_service", "claim_id", "number")
    )
    history = []
    for line in rows:
        claim = line.claim
        history.append(
            {
                "code": line.code,
                "modifiers": [m for m in line.modifiers if m],
                "dos": (line.date_of_service or claim.date_of_service).isoformat(),
                "rendering_npi": claim.rendering_npi,
                "specialty": claim.rendering_specialty,
                "group_tin": claim.group_tin,
                "dx": [d for d in claim.diagnoses if d],
                "status": "accepted",
                "units": _number(line.units),
                "pos": line.place_of_service or claim.place_of_service,
            }
        )
    return history


@dataclass
class CheckResult:
    """The engine's answer for one claim, ready for the page: findings by line, the claim's own, the risk."""

    risk: str
    findings: list[dict[str, Any]]
    unchecked: list[str]
    reference_data: dict[str, str]

    @property
    def claim_findings(self) -> list[dict[str, Any]]:
        return [f for f in self.findings if f["line"] is None]

    def for_line(self, number: int) -> list[dict[str, Any]]:
        return [f for f in self.findings if f["line"] == number]

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [f for f in self.findings if f["severity"] == Severity.ERROR]

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f["severity"] == severity)


def check(
    claim: Claim, lines: Sequence[ClaimLine], *, patient: Patient | None = None, today: date | None = None
) -> CheckResult:
    """Run the rules on a claim as entered (saved or not); stores nothing."""
    patient = patient or claim.patient
    history = patient_history(patient, exclude_claim=claim.pk)
    document = check_document({"claims": [scrub_claim(claim, lines, patient=patient, history=history)]}, today=today)
    result = document["claims"][0]
    return CheckResult(
        risk=result["risk"],
        findings=result["findings"],
        unchecked=result.get("unchecked", []),
        reference_data=document["reference_data"],
    )


# --- transitions ----------------------------------------------------------------------------------------
def _record(claim: Claim, from_status: str, user, note: str = "") -> None:
    ClaimStatusChange.objects.create(claim=claim, from_status=from_status, to_status=claim.status, user=user, note=note)


def find_patient(*, member_id: str, date_of_birth: date) -> Patient | None:
    """The patient with this member ID (stored in capitals) and date of birth; one indexed look-up."""
    return Patient.objects.filter(member_id=member_id.strip().upper(), date_of_birth=date_of_birth).first()


def _save_patient(patient: Patient) -> Patient:
    """Keep one patient per member ID and date of birth: update the name and sex as last entered."""
    patient.member_id = patient.member_id.strip().upper()
    existing = find_patient(member_id=patient.member_id, date_of_birth=patient.date_of_birth)
    if existing is None:
        patient.pk = None
        patient.save()
        return patient
    for name in ("last_name", "first_name", "sex"):
        setattr(existing, name, getattr(patient, name))
    existing.save(update_fields=["last_name", "first_name", "sex"])
    return existing


@transaction.atomic
def save_claim(
    claim: Claim, lines: Sequence[ClaimLine], *, patient: Patient, user, version: int | None = None
) -> Claim:
    """Create or update a claim with its lines (numbered in order). Any edit returns it to draft.

    ``version`` is the version the biller opened; if someone saved the claim since, nothing is saved
    and ``StaleClaimError`` says so (the biller's form keeps what they typed).
    """
    creating = claim.pk is None
    if not creating:
        current = Claim.objects.select_for_update().filter(pk=claim.pk).first()
        if current is None:
            raise ClaimError("This claim no longer exists.")
        if not current.is_editable:
            raise ClaimError(
                f"{current.number} is {current.get_status_display().lower()} and can no longer be changed."
            )
        if version is not None and current.version != version:
            raise StaleClaimError(
                f"{current.number} was changed by someone else since you opened it; nothing was saved. "
                "Copy what you need, then reload the claim."
            )
    claim.patient = _save_patient(patient)
    from_status = "" if creating else claim.status
    claim.status = ClaimStatus.DRAFT
    claim.review_outcome = ""
    if creating:
        claim.created_by = user
        claim.version = 1
        claim.save()
    else:
        claim.version = F("version") + 1
        claim.save()
        claim.refresh_from_db(fields=["version"])
        claim.lines.all().delete()
    for number, line in enumerate(lines, start=1):
        line.pk = None
        line.claim = claim
        line.number = number
    ClaimLine.objects.bulk_create(lines)
    if creating or from_status != ClaimStatus.DRAFT:
        _record(claim, from_status, user, "Created" if creating else "Edited")
    return claim


def _store_findings(claim: Claim, result: CheckResult, *, overrides: dict[str, str] | None = None, user=None) -> None:
    """Replace the claim's findings with a check's; keep overrides of findings that are still there."""
    previous = {f.key: f for f in claim.findings.all() if f.override_reason}
    claim.findings.all().delete()
    now = timezone.now()
    rows = []
    for item in result.findings:
        row = ClaimFinding(
            claim=claim,
            line_number=item["line"],
            rule=item["rule"],
            category=item["category"],
            severity=item["severity"],
            message=item["message"],
            hint=item.get("hint") or "",
            carc=item.get("carc") or "",
            rarc=item.get("rarc") or "",
            source=item.get("source") or "",
            data_release=item.get("data_release") or "",
        )
        reason = (overrides or {}).get(row.key, "").strip()
        if reason:
            row.override_reason, row.overridden_by, row.overridden_at = reason, user, now
        elif row.key in previous:
            old = previous[row.key]
            row.override_reason, row.overridden_by_id, row.overridden_at = (
                old.override_reason,
                old.overridden_by_id,
                old.overridden_at,
            )
        rows.append(row)
    ClaimFinding.objects.bulk_create(rows)
    claim.risk = result.risk
    claim.checked_at = now
    claim.reference_releases = result.reference_data
    claim.unchecked_categories = result.unchecked


@transaction.atomic
def check_claim(claim: Claim, *, user, today: date | None = None) -> CheckResult:
    """Check a saved claim and keep the findings: draft → checked."""
    claim = Claim.objects.select_for_update().select_related("payer", "patient").get(pk=claim.pk)
    if not claim.is_editable:
        raise ClaimError(f"{claim.number} is {claim.get_status_display().lower()}; it is not checked again.")
    lines = list(claim.lines.all())
    result = check(claim, lines, today=today)
    _store_findings(claim, result)
    from_status = claim.status
    claim.status = ClaimStatus.CHECKED
    claim.save(update_fields=["risk", "checked_at", "reference_releases", "unchecked_categories", "status"])
    if from_status != ClaimStatus.CHECKED:
        _record(claim, from_status, user, f"Checked: risk {result.risk}")
    return result


def submit_claim(claim: Claim, *, user, overrides: dict[str, str] | None = None, today: date | None = None) -> Claim:
    """Check once more and send on: ready when no error is left, flagged when every error is acknowledged.

    ``overrides`` maps a finding's key (``"<line or 0>:<rule>"``) to the biller's written reason.
    Warnings may be acknowledged too; errors must be. Raises ``UnacknowledgedFindings`` otherwise;
    the findings of this check are kept then, with the reasons given so far.
    """
    with transaction.atomic():
        claim = Claim.objects.select_for_update().select_related("payer", "patient").get(pk=claim.pk)
        if not claim.is_editable:
            raise ClaimError(f"{claim.number} is {claim.get_status_display().lower()} and cannot be submitted again.")
        overrides = {key: reason.strip() for key, reason in (overrides or {}).items() if reason and reason.strip()}
        result = check(claim, list(claim.lines.all()), today=today)
        _store_findings(claim, result, overrides=overrides, user=user)
        acknowledged = {f.key for f in claim.findings.all() if f.override_reason}
        missing = [f for f in result.errors if f"{f['line'] or 0}:{f['rule']}" not in acknowledged]
        from_status = claim.status
        if missing:
            claim.status = ClaimStatus.CHECKED
        else:
            claim.status = ClaimStatus.FLAGGED if result.errors else ClaimStatus.READY
        claim.save(update_fields=["risk", "checked_at", "reference_releases", "unchecked_categories", "status"])
        if claim.status == ClaimStatus.FLAGGED:
            _record(claim, from_status, user, f"Submitted with {len(result.errors)} error(s) acknowledged")
        elif claim.status == ClaimStatus.READY:
            warnings = len(acknowledged)
            _record(
                claim,
                from_status,
                user,
                f"Submitted; {warnings} warning(s) acknowledged" if warnings else "Submitted clean",
            )
        elif from_status != ClaimStatus.CHECKED:
            _record(claim, from_status, user, f"Checked: risk {result.risk}")
    if missing:
        raise UnacknowledgedFindings(missing)
    return claim


@transaction.atomic
def review_claim(claim: Claim, *, user, outcome: str, note: str = "") -> Claim:
    """A supervisor approves or returns a flagged claim (the review queue builds on this)."""
    if not user.has_perm("claims.review_claim"):
        raise ClaimError("Only supervisors review flagged claims.")
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    if claim.status != ClaimStatus.FLAGGED:
        raise ClaimError(f"{claim.number} is {claim.get_status_display().lower()}; only flagged claims are reviewed.")
    if outcome not in ReviewOutcome.values:
        raise ClaimError(f"Unknown review outcome '{outcome}'.")
    if outcome == ReviewOutcome.RETURNED and not note.strip():
        raise ClaimError("Say why the claim is returned, so the biller knows what to fix.")
    claim.status, claim.review_outcome = ClaimStatus.REVIEWED, outcome
    claim.save(update_fields=["status", "review_outcome"])
    _record(claim, ClaimStatus.FLAGGED, user, note.strip() or ReviewOutcome(outcome).label)
    return claim
