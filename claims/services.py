"""Claim workflows: save, check, submit, review. Every status change goes through here.

The flow (``ClaimStatus``)::

    draft ──check──▶ checked ──submit──▶ ready     (no error findings left)
                        │     └─submit──▶ flagged   (error findings acknowledged with a reason)
                        ▼                    │
       (any edit goes back to draft)         └─review──▶ reviewed (approved, or returned to the biller)

A claim is checked by the same rules engine as ``scrub_claims`` and the API: the claim and its lines are
read into the engine's inputs (``check_input.claim_input``: what the batch check reads from a claim's
scrub-format document) and checked with the reference data of their own codes (``selectors.claim_findings``,
through ``rules.engine.check_one``); the engine's ``Finding`` objects go to the page and are stored as
``ClaimFinding`` rows. Earlier claims of the same patient that have been sent (ready, flagged, approved or
sent) are its history (``selectors.patient_history``).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from audit.services import event_record, field_changes, plain

from .check_input import CheckResult
from .choices import ClaimStatus, OverrideDecisionChoice, QueueReason, ReviewOutcome, Risk, Severity
from .cms1500 import CMS1500_FIELDS, trail_values
from .models import (
    Claim,
    ClaimFinding,
    ClaimLine,
    ClaimReview,
    ClaimSnapshot,
    ClaimStatusChange,
    OverrideDecision,
    Patient,
    Provider,
    ReviewSettings,
)
from .rules.registry import Finding
from .selectors import claim_editor_ids, claim_findings, claim_open_review, patient_matching_member

# Findings that are typing errors in what was entered, not a payer's judgement: units that are not a number, an
# NPI that fails its check digit, a place of service that does not exist, more modifiers than fit, a date of
# service after today or before birth, a diagnosis pointer to no diagnosis. No reason can send them on: the
# biller fixes the field. The entry page offers no *Acknowledge* box for them and ``claim_submit`` ignores a
# reason given for one. (Coding, payer and history findings stay acknowledgeable: a documented exception exists.)
MUST_FIX_RULES = frozenset({"FMT-UNITS", "FMT-NPI-LUHN", "FMT-POS", "FMT-MOD-COUNT", "FMT-DOS", "FMT-DX-COUNT"})


def acknowledgeable(rule: str) -> bool:
    """Whether a finding of ``rule`` may be sent on with a written reason (``MUST_FIX_RULES`` may not)."""
    return rule not in MUST_FIX_RULES


class ClaimError(Exception):
    """A workflow step that cannot be done; the message says why, in the biller's words."""


class ReviewError(ClaimError):
    """A review step that cannot be done (self-review, a rejected override, no open review …)."""


class StaleClaimError(ClaimError):
    """Someone else saved the claim since it was opened."""


class UnacknowledgedFindings(ClaimError):
    """Submitting with error findings that are neither fixed nor acknowledged."""

    def __init__(self, findings: Sequence[Finding]):
        self.findings = list(findings)

        def named(f: Finding) -> str:
            return f"{f.rule} (line {f.line})" if f.line else f.rule

        must_fix = [named(f) for f in self.findings if not acknowledgeable(f.rule)]
        others = [named(f) for f in self.findings if acknowledgeable(f.rule)]
        parts = []
        if others:
            parts.append(f"Fix or acknowledge with a reason every error before submitting: {', '.join(others)}.")
        if must_fix:
            parts.append(f"Correct what was typed (these cannot be acknowledged): {', '.join(must_fix)}.")
        super().__init__(" ".join(parts))


def finding_key(finding: Finding) -> str:
    """A finding's key as the claim's stored findings have it (``ClaimFinding.key``): "<line or 0>:<rule>"."""
    return f"{finding.line or 0}:{finding.rule}"


# --- what a claim says, field by field (the trail's changes and the snapshot's differences) -----------
HEADER_LABELS = {
    "payer": "payer",
    "member_id": "member ID",
    "patient_last_name": "patient last name",
    "patient_first_name": "patient first name",
    "patient_dob": "patient date of birth",
    "patient_sex": "patient sex",
    "diagnoses": "diagnoses",
    "prior_auth_number": "prior authorisation",
    "date_of_service": "date of service",
    "place_of_service": "place of service",
    "rendering_npi": "rendering NPI",
    "rendering_specialty": "rendering specialty",
    "group_tin": "group TIN",
    "billing_npi": "billing NPI",
    **CMS1500_FIELDS,  # the rest of the CMS-1500 (claims/cms1500.py)
}
LINE_LABELS = {
    "date_of_service": "date of service",
    "place_of_service": "place of service",
    "code": "code",
    "modifiers": "modifiers",
    "dx_pointers": "diagnosis pointers",
    "charge": "charge",
    "units": "units",
    "ndc": "NDC",
    "ndc_unit": "NDC unit",
    "ndc_quantity": "NDC quantity",
    "dose_amount": "dose given",
    "dose_unit": "dose unit",
    "dose_discarded": "dose discarded",
    "container": "container",
    "narrative": "line note",
}


def claim_fields(claim: Claim) -> dict[str, Any]:
    """The claim's header as the trail and the snapshot keep it (plain values)."""
    values = {name: getattr(claim, name) for name in HEADER_LABELS if name != "payer" and name not in CMS1500_FIELDS}
    values["payer"] = claim.payer.name if claim.payer_id else ""
    values.update(trail_values(claim))  # only the boxes that hold something
    values["diagnoses"] = [code for code in claim.diagnoses if code]
    return plain(values)


def line_fields(line: ClaimLine) -> dict[str, Any]:
    values = {name: getattr(line, name) for name in LINE_LABELS}
    values["modifiers"] = [m for m in line.modifiers if m]
    return plain(values)


def claim_changes(before: dict[str, Any] | None, after: dict[str, Any]) -> list[list[Any]]:
    """[label, before, after] for every changed header field and line field; lines added or removed whole.

    ``before`` and ``after`` are ``{"header": claim_fields(), "lines": [line_fields() …]}`` (a snapshot's
    ``data`` has them too), so the same function tells the trail what an edit changed and the reviewer what
    changed since the previous submission."""
    before = before or {"header": {}, "lines": []}
    changes = field_changes(before["header"], after["header"], HEADER_LABELS)
    old_lines, new_lines = before["lines"], after["lines"]
    for number in range(1, max(len(old_lines), len(new_lines)) + 1):
        old = old_lines[number - 1] if number <= len(old_lines) else None
        new = new_lines[number - 1] if number <= len(new_lines) else None
        if old is None:
            changes.append([f"line {number}", "", _line_text(new)])
        elif new is None:
            changes.append([f"line {number}", _line_text(old), ""])
        else:
            changes += field_changes(old, new, LINE_LABELS, prefix=f"line {number} ")
    return changes


def _line_text(line: dict[str, Any]) -> str:
    modifiers = "-".join(line.get("modifiers") or [])
    return f"{line['code']}{'-' + modifiers if modifiers else ''} × {line['units']} ${line['charge']}"


def claim_state(claim: Claim, lines: Iterable[ClaimLine]) -> dict[str, Any]:
    return {"header": claim_fields(claim), "lines": [line_fields(line) for line in lines]}


# --- transitions ----------------------------------------------------------------------------------------
def _record(claim: Claim, from_status: str, user, note: str = "") -> None:
    ClaimStatusChange.objects.create(claim=claim, from_status=from_status, to_status=claim.status, user=user, note=note)


def _event(claim: Claim, *, action: str, user, summary: str, **kwargs) -> None:
    event_record(
        action=action,
        actor=user,
        object_type="claim",
        object_id=claim.pk,
        claim_id=claim.pk,
        summary=summary,
        **kwargs,
    )


PATIENT_LABELS = {
    "member_id": "member ID",
    "last_name": "last name",
    "first_name": "first name",
    "date_of_birth": "date of birth",
    "sex": "sex",
    "address_line1": "address",
    "address_line2": "address line 2",
    "city": "city",
    "state": "state",
    "zip_code": "ZIP code",
    "phone": "phone",
}


def patient_add(*, patient: Patient, user) -> Patient:
    """Add a patient record (the admin; claims add theirs when saved), on the trail."""
    patient.member_id = patient.member_id.strip().upper()
    patient.full_clean()
    patient.save()
    event_record(
        action="patient.created",
        actor=user,
        object_type="patient",
        object_id=patient.pk,
        summary=f"added patient record #{patient.pk}",
        changes=field_changes({}, {name: getattr(patient, name) or None for name in PATIENT_LABELS}, PATIENT_LABELS),
    )
    return patient


def _patient_for_claim(entered: Patient, *, user) -> Patient:
    """The patient record a claim is filed under: the known one with this member ID and date of birth, left
    exactly as it is (a claim keeps the name and sex as entered on itself), or a new record."""
    entered.member_id = entered.member_id.strip().upper()
    existing = patient_matching_member(member_id=entered.member_id, date_of_birth=entered.date_of_birth)
    if existing is not None:
        return existing
    entered.pk = None
    try:
        with transaction.atomic():  # a savepoint: another save may add the same new patient at the same moment
            return patient_add(patient=entered, user=user)
    except IntegrityError:
        existing = patient_matching_member(member_id=entered.member_id, date_of_birth=entered.date_of_birth)
        if existing is None:
            raise
        entered.pk = None
        return existing


@transaction.atomic
def patient_update(*, patient: Patient, user, changes: dict[str, Any]) -> Patient:
    """Correct a shared patient record (``claims.change_patient``); claims keep the patient as entered."""
    if not user.has_perm("claims.change_patient"):
        raise ClaimError("Only supervisors correct a shared patient record.")
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    before = {name: getattr(patient, name) for name in PATIENT_LABELS}
    for name, value in changes.items():
        if name not in PATIENT_LABELS:
            raise ClaimError(f"A patient record has no field '{name}'.")
        setattr(patient, name, value.strip().upper() if name == "member_id" else value)
    patient.full_clean()
    patient.save()
    changed = field_changes(before, {name: getattr(patient, name) for name in PATIENT_LABELS}, PATIENT_LABELS)
    if changed:
        event_record(
            action="patient.changed",
            actor=user,
            object_type="patient",
            object_id=patient.pk,
            summary=f"changed patient record #{patient.pk}",
            changes=[[f"patient record {label}", old, new] for label, old, new in changed],
        )
    return patient


PROVIDER_LABELS = {
    "name": "name",
    "kind": "kind",
    "npi": "NPI",
    "specialty": "specialty",
    "group_tin": "group TIN",
    "active": "active",
    "address_line1": "address",
    "address_line2": "address line 2",
    "city": "city",
    "state": "state",
    "zip_code": "ZIP code",
    "phone": "phone",
}


@transaction.atomic
def provider_save(*, provider: Provider, user) -> Provider:
    """Add or change one of the practice's providers (admin), on the trail."""
    creating = provider.pk is None
    before = {} if creating else plain(Provider.objects.filter(pk=provider.pk).values(*PROVIDER_LABELS).get())
    provider.full_clean()
    provider.save()
    after = {name: getattr(provider, name) for name in PROVIDER_LABELS}
    event_record(
        action="provider.created" if creating else "provider.changed",
        actor=user,
        object_type="provider",
        object_id=provider.pk,
        summary=f"{'added' if creating else 'changed'} provider {provider.name} ({provider.npi})",
        changes=[[f"provider {label}", old, new] for label, old, new in field_changes(before, after, PROVIDER_LABELS)],
    )
    return provider


STALE_MESSAGE = (
    "{number} was changed by someone else since you opened it; nothing was saved. "
    "Copy what you need, then reload the claim."
)
NO_VERSION_MESSAGE = (
    "{number} was saved without saying which version of it was open, so it could overwrite someone else's "
    "changes; nothing was saved. Copy what you need, then reload the claim."
)
# The line fields a save writes (``number`` is set from the line's place on the claim).
LINE_SAVED_FIELDS = ["number", *LINE_LABELS]
# The claim's fields an edit writes: what the entry form holds, the patient as entered, status and version.
EDITED_FIELDS = [*HEADER_LABELS, "patient", "status", "version", "updated_at"]


def _line_changes(before: Sequence[tuple[int, dict[str, Any]]], after: Sequence[tuple[int | None, dict[str, Any]]]):
    """[label, before, after] for the lines of an edit, each line given with its id (lines keep their id when
    edited): a line's changed fields under its new number, a line moved, a line removed or added whole. A new
    line (no id) standing where a removed one stood is told as that line's changed fields, as a positional
    comparison would (callers that give fresh lines, such as the demo loader, read as edits)."""
    changes: list[list[Any]] = []
    old_by_id = {pk: (number, fields) for number, (pk, fields) in enumerate(before, start=1)}
    kept = {pk for pk, _ in after if pk is not None}
    removed = {number: fields for number, (pk, fields) in enumerate(before, start=1) if pk not in kept}
    new_numbers = {number for number, (pk, _) in enumerate(after, start=1) if pk is None or pk not in old_by_id}
    replaced = new_numbers & set(removed)
    for number, fields in removed.items():
        if number not in replaced:
            changes.append([f"line {number}", _line_text(fields), ""])
    for number, (pk, fields) in enumerate(after, start=1):
        if number in replaced:
            changes += field_changes(removed[number], fields, LINE_LABELS, prefix=f"line {number} ")
        elif number in new_numbers:
            changes.append([f"line {number}", "", _line_text(fields)])
        else:
            old_number, old_fields = old_by_id[pk]
            if old_number != number:
                changes.append([f"line {number} (was line {old_number})", _line_text(old_fields), _line_text(fields)])
            changes += field_changes(old_fields, fields, LINE_LABELS, prefix=f"line {number} ")
    return changes


def _lines_saved(claim: Claim, lines: Sequence[ClaimLine], current: Sequence[ClaimLine]) -> None:
    """Make the claim's stored lines the given ones, in order, in place: a line that has an id (it was on the
    claim when the form was opened) is updated and keeps its id, a line without one is added, and a stored line
    not given is deleted. The caller holds the claim's version, so ``current`` is what the form was built from."""
    current_ids = {line.pk for line in current}
    given_ids = [line.pk for line in lines if line.pk is not None]
    if len(set(given_ids)) != len(given_ids) or not set(given_ids) <= current_ids:
        raise StaleClaimError(STALE_MESSAGE.format(number=claim.number))
    gone = current_ids - set(given_ids)
    if gone:
        ClaimLine.objects.filter(claim=claim, pk__in=gone).delete()
    # Numbers are unique on a claim: move the kept lines out of the way first (a claim has at most 50 lines).
    ClaimLine.objects.filter(claim=claim).update(number=F("number") + 1000)
    kept, added = [], []
    for number, line in enumerate(lines, start=1):
        line.claim = claim
        line.number = number
        (kept if line.pk is not None else added).append(line)
    if kept:
        ClaimLine.objects.bulk_update(kept, LINE_SAVED_FIELDS)
    if added:
        ClaimLine.objects.bulk_create(added)


@transaction.atomic
def claim_save(
    *, claim: Claim, lines: Sequence[ClaimLine], patient: Patient, user, version: int | None = None
) -> Claim:
    """Create or update a claim with its lines (numbered in order). Any edit returns it to draft.

    ``patient`` is the patient as entered (boxes 1a, 2, 3): it is kept on the claim itself, and the claim
    is filed under the known patient with that member ID and date of birth (or a new one); a known
    patient's record is never changed from here (``patient_update`` does that).

    ``version`` is the version the biller opened, required to change a saved claim: when it is missing, or
    someone saved the claim since, nothing is saved and ``StaleClaimError`` says so (the biller's form keeps
    what they typed). The version is taken with a conditional ``UPDATE … WHERE version = N`` as the
    transaction's first write, so of two saves of the same version at once exactly one wins.

    Lines are updated in place (``_lines_saved``): a line keeps its id across saves.
    """
    creating = claim.pk is None
    before = None
    current_lines: list[ClaimLine] = []
    if not creating:
        number = Claim(pk=claim.pk).number
        if version is None:
            raise StaleClaimError(NO_VERSION_MESSAGE.format(number=number))
        taken = Claim.objects.filter(pk=claim.pk, version=version).update(version=F("version") + 1)
        current = Claim.objects.select_for_update(of=("self",)).select_related("payer").filter(pk=claim.pk).first()
        if current is None:
            raise ClaimError("This claim no longer exists.")
        if not taken:
            raise StaleClaimError(STALE_MESSAGE.format(number=number))
        if not current.is_editable:
            raise ClaimError(
                f"{current.number} is {current.get_status_display().lower()} and can no longer be changed."
            )
        current_lines = list(current.lines.all())
        before = claim_state(current, current_lines)
    claim.member_id = patient.member_id.strip().upper()
    claim.patient_last_name = patient.last_name
    claim.patient_first_name = patient.first_name
    claim.patient_dob = patient.date_of_birth
    claim.patient_sex = patient.sex
    claim.insured_from_patient()  # relationship self: boxes 4, 7, 11a are the patient's
    claim.billing_from_provider(Provider.objects.filter(npi=claim.billing_npi).first())  # box 33 left blank
    for name in ("address_line1", "address_line2", "city", "state", "zip_code", "phone"):  # box 5, new records
        setattr(patient, name, getattr(patient, name) or getattr(claim, f"patient_{name}"))
    claim.patient = _patient_for_claim(patient, user=user)
    from_status = "" if creating else current.status
    after = claim_state(claim, lines)
    changes: list[list[Any]] = []
    if not creating:
        stored_ids = {line.pk for line in current_lines}
        line_ids = [line.pk if line.pk in stored_ids else None for line in lines]  # before new lines get theirs
        changes = field_changes(before["header"], after["header"], HEADER_LABELS) + _line_changes(
            list(zip([line.pk for line in current_lines], before["lines"], strict=True)),
            list(zip(line_ids, after["lines"], strict=True)),
        )
    # A checked claim saved as it was (the biller only wrote reasons to acknowledge findings, then pressed Submit)
    # is not an edit: it stays checked, with no "Edited" status change; any change returns a claim to draft.
    unchanged_checked = not creating and not changes and from_status == ClaimStatus.CHECKED
    claim.status = ClaimStatus.CHECKED if unchanged_checked else ClaimStatus.DRAFT
    if creating:
        claim.created_by = user
        claim.version = 1
        claim.save()
        for number, line in enumerate(lines, start=1):
            line.pk = None
            line.claim = claim
            line.number = number
        ClaimLine.objects.bulk_create(lines)
    else:
        claim.version = current.version  # raised above, by the conditional update
        claim.save(update_fields=EDITED_FIELDS)
        _lines_saved(claim, lines, current_lines)
    if creating or from_status != claim.status:
        _record(claim, from_status, user, "Created" if creating else "Edited")
    if creating:
        _event(claim, action="claim.created", user=user, summary=f"created {claim.number}", data=after)
    elif not unchanged_checked and (changes or from_status != ClaimStatus.DRAFT):
        _event(
            claim,
            action="claim.changed",
            user=user,
            summary=(f"changed {claim.number}" if changes else f"saved {claim.number} without changes")
            + (f" (back to draft from {from_status})" if from_status != ClaimStatus.DRAFT else ""),
            changes=changes,
            data={"from_status": from_status},
        )
    return claim


def _store_findings(
    claim: Claim, result: CheckResult, lines: Sequence[ClaimLine], *, overrides: dict[str, str] | None = None, user=None
) -> list[ClaimFinding]:
    """Replace the claim's findings with a check's; keep overrides of findings that are still there.
    Returns the findings whose override was given now (new or changed reasons)."""
    previous = {f.key: f for f in claim.findings.all() if f.override_reason}
    claim.findings.all().delete()
    codes = {line.number: line.code for line in lines}
    now = timezone.now()
    rows, given = [], []
    for finding in result.findings:
        row = ClaimFinding(
            claim=claim,
            line_number=finding.line,
            rule=finding.rule,
            category=finding.category,
            severity=finding.severity,
            message=finding.message,
            hint=finding.hint or "",
            carc=finding.carc or "",
            rarc=finding.rarc or "",
            source=finding.source or "",
            data_release=finding.data_release or "",
            code=codes.get(finding.line, "") if finding.line else "",
        )
        reason = (overrides or {}).get(row.key, "").strip()
        old = previous.get(row.key)
        if reason and (old is None or old.override_reason != reason):
            row.override_reason, row.overridden_by, row.overridden_at = reason, user, now
            given.append(row)
        elif old is not None:
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
    claim.unchecked_checks = result.unchecked_as_stored()
    if not claim.first_check_risk:
        claim.first_check_risk, claim.first_checked_at = result.risk, now
    for row in given:
        where = f"line {row.line_number}" if row.line_number else "the claim"
        _event(
            claim,
            action="finding.overridden",
            user=user,
            summary=f"acknowledged {row.rule} ({row.get_severity_display().lower()}) on {where}: {row.override_reason}",
            data={"rule": row.rule, "line": row.line_number, "severity": row.severity, "reason": row.override_reason},
        )
    return given


CHECK_FIELDS = [
    "risk",
    "checked_at",
    "reference_releases",
    "unchecked_categories",
    "unchecked_checks",
    "first_check_risk",
    "first_checked_at",
    "status",
]


def _checked_event(claim: Claim, result: CheckResult, *, user) -> None:
    _event(
        claim,
        action="claim.checked",
        user=user,
        summary=f"checked {claim.number}: risk {result.risk}, {len(result.findings)} finding(s)",
        data={
            "risk": result.risk,
            "findings": [[f.line, f.rule, f.severity] for f in result.findings],
            "unchecked": result.unchecked,
            "unchecked_checks": result.unchecked_as_stored(),
            "reference_data": result.reference_data,
        },
    )


@transaction.atomic
def claim_check(*, claim: Claim, user, today: date | None = None) -> CheckResult:
    """Check a saved claim and keep the findings: draft → checked."""
    claim = Claim.objects.select_for_update(of=("self",)).select_related("payer", "patient").get(pk=claim.pk)
    if not claim.is_editable:
        raise ClaimError(f"{claim.number} is {claim.get_status_display().lower()}; it is not checked again.")
    lines = list(claim.lines.all())
    result = claim_findings(claim=claim, lines=lines, today=today)
    _store_findings(claim, result, lines)
    from_status = claim.status
    claim.status = ClaimStatus.CHECKED
    claim.save(update_fields=CHECK_FIELDS)
    if from_status != ClaimStatus.CHECKED:
        _record(claim, from_status, user, f"Checked: risk {result.risk}")
    _checked_event(claim, result, user=user)
    return result


@transaction.atomic
def review_settings_save(*, settings_row: ReviewSettings, user) -> ReviewSettings:
    """Change the sampling shares (admin), on the trail; claims already sampled keep their draw."""
    labels = {"risk_sample_percent": "risk-weighted sample %", "random_sample_percent": "random sample %"}
    before = ReviewSettings.objects.filter(pk=settings_row.pk).values(*labels).first() or {}
    settings_row.save()
    event_record(
        action="review_settings.changed",
        actor=user,
        object_type="review_settings",
        object_id=settings_row.pk,
        summary="changed the review sampling shares",
        changes=field_changes(before, {name: getattr(settings_row, name) for name in labels}, labels),
    )
    return settings_row


# --- sampling ready claims for review ---------------------------------------------------------------------
RISK_WEIGHTS = {Risk.NONE: Decimal(0), Risk.LOW: Decimal("0.5"), Risk.MEDIUM: Decimal(1), Risk.HIGH: Decimal(2)}


@dataclass(frozen=True)
class SamplingDraw:
    """Whether a ready claim goes to the review queue, and the words that explain it later."""

    reason: str  # a QueueReason, or "" when not sampled
    explanation: str


def sampling_chances(risk: str, review_settings: ReviewSettings) -> tuple[float, float]:
    """The chances (0..1) of the risk-weighted and of the random sample for a ready claim of this risk."""
    risk_share = Decimal(str(review_settings.risk_sample_percent)) / 100
    random_share = Decimal(str(review_settings.random_sample_percent)) / 100
    return float(min(Decimal(1), risk_share * RISK_WEIGHTS.get(risk, Decimal(0)))), float(random_share)


def sampling_draw(
    risk: str, review_settings: ReviewSettings, *, draw: Callable[[], float] = random.random
) -> SamplingDraw:
    """Decide once whether a ready claim is sampled: first the risk-weighted share, then the random one."""
    risk_chance, random_chance = sampling_chances(risk, review_settings)
    first = draw()
    if first < risk_chance:
        return SamplingDraw(
            QueueReason.RISK_SAMPLE, f"risk-weighted sample: {risk} risk, chance {risk_chance:.2%}, drew {first:.4f}"
        )
    second = draw()
    if second < random_chance:
        return SamplingDraw(
            QueueReason.RANDOM_SAMPLE,
            f"random sample: chance {random_chance:.2%}, drew {second:.4f} "
            f"(risk-weighted chance {risk_chance:.2%}, drew {first:.4f})",
        )
    return SamplingDraw(
        "",
        f"not sampled: {risk} risk; risk-weighted chance {risk_chance:.2%}, drew {first:.4f}; "
        f"random chance {random_chance:.2%}, drew {second:.4f}",
    )


def _snapshot_data(claim: Claim, lines: Sequence[ClaimLine], findings: Sequence[ClaimFinding]) -> dict[str, Any]:
    return {
        **claim_state(claim, lines),
        "number": claim.number,
        "risk": claim.risk,
        "reference_releases": claim.reference_releases,
        "unchecked": claim.unchecked_categories,
        "unchecked_checks": claim.unchecked_checks,
        "findings": [
            {
                "key": finding.key,
                "line": finding.line_number,
                "code": finding.code,
                "rule": finding.rule,
                "category": finding.category,
                "severity": finding.severity,
                "message": finding.message,
                "hint": finding.hint,
                "carc": finding.carc,
                "rarc": finding.rarc,
                "source": finding.source,
                "data_release": finding.data_release,
                "override": (
                    {
                        "reason": finding.override_reason,
                        "by_id": finding.overridden_by_id,
                        "by": finding.overridden_by.get_full_name() or finding.overridden_by.get_username()
                        if finding.overridden_by_id
                        else "",
                        "at": plain(finding.overridden_at),
                    }
                    if finding.override_reason
                    else None
                ),
            }
            for finding in findings
        ],
    }


def _snapshot(
    claim: Claim, lines: Sequence[ClaimLine], *, user, draw: Callable[[], float], returned: bool
) -> ClaimSnapshot:
    """Freeze what was sent, decide the sampling of a ready claim once, and queue it when it needs review.

    A claim a reviewer returned comes back to the queue when it is sent again, so the fix is seen."""
    findings = list(claim.findings.select_related("overridden_by").order_by("line_number", "id"))
    number = (claim.snapshots.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    if claim.status == ClaimStatus.FLAGGED:
        errors = sum(1 for f in findings if f.severity == Severity.ERROR)
        sampling = SamplingDraw(QueueReason.FLAGGED, f"flagged: {errors} error(s) acknowledged by the biller")
    elif returned:
        sampling = SamplingDraw(QueueReason.RESUBMITTED, "resubmitted after the reviewer returned it: reviewed again")
    else:
        sampling = sampling_draw(claim.risk, ReviewSettings.current(), draw=draw)
    snapshot = ClaimSnapshot.objects.create(
        claim=claim,
        number=number,
        created_by=user,
        status=claim.status,
        risk=claim.risk,
        queue_reason=sampling.reason,
        sampling=sampling.explanation,
        data=_snapshot_data(claim, lines, findings),
    )
    claim.queue_reason = sampling.reason
    if sampling.reason:
        ClaimReview.objects.create(claim=claim, snapshot=snapshot, reason=sampling.reason)
    if claim.status == ClaimStatus.READY and not returned:
        _event(
            claim,
            action="review.sampled" if sampling.reason else "review.not_sampled",
            user=user,
            summary=(
                f"sent {claim.number} into the review queue by {sampling.explanation}"
                if sampling.reason
                else f"sent {claim.number} on without review ({sampling.explanation})"
            ),
            data={"reason": sampling.reason, "explanation": sampling.explanation, "snapshot": number},
        )
    return snapshot


def claim_submit(
    *,
    claim: Claim,
    user,
    overrides: dict[str, str] | None = None,
    today: date | None = None,
    draw: Callable[[], float] = random.random,
) -> Claim:
    """Check once more and send on: ready when no error is left, flagged when every error is acknowledged.

    ``overrides`` maps a finding's key (``"<line or 0>:<rule>"``) to the biller's written reason.
    Warnings may be acknowledged too; errors must be. Raises ``UnacknowledgedFindings`` otherwise;
    the findings of this check are kept then, with the reasons given so far.

    A claim sent on is frozen as a snapshot; a flagged claim enters the review queue, and a ready one is
    sampled for it (``sampling_draw``, decided here once and recorded with its reason).
    """
    with transaction.atomic():
        claim = Claim.objects.select_for_update(of=("self",)).select_related("payer", "patient").get(pk=claim.pk)
        if not claim.is_editable:
            raise ClaimError(f"{claim.number} is {claim.get_status_display().lower()} and cannot be submitted again.")
        overrides = {
            key: reason.strip()
            for key, reason in (overrides or {}).items()
            if reason and reason.strip() and acknowledgeable(key.partition(":")[2])
        }
        lines = list(claim.lines.all())
        result = claim_findings(claim=claim, lines=lines, today=today)
        _store_findings(claim, result, lines, overrides=overrides, user=user)
        acknowledged = {f.key for f in claim.findings.all() if f.override_reason and acknowledgeable(f.rule)}
        missing = [f for f in result.errors if finding_key(f) not in acknowledged]
        from_status = claim.status
        returned = claim.is_returned
        if missing:
            claim.status = ClaimStatus.CHECKED
        else:
            claim.status = ClaimStatus.FLAGGED if result.errors else ClaimStatus.READY
            claim.review_outcome = ""  # a returned claim sent again is no longer marked as returned
        _checked_event(claim, result, user=user)
        if claim.status in (ClaimStatus.FLAGGED, ClaimStatus.READY):
            snapshot = _snapshot(claim, lines, user=user, draw=draw, returned=returned)
            _event(
                claim,
                action="claim.submitted",
                user=user,
                summary=f"submitted {claim.number} (submission {snapshot.number}): "
                f"{claim.get_status_display().lower()}",
                data={"status": claim.status, "snapshot": snapshot.number, "risk": claim.risk},
            )
        claim.save(update_fields=[*CHECK_FIELDS, "review_outcome", "queue_reason"])
        if claim.status == ClaimStatus.FLAGGED:
            _record(claim, from_status, user, f"Submitted with {len(result.errors)} error(s) acknowledged")
        elif claim.status == ClaimStatus.READY:
            warnings = len(acknowledged)
            note = f"Submitted; {warnings} warning(s) acknowledged" if warnings else "Submitted clean"
            if claim.queue_reason:
                note += f"; sampled for review ({QueueReason(claim.queue_reason).label.lower()})"
            _record(claim, from_status, user, note)
        elif from_status != ClaimStatus.CHECKED:
            _record(claim, from_status, user, f"Checked: risk {result.risk}")
    if missing:
        raise UnacknowledgedFindings(missing)
    return claim


# --- review ---------------------------------------------------------------------------------------------
REVIEW_PERMISSION = "claims.review_claim"


def _require_reviewer(claim: Claim, user) -> None:
    if not user.has_perm(REVIEW_PERMISSION):
        raise ReviewError("Only supervisors review claims.")
    if user.pk in claim_editor_ids(claim):
        raise ReviewError(f"You created or edited {claim.number}: another supervisor must review it.")


def _locked_review(claim: Claim, *, user, version: int | None) -> tuple[Claim, ClaimReview]:
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    _require_reviewer(claim, user)
    if version is not None and claim.version != version:
        raise StaleClaimError(
            f"{claim.number} changed since you opened it (another reviewer may have decided); reload it."
        )
    review = claim_open_review(claim)
    if review is None:
        raise ReviewError(f"{claim.number} is not waiting for review.")
    return claim, review


def _overrides_of(review: ClaimReview) -> dict[str, dict[str, Any]]:
    return {f["key"]: f for f in review.snapshot.data["findings"] if f.get("override")}


@transaction.atomic
def override_decide(
    *, claim: Claim, user, finding_key: str, decision: str, note: str = "", version: int | None = None
) -> OverrideDecision:
    """Accept one of the biller's overrides, or reject it with a note (a rejected one blocks approval)."""
    claim, review = _locked_review(claim, user=user, version=version)
    finding = _overrides_of(review).get(finding_key)
    if finding is None:
        raise ReviewError(f"{claim.number} has no override {finding_key} in the submission under review.")
    if decision not in OverrideDecisionChoice.values:
        raise ReviewError(f"Unknown decision '{decision}': accept or reject.")
    note = note.strip()
    if decision == OverrideDecisionChoice.REJECTED and not note:
        raise ReviewError(f"Say why the override of {finding['rule']} is rejected, so the biller knows what to fix.")
    row, _ = OverrideDecision.objects.update_or_create(
        review=review,
        finding_key=finding_key,
        defaults={
            "rule": finding["rule"],
            "line_number": finding["line"],
            "decision": decision,
            "note": note,
            "decided_by": user,
            "decided_at": timezone.now(),
        },
    )
    where = f"line {finding['line']}" if finding["line"] else "the claim"
    _event(
        claim,
        action=f"override.{decision}",
        user=user,
        summary=f"{decision} the override of {finding['rule']} on {where}" + (f": {note}" if note else ""),
        data={"rule": finding["rule"], "line": finding["line"], "decision": decision, "note": note},
    )
    return row


def _decide(claim: Claim, review: ClaimReview, *, user, outcome: str, note: str) -> None:
    now = timezone.now()
    review.outcome, review.note, review.decided_by, review.decided_at = outcome, note, user, now
    review.save(update_fields=["outcome", "note", "decided_by", "decided_at"])
    from_status = claim.status
    claim.queue_reason = ""
    claim.review_outcome = outcome
    claim.status = ClaimStatus.REVIEWED if outcome == ReviewOutcome.APPROVED else ClaimStatus.DRAFT
    claim.version = F("version") + 1
    claim.save(update_fields=["queue_reason", "review_outcome", "status", "version", "updated_at"])
    claim.refresh_from_db(fields=["version"])
    _record(claim, from_status, user, note or ReviewOutcome(outcome).label)
    _event(
        claim,
        action=f"review.{outcome}",
        user=user,
        summary=f"{'approved' if outcome == ReviewOutcome.APPROVED else 'returned'} {claim.number}"
        + (f": {note}" if note else ""),
        data={"review": review.pk, "reason": review.reason, "snapshot": review.snapshot.number, "note": note},
    )


@transaction.atomic
def review_approve(*, claim: Claim, user, note: str = "", version: int | None = None) -> Claim:
    """Approve the claim under review (→ reviewed, approved: ready to send). Every override must be decided,
    and none rejected."""
    claim, review = _locked_review(claim, user=user, version=version)
    decisions = {d.finding_key: d for d in review.decisions.all()}
    overrides = _overrides_of(review)
    rejected = [d for key, d in decisions.items() if key in overrides and d.decision == OverrideDecisionChoice.REJECTED]
    if rejected:
        listed = "; ".join(f"{d.rule}{f' (line {d.line_number})' if d.line_number else ''}: {d.note}" for d in rejected)
        raise ReviewError(f"{claim.number} cannot be approved with a rejected override ({listed}). Return it instead.")
    undecided = [f["rule"] for key, f in overrides.items() if key not in decisions]
    if undecided:
        raise ReviewError(f"Decide on every override before approving: {', '.join(undecided)}.")
    _decide(claim, review, user=user, outcome=ReviewOutcome.APPROVED, note=note.strip())
    return claim


@transaction.atomic
def review_return(*, claim: Claim, user, note: str, version: int | None = None) -> Claim:
    """Return the claim under review to its biller with a note (→ draft, marked as returned)."""
    claim, review = _locked_review(claim, user=user, version=version)
    if not note.strip():
        raise ReviewError("Say why the claim is returned, so the biller knows what to fix.")
    _decide(claim, review, user=user, outcome=ReviewOutcome.RETURNED, note=note.strip())
    return claim


@dataclass
class AssignResult:
    assigned: list[Claim]
    refused: list[tuple[Claim, str]]


@transaction.atomic
def review_assign(*, claims: Iterable[Claim], assignee, user) -> AssignResult:
    """Give claims waiting for review to a reviewer (``assignee`` None: unassign). A claim its would-be
    reviewer created or edited is refused, with the reason."""
    if not user.has_perm(REVIEW_PERMISSION):
        raise ReviewError("Only supervisors assign reviews.")
    if assignee is not None and not assignee.has_perm(REVIEW_PERMISSION):
        raise ReviewError(f"{assignee.get_username()} cannot review claims.")
    result = AssignResult([], [])
    now = timezone.now()
    for claim in claims:
        review = claim_open_review(claim)
        if review is None:
            result.refused.append((claim, f"{claim.number} is not waiting for review."))
            continue
        if assignee is not None and assignee.pk in claim_editor_ids(claim):
            result.refused.append((claim, f"{assignee.get_username()} created or edited {claim.number}."))
            continue
        if review.assignee_id == (assignee.pk if assignee else None):
            result.assigned.append(claim)
            continue
        previous = review.assignee.get_username() if review.assignee_id else ""
        review.assignee, review.assigned_at = assignee, now if assignee else None
        review.save(update_fields=["assignee", "assigned_at"])
        _event(
            claim,
            action="review.assigned",
            user=user,
            summary=f"assigned the review of {claim.number}",
            changes=[["reviewer", previous, assignee.get_username() if assignee else ""]],
        )
        result.assigned.append(claim)
    return result


# --- voiding and reading ---------------------------------------------------------------------------------
@transaction.atomic
def claim_void(*, claim: Claim, user, reason: str) -> Claim:
    """Void a claim with a reason (claims are never deleted). Billers void their own claims that are not sent;
    supervisors any claim that is not waiting for review or already voided."""
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    if not user.has_perm("claims.void_claim"):
        raise ClaimError("You may not void claims.")
    if not reason.strip():
        raise ClaimError("Say why the claim is voided.")
    if claim.status == ClaimStatus.VOIDED:
        raise ClaimError(f"{claim.number} is already voided.")
    if claim.queue_reason:
        raise ClaimError(f"{claim.number} is waiting for review; a reviewer must return it first.")
    supervisor = user.has_perm("claims.view_all_claims")
    if not supervisor and (claim.created_by_id != user.pk or not claim.is_editable):
        raise ClaimError(f"Only a supervisor can void {claim.number} now.")
    from_status = claim.status
    claim.status, claim.void_reason = ClaimStatus.VOIDED, reason.strip()
    claim.version = F("version") + 1
    claim.save(update_fields=["status", "void_reason", "version", "updated_at"])
    claim.refresh_from_db(fields=["version"])
    _record(claim, from_status, user, f"Voided: {claim.void_reason}")
    _event(claim, action="claim.voided", user=user, summary=f"voided {claim.number}: {claim.void_reason}")
    return claim


def claim_viewed_record(*, claim: Claim, user, page: str) -> None:
    """A page that shows the claim's patient data was seen (the trail of who looked)."""
    _event(claim, action="claim.viewed", user=user, summary=f"viewed {claim.number} ({page})", data={"page": page})


def claims_listed_record(*, claim_ids: Sequence[int], user, page: str) -> None:
    """A list that shows patients' names was seen: which claims were on it."""
    if claim_ids:
        event_record(
            action="claims.listed",
            actor=user,
            object_type="claim_list",
            summary=f"viewed {page}: {len(claim_ids)} claim(s)",
            data={"claims": list(claim_ids), "page": page},
        )


def claim_trail_exported_record(*, claim: Claim, user) -> None:
    _event(claim, action="claim.trail_exported", user=user, summary=f"exported the history of {claim.number} as CSV")


def claim_printed_record(*, claim: Claim, user, variant: str) -> None:
    """The claim was printed as a CMS-1500 PDF (it carries the patient's data out of the system)."""
    _event(
        claim,
        action="claim.printed",
        user=user,
        summary=f"printed CMS-1500 of {claim.number} ({variant})",
        data={"variant": variant},
    )


# --- sending ----------------------------------------------------------------------------------------------
@transaction.atomic
def claims_sent_record(*, claim_ids: Sequence[int], user, note: str, data: dict[str, Any] | None = None) -> list[Claim]:
    """Claims that went out in a file move to *sent*, each with a status change (``note`` names the file) and an
    audit event ("claim.sent", with ``data``). Called by the exporter (edi) inside its own transaction; refuses
    the whole set, naming the claim numbers, when one of them is not ready or approved."""
    claims = list(Claim.objects.select_for_update().filter(pk__in=claim_ids).order_by("pk"))
    missing = set(claim_ids) - {claim.pk for claim in claims}
    if missing:
        raise ClaimError(f"No such claim(s): {', '.join(str(pk) for pk in sorted(missing))}.")
    refused = [claim.number for claim in claims if not claim.is_exportable]
    if refused:
        raise ClaimError(f"Only ready or approved claims are sent; not: {', '.join(refused)}.")
    for claim in claims:
        from_status = claim.status
        claim.status = ClaimStatus.SENT
        claim.version = F("version") + 1
        claim.save(update_fields=["status", "version", "updated_at"])
        claim.refresh_from_db(fields=["version"])
        _record(claim, from_status, user, note)
        _event(claim, action="claim.sent", user=user, summary=f"sent {claim.number}: {note}", data=data or {})
    return claims
