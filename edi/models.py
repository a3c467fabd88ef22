"""What goes out and what comes in: clearinghouses with their interchange settings, the 837P interchanges
ClaimDesk wrote (with their control numbers, never reused) and the 837P files it read (by SHA-256, never read
twice)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models

from claims.models import Claim

MAX_CONTROL_NUMBER = 999_999_999  # ISA13 and GS06 are at most nine digits

# ISA fields are fixed width and may not hold a separator; IDs are letters, digits and spaces.
isa_id_validator = RegexValidator(r"^[A-Za-z0-9 ]{1,15}$", "Up to 15 letters, digits or spaces.")
qualifier_validator = RegexValidator(r"^[A-Z0-9]{2}$", "Two characters, e.g. ZZ (mutually defined) or 30 (tax ID).")
x12_text_validator = RegexValidator(r"^[^*~:^|>\\]*$", "May not hold an X12 separator (* ~ : ^ | > \\).")


class Usage(models.TextChoices):
    """ISA15: whether the receiver treats the interchange as real claims or as a test."""

    PRODUCTION = "P", "Production"
    TEST = "T", "Test"


class Clearinghouse(models.Model):
    """A receiver of 837P files with the values its companion guide asks for (admin-maintained).

    The control numbers are the last ones used; ``interchange_numbers_take`` raises them under a row lock,
    so two exports never share one and a number is never used again.
    """

    name = models.CharField(max_length=80, unique=True, help_text="As the billing team knows it.")
    active = models.BooleanField(default=True, help_text="Only active clearinghouses are offered for export.")
    usage = models.CharField(
        "usage (ISA15)",
        max_length=1,
        choices=Usage.choices,
        default=Usage.PRODUCTION,
        help_text="Test while the clearinghouse is still certifying your files.",
    )
    acknowledgment_requested = models.BooleanField(
        "ask for a TA1 (ISA14)", default=False, help_text="Ask for an interchange acknowledgment."
    )
    # ISA05-08 and GS02-03
    sender_qualifier = models.CharField(
        "sender ID qualifier (ISA05)", max_length=2, default="ZZ", validators=[qualifier_validator]
    )
    sender_id = models.CharField(
        "sender ID (ISA06)",
        max_length=15,
        validators=[isa_id_validator],
        help_text="The submitter ID the clearinghouse assigned you.",
    )
    receiver_qualifier = models.CharField(
        "receiver ID qualifier (ISA07)", max_length=2, default="ZZ", validators=[qualifier_validator]
    )
    receiver_id = models.CharField("receiver ID (ISA08)", max_length=15, validators=[isa_id_validator])
    application_sender = models.CharField(
        "application sender code (GS02)",
        max_length=15,
        blank=True,
        validators=[x12_text_validator],
        help_text="Blank: the sender ID.",
    )
    application_receiver = models.CharField(
        "application receiver code (GS03)",
        max_length=15,
        blank=True,
        validators=[x12_text_validator],
        help_text="Blank: the receiver ID.",
    )
    # 1000A submitter and 1000B receiver
    submitter_name = models.CharField(
        "submitter name (1000A NM103)", max_length=60, validators=[x12_text_validator], help_text="Your practice."
    )
    submitter_etin = models.CharField(
        "submitter ID (1000A NM109)",
        max_length=80,
        validators=[x12_text_validator],
        help_text="Electronic transmitter ID; often the sender ID.",
    )
    contact_name = models.CharField("contact name (1000A PER02)", max_length=60, validators=[x12_text_validator])
    contact_phone = models.CharField(
        "contact phone (PER TE)",
        max_length=10,
        blank=True,
        validators=[RegexValidator(r"^\d{10}$", "Ten digits, e.g. 2125550100.")],
    )
    contact_email = models.EmailField("contact e-mail (PER EM)", max_length=80, blank=True)
    receiver_name = models.CharField("receiver name (1000B NM103)", max_length=60, validators=[x12_text_validator])
    receiver_etin = models.CharField(
        "receiver ID (1000B NM109)", max_length=80, validators=[x12_text_validator], help_text="Often the receiver ID."
    )
    last_interchange_control_number = models.PositiveIntegerField(
        "last interchange control number (ISA13)",
        default=0,
        validators=[MaxValueValidator(MAX_CONTROL_NUMBER)],
        help_text="Raised by every export; may be raised by hand (never lowered) to continue another system's.",
    )
    last_group_control_number = models.PositiveIntegerField(
        "last group control number (GS06)", default=0, validators=[MaxValueValidator(MAX_CONTROL_NUMBER)]
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        from django.core.exceptions import ValidationError

        if not (self.contact_phone or self.contact_email):
            raise ValidationError({"contact_phone": "The submitter contact (1000A PER) needs a phone or an e-mail."})
        if self.pk:
            stored = (
                type(self)
                .objects.filter(pk=self.pk)
                .values("last_interchange_control_number", "last_group_control_number")[0]
            )
            errors = {
                name: "Control numbers are never lowered: a lower number would be used again."
                for name in stored
                if getattr(self, name) < stored[name]
            }
            if errors:
                raise ValidationError(errors)


class Interchange(models.Model):
    """An 837P file ClaimDesk wrote for a clearinghouse: its control numbers, name, SHA-256 and content."""

    clearinghouse = models.ForeignKey(Clearinghouse, on_delete=models.PROTECT, related_name="interchanges")
    control_number = models.PositiveIntegerField("interchange control number (ISA13)")
    group_control_number = models.PositiveIntegerField("group control number (GS06)")
    file_name = models.CharField(max_length=120)
    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.PositiveBigIntegerField(help_text="Bytes.")
    content = models.TextField(help_text="The file as written (kept to download again).")
    usage = models.CharField(max_length=1, choices=Usage.choices)
    claim_count = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    claims = models.ManyToManyField(Claim, through="InterchangeClaim", related_name="interchanges")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "837P interchange"
        permissions = [("export_claims", "Can export claims as 837P files and download them")]
        constraints = [
            models.UniqueConstraint(
                fields=["clearinghouse", "control_number"], name="interchange_control_number_unique"
            ),
            models.UniqueConstraint(
                fields=["clearinghouse", "group_control_number"], name="interchange_group_control_number_unique"
            ),
        ]

    def __str__(self):
        return self.file_name

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("edi:interchange_detail", args=[self.pk])


class InterchangeClaim(models.Model):
    """A claim as it went out in an interchange (CLM01 and the frequency it was sent with)."""

    interchange = models.ForeignKey(Interchange, on_delete=models.PROTECT, related_name="sent_claims")
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="sent_in")
    patient_control_number = models.CharField("patient control number (CLM01)", max_length=38)
    frequency_code = models.CharField(max_length=1)

    class Meta:
        ordering = ["interchange", "id"]
        constraints = [models.UniqueConstraint(fields=["interchange", "claim"], name="interchange_claim_unique")]

    def __str__(self):
        return f"{self.claim} in {self.interchange}"


class ImportedFile(models.Model):
    """An 837P file read into claims; the same bytes (SHA-256) are never read twice."""

    sha256 = models.CharField("SHA-256", max_length=64, unique=True)
    file_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(help_text="Bytes.")
    sender_id = models.CharField("sender ID (ISA06)", max_length=15, blank=True)
    interchange_control_number = models.CharField("interchange control number (ISA13)", max_length=9, blank=True)
    version = models.CharField("version (GS08)", max_length=12, blank=True)
    claim_count = models.PositiveIntegerField(default=0)
    line_count = models.PositiveIntegerField(default=0)
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    claims = models.ManyToManyField(Claim, through="ImportedClaim", related_name="imported_from")
    batch = models.OneToOneField(
        "batches.Batch",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="imported_file",
        help_text="The background batch that imports the claims (blank: imported at once, e.g. by import_837).",
    )
    created_records = models.JSONField(
        default=dict,
        blank=True,
        help_text='Payers and providers the import added, for an administrator to review: {"payers": [[id, name, '
        'type, payer ID]], "providers": [[id, name, NPI]]}.',
    )

    class Meta:
        ordering = ["-imported_at", "-id"]
        verbose_name = "imported 837P file"
        permissions = [("import_claims", "Can import 837P files of claims")]

    def __str__(self):
        return self.file_name


class ImportedClaim(models.Model):
    """A claim created from an imported file, with its place in the file."""

    imported_file = models.ForeignKey(ImportedFile, on_delete=models.PROTECT, related_name="imported_claims")
    claim = models.OneToOneField(Claim, on_delete=models.PROTECT, related_name="import_source")
    position = models.PositiveIntegerField(help_text="1 for the file's first CLM.")
    patient_control_number = models.CharField("patient control number (CLM01)", max_length=38)
    new_patient = models.BooleanField(default=False, help_text="The import added the patient's record.")
    warnings = models.JSONField(
        default=list, blank=True, help_text="What the claim could not hold as read (cut, left out, or no box for it)."
    )

    class Meta:
        ordering = ["imported_file", "position"]
        constraints = [
            models.UniqueConstraint(fields=["imported_file", "position"], name="imported_claim_position_unique")
        ]

    def __str__(self):
        return f"{self.claim} from {self.imported_file}"
