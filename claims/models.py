"""Payers, the demographic edit table, API tokens, the practice's providers, and the claims billers enter
(patients, lines, findings)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone

from .choices import (
    Category,
    ClaimFrequency,
    ClaimStatus,
    Container,
    IllnessDateQualifier,
    NDCUnit,
    OverrideDecisionChoice,
    PayerType,
    ProviderKind,
    QueueReason,
    ReferringQualifier,
    Relationship,
    ReviewOutcome,
    Risk,
    Severity,
    Sex,
)
from .npi import validate_npi
from .validators import validate_phone, validate_state, validate_zip


def _code_list(value: str) -> list[str]:
    return [part.strip().upper() for part in value.replace("\n", ",").split(",") if part.strip()]


def state_field(verbose_name: str = "state", **kwargs) -> models.CharField:
    return models.CharField(verbose_name, max_length=2, blank=True, validators=[validate_state], **kwargs)


def zip_field(verbose_name: str = "ZIP code") -> models.CharField:
    return models.CharField(verbose_name, max_length=9, blank=True, validators=[validate_zip])


def phone_field(verbose_name: str = "phone") -> models.CharField:
    return models.CharField(verbose_name, max_length=10, blank=True, validators=[validate_phone])


class PostalAddress(models.Model):
    """A US address as the 837P writes it (N3 street lines, N4 city, USPS state, ZIP of 5 or 9 digits)."""

    address_line1 = models.CharField("address", max_length=55, blank=True, help_text="Street (N301).")
    address_line2 = models.CharField("address line 2", max_length=55, blank=True, help_text="Suite, unit (N302).")
    city = models.CharField(max_length=30, blank=True)
    state = state_field(help_text="Two-letter USPS code, e.g. NY.")
    zip_code = zip_field()

    ADDRESS_FIELDS = ("address_line1", "address_line2", "city", "state", "zip_code")

    class Meta:
        abstract = True


class Payer(PostalAddress, models.Model):
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
    payer_id = models.CharField(
        "electronic payer ID",
        max_length=80,
        blank=True,
        help_text="The payer's ID for electronic claims, from the clearinghouse's payer list (837P NM1*PR NM109).",
    )

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


DEFAULT_API_TOKEN_DAYS = 90


def api_token_days() -> int:
    """How long a new API token lasts (``CLAIMDESK_API_TOKEN_DAYS``, default 90 days)."""
    return int(getattr(settings, "CLAIMDESK_API_TOKEN_DAYS", DEFAULT_API_TOKEN_DAYS))


def api_token_default_expiry():
    """When a token issued now expires: every token expires."""
    return timezone.now() + timedelta(days=api_token_days())


class ApiTokenState(models.TextChoices):
    ACTIVE = "active", "Active"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"


class ApiToken(models.Model):
    """A per-user API token for ``POST /api/claims/scrub/`` (created in the admin; only its hash is kept).

    Every token expires (``expires_at``, by default ``CLAIMDESK_API_TOKEN_DAYS`` after it is issued) and
    can be revoked (``active`` off, with when and by whom); an expired or revoked token gets 401.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80, help_text="What the token is for, e.g. 'clearinghouse export'.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=8, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    active = models.BooleanField(default=True)
    expires_at = models.DateTimeField(
        "expires",
        default=api_token_default_expiry,
        help_text="After this the token is refused (default: 90 days from issue, CLAIMDESK_API_TOKEN_DAYS).",
    )
    revoked_at = models.DateTimeField("revoked", null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["user", "name"]
        verbose_name = "API token"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, *, user, name: str, expires_at=None) -> tuple[ApiToken, str]:
        """Create a token and return it with its key (shown once, never stored)."""
        key = secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user,
            name=name,
            key_hash=cls.hash_key(key),
            prefix=key[:8],
            expires_at=expires_at or api_token_default_expiry(),
        )
        return token, key

    def state_on(self, moment=None) -> ApiTokenState:
        """Revoked (or deactivated), expired at ``moment`` (default now), else active."""
        if not self.active or self.revoked_at is not None:
            return ApiTokenState.REVOKED
        if self.expires_at <= (moment or timezone.now()):
            return ApiTokenState.EXPIRED
        return ApiTokenState.ACTIVE

    @property
    def state(self) -> ApiTokenState:
        return self.state_on()


# --- claims ------------------------------------------------------------------------------------------
DIAGNOSIS_LETTERS = "ABCDEFGHIJKL"  # CMS-1500 box 21: up to 12 diagnoses, A to L
MAX_MODIFIERS = 4
MAX_POINTERS = 4


class Provider(PostalAddress, models.Model):
    """One of the practice's providers, as claims name them: a clinician who renders services (box 24J) or
    the practice or group that bills (box 33a). The entry form offers them so NPIs are picked, not re-keyed;
    claims keep the NPIs themselves (a claim may name a provider from outside the list)."""

    name = models.CharField(max_length=120, help_text="As the biller knows them, e.g. Dr. Ana Lopez, MD.")
    kind = models.CharField(max_length=12, choices=ProviderKind.choices, default=ProviderKind.CLINICIAN)
    npi = models.CharField("NPI", max_length=10, unique=True, validators=[validate_npi])
    specialty = models.CharField(
        max_length=2,
        blank=True,
        validators=[RegexValidator(r"^[0-9A-Z]{2}$", "A CMS specialty code has two characters, e.g. 11.")],
        help_text="CMS specialty code of a clinician, e.g. 11 internal medicine.",
    )
    group_tin = models.CharField(
        "group TIN",
        max_length=9,
        validators=[RegexValidator(r"^\d{9}$", "A tax ID has 9 digits.")],
        help_text="Federal tax ID the services are billed under (box 25), nine digits.",
    )
    active = models.BooleanField(default=True, help_text="Only active providers are offered on the entry form.")
    phone = phone_field()  # box 33 of a billing provider (837P 2010AA PER TE), ten digits

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self):
        return f"{self.name} ({self.npi})"


class Patient(PostalAddress, models.Model):
    """A patient as the claim names them (CMS-1500 boxes 1a, 2, 3, 5); earlier claims feed the history rules."""

    last_name = models.CharField(max_length=60)
    first_name = models.CharField(max_length=35)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=1, choices=Sex.choices)
    member_id = models.CharField(
        "member ID", max_length=30, help_text="The insured's ID number (box 1a), stored in capitals."
    )
    phone = phone_field()  # box 5, ten digits
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["last_name", "first_name", "date_of_birth"]
        constraints = [
            models.UniqueConstraint(fields=["member_id", "date_of_birth"], name="patient_member_id_dob_unique")
        ]
        indexes = [models.Index(fields=["last_name", "first_name"])]

    def __str__(self):
        return f"{self.last_name}, {self.first_name} ({self.date_of_birth:%m/%d/%Y})"

    @property
    def name(self) -> str:
        return f"{self.last_name}, {self.first_name}"


class ClaimNotDeletable(Exception):
    """Claims are voided, never deleted: their trail must stay whole."""


class ClaimQuerySet(models.QuerySet):
    def delete(self):
        raise ClaimNotDeletable("Claims cannot be deleted; void them instead (with a reason).")


class Claim(models.Model):
    """A professional claim (CMS-1500 / 837P): the header; the services are its ``lines``."""

    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="claims")
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="claims", help_text="The patient record it is filed under."
    )
    # The patient as entered on this claim (boxes 1a, 2, 3): the claim's own, never changed by another claim.
    member_id = models.CharField("member ID", max_length=30, default="", help_text="Box 1a, in capitals.")
    patient_last_name = models.CharField(max_length=60, default="")
    patient_first_name = models.CharField(max_length=35, default="")
    patient_dob = models.DateField("patient's date of birth", null=True)
    patient_sex = models.CharField("patient's sex", max_length=1, choices=Sex.choices, default="")
    billing_npi = models.CharField("billing provider NPI", max_length=10)
    rendering_npi = models.CharField("rendering provider NPI", max_length=10)
    rendering_specialty = models.CharField(
        max_length=2, blank=True, help_text="CMS specialty code of the rendering provider, e.g. 11 internal medicine."
    )
    group_tin = models.CharField("group TIN", max_length=9, help_text="Federal tax ID, nine digits (box 25).")
    place_of_service = models.CharField(max_length=2)
    date_of_service = models.DateField()
    diagnoses = models.JSONField(default=list, blank=True, help_text="ICD-10-CM codes in order A to L.")
    prior_auth_number = models.CharField("prior authorisation number", max_length=50, blank=True)
    status = models.CharField(max_length=10, choices=ClaimStatus.choices, default=ClaimStatus.DRAFT)
    review_outcome = models.CharField(max_length=10, choices=ReviewOutcome.choices, blank=True)
    risk = models.CharField(max_length=6, choices=Risk.choices, blank=True, help_text="Risk of the last check.")
    checked_at = models.DateTimeField(null=True, blank=True)
    reference_releases = models.JSONField(default=dict, blank=True, help_text="Reference releases the check used.")
    unchecked_categories = models.JSONField(default=list, blank=True)
    unchecked_checks = models.JSONField(
        default=list,
        blank=True,
        help_text="Checks the last check could not run, and why: "
        '[{"category", "check", "reason", "lines"}] (lines null for the whole claim).',
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="claims")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1, help_text="Raised on every save; guards concurrent edits.")
    queue_reason = models.CharField(
        max_length=16, choices=QueueReason.choices, blank=True, help_text="Why the claim waits for review; blank: not."
    )
    first_check_risk = models.CharField(
        max_length=6, choices=Risk.choices, blank=True, help_text="Risk of the claim's first check (dashboard)."
    )
    first_checked_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.TextField(blank=True)

    # --- the rest of the CMS-1500 (02/12); each field names its box and the 837P element it maps to ---------
    # box 5, the patient's address and phone (2010CA N3/N4; 2010BA when the patient is the insured)
    patient_address_line1 = models.CharField("patient's address", max_length=55, blank=True)
    patient_address_line2 = models.CharField("patient's address line 2", max_length=55, blank=True)
    patient_city = models.CharField("patient's city", max_length=30, blank=True)
    patient_state = state_field("patient's state")
    patient_zip_code = zip_field("patient's ZIP code")
    patient_phone = phone_field("patient's phone")
    # box 6 (SBR02; PAT01 when not self); boxes 4, 7, 11, 11a-c: the insured (2000B SBR, 2010BA NM1*IL)
    patient_relationship = models.CharField(
        "patient's relationship to insured", max_length=2, choices=Relationship.choices, default=Relationship.SELF
    )
    insured_last_name = models.CharField("insured's last name", max_length=60, blank=True)
    insured_first_name = models.CharField("insured's first name", max_length=35, blank=True)
    insured_address_line1 = models.CharField("insured's address", max_length=55, blank=True)
    insured_address_line2 = models.CharField("insured's address line 2", max_length=55, blank=True)
    insured_city = models.CharField("insured's city", max_length=30, blank=True)
    insured_state = state_field("insured's state")
    insured_zip_code = zip_field("insured's ZIP code")
    insured_group_number = models.CharField("insured's policy group or FECA number", max_length=50, blank=True)
    insured_dob = models.DateField("insured's date of birth", null=True, blank=True)
    insured_sex = models.CharField("insured's sex", max_length=1, choices=Sex.choices, blank=True)
    other_claim_id = models.CharField("other claim ID", max_length=50, blank=True)  # REF*Y4
    insured_plan_name = models.CharField("insurance plan name", max_length=60, blank=True)
    # boxes 11d, 9, 9a, 9d: another plan for coordination of benefits (2320 SBR, 2330A NM1*IL, 2330B NM1*PR)
    has_other_plan = models.BooleanField("another health benefit plan", default=False)
    other_insured_last_name = models.CharField("other insured's last name", max_length=60, blank=True)
    other_insured_first_name = models.CharField("other insured's first name", max_length=35, blank=True)
    other_insured_member_id = models.CharField("other insured's member ID", max_length=80, blank=True)
    other_insured_group_number = models.CharField("other insured's policy or group number", max_length=50, blank=True)
    other_insured_plan_name = models.CharField("other insurance plan name", max_length=60, blank=True)
    secondary_payer = models.ForeignKey(
        Payer, on_delete=models.PROTECT, null=True, blank=True, related_name="secondary_claims"
    )
    # box 10a-c: condition related to (CLM11-1..3 EM, AA, OA; CLM11-4 the auto accident's state)
    employment_related = models.BooleanField("related to employment", default=False)
    auto_accident = models.BooleanField(default=False)
    auto_accident_state = state_field("auto accident state")
    other_accident = models.BooleanField(default=False)
    # box 14 (DTP*431 or DTP*484)
    current_illness_date = models.DateField("date of current illness", null=True, blank=True)
    current_illness_qualifier = models.CharField(
        "date of current illness qualifier", max_length=3, choices=IllnessDateQualifier.choices, blank=True
    )
    # boxes 17, 17b (2310A NM1*DN; DK ordering: 2420E NM1*DK on the lines)
    referring_qualifier = models.CharField(
        "referring provider qualifier", max_length=2, choices=ReferringQualifier.choices, blank=True
    )
    referring_last_name = models.CharField("referring provider last name", max_length=60, blank=True)
    referring_first_name = models.CharField("referring provider first name", max_length=35, blank=True)
    referring_npi = models.CharField("referring provider NPI", max_length=10, blank=True, validators=[validate_npi])
    # box 19 (NTE*ADD)
    additional_info = models.CharField("additional claim information", max_length=80, blank=True)
    # box 22 (CLM05-3; REF*F8)
    frequency_code = models.CharField(
        "resubmission code", max_length=1, choices=ClaimFrequency.choices, default=ClaimFrequency.ORIGINAL
    )
    original_reference = models.CharField("original reference number", max_length=50, blank=True)
    # box 26 (CLM01)
    patient_account_number = models.CharField("patient's account number", max_length=38, blank=True)
    # boxes 32, 32a (2310C NM1*77 N3/N4)
    facility_name = models.CharField("service facility", max_length=60, blank=True)
    facility_address_line1 = models.CharField("service facility address", max_length=55, blank=True)
    facility_address_line2 = models.CharField("service facility address line 2", max_length=55, blank=True)
    facility_city = models.CharField("service facility city", max_length=30, blank=True)
    facility_state = state_field("service facility state")
    facility_zip_code = zip_field("service facility ZIP code")
    facility_npi = models.CharField("service facility NPI", max_length=10, blank=True, validators=[validate_npi])
    # box 33 (2010AA NM1*85 N3/N4 PER TE), from the Provider record of the billing NPI
    billing_name = models.CharField("billing provider name", max_length=60, blank=True)
    billing_address_line1 = models.CharField("billing provider address", max_length=55, blank=True)
    billing_address_line2 = models.CharField("billing provider address line 2", max_length=55, blank=True)
    billing_city = models.CharField("billing provider city", max_length=30, blank=True)
    billing_state = state_field("billing provider state")
    billing_zip_code = zip_field("billing provider ZIP code")
    billing_phone = phone_field("billing provider phone")

    objects = ClaimQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [
            ("view_all_claims", "Can see every biller's claims"),
            ("review_claim", "Can review claims: the review queue, decisions, the dashboard"),
            ("void_claim", "Can void a claim (claims are never deleted)"),
            ("check_claim", "Can check claims"),  # the batch check API (POST /api/claims/scrub/)
        ]
        indexes = [  # the claim list's filters and sorts, for billers (their own claims) and supervisors
            models.Index(fields=["created_by", "-created_at"]),
            models.Index(fields=["created_by", "updated_at"]),
            models.Index(fields=["created_by", "date_of_service"]),
            models.Index(fields=["status", "-created_at"]),
            models.Index(fields=["date_of_service"]),
            models.Index(fields=["updated_at"]),
            models.Index(fields=["risk"]),
            models.Index(fields=["first_checked_at"]),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("claims:claim_detail", args=[self.pk])

    def delete(self, *args, **kwargs):
        raise ClaimNotDeletable(f"{self.number} cannot be deleted; void it instead (with a reason).")

    @property
    def number(self) -> str:
        return f"CLM-{self.pk:06d}" if self.pk else "New claim"

    @property
    def checks_not_run(self) -> int:
        """How many checks the last check could not run (claims checked before the per-check list
        was kept count their categories)."""
        return len(self.unchecked_checks) or len(self.unchecked_categories)

    @property
    def is_editable(self) -> bool:
        """Billers may change a claim until it waits for review, is approved, sent or voided (a sent claim is
        corrected by a new claim with frequency 7, replacement, naming the payer's claim number)."""
        if self.status in (ClaimStatus.FLAGGED, ClaimStatus.SENT, ClaimStatus.VOIDED) or self.queue_reason:
            return False
        return not (self.status == ClaimStatus.REVIEWED and self.review_outcome == ReviewOutcome.APPROVED)

    @property
    def is_exportable(self) -> bool:
        """Ready and not waiting for review, or approved by a reviewer: what an 837P export may send."""
        if self.status == ClaimStatus.READY:
            return not self.queue_reason
        return self.status == ClaimStatus.REVIEWED and self.review_outcome == ReviewOutcome.APPROVED

    @property
    def is_returned(self) -> bool:
        """Returned by a reviewer and not yet sent again: marked in the biller's list, the note on the entry page."""
        return self.review_outcome == ReviewOutcome.RETURNED and self.status in (ClaimStatus.DRAFT, ClaimStatus.CHECKED)

    @property
    def patient_name(self) -> str:
        return f"{self.patient_last_name}, {self.patient_first_name}"

    def diagnosis_by_letter(self) -> dict[str, str]:
        return dict(zip(DIAGNOSIS_LETTERS, self.diagnoses, strict=False))

    # --- the rest of the CMS-1500 -------------------------------------------------------------------------
    @property
    def total_charge(self) -> Decimal:
        """Box 28 (837P CLM02): the sum of the lines' charges, never stored (uses prefetched lines)."""
        return sum((line.charge for line in self.lines.all()), Decimal("0.00"))

    @property
    def insured_is_patient(self) -> bool:
        return self.patient_relationship == Relationship.SELF

    @property
    def related_causes(self) -> list[str]:
        """Box 10a-c as 837P CLM11-1..3: EM employment, AA auto accident, OA other accident."""
        flags = ((self.employment_related, "EM"), (self.auto_accident, "AA"), (self.other_accident, "OA"))
        return [code for flag, code in flags if flag]

    def insured_from_patient(self) -> None:
        """Relationship *self*: boxes 4, 7 and 11a are the patient's (2, 5, 3), copied, never keyed twice."""
        if not self.insured_is_patient:
            return
        self.insured_last_name, self.insured_first_name = self.patient_last_name, self.patient_first_name
        self.insured_dob, self.insured_sex = self.patient_dob, self.patient_sex
        for part in PostalAddress.ADDRESS_FIELDS:
            setattr(self, f"insured_{part}", getattr(self, f"patient_{part}"))

    def billing_from_provider(self, provider: Provider | None) -> None:
        """Box 33 from the practice's Provider record of the billing NPI: fills what is blank, keeps what was
        entered (a billing provider from outside the list is keyed, or imported)."""
        if provider is None:
            return
        if not self.billing_name:
            self.billing_name = provider.name
        if not any(getattr(self, f"billing_{part}") for part in PostalAddress.ADDRESS_FIELDS):
            for part in PostalAddress.ADDRESS_FIELDS:
                setattr(self, f"billing_{part}", getattr(provider, part))
        if not self.billing_phone:
            self.billing_phone = provider.phone

    def clean(self):
        """The boxes that go together (the messages name the boxes, as the entry form's do)."""
        errors: dict[str, str] = {}
        if self.frequency_code in (ClaimFrequency.REPLACEMENT, ClaimFrequency.VOID) and not self.original_reference:
            errors["original_reference"] = (
                f"A {self.get_frequency_code_display().split(' · ')[1]} needs the original reference number "
                "(22): the payer's claim number of the claim it replaces or voids."
            )
        if self.auto_accident and not self.auto_accident_state:
            errors["auto_accident_state"] = "An auto accident (10b) needs the state where it happened."
        if (self.auto_accident or self.other_accident) and not self.current_illness_date:
            errors["current_illness_date"] = (
                "An accident (10b, 10c) needs the date of the injury (14, qualifier 431): the 837P sends it as "
                "the accident date."
            )
        if self.has_other_plan:
            missing = [
                label
                for name, label in (
                    ("other_insured_last_name", "the other insured's last name"),
                    ("other_insured_first_name", "first name"),
                    ("other_insured_member_id", "member ID (9)"),
                )
                if not getattr(self, name)
            ]
            if missing:
                errors["other_insured_last_name"] = f"Another plan (11d yes) needs {', '.join(missing)}."
            if not self.secondary_payer_id:
                errors["secondary_payer"] = "Another plan (11d yes) needs the other payer."
        if self.secondary_payer_id and self.secondary_payer_id == self.payer_id:
            errors["secondary_payer"] = "The other payer (9d) is the claim's own payer."
        if self.current_illness_date and not self.current_illness_qualifier:
            errors["current_illness_qualifier"] = "A date of current illness (14) needs its qualifier: 431 or 484."
        if self.current_illness_qualifier and not self.current_illness_date:
            errors["current_illness_date"] = "The qualifier (14) needs the date of current illness."
        if self.current_illness_date and self.date_of_service and self.current_illness_date > self.date_of_service:
            errors["current_illness_date"] = (
                f"The date of current illness {self.current_illness_date:%m/%d/%Y} is after the date of service "
                f"{self.date_of_service:%m/%d/%Y}."
            )
        referring = self.referring_last_name or self.referring_npi or self.referring_first_name
        if referring and not self.referring_qualifier:
            errors["referring_qualifier"] = "A referring or ordering provider (17) needs its qualifier: DN or DK."
        if self.referring_qualifier and not (self.referring_last_name and self.referring_npi):
            errors["referring_last_name"] = "The referring or ordering provider (17) needs a last name and NPI (17b)."
        if errors:
            raise ValidationError(errors)


class ClaimLine(models.Model):
    """One service line (CMS-1500 box 24, 837P loop 2400)."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="lines")
    number = models.PositiveSmallIntegerField()
    date_of_service = models.DateField(null=True, blank=True, help_text="Blank: the claim's date of service.")
    place_of_service = models.CharField(max_length=2, blank=True, help_text="Blank: the claim's place of service.")
    code = models.CharField("CPT/HCPCS", max_length=5)
    modifiers = models.JSONField(default=list, blank=True)
    units = models.DecimalField(max_digits=9, decimal_places=3, default=1)
    charge = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    dx_pointers = models.CharField("diagnosis pointers", max_length=4, blank=True, help_text="Letters A-L, e.g. AB.")
    ndc = models.CharField("NDC", max_length=11, blank=True, help_text="11 digits, 5-4-2, without dashes.")
    ndc_unit = models.CharField("NDC unit", max_length=2, choices=NDCUnit.choices, blank=True)
    ndc_quantity = models.DecimalField("NDC quantity", max_digits=12, decimal_places=3, null=True, blank=True)
    dose_amount = models.DecimalField("dose given", max_digits=12, decimal_places=3, null=True, blank=True)
    dose_unit = models.CharField(max_length=10, blank=True, help_text="mg, mcg, units, mL …")
    dose_discarded = models.DecimalField("dose discarded", max_digits=12, decimal_places=3, null=True, blank=True)
    container = models.CharField(max_length=12, choices=Container.choices, blank=True)
    narrative = models.CharField(max_length=80, blank=True, help_text="Line note (box 19 / NTE): drug name, dose …")

    class Meta:
        ordering = ["claim", "number"]
        constraints = [models.UniqueConstraint(fields=["claim", "number"], name="claim_line_number_unique")]
        indexes = [models.Index(fields=["code"])]

    def __str__(self):
        return f"{self.claim} line {self.number}: {self.code}"

    @property
    def has_drug_data(self) -> bool:
        return bool(self.ndc or self.ndc_unit or self.ndc_quantity is not None or self.dose_amount is not None)


class ClaimFinding(models.Model):
    """A finding of the last check, kept with the claim; an error may carry the biller's override."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="findings")
    line_number = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Blank: a claim-level finding.")
    rule = models.CharField(max_length=32)
    category = models.CharField(max_length=16, choices=Category.choices)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    message = models.TextField()
    hint = models.TextField(blank=True)
    carc = models.CharField("CARC", max_length=20, blank=True)
    rarc = models.CharField("RARC", max_length=20, blank=True)
    source = models.TextField(blank=True)
    data_release = models.CharField(max_length=64, blank=True)
    code = models.CharField(max_length=5, blank=True, help_text="The line's code when checked (dashboard).")
    override_reason = models.TextField(blank=True, help_text="Why the biller sends the claim despite this finding.")
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    overridden_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["claim", "line_number", "id"]
        indexes = [models.Index(fields=["category", "claim"]), models.Index(fields=["rule", "claim"])]

    def __str__(self):
        where = f"line {self.line_number}" if self.line_number else "claim"
        return f"{self.rule} ({where})"

    @property
    def key(self) -> str:
        """Identifies the finding across checks: line and rule (one finding per line and rule, §0.6)."""
        return f"{self.line_number or 0}:{self.rule}"


class ClaimStatusChange(models.Model):
    """The claim's status history: every transition, who made it and why (the full trail is in ``audit``)."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="status_changes")
    from_status = models.CharField(max_length=10, choices=ClaimStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=ClaimStatus.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["claim", "at", "id"]

    def __str__(self):
        return f"{self.claim}: {self.from_status or 'new'} → {self.to_status}"


# --- review -------------------------------------------------------------------------------------------
class ReviewSettings(models.Model):
    """How many ready claims supervisors sample for audit (one row, kept in the admin)."""

    risk_sample_percent = models.DecimalField(
        "risk-weighted sample (%)",
        max_digits=5,
        decimal_places=2,
        default=10,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Chance that a ready claim of medium risk is sampled; low risk half of it, high risk twice it, "
        "no risk none (capped at 100 %).",
    )
    random_sample_percent = models.DecimalField(
        "random sample (%)",
        max_digits=5,
        decimal_places=2,
        default=2,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Chance that any ready claim not taken by the risk sample is sampled, whatever its risk.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "review settings"
        verbose_name_plural = "review settings"

    def __str__(self):
        return f"Sampling: risk-weighted {self.risk_sample_percent} %, random {self.random_sample_percent} %"

    @classmethod
    def current(cls) -> ReviewSettings:
        settings_row, _ = cls.objects.get_or_create(pk=1)
        return settings_row


class SnapshotImmutable(Exception):
    """A snapshot is what was sent for review; it never changes."""


class ClaimSnapshot(models.Model):
    """What the biller sent (ready or flagged), frozen: header, the patient as entered, providers, lines,
    findings with their data releases, and every override with who and when. Reviews decide on it."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="snapshots")
    number = models.PositiveSmallIntegerField(help_text="1 for the first submission, 2 for the next …")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=ClaimStatus.choices, help_text="Where the submission sent it.")
    risk = models.CharField(max_length=6, choices=Risk.choices)
    queue_reason = models.CharField(max_length=16, choices=QueueReason.choices, blank=True)
    sampling = models.CharField(max_length=300, blank=True, help_text="Why it is (or is not) in the review queue.")
    data = models.JSONField()

    class Meta:
        ordering = ["claim", "number"]
        constraints = [models.UniqueConstraint(fields=["claim", "number"], name="claim_snapshot_number_unique")]

    def __str__(self):
        return f"{self.claim} submission {self.number}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise SnapshotImmutable("A snapshot of a submitted claim cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise SnapshotImmutable("A snapshot of a submitted claim cannot be deleted.")


class ClaimReview(models.Model):
    """A claim waiting in, or decided from, the review queue: one per snapshot that entered the queue."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="reviews")
    snapshot = models.OneToOneField(ClaimSnapshot, on_delete=models.PROTECT, related_name="review")
    reason = models.CharField(max_length=16, choices=QueueReason.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="assigned_reviews"
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=ReviewOutcome.choices, blank=True)
    note = models.TextField(blank=True, help_text="The reviewer's note; required when the claim is returned.")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["outcome", "created_at"]),
            models.Index(fields=["assignee", "outcome"]),
        ]

    def __str__(self):
        return f"Review of {self.claim} ({self.get_reason_display()})"

    @property
    def is_open(self) -> bool:
        return not self.outcome

    @property
    def rejected_decisions(self) -> list[OverrideDecision]:
        return [d for d in self.decisions.all() if d.decision == OverrideDecisionChoice.REJECTED]


class OverrideDecision(models.Model):
    """The reviewer's decision on one override of the snapshot: accepted, or rejected with a note."""

    review = models.ForeignKey(ClaimReview, on_delete=models.PROTECT, related_name="decisions")
    finding_key = models.CharField(max_length=48, help_text="<line or 0>:<rule>, as ClaimFinding.key.")
    rule = models.CharField(max_length=32)
    line_number = models.PositiveSmallIntegerField(null=True, blank=True)
    decision = models.CharField(max_length=10, choices=OverrideDecisionChoice.choices)
    note = models.TextField(blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["review", "line_number", "rule"]
        constraints = [
            models.UniqueConstraint(fields=["review", "finding_key"], name="override_decision_unique"),
        ]
        indexes = [models.Index(fields=["rule", "decision"])]

    def __str__(self):
        return f"{self.finding_key}: {self.decision}"
