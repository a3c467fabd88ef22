"""Reference data the rules engine reads: code sets, modifiers and the CMS edit tables.

Two kinds of table:

* catalogues updated in place (procedure codes, modifiers, places of service): one row per code,
  pointing at the release that last loaded it;
* snapshot tables (PTP, MUE, add-on edits, fee-schedule indicators, ASP limits, NDC crosswalk):
  every release keeps its own rows, so a claim is checked against the release that applied on its
  date of service (see ``codes.selectors``).
"""

from datetime import date

from django.db import models

from .choices import (
    SOURCE_TABLE,
    AddOnEditType,
    CodeOrigin,
    CodeSystem,
    CPTCategory,
    DrugRoute,
    FacilityType,
    ModifierKind,
    MUEAdjudication,
    MUEServiceType,
    NCCIModifierGroup,
    PTPModifierIndicator,
    PTPSetting,
    Source,
)
from .dates import applies_between


class Release(models.Model):
    """One imported file for one table: where it came from and what it changed."""

    source = models.CharField(max_length=32, choices=Source.choices, db_index=True)
    label = models.CharField(max_length=64, help_text="Release as CMS names it, e.g. '2026 January'.")
    effective_date = models.DateField(help_text="First date of service this release applies to.")
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    imported_by = models.CharField(max_length=150, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)
    is_starter = models.BooleanField(default=False, help_text="Loaded from ClaimDesk's starter data set.")
    added = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    terminated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["source", "-effective_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "label"], name="release_unique_source_label"),
        ]

    def __str__(self):
        return f"{self.get_source_display()} {self.label}"

    @property
    def table(self) -> str:
        return SOURCE_TABLE[Source(self.source)]

    def summary_line(self) -> str:
        return (
            f"imported {self.table} {self.label}: added {self.added}, changed {self.changed}, "
            f"terminated {self.terminated}, unchanged {self.unchanged}, total {self.total}"
        )


class ProcedureCode(models.Model):
    """A CPT or HCPCS Level II code and the facts the rules need about it."""

    code = models.CharField(max_length=5, unique=True)
    system = models.CharField(max_length=5, choices=CodeSystem.choices, db_index=True)
    cpt_category = models.CharField(max_length=3, choices=CPTCategory.choices, blank=True)
    hcpcs_section = models.CharField(max_length=1, blank=True, help_text="HCPCS Level II section letter.")
    section = models.CharField(max_length=80, blank=True, db_index=True)
    label = models.CharField(
        max_length=120, blank=True, help_text="ClaimDesk's own short plain-language label (never AMA text)."
    )
    short_description = models.CharField(max_length=100, blank=True)
    long_description = models.TextField(blank=True)
    added_date = models.DateField(null=True, blank=True)
    action_effective_date = models.DateField(null=True, blank=True)
    termination_date = models.DateField(null=True, blank=True, help_text="Last date of service it is valid.")
    action_code = models.CharField(max_length=1, blank=True)
    coverage_code = models.CharField(max_length=1, blank=True, help_text="HCPCS Medicare coverage code.")
    pricing_indicators = models.CharField(max_length=11, blank=True)
    betos = models.CharField(max_length=3, blank=True)
    type_of_service = models.CharField(max_length=5, blank=True)
    is_add_on = models.BooleanField(default=False)
    is_unlisted = models.BooleanField(default=False, help_text="Unlisted CPT or not-otherwise-classified code.")
    is_drug = models.BooleanField(default=False)
    drug_dose_amount = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    drug_dose_unit = models.CharField(max_length=16, blank=True)
    drug_route = models.CharField(max_length=16, choices=DrugRoute.choices, blank=True)
    origin = models.CharField(max_length=16, choices=CodeOrigin.choices)
    origin_note = models.CharField(
        max_length=120, blank=True, help_text="Where a code seen only in an edit file came from."
    )
    release = models.ForeignKey(Release, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["system", "section"])]

    def __str__(self):
        text = self.label or self.short_description
        return f"{self.code} {text}".strip()

    @property
    def description(self) -> str:
        """What to show a biller: the licensed/CMS text when loaded, else our own label."""
        return self.long_description or self.short_description or self.label

    def is_valid_on(self, dos: date) -> bool:
        """Valid from the date CMS/AMA added it through its termination date (the last valid day)."""
        return applies_between(dos, self.added_date, self.termination_date, end_exclusive=False)


class Modifier(models.Model):
    code = models.CharField(max_length=2, unique=True)
    kind = models.CharField(max_length=5, choices=ModifierKind.choices)
    description = models.TextField(blank=True)
    short_description = models.CharField(max_length=100, blank=True)
    effective_date = models.DateField(null=True, blank=True)
    termination_date = models.DateField(null=True, blank=True)
    ncci_group = models.CharField(
        max_length=16,
        choices=NCCIModifierGroup.choices,
        blank=True,
        help_text="NCCI-associated modifier group (may bypass a PTP edit with indicator 1).",
    )
    release = models.ForeignKey(Release, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.short_description or self.description[:60]}".strip()

    def is_valid_on(self, dos: date) -> bool:
        return applies_between(dos, self.effective_date, self.termination_date, end_exclusive=False)


class PlaceOfService(models.Model):
    code = models.CharField(max_length=2, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    facility_type = models.CharField(max_length=16, choices=FacilityType.choices)
    release = models.ForeignKey(Release, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["code"]
        verbose_name = "place of service"
        verbose_name_plural = "places of service"

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def is_assigned(self) -> bool:
        return self.facility_type != FacilityType.UNASSIGNED


class FeeScheduleIndicator(models.Model):
    """PFS relative value file indicators for a code (and modifier), per release."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="fee_schedule_rows")
    code = models.CharField(max_length=5)
    modifier = models.CharField(max_length=2, blank=True)
    status = models.CharField(max_length=1)
    not_used_for_medicare = models.BooleanField(default=False)
    pctc_indicator = models.CharField(max_length=1, blank=True)
    global_days = models.CharField(max_length=3, blank=True)
    multiple_procedure = models.CharField(max_length=1, blank=True)
    bilateral_surgery = models.CharField(max_length=1, blank=True)
    assistant_surgery = models.CharField(max_length=1, blank=True)
    co_surgery = models.CharField(max_length=1, blank=True)
    team_surgery = models.CharField(max_length=1, blank=True)

    class Meta:
        ordering = ["code", "modifier"]
        constraints = [
            models.UniqueConstraint(fields=["release", "code", "modifier"], name="fee_schedule_unique_row"),
        ]

    def __str__(self):
        return f"{self.code}{'-' + self.modifier if self.modifier else ''} status {self.status}"


class PTPEdit(models.Model):
    """An NCCI procedure-to-procedure edit: column 2 is not paid with column 1 (same provider, same day)."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="ptp_rows")
    setting = models.CharField(max_length=16, choices=PTPSetting.choices)
    column_1 = models.CharField(max_length=5)
    column_2 = models.CharField(max_length=5)
    in_existence_prior_1996 = models.BooleanField(default=False)
    effective_date = models.DateField(null=True, blank=True)
    deletion_date = models.DateField(null=True, blank=True, help_text="First date the edit no longer applies.")
    modifier_indicator = models.PositiveSmallIntegerField(choices=PTPModifierIndicator.choices)
    rationale = models.CharField(max_length=120, blank=True)

    class Meta:
        verbose_name = "PTP edit"
        indexes = [
            models.Index(fields=["release", "column_1"], name="ptp_release_col1"),
            # Column 2 then column 1: the pairs among a claim's codes (both in lists) are found in the index
            # alone, not among every row of the column-2 codes (about 20,000 rows for a 20-line claim).
            models.Index(fields=["release", "column_2", "column_1"], name="ptp_release_col2_col1"),
        ]

    def __str__(self):
        return f"{self.column_1} / {self.column_2} (indicator {self.modifier_indicator})"

    def applies_on(self, dos: date) -> bool:
        """Active on the date: effective <= DOS < deletion (catalogue §3.3)."""
        return applies_between(dos, self.effective_date, self.deletion_date, end_exclusive=True)


class MUELimit(models.Model):
    """A medically unlikely edit: the most units of a code one provider bills for one patient on one day."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="mue_rows")
    code = models.CharField(max_length=5)
    service_type = models.CharField(max_length=24, choices=MUEServiceType.choices)
    value = models.PositiveIntegerField()
    adjudication_indicator = models.PositiveSmallIntegerField(choices=MUEAdjudication.choices)
    rationale = models.CharField(max_length=120, blank=True)

    class Meta:
        verbose_name = "MUE limit"
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["release", "code"], name="mue_unique_release_code"),
        ]

    def __str__(self):
        return f"{self.code} MUE {self.value} (MAI {self.adjudication_indicator})"


class AddOnEdit(models.Model):
    """An NCCI add-on code edit: the add-on code and a primary code it may be billed with."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="addon_rows")
    add_on_code = models.CharField(max_length=5)
    primary_code = models.CharField(max_length=5, help_text="CCCCC = primary codes defined by the contractor.")
    edit_type = models.PositiveSmallIntegerField(choices=AddOnEditType.choices)
    add_on_deletion_date = models.DateField(null=True, blank=True)
    primary_deletion_date = models.DateField(null=True, blank=True)
    effective_date = models.DateField(null=True, blank=True)
    deletion_date = models.DateField(null=True, blank=True, help_text="Last date of service the edit applies.")
    notes = models.CharField(max_length=255, blank=True)

    class Meta:
        verbose_name = "add-on code edit"
        ordering = ["add_on_code", "primary_code"]
        indexes = [
            models.Index(fields=["release", "add_on_code"], name="aoc_release_addon"),
            models.Index(fields=["release", "primary_code"], name="aoc_release_primary"),
        ]

    def __str__(self):
        return f"{self.add_on_code} with {self.primary_code} (type {self.edit_type})"

    def applies_on(self, dos: date) -> bool:
        """Active from the edit's effective date through its deletion date (the last day it applies)."""
        return applies_between(dos, self.effective_date, self.deletion_date, end_exclusive=False)


class ASPLimit(models.Model):
    """Medicare Part B drug payment limit per billing unit, per quarter."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="asp_rows")
    code = models.CharField(max_length=5)
    dosage = models.CharField(max_length=120, help_text="Billing unit as CMS states it, e.g. '10 MG'.")
    dosage_amount = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    dosage_unit = models.CharField(max_length=16, blank=True)
    payment_limit = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    coinsurance_percent = models.DecimalField(max_digits=6, decimal_places=3, null=True, blank=True)

    class Meta:
        verbose_name = "ASP drug limit"
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["release", "code"], name="asp_unique_release_code"),
        ]

    def __str__(self):
        return f"{self.code} {self.dosage} ${self.payment_limit}"


class NDCCrosswalk(models.Model):
    """Which drug products (NDCs) bill under which HCPCS code, and how many billing units a package holds."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="ndc_rows")
    ndc = models.CharField(
        max_length=12,
        help_text="11-digit NDC (5-4-2 without dashes), or the 12-digit device identifier CMS gives some products.",
    )
    code = models.CharField(max_length=5)
    labeler = models.CharField(max_length=120, blank=True)
    drug_name = models.CharField(max_length=120, blank=True)
    hcpcs_dosage = models.CharField(max_length=120, blank=True)
    package_size = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    package_quantity = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    billing_units = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    billing_units_per_package = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)

    class Meta:
        verbose_name = "NDC-HCPCS crosswalk row"
        ordering = ["code", "ndc"]
        indexes = [
            models.Index(fields=["release", "code"], name="ndc_release_code"),
            models.Index(fields=["release", "ndc"], name="ndc_release_ndc"),
        ]

    def __str__(self):
        return f"{self.ndc} -> {self.code}"


class DiagnosisCode(models.Model):
    """An ICD-10-CM code of one edition (a release of source ``icd10cm``), billable or a header.

    An edition is the code set of one federal fiscal year (October 1 to September 30): its release's
    effective date is the first day it applies to, and its fiscal year is ``fiscal_year(effective_date)``
    (``codes.icd10cm``). Codes are bare, upper case, without the dot (``E66811``); headers (categories
    and subcategories, not billable) are kept so a header can be told from an unknown code.
    ICD-10-CM codes and descriptions are public domain.
    """

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="diagnosis_rows")
    code = models.CharField(max_length=7, help_text="Bare, upper case, no dot (E66811).")
    billable = models.BooleanField(help_text="False for a header: a category or subcategory with codes below it.")
    description = models.TextField(blank=True)

    class Meta:
        verbose_name = "ICD-10-CM diagnosis code"
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["release", "code"], name="diagnosis_unique_release_code"),
        ]

    def __str__(self):
        return f"{self.dotted} {self.description}".strip()

    @property
    def dotted(self) -> str:
        return f"{self.code[:3]}.{self.code[3:]}" if len(self.code) > 3 else self.code
