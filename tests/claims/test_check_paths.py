"""The entry page and the batch check give the same answer for the same claim.

The entry page reads a claim's records into the engine's inputs (``check_input.claim_input``) and checks them
with the reference data of the claim's own codes (``selectors.claim_findings``); ``scrub_claims`` and the API
read the claim's scrub-format JSON (``check_document``). Claims of the generated corpus
(``tests/claims/rules/corpus.py``: every code family, drugs, modifiers, odd units, several dates, every payer
type, no ../shared) are entered as records (an unsaved claim and lines as the live check holds them, every
other claim's quantities as a saved line gives them back; the patient and their earlier claims saved), and
each is checked both ways: findings, risk, the checks not run and the reference releases must be equal.

What records cannot hold is left out of the JSON too (inline ``payer_config``, a line's own rendering NPI,
units that are not a number are no units); the claim's history is the patient's earlier claims in the
database, sent to the batch check as the history items they are.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from claims.choices import ClaimStatus, ReviewOutcome
from claims.models import Claim, ClaimLine, Patient, Payer
from claims.rules import check_document
from claims.selectors import claim_findings
from tests.claims.conftest import rolled_back
from tests.claims.factories import make_claim

from .rules.corpus import build_universe, generate_claims

pytestmark = pytest.mark.django_db

CLAIMS = 300
SEED = 20261204
# Earlier claims of the patient: (status, review outcome, the status the history says; None: not history).
EARLIER = (
    (ClaimStatus.READY, "", "ready"),
    (ClaimStatus.FLAGGED, "", "flagged"),
    (ClaimStatus.REVIEWED, ReviewOutcome.APPROVED, "approved"),
    (ClaimStatus.SENT, "", "sent"),
    (ClaimStatus.REVIEWED, ReviewOutcome.RETURNED, None),  # returned to the biller: not billed
    (ClaimStatus.DRAFT, "", None),
)


def plain(value: Decimal | None) -> str | None:
    """A quantity as the scrub format carries it: no trailing zeros, no exponent."""
    return None if value is None else format(value.normalize(), "f")


def quantity(value: Any) -> Decimal | None:
    """A number as the entry form holds it (None: none, or not a number)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


@dataclass
class Entered:
    """One claim as records (unsaved, as the live check holds it) and as the JSON the batch check reads."""

    claim: Claim
    lines: list[ClaimLine]
    document: dict[str, Any]
    today: date


def stored(value: Decimal | None, places: str = "0.001") -> Decimal | None:
    """A quantity as a saved line gives it back (``DecimalField``: 2 → 2.000)."""
    return None if value is None else value.quantize(Decimal(places))


def entered_line(number: int, raw: dict[str, Any], *, saved: bool) -> tuple[ClaimLine, dict[str, Any]]:
    """A line as typed (the live check) or as saved (``saved``: its quantities with the stored decimals)."""
    keep = stored if saved else (lambda value, places="": value)
    dose = raw.get("dose")
    amount = keep(quantity(dose["amount"])) if dose else None
    discarded = None
    if dose and "discarded" in dose:
        discarded = amount if dose["discarded"] is True else keep(quantity(dose["discarded"]))
    line = ClaimLine(
        number=number,
        code=raw["code"],
        modifiers=list(raw.get("modifiers") or []),
        units=keep(quantity(raw.get("units"))),
        charge=keep(quantity(raw.get("charge")) or Decimal(0), "0.01"),
        dx_pointers="".join(raw.get("dx_pointers") or []),
        ndc=raw.get("ndc", ""),
        ndc_unit=raw.get("ndc_unit", ""),
        ndc_quantity=keep(quantity(raw.get("ndc_qty"))),
        dose_amount=amount,
        dose_unit=dose["unit"] if dose else "",
        dose_discarded=discarded,
        container=raw.get("container", ""),
        narrative=raw.get("narrative", ""),
        date_of_service=date.fromisoformat(raw["dos"]) if raw.get("dos") else None,
        place_of_service=raw.get("pos", ""),
    )
    scrub = {
        "line": number,
        "code": line.code,
        "modifiers": line.modifiers,
        "units": plain(line.units),
        "charge": plain(line.charge),
        "dx_pointers": list(line.dx_pointers),
        "ndc": line.ndc or None,
        "ndc_unit": line.ndc_unit or None,
        "ndc_qty": plain(line.ndc_quantity),
        "dose": {"amount": plain(amount), "unit": line.dose_unit, "discarded": plain(discarded)} if dose else None,
        "container": line.container or None,
        "narrative": line.narrative or None,
        "dos": raw.get("dos"),
        "pos": line.place_of_service or None,
    }
    return line, scrub


def earlier_claims(user, payer: Payer, patient: Patient, raw: dict[str, Any], index: int) -> list[dict[str, Any]]:
    """The corpus claim's history as the patient's earlier claims (one line each, statuses in turn); the history
    items the batch check is sent for them, oldest first as the database gives them."""
    made = []
    for number, item in enumerate(raw["history"]):
        status, outcome, said = EARLIER[(index + number) % len(EARLIER)]
        units = quantity(item["units"])
        diagnoses = raw["diagnoses"][:1] if number % 2 else []
        earlier = make_claim(
            user,
            payer=payer,
            patient=patient,
            status=status,
            review_outcome=outcome,
            date_of_service=date.fromisoformat(item["dos"]),
            place_of_service=item["pos"],
            rendering_npi=item["rendering_npi"],
            rendering_specialty=item["specialty"],
            group_tin=item["group_tin"],
            diagnoses=diagnoses,
            lines=[ClaimLine(code=item["code"], modifiers=item["modifiers"], units=units, charge=Decimal(50))],
        )
        if said is not None:
            made.append((earlier.date_of_service, earlier.pk, item, earlier, said, diagnoses, units))
    return [
        {
            "code": item["code"],
            "dos": item["dos"],
            "modifiers": item["modifiers"],
            "rendering_npi": item["rendering_npi"],
            "specialty": item["specialty"],
            "group_tin": item["group_tin"],
            "dx": diagnoses,
            "status": said,
            "claim": earlier.number,
            "units": plain(units),
            "pos": item["pos"],
        }
        for _, _, item, earlier, said, diagnoses, units in sorted(made, key=lambda found: found[:2])
    ]


def entered(user, raw: dict[str, Any], index: int, plain_payers: dict[str, Payer]) -> Entered:
    payer = Payer.objects.filter(name=raw.get("payer_name") or "").first() or plain_payers[raw["payer_type"]]
    person = raw["patient"]
    dob = date.fromisoformat(person.get("dob") or "1970-01-01")
    patient = Patient.objects.create(
        member_id=f"PATHS{index:05d}", last_name="Path", first_name=f"P{index}", date_of_birth=dob, sex=person["sex"]
    )
    history = earlier_claims(user, payer, patient, raw, index)
    accident = ("auto", "NY") if index % 11 == 0 else ("auto", "") if index % 11 == 1 else ("other", "")
    accident = accident if index % 11 < 3 else ("", "")
    claim = Claim(
        payer=payer,
        patient=patient,
        patient_dob=dob,
        patient_sex=person["sex"],
        date_of_service=date.fromisoformat(raw["dos"]),
        place_of_service=raw["pos"],
        billing_npi=raw["billing_npi"],
        rendering_npi=raw["rendering_npi"],
        rendering_specialty=raw["rendering_specialty"],
        group_tin=raw["group_tin"],
        diagnoses=list(raw["diagnoses"]),
        prior_auth_number=raw.get("prior_auth_number") or "",
        frequency_code=raw["frequency_code"],
        original_reference="PCN1" if index % 5 == 0 else "",
        auto_accident=accident[0] == "auto",
        auto_accident_state=accident[1],
        other_accident=accident[0] == "other",
    )
    pairs = [entered_line(number, line, saved=index % 2 == 1) for number, line in enumerate(raw["lines"], start=1)]
    document = {
        "id": claim.number,
        "payer_type": payer.payer_type,
        "payer_name": payer.name,
        "patient": {"dob": dob.isoformat(), "sex": person["sex"]},
        "billing_npi": claim.billing_npi,
        "rendering_npi": claim.rendering_npi,
        "rendering_specialty": claim.rendering_specialty,
        "group_tin": claim.group_tin,
        "dos": raw["dos"],
        "pos": claim.place_of_service,
        "submission_date": raw["submission_date"],
        "diagnoses": claim.diagnoses,
        "prior_auth_number": claim.prior_auth_number or None,
        "frequency_code": claim.frequency_code,
        "original_reference": claim.original_reference or None,
        # An auto accident without its state is an input error for the batch check; the entry form says so
        # at the field and the check goes on without it.
        "accident": {"type": accident[0], "state": accident[1]} if accident[0] and accident != ("auto", "") else None,
        "history": history,
        "lines": [scrub for _, scrub in pairs],
    }
    return Entered(claim, [line for line, _ in pairs], document, date.fromisoformat(raw["submission_date"]))


@dataclass
class Compared:
    web: list[dict[str, Any]]
    batch: list[dict[str, Any]]
    history_items: int


@pytest.fixture(scope="module")
def compared(django_db_setup, django_db_blocker) -> Iterator[Compared]:
    with rolled_back(django_db_blocker):
        universe = build_universe()
        user = get_user_model().objects.create_user("paths-biller")
        plain_payers = {payer.payer_type: payer for payer in Payer.objects.filter(name__endswith=" plain")}
        raws = generate_claims(universe, CLAIMS, seed=SEED)
        web, batch, history_items = [], [], 0
        for index, raw in enumerate(raws):
            claim = entered(user, raw, index, plain_payers)
            history_items += len(claim.document["history"])
            result = claim_findings(claim=claim.claim, lines=claim.lines, today=claim.today)
            web.append(
                {
                    "id": claim.claim.number,
                    "risk": result.risk,
                    "findings": [finding.as_dict() for finding in result.findings],
                    "unchecked": result.unchecked,
                    "unchecked_checks": result.unchecked_as_stored(),
                    "reference_data": result.reference_data,
                }
            )
            document = check_document({"claims": [claim.document]})  # its submission_date is the day checked
            [checked] = document["claims"]
            batch.append(
                {
                    "id": checked["id"],
                    "risk": checked["risk"],
                    "findings": checked["findings"],
                    "unchecked": checked.get("unchecked", []),
                    "unchecked_checks": checked.get("unchecked_checks", []),
                    "reference_data": document["reference_data"],
                }
            )
        yield Compared(web, batch, history_items)


def test_the_entry_page_and_the_batch_check_give_the_same_answer(compared):
    differ = [
        f"claim {index}: {web} != {batch}"
        for index, (web, batch) in enumerate(zip(compared.web, compared.batch, strict=True))
        if web != batch
    ]
    assert not differ, f"{len(differ)} of {len(compared.web)} claims differ:\n" + "\n".join(differ[:5])


def test_the_claims_compared_make_many_rules_fire(compared):
    """The comparison means something only if the claims give many kinds of findings, history ones too."""
    fired = Counter(f["rule"] for claim in compared.web for f in claim["findings"])
    assert len(fired) >= 40, sorted(fired)
    assert {"DUP-HISTORY", "FMT-UNITS", "FMT-DX-COUNT"} <= set(fired), sorted(fired)
    assert compared.history_items >= 100
