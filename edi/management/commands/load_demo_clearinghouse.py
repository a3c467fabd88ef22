"""A demo clearinghouse and demo electronic payer IDs, so the demo's ready and approved claims can be exported
as an 837P file the moment ``make run`` has loaded them (the file is marked a test file: ISA15 T).

Idempotent and careful: nothing is added when any clearinghouse exists, and a payer's electronic payer ID is set
only on the starter payers that have none. The IDs start with DEMO: no clearinghouse knows them. Refuses to run
with DEBUG off unless --force, like the demo claims.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from claims.models import Payer
from edi.models import Clearinghouse, Usage

DEMO_CLEARINGHOUSE = {
    "name": "Demo clearinghouse",
    "usage": Usage.TEST,
    "sender_qualifier": "ZZ",
    "sender_id": "DEMOPRACTICE",
    "receiver_qualifier": "ZZ",
    "receiver_id": "DEMOCLEARING",
    "submitter_name": "Demo Family Practice Group",
    "submitter_etin": "DEMOPRACTICE",
    "contact_name": "Demo Billing Office",
    "contact_phone": "2175550100",  # 555-01xx: reserved for fiction
    "receiver_name": "Demo Clearinghouse",
    "receiver_etin": "DEMOCLEARING",
}
DEMO_PAYER_IDS = {"Medicare Part B": "DEMOMCR", "State Medicaid": "DEMOMCD", "Commercial PPO": "DEMOPPO"}


class Command(BaseCommand):
    help = "Create a demo clearinghouse (test files) and demo payer IDs for the starter payers, if missing."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off (not for production).")

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("DEBUG is off: the demo clearinghouse is for development only (use --force to insist).")
        if Clearinghouse.objects.exists():
            self.stdout.write("clearinghouse: one is set up already; nothing added")
        else:
            Clearinghouse.objects.create(**DEMO_CLEARINGHOUSE)
            self.stdout.write(f"clearinghouse {DEMO_CLEARINGHOUSE['name']}: created (test files)")
        for name, payer_id in DEMO_PAYER_IDS.items():
            updated = Payer.objects.filter(name=name, payer_id="").update(payer_id=payer_id)
            self.stdout.write(f"payer {name}: {'electronic payer ID ' + payer_id if updated else 'left as it is'}")
