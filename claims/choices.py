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
    SENT = "sent", "Sent"  # exported in an 837P interchange (edi); a correction is a new claim (frequency 7)
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


# --- the rest of the CMS-1500 (02/12), with the 837P codes as values so they map 1:1 -----------------------
class Relationship(models.TextChoices):
    """Patient's relationship to the insured (box 6): 837P SBR02 (and PAT01 when not self)."""

    SELF = "18", "Self"
    SPOUSE = "01", "Spouse"
    CHILD = "19", "Child"
    OTHER = "G8", "Other"


class IllnessDateQualifier(models.TextChoices):
    """Box 14 qualifier of the date of current illness: 837P DTP01."""

    ONSET = "431", "431 · onset of current symptoms or illness"
    LAST_MENSTRUAL_PERIOD = "484", "484 · last menstrual period"


class ReferringQualifier(models.TextChoices):
    """Box 17 qualifier: 837P NM101 of 2310A (DN referring) or 2420E (DK ordering, on the lines)."""

    REFERRING = "DN", "DN · referring provider"
    ORDERING = "DK", "DK · ordering provider"


class ClaimFrequency(models.TextChoices):
    """Box 22 resubmission code: 837P CLM05-3."""

    ORIGINAL = "1", "1 · original claim"
    REPLACEMENT = "7", "7 · replacement of a prior claim"
    VOID = "8", "8 · void of a prior claim"
