"""Choice lists for the reference data, in the billing team's words."""

from django.db import models


class CodeSystem(models.TextChoices):
    CPT = "CPT", "CPT (HCPCS Level I)"
    HCPCS = "HCPCS", "HCPCS Level II"


class CPTCategory(models.TextChoices):
    I = "I", "Category I"  # noqa: E741
    II = "II", "Category II (quality tracking)"
    III = "III", "Category III (emerging technology)"


class CodeOrigin(models.TextChoices):
    HCPCS_FILE = "hcpcs_file", "CMS HCPCS Level II file"
    CPT_FILE = "cpt_file", "Licensed CPT file"
    STARTER = "starter", "ClaimDesk starter data"
    EDIT_FILE = "edit_file", "Seen only in a CMS edit or fee-schedule file"


class DrugRoute(models.TextChoices):
    INJECTION = "injection", "Injection"
    INFUSION = "infusion", "Infusion"
    ORAL = "oral", "Oral"
    INHALATION = "inhalation", "Inhalation"
    TOPICAL = "topical", "Topical"
    INTRAVITREAL = "intravitreal", "Intravitreal"
    INTRATHECAL = "intrathecal", "Intrathecal"
    IMPLANT = "implant", "Implant"
    NASAL = "nasal", "Nasal"
    VAGINAL = "vaginal", "Vaginal"
    RECTAL = "rectal", "Rectal"
    OPHTHALMIC = "ophthalmic", "Ophthalmic"
    SUBLINGUAL = "sublingual", "Sublingual"
    TRANSDERMAL = "transdermal", "Transdermal"


class ModifierKind(models.TextChoices):
    CPT = "cpt", "CPT (numeric)"
    HCPCS = "hcpcs", "HCPCS Level II (alphanumeric)"


class NCCIModifierGroup(models.TextChoices):
    ANATOMIC = "anatomic", "Anatomic"
    GLOBAL_SURGERY = "global_surgery", "Global surgery"
    OTHER = "other", "Other"


class PTPSetting(models.TextChoices):
    PRACTITIONER = "practitioner", "Practitioner"
    HOSPITAL = "hospital", "Outpatient hospital"


class MUEServiceType(models.TextChoices):
    PRACTITIONER = "practitioner", "Practitioner services"
    OUTPATIENT_HOSPITAL = "outpatient_hospital", "Outpatient hospital services"
    DME = "dme", "DME supplier services"


class MUEAdjudication(models.IntegerChoices):
    LINE = 1, "1 Line edit"
    DOS_POLICY = 2, "2 Date of service edit: policy"
    DOS_CLINICAL = 3, "3 Date of service edit: clinical"


class PTPModifierIndicator(models.IntegerChoices):
    NOT_ALLOWED = 0, "0 Modifier not allowed"
    ALLOWED = 1, "1 Modifier allowed"
    NOT_APPLICABLE = 9, "9 Not applicable"


class AddOnEditType(models.IntegerChoices):
    LISTED_ONLY = 1, "1 Only the listed primary codes"
    CONTRACTOR_DEFINED = 2, "2 Contractor-defined primary codes"
    SOME_LISTED = 3, "3 Some primary codes listed, list not exclusive"


class FacilityType(models.TextChoices):
    FACILITY = "facility", "Facility"
    NON_FACILITY = "non_facility", "Non-facility"
    UNASSIGNED = "unassigned", "Unassigned"


class Source(models.TextChoices):
    """A family of reference files; each has its own timeline of releases."""

    HCPCS = "hcpcs", "HCPCS Level II codes"
    HCPCS_MODIFIERS = "hcpcs_modifiers", "HCPCS Level II modifiers"
    CPT = "cpt", "CPT codes (licensed file)"
    MODIFIERS = "modifiers", "Modifiers (ClaimDesk list)"
    PFS_RVU = "pfs_rvu", "PFS relative value file (fee-schedule indicators)"
    PTP_PRACTITIONER = "ptp_practitioner", "NCCI PTP edits, practitioner"
    PTP_HOSPITAL = "ptp_hospital", "NCCI PTP edits, outpatient hospital"
    MUE_PRACTITIONER = "mue_practitioner", "NCCI MUE, practitioner services"
    MUE_OUTPATIENT_HOSPITAL = "mue_outpatient_hospital", "NCCI MUE, outpatient hospital services"
    MUE_DME = "mue_dme", "NCCI MUE, DME supplier services"
    AOC = "aoc", "NCCI add-on code edits"
    ASP = "asp", "ASP drug payment limits"
    NDC_CROSSWALK = "ndc_crosswalk", "ASP NDC-HCPCS crosswalk"
    POS = "pos", "Places of service"
    ICD10CM = "icd10cm", "ICD-10-CM diagnosis codes (one edition per fiscal year)"


# The table each source loads into, as named in the importers' summary lines.
SOURCE_TABLE = {
    Source.HCPCS: "procedure_codes",
    Source.CPT: "procedure_codes",
    Source.HCPCS_MODIFIERS: "modifiers",
    Source.MODIFIERS: "modifiers",
    Source.PFS_RVU: "fee_schedule",
    Source.PTP_PRACTITIONER: "ptp_edits",
    Source.PTP_HOSPITAL: "ptp_edits",
    Source.MUE_PRACTITIONER: "mue_limits",
    Source.MUE_OUTPATIENT_HOSPITAL: "mue_limits",
    Source.MUE_DME: "mue_limits",
    Source.AOC: "addon_edits",
    Source.ASP: "asp_limits",
    Source.NDC_CROSSWALK: "ndc_crosswalk",
    Source.POS: "places_of_service",
    Source.ICD10CM: "diagnosis_codes",
}

PTP_SOURCE = {PTPSetting.PRACTITIONER: Source.PTP_PRACTITIONER, PTPSetting.HOSPITAL: Source.PTP_HOSPITAL}
MUE_SOURCE = {
    MUEServiceType.PRACTITIONER: Source.MUE_PRACTITIONER,
    MUEServiceType.OUTPATIENT_HOSPITAL: Source.MUE_OUTPATIENT_HOSPITAL,
    MUEServiceType.DME: Source.MUE_DME,
}

# Sources whose rows carry their own effective/deletion dates: the newest loaded release is used
# for every date of service and each row's own dates decide. The others (MUE, fee schedule, ASP,
# crosswalk) apply from their release's effective date.
DATED_ROW_SOURCES = frozenset(
    {
        Source.PTP_PRACTITIONER,
        Source.PTP_HOSPITAL,
        Source.AOC,
        Source.HCPCS,
        Source.CPT,
        Source.HCPCS_MODIFIERS,
        Source.MODIFIERS,
        Source.POS,
    }
)

# Statuses of the Medicare Physician Fee Schedule (PFS relative value file).
FEE_SCHEDULE_STATUS = {
    "A": "Active",
    "B": "Bundled",
    "C": "Carrier priced",
    "D": "Deleted",
    "E": "Excluded from the fee schedule by regulation",
    "F": "Deleted, no grace period",
    "G": "Not valid for Medicare, another code is used (grace period)",
    "H": "Deleted modifier",
    "I": "Not valid for Medicare, another code is used",
    "J": "Anesthesia service",
    "M": "Measurement code",
    "N": "Not covered by Medicare",
    "P": "Bundled or excluded",
    "R": "Restricted coverage",
    "T": "Injections (paid only without another service)",
    "X": "Statutory exclusion from the fee schedule",
}

COVERAGE_CODES = {
    "C": "Carrier judgment",
    "D": "Special coverage instructions apply",
    "I": "Not payable by Medicare",
    "M": "Non-covered by Medicare",
    "S": "Non-covered by Medicare statute",
}

# HCPCS action codes (CMS record layout, field 30).
ACTION_CODES = {
    "A": "Add procedure or modifier code",
    "B": "Change in both administrative data field and long description",
    "C": "Change in long description",
    "D": "Discontinue procedure or modifier code",
    "F": "Change in administrative data field",
    "N": "No maintenance for this code",
    "P": "Payment change",
    "R": "Re-activate discontinued/deleted code",
    "S": "Change in short description",
    "T": "Miscellaneous change (BETOS, type of service)",
}
