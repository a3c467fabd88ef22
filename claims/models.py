"""Payers, the demographic edit table and API tokens. Claims themselves come with the claim-entry issue."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from .choices import PayerType, Sex

# Defaults per payer type (rules catalogue §0.5 and Appendix B).
PAYER_TYPE_DEFAULTS = {
    PayerType.MEDICARE: {
        "timely_filing_days": 365,
        "apply_ncci": True,
        "rejects_s_codes": True,
        "ndc_required_all_drug_lines": False,
    },
    PayerType.MEDICAID: {
        "timely_filing_days": 365,
        "apply_ncci": True,
        "rejects_s_codes": False,
        "ndc_required_all_drug_lines": True,
    },
    PayerType.COMMERCIAL: {
        "timely_filing_days": 90,
        "apply_ncci": True,
        "rejects_s_codes": False,
        "ndc_required_all_drug_lines": False,
    },
}


def _code_list(value: str) -> list[str]:
    return [part.strip().upper() for part in value.replace("\n", ",").split(",") if part.strip()]


class Payer(models.Model):
    """A health plan the practice bills, with the settings the rules read (admin-maintained)."""

    name = models.CharField(max_length=120, unique=True)
    payer_type = models.CharField(max_length=12, choices=PayerType.choices)
    timely_filing_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Days from the date of service to file. Blank: the payer type's default."
    )
    apply_ncci = models.BooleanField(default=True, help_text="Apply NCCI PTP and MUE edits to this payer's claims.")
    rejects_s_codes = models.BooleanField(null=True, blank=True, help_text="Blank: the payer type's default.")
    ndc_required_all_drug_lines = models.BooleanField(
        null=True, blank=True, help_text="Require an NDC on every drug line. Blank: the payer type's default."
    )
    pa_required_codes = models.TextField(
        blank=True, help_text="Codes needing prior authorisation, separated by commas or new lines."
    )
    pa_required_ranges = models.TextField(
        blank=True, help_text="Code ranges needing prior authorisation, one per line: J9000-J9999."
    )
    preferred_products = models.JSONField(
        default=dict,
        blank=True,
        help_text='Product families: {"infliximab": {"preferred": ["Q5103"], "non_preferred": ["J1745"]}}.',
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        for line in self.pa_required_ranges.splitlines():
            if line.strip() and len(line.split("-")) != 2:
                raise ValidationError({"pa_required_ranges": f"'{line.strip()}' is not a range like J9000-J9999."})
        if not isinstance(self.preferred_products, dict):
            raise ValidationError({"preferred_products": "Must be an object of product families."})
        for family, lists in self.preferred_products.items():
            if not isinstance(lists, dict) or set(lists) - {"preferred", "non_preferred"}:
                raise ValidationError(
                    {"preferred_products": f"Family '{family}' needs 'preferred' and 'non_preferred' lists."}
                )

    @property
    def pa_codes(self) -> list[str]:
        return _code_list(self.pa_required_codes)

    @property
    def pa_ranges(self) -> list[tuple[str, str]]:
        ranges = []
        for line in self.pa_required_ranges.splitlines():
            if "-" in line:
                low, high = (part.strip().upper() for part in line.split("-", 1))
                ranges.append((low, high))
        return ranges


class DemographicEdit(models.Model):
    """A sex- or age-specific range of diagnosis or procedure codes (CMS Medicare Code Editor conventions)."""

    class Kind(models.TextChoices):
        DIAGNOSIS = "diagnosis", "Diagnosis (ICD-10-CM)"
        PROCEDURE = "procedure", "Procedure (CPT/HCPCS)"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    code_from = models.CharField(max_length=8, help_text="First code of the range (ICD-10-CM without the dot).")
    code_to = models.CharField(max_length=8, help_text="Last code of the range; prefixes match all their children.")
    sex = models.CharField(max_length=1, choices=Sex.choices, blank=True, help_text="The only sex the codes fit.")
    age_min = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Youngest age in completed years.")
    age_max = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Oldest age in completed years.")
    description = models.CharField(max_length=200)
    source = models.CharField(max_length=300, help_text="Where the range comes from.")
    hint = models.CharField(max_length=300, blank=True, help_text="What the biller should do instead.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "code_from"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(sex="") | models.Q(age_min__isnull=False) | models.Q(age_max__isnull=False),
                name="demographic_edit_has_sex_or_age",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.code_from}-{self.code_to}"

    def covers(self, code: str) -> bool:
        normalized = code.replace(".", "").upper()
        low, high = self.code_from.replace(".", "").upper(), self.code_to.replace(".", "").upper()
        return low <= normalized[: len(low)] and normalized[: len(high)] <= high


class ApiToken(models.Model):
    """A per-user API token for ``POST /api/claims/scrub/`` (created in the admin; only its hash is kept)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80, help_text="What the token is for, e.g. 'clearinghouse export'.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=8, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["user", "name"]
        verbose_name = "API token"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, *, user, name: str) -> tuple[ApiToken, str]:
        """Create a token and return it with its key (shown once, never stored)."""
        key = secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, key_hash=cls.hash_key(key), prefix=key[:8])
        return token, key
