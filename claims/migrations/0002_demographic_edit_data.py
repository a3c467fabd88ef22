"""Seed the demographic edit table: sex- and age-specific procedure and diagnosis ranges, each with its source.

The ranges follow the CMS Medicare Code Editor (MCE) conventions for sex conflicts and the CPT
descriptors for age-limited codes, as listed in the rules catalogue §3.9 (DEM-SEX-PROC, DEM-SEX-DX,
DEM-AGE-CODE). Diagnosis ranges are written without the dot; a range end matches all its children
(``Z0141`` covers Z01.411 and Z01.419; ``O00``-``O9A`` covers the whole pregnancy chapter). Billers
and administrators can add, correct or deactivate rows in the admin.
"""

from django.db import migrations

MCE = "CMS ICD-10 Medicare Code Editor (MCE) sex-conflict edit conventions; rules catalogue §3.9"
PROC_SEX = "CMS MM6638 / Pub 100-04 Ch.32 §240 gender-specific procedure edits; rules catalogue §3.9 (DEM-SEX-PROC)"
SEX_HINT = "Verify the patient's sex on file; for transgender/intersex patients append KX (Medicare)."

# (kind, code_from, code_to, sex, age_min, age_max, description, source, hint)
EDITS = [
    # Female-only procedures
    ("procedure", "Q0091", "Q0091", "F", None, None, "Screening Pap smear collection", PROC_SEX, SEX_HINT),
    (
        "procedure",
        "G0101",
        "G0101",
        "F",
        None,
        None,
        "Cervical or vaginal cancer screening; pelvic and breast exam",
        PROC_SEX,
        SEX_HINT,
    ),
    ("procedure", "57452", "57452", "F", None, None, "Colposcopy of the cervix", PROC_SEX, SEX_HINT),
    ("procedure", "58300", "58300", "F", None, None, "Insertion of intrauterine device", PROC_SEX, SEX_HINT),
    (
        "procedure",
        "88142",
        "88142",
        "F",
        None,
        None,
        "Cervical or vaginal cytopathology (thin layer)",
        PROC_SEX,
        SEX_HINT,
    ),
    (
        "procedure",
        "76805",
        "76805",
        "F",
        None,
        None,
        "Obstetric ultrasound after the first trimester",
        PROC_SEX,
        SEX_HINT,
    ),
    # Male-only procedures
    ("procedure", "55250", "55250", "M", None, None, "Vasectomy", PROC_SEX, SEX_HINT),
    ("procedure", "55700", "55700", "M", None, None, "Prostate biopsy", PROC_SEX, SEX_HINT),
    ("procedure", "84153", "84153", "M", None, None, "Prostate-specific antigen (PSA), total", PROC_SEX, SEX_HINT),
    (
        "procedure",
        "G0102",
        "G0102",
        "M",
        None,
        None,
        "Prostate cancer screening; digital rectal exam",
        PROC_SEX,
        SEX_HINT,
    ),
    ("procedure", "G0103", "G0103", "M", None, None, "Prostate cancer screening; PSA test", PROC_SEX, SEX_HINT),
    # Age-limited procedures
    (
        "procedure",
        "90460",
        "90461",
        "",
        None,
        18,
        "Immunization administration with counseling, through 18 years of age",
        "CPT 90460/90461 descriptors ('through 18 years of age'); rules catalogue §3.9 (DEM-AGE-CODE)",
        "Use 90471/90472 for patients 19+.",
    ),
    (
        "procedure",
        "99460",
        "99463",
        "",
        None,
        0,
        "Newborn care (initial hospital or birthing center care, same-day discharge)",
        "CPT 99460-99463 newborn care descriptors; rules catalogue §3.9 (DEM-AGE-CODE)",
        "Use the hospital or office E/M code for the patient's age.",
    ),
    # Female-only diagnoses
    (
        "diagnosis",
        "Z0141",
        "Z0141",
        "F",
        None,
        None,
        "Encounter for gynecological examination (Z01.41-)",
        MCE,
        SEX_HINT,
    ),
    (
        "diagnosis",
        "Z124",
        "Z124",
        "F",
        None,
        None,
        "Encounter for screening for malignant neoplasm of cervix",
        MCE,
        SEX_HINT,
    ),
    ("diagnosis", "O00", "O9A", "F", None, None, "Pregnancy, childbirth and the puerperium (O00-O9A)", MCE, SEX_HINT),
    ("diagnosis", "Z34", "Z34", "F", None, None, "Encounter for supervision of normal pregnancy (Z34-)", MCE, SEX_HINT),
    # Male-only diagnoses
    ("diagnosis", "N40", "N40", "M", None, None, "Benign prostatic hyperplasia (N40-)", MCE, SEX_HINT),
    ("diagnosis", "C61", "C61", "M", None, None, "Malignant neoplasm of prostate", MCE, SEX_HINT),
    ("diagnosis", "N41", "N41", "M", None, None, "Inflammatory diseases of prostate (N41-)", MCE, SEX_HINT),
]
FIELDS = ("kind", "code_from", "code_to", "sex", "age_min", "age_max", "description", "source", "hint")


def seed(apps, schema_editor):
    DemographicEdit = apps.get_model("claims", "DemographicEdit")
    for row in EDITS:
        values = dict(zip(FIELDS, row, strict=True))
        DemographicEdit.objects.get_or_create(
            kind=values["kind"], code_from=values["code_from"], code_to=values["code_to"], defaults=values
        )


def unseed(apps, schema_editor):
    DemographicEdit = apps.get_model("claims", "DemographicEdit")
    for kind, code_from, code_to, *_ in EDITS:
        DemographicEdit.objects.filter(kind=kind, code_from=code_from, code_to=code_to).delete()


class Migration(migrations.Migration):
    dependencies = [("claims", "0001_payers_demographics_tokens")]

    operations = [migrations.RunPython(seed, unseed)]
