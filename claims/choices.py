"""Choice lists for claims, payers and findings."""

from django.db import models


class PayerType(models.TextChoices):
    MEDICARE = "medicare", "Medicare"
    MEDICAID = "medicaid", "Medicaid"
    COMMERCIAL = "commercial", "Commercial"


class ProviderKind(models.TextChoices):
    CLINICIAN = "clinician", "Clinician (rendering, 24J)"
    ORGANISATION = "organisation", "Practice or group (billing, 33a)"


class Severity(models.TextChoices):
    ERROR = "ERROR", "Error"
    WARNING = "WARNING", "Warning"
    INFO = "INFO", "Info"


class Category(models.TextChoices):
    FORMAT = "FORMAT", "Format"
    CODE_VALIDITY = "CODE_VALIDITY", "Code validity"
    NCCI_PTP = "NCCI_PTP", "NCCI PTP (unbundling)"
    MUE = "MUE", "MUE (units)"
    ADD_ON = "ADD_ON", "Add-on codes"
    MODIFIER = "MODIFIER", "Modifiers"
    DRUG = "DRUG", "Drugs"
    PAYER_RULE = "PAYER_RULE", "Payer rules"
    DEMOGRAPHIC = "DEMOGRAPHIC", "Demographics"
    EM = "EM", "Evaluation and management"
    GLOBAL_SURGERY = "GLOBAL_SURGERY", "Global surgery"
    DUPLICATE = "DUPLICATE", "Duplicates"
    TIMELY_FILING = "TIMELY_FILING", "Timely filing"
    AUTHORIZATION = "AUTHORIZATION", "Authorization"


class Risk(models.TextChoices):
    NONE = "none", "None"
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class Sex(models.TextChoices):
    FEMALE = "F", "Female"
    MALE = "M", "Male"
    UNKNOWN = "U", "Unknown"


class ClaimStatus(models.TextChoices):
    """Where a claim is in its life (services in ``claims.services`` own every transition)."""

    DRAFT = "draft", "Draft"
    CHECKED = "checked", "Checked"
    READY = "ready", "Ready to send"
    FLAGGED = "flagged", "Flagged for review"
    REVIEWED = "reviewed", "Reviewed"
    VOIDED = "voided", "Voided"


class ReviewOutcome(models.TextChoices):
    APPROVED = "approved", "Approved"
    RETURNED = "returned", "Returned to the biller"


class QueueReason(models.TextChoices):
    """Why a claim is in the supervisors' review queue."""

    FLAGGED = "flagged", "Flagged (errors overridden)"
    RISK_SAMPLE = "risk_sample", "Risk-weighted sample"
    RANDOM_SAMPLE = "random_sample", "Random sample"
    RESUBMITTED = "resubmitted", "Resubmitted after return"


class OverrideDecisionChoice(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class Container(models.TextChoices):
    SINGLE_DOSE = "single_dose", "Single-dose vial"
    MULTI_DOSE = "multi_dose", "Multi-dose vial"


class NDCUnit(models.TextChoices):
    """NDC units of measure of the 837P (CTP05-1) and the CMS-1500 shaded line."""

    F2 = "F2", "F2 · international unit"
    GR = "GR", "GR · gram"
    ME = "ME", "ME · milligram"
    ML = "ML", "ML · millilitre"
    UN = "UN", "UN · unit (each)"
