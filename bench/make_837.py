"""An 837P interchange of realistic claims for the import benchmark, written by ClaimDesk's own writer.

The claims are those of ``make_claims`` (codes from the real CMS files, ``--mix common`` or ``diverse``),
turned into 837P claims: a pool of patients (each with a member ID, a date of birth, a sex and an
address; one in four a dependent of the insured), the payers of the scrub claims with payer IDs, the
billing provider and the rendering NPIs of the mix, line dates, drug lines with an NDC. Names and numbers
are made up; nothing comes from a real patient.

Run: ``.venv/bin/python bench/make_837.py OUT.837 [--claims 10000] [--mix diverse] [--seed 20261204]``.
"""

from __future__ import annotations

import argparse
import random
import sys
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import make_claims  # noqa: E402

from edi.records import (  # noqa: E402
    Address,
    Claim837,
    ClaimDate,
    Contact,
    Coverage,
    Diagnosis,
    Drug,
    Interchange837,
    Party,
    Patient,
    Reference,
    ServiceLine,
    Subscriber,
    Transaction837,
)
from edi.write837 import write_837p  # noqa: E402

PAYERS = {  # payer type of the scrub claim -> (payer name, payer ID, claim filing indicator SBR09)
    "medicare": ("MEDICARE PART B", "13202", "MB"),
    "commercial": ("COMMERCIAL PPO", "CPPO1", "CI"),
    "medicaid": ("STATE MEDICAID", "SMCD1", "MC"),
}
LAST_NAMES = ["GARCIA", "SMITH", "NGUYEN", "JOHNSON", "PATEL", "KIM", "BROWN", "LOPEZ", "CHEN", "MILLER"]
FIRST_NAMES = ["ANA", "JAMES", "LI", "MARIA", "DAVID", "SOFIA", "OMAR", "GRACE", "LUIS", "NINA"]
STREETS = ["MAIN ST", "ELM ST", "OAK AVE", "STATE ST", "PARK RD"]


def _person(rng: random.Random, entity: str, member_id: str, dob: date, sex: str) -> Party:
    return Party(
        entity,
        last_name=rng.choice(LAST_NAMES),
        first_name=rng.choice(FIRST_NAMES),
        is_person=True,
        id_qualifier="MI" if member_id else "",
        identifier=member_id,
        address=Address(f"{rng.randint(1, 999)} {rng.choice(STREETS)}", "", "ALBANY", "NY", "12208"),
        birth_date=dob,
        sex=sex,
    )


def _line(line: dict, shift: timedelta) -> ServiceLine:
    drug = None
    if line.get("ndc"):
        drug = Drug(line["ndc"], Decimal(str(line.get("ndc_qty") or 1)), line.get("ndc_unit") or "UN")
    dos = date.fromisoformat(line["dos"]) + shift if line.get("dos") else None
    return ServiceLine(
        line["line"],
        line["code"],
        Decimal(str(line["charge"])).quantize(Decimal("0.01")),
        Decimal(str(line.get("units") or 1)),
        modifiers=list(line.get("modifiers") or []),
        diagnosis_pointers=["ABCDEFGHIJKL".index(letter) + 1 for letter in line.get("dx_pointers") or "A"],
        dates=[ClaimDate("472", dos)] if dos else [],
        drug=drug,
    )


RECEIVED = date(2025, 12, 31)  # the day the file is imported: claims of the weeks before (the RVU25 year)


def claims_837(scrub_claims: list[dict], seed: int, received: date = RECEIVED) -> list[Claim837]:
    """The claims as a PM system sends them: dates of service in the 45 days before ``received`` (each claim's
    lines keep their days relative to the claim's)."""
    rng = random.Random(seed)
    patients = max(1, len(scrub_claims) // 3)  # a patient has about three claims in the batch
    billing = Party(
        "85",
        last_name="BENCH MULTISPECIALTY GROUP",
        id_qualifier="XX",
        identifier=scrub_claims[0]["billing_npi"],
        address=Address("100 MAIN ST", "", "ALBANY", "NY", "122070001"),
        references=[Reference("EI", scrub_claims[0]["group_tin"])],
        contacts=[Contact("BILLING OFFICE", [("TE", "5185550100")])],
    )
    out = []
    for claim in scrub_claims:
        number = rng.randrange(patients)
        person_rng = random.Random(number)  # the same patient for the same number
        dob = date.fromisoformat(claim["patient"]["dob"])  # (ages stay within a year of the generated ones)
        sex = claim["patient"]["sex"]
        member_id = f"BM{number:09d}"
        payer_name, payer_id, filing = PAYERS[claim["payer_type"]]
        dependent = claim["payer_type"] == "commercial" and number % 4 == 0
        insured = _person(person_rng, "IL", member_id, date(dob.year - 30, 1, 15) if dependent else dob, sex)
        patient = None
        if dependent:
            patient = Patient("19", _person(person_rng, "QC", "", dob, sex))
        claim_dos = date.fromisoformat(claim["dos"])
        shift = (received - timedelta(days=2 + rng.randrange(45))) - claim_dos
        lines = [_line(line, shift) for line in claim["lines"]]
        out.append(
            Claim837(
                billing_provider=billing,
                subscriber=Subscriber(
                    Coverage("P", "" if dependent else "18", "", "", "", filing),
                    insured,
                    Party("PR", last_name=payer_name, id_qualifier="PI", identifier=payer_id),
                ),
                patient=patient,
                claim_id=claim["id"],
                total_charge=sum((line.charge for line in lines), Decimal("0.00")),
                place_of_service=claim["pos"],
                diagnoses=[
                    Diagnosis("ABK" if index == 0 else "ABF", code.replace(".", ""))
                    for index, code in enumerate(claim["diagnoses"])
                ],
                dates=[],
                providers=[
                    Party("82", last_name="RENDERING", first_name="CLINICIAN", is_person=True, id_qualifier="XX",
                          identifier=claim["rendering_npi"])
                ],
                lines=lines,
            )
        )
        for line, source in zip(lines, claim["lines"], strict=True):
            if not line.dates:
                line.dates = [ClaimDate("472", date.fromisoformat(source.get("dos") or claim["dos"]) + shift)]
    return out


def interchange(claims: list[Claim837]) -> Interchange837:
    created = datetime(2026, 12, 4, 9, 0)
    transaction = Transaction837(
        control_number="0001",
        submitter=Party("41", last_name="BENCH PM SYSTEM", id_qualifier="46", identifier="BENCHPM",
                        contacts=[Contact("BILLING OFFICE", [("TE", "5185550100")])]),
        receiver=Party("40", last_name="CLAIMDESK", id_qualifier="46", identifier="CLAIMDESK"),
        reference="BENCH-IMPORT",
        created=created,
        claims=claims,
    )
    return Interchange837(
        sender_id="BENCHPM", receiver_id="CLAIMDESK", application_sender="BENCHPM",
        application_receiver="CLAIMDESK", control_number=1, group_control_number=1, created=created,
        usage="T", transactions=[transaction],
    )


def write(path: Path, count: int, *, mix: str = "common", seed: int = 20261204) -> int:
    """Write ``count`` claims to ``path``; returns the number of service lines."""
    document = make_claims.generate(count, seed, mix=mix)
    claims = claims_837(document["claims"], seed)
    with path.open("w", encoding="ascii", newline="") as out:
        write_837p(interchange(claims), out)
    return sum(len(claim.lines) for claim in claims)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output", type=Path)
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--mix", choices=make_claims.MIXES, default="common")
    parser.add_argument("--seed", type=int, default=20261204)
    args = parser.parse_args()
    lines = write(args.output, args.claims, mix=args.mix, seed=args.seed)
    print(f"wrote {args.claims} claims, {lines} lines to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
