"""Create demo providers for the entry form's pickers: two clinicians and the practice that bills.

Their NPIs pass the check digit but belong to nobody: for trying ClaimDesk out, not for real claims.
Idempotent: a provider that exists (by NPI) is left as the administrator set it.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from claims.choices import ProviderKind
from claims.models import Provider
from claims.services import provider_save

DEMO_TIN = "311234567"
DEMO_PROVIDERS = (
    # name, kind, NPI, CMS specialty
    ("Dr. Demo Internist, MD", ProviderKind.CLINICIAN, "1234567893", "11"),
    ("Dr. Demo Rheumatologist, MD", ProviderKind.CLINICIAN, "1555555550", "66"),
    ("Demo Family Practice Group", ProviderKind.ORGANISATION, "1666666668", ""),
)
# The practice's address and phone (box 33, 837P 2010AA): fictitious, a 555-01xx number reserved for fiction.
DEMO_ADDRESS = {
    "address_line1": "100 Demo Medical Plaza",
    "address_line2": "Suite 200",
    "city": "Springfield",
    "state": "IL",
    "zip_code": "627010001",
    "phone": "2175550100",
}


class Command(BaseCommand):
    help = "Create the demo providers (two clinicians and a billing group) if they are missing."

    def handle(self, *args: Any, **options: Any) -> None:
        for name, kind, npi, specialty in DEMO_PROVIDERS:
            created = not Provider.objects.filter(npi=npi).exists()
            if created:  # through the service, so the new provider is on the audit trail (actor: the system)
                provider = Provider(
                    npi=npi, name=name, kind=kind, specialty=specialty, group_tin=DEMO_TIN, **DEMO_ADDRESS
                )
                provider_save(provider=provider, user=None)
            self.stdout.write(f"provider {name} ({npi}): {'created' if created else 'already there'}")
