"""The claim as the rules engine reads it, and the engine's answer as the pages use it.

A claim and its lines (saved or not) are read into the engine's inputs (``claim_input``: what the batch check
reads from a claim's scrub-format document); ``selectors.claim_findings`` checks them and answers with a
``CheckResult``, which ``services`` stores. Neither reads nor writes the database, so both sides import it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from .choices import Severity, Sex
from .models import Claim, ClaimLine, Patient
from .rules.inputs import ClaimInput, Dose, HistoryItem, LineInput, PatientInput
from .rules.registry import Finding, NotChecked


def _plain(value: Decimal | int | None) -> str | None:
    """A quantity written without trailing zeros (``Decimal("4.000")`` → "4"), as the scrub format carries it."""
    return None if value is None else format(Decimal(str(value)).normalize(), "f")


def _quantity(value: Decimal | int | None, default: Decimal | None = None) -> Decimal | None:
    """A quantity as the engine reads it: the number without trailing zeros, ``default`` when none."""
    text = _plain(value)
    if text is None:
        return default
    number = Decimal(text)
    return number if number.is_finite() else default


def _codes(values: Iterable[str]) -> tuple[str, ...]:
    """Modifiers, pointers, diagnoses as entered: the blank ones left out, each trimmed and in capitals."""
    return tuple(value.strip().upper() for value in values if value)


def _line_input(line: ClaimLine, *, dos: date, pos: str, npi: str) -> LineInput:
    """One line (saved or not) as the engine reads it; a line without its own date or place has the claim's."""
    units = _plain(line.units)
    dose = None
    if line.dose_amount is not None:
        dose = Dose(
            amount=_quantity(line.dose_amount),
            unit=(line.dose_unit or "").strip().lower(),
            discarded=_quantity(line.dose_discarded, Decimal(0)),
        )
    modifiers = _codes(line.modifiers)
    return LineInput(
        number=line.number,
        code=line.code.strip().upper(),
        modifiers=modifiers,
        modifier_set=frozenset(modifiers),
        units=_quantity(line.units),
        units_text=units or "",
        charge=_quantity(line.charge, Decimal(0)),
        dx_pointers=_codes(line.dx_pointers),
        ndc=(line.ndc or "").strip() or None,
        ndc_unit=(line.ndc_unit or "").strip().upper() or None,
        ndc_qty=_quantity(line.ndc_quantity),
        dose=dose,
        container=(line.container or "").strip() or None,
        narrative=(line.narrative or "").strip(),
        dos=line.date_of_service or dos,
        pos=(line.place_of_service or "").strip() or pos,
        rendering_npi=npi,
    )


def _accident(claim: Claim) -> tuple[str, str]:
    """Box 10b/10c: ("auto", state), ("other", state or ""), or ("", "") for none. An auto accident without its
    state is left out: the entry form already says so at the field, and the live check must still show the
    other findings (the scrub format refuses such a claim)."""
    state = (claim.auto_accident_state or "").strip().upper()
    if claim.auto_accident and state:
        return "auto", state
    if claim.other_accident:
        return "other", state
    return "", ""


def claim_input(
    claim: Claim,
    lines: Iterable[ClaimLine],
    *,
    patient: Patient | None = None,
    history: tuple[HistoryItem, ...] = (),
    today: date | None = None,
) -> ClaimInput:
    """The claim as entered (saved or not) as the rules engine reads it: what ``scrub_claims`` reads from the
    claim's scrub-format document, built from the records directly."""
    patient = patient or claim.patient
    payer = claim.payer
    sex = (claim.patient_sex or patient.sex or "").strip().upper() or Sex.UNKNOWN.value
    accident_type, accident_state = _accident(claim)
    dos, pos, npi = claim.date_of_service, (claim.place_of_service or "").strip(), (claim.rendering_npi or "").strip()
    return ClaimInput(
        id=claim.number,
        payer_type=payer.payer_type,
        payer_name=payer.name.strip(),
        lines=tuple(_line_input(line, dos=dos, pos=pos, npi=npi) for line in lines),
        dos=dos,
        pos=pos,
        patient=PatientInput(dob=claim.patient_dob or patient.date_of_birth, sex=sex),  # as entered on the claim
        billing_npi=(claim.billing_npi or "").strip(),
        rendering_npi=npi,
        rendering_specialty=(claim.rendering_specialty or "").strip(),
        group_tin=(claim.group_tin or "").strip(),
        submission_date=today or date.today(),
        diagnoses=tuple(code.replace(" ", "") for code in _codes(claim.diagnoses)),
        prior_auth_number=(claim.prior_auth_number or "").strip(),
        frequency_code=(claim.frequency_code or "1").strip(),
        history=history,
        original_reference=(claim.original_reference or "").strip(),
        accident_type=accident_type,
        accident_state=accident_state,
    )


@dataclass
class CheckResult:
    """The engine's answer for one claim, ready for the page: its ``Finding`` objects by line, the claim's own,
    the risk, and the checks that did not run (``NotChecked``)."""

    risk: str
    findings: list[Finding]
    unchecked: list[str]
    reference_data: dict[str, str]
    unchecked_checks: list[NotChecked] = field(default_factory=list)  # which checks did not run, and why

    @property
    def checks_not_run(self) -> int:
        return len(self.unchecked_checks) or len(self.unchecked)

    @property
    def claim_findings(self) -> list[Finding]:
        return [f for f in self.findings if f.line is None]

    def for_line(self, number: int) -> list[Finding]:
        return [f for f in self.findings if f.line == number]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == Severity.ERROR]

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def unchecked_as_stored(self) -> list[dict[str, Any]]:
        """The checks that did not run as the claim, its trail and its snapshots keep them."""
        return [check.as_dict() for check in self.unchecked_checks]
