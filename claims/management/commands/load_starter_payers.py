"""Create ClaimDesk's starter payers, one per payer type, so a fresh install can enter claims at once.

Idempotent: a payer that exists (by name) is left as the administrator set it.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from claims.choices import PayerType
from claims.models import Payer
from claims.rules.context import PAYER_TYPE_DEFAULTS

STARTER_PAYERS = (
    ("Medicare Part B", PayerType.MEDICARE, "Starter payer: Medicare defaults (catalogue §0.5)."),
    ("State Medicaid", PayerType.MEDICAID, "Starter payer: Medicaid defaults (NDC on every drug line)."),
    (
        "Commercial PPO",
        PayerType.COMMERCIAL,
        "Starter payer: commercial defaults "
        f"({PAYER_TYPE_DEFAULTS[PayerType.COMMERCIAL]['timely_filing_days']} days timely filing).",
    ),
)


class Command(BaseCommand):
    help = "Create the starter payers (Medicare Part B, State Medicaid, Commercial PPO) if they are missing."

    def handle(self, *args: Any, **options: Any) -> None:
        for name, payer_type, notes in STARTER_PAYERS:
            _, created = Payer.objects.get_or_create(name=name, defaults={"payer_type": payer_type, "notes": notes})
            self.stdout.write(f"payer {name}: {'created' if created else 'already there'}")
