"""The rest of the CMS-1500 (02/12) on the claim header: boxes 4–11d, 14, 17, 19, 22, 26, 28, 32, 33.

One list says which claim fields they are, with the label the trail and the entry page give them (box number
in brackets); the entry form (``ClaimForm``) takes its fields, labels, widgets and cleaning from here, and the
save service keeps them (``services.HEADER_LABELS``). Each model field's comment names its 837P element
(``claims.models.Claim``); the mapping is listed in full in the docstring of ``CMS1500_FIELDS``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MaxLengthValidator

from .choices import ClaimFrequency, Relationship
from .models import Payer
from .npi import validate_npi
from .validators import (
    format_phone,
    format_zip,
    normalise_digits,
    normalise_state,
    validate_phone,
    validate_zip,
)

# claim field -> label (with its box). The 837P element of each:
#   patient_address_* / patient_phone          5     2010CA N3/N4 (2010BA when self); phone: paper form only
#   patient_relationship                       6     2000B SBR02 (18 self, 01 spouse, 19 child, G8 other); PAT01
#   insured_last_name / insured_first_name     4     2010BA NM103 / NM104 (NM109 is member_id, box 1a)
#   insured_address_*                          7     2010BA N3/N4
#   insured_group_number                       11    2000B SBR03
#   insured_dob / insured_sex                  11a   2010BA DMG02 / DMG03
#   other_claim_id                             11b   2010BA REF*Y4
#   insured_plan_name                          11c   2000B SBR04
#   has_other_plan                             11d   a 2320 loop is sent
#   other_insured_last/first_name, member_id   9     2330A NM103 / NM104 / NM109 (MI)
#   other_insured_group_number                 9a    2320 SBR03
#   other_insured_plan_name                    9d    2320 SBR04
#   secondary_payer                            9d    2330B NM1*PR (Payer.name NM103, Payer.payer_id NM109)
#   employment_related / auto_accident / other_accident   10a-c  CLM11-1..3 EM / AA / OA
#   auto_accident_state                        10b   CLM11-4
#   current_illness_date / _qualifier          14    DTP*431 or DTP*484 (D8)
#   referring_qualifier                        17    NM101 DN (2310A) or DK (2420E on the lines)
#   referring_last_name / referring_first_name 17    NM103 / NM104
#   referring_npi                              17b   NM109 (XX)
#   additional_info                            19    NTE*ADD
#   frequency_code                             22    CLM05-3 (1 original, 7 replacement, 8 void)
#   original_reference                         22    REF*F8
#   patient_account_number                     26    CLM01
#   (Claim.total_charge, computed)             28    CLM02
#   facility_name / facility_address_*         32    2310C NM1*77 NM103, N3/N4
#   facility_npi                               32a   2310C NM109 (XX)
#   billing_name / billing_address_* / billing_phone   33   2010AA NM103, N3/N4, PER*IC*TE
CMS1500_FIELDS: dict[str, str] = {
    "patient_address_line1": "patient address (5)",
    "patient_address_line2": "Patient's address line 2",
    "patient_city": "Patient's city",
    "patient_state": "Patient's state",
    "patient_zip_code": "Patient's ZIP code",
    "patient_phone": "Patient's phone",
    "patient_relationship": "relationship to insured (6)",
    "insured_last_name": "insured last name (4)",
    "insured_first_name": "insured first name (4)",
    "insured_address_line1": "insured address (7)",
    "insured_address_line2": "Insured's address line 2",
    "insured_city": "Insured's city",
    "insured_state": "Insured's state",
    "insured_zip_code": "Insured's ZIP code",
    "insured_group_number": "insured policy group (11)",
    "insured_dob": "insured date of birth (11a)",
    "insured_sex": "insured sex (11a)",
    "other_claim_id": "other claim ID (11b)",
    "insured_plan_name": "insurance plan name (11c)",
    "has_other_plan": "another health benefit plan (11d)",
    "other_insured_last_name": "other insured last name (9)",
    "other_insured_first_name": "other insured first name (9)",
    "other_insured_member_id": "other insured member ID (9)",
    "other_insured_group_number": "other insured policy or group (9a)",
    "other_insured_plan_name": "other insurance plan name (9d)",
    "secondary_payer": "other payer (9d)",
    "employment_related": "related to employment (10a)",
    "auto_accident": "auto accident (10b)",
    "auto_accident_state": "auto accident state (10b)",
    "other_accident": "other accident (10c)",
    "current_illness_date": "date of current illness (14)",
    "current_illness_qualifier": "date of current illness qualifier (14)",
    "referring_qualifier": "referring provider qualifier (17)",
    "referring_last_name": "referring provider last name (17)",
    "referring_first_name": "referring provider first name (17)",
    "referring_npi": "referring provider NPI (17b)",
    "additional_info": "additional claim information (19)",
    "frequency_code": "resubmission code (22)",
    "original_reference": "original reference number (22)",
    "patient_account_number": "patient account number (26)",
    "facility_name": "service facility (32)",
    "facility_address_line1": "service facility address (32)",
    "facility_address_line2": "Facility address line 2",
    "facility_city": "Facility city",
    "facility_state": "Facility state",
    "facility_zip_code": "Facility ZIP code",
    "facility_npi": "service facility NPI (32a)",
    "billing_name": "billing provider name (33)",
    "billing_address_line1": "billing provider address (33)",
    "billing_address_line2": "Billing address line 2",
    "billing_city": "Billing city",
    "billing_state": "Billing state",
    "billing_zip_code": "Billing ZIP code",
    "billing_phone": "Billing phone",
}
# What a field holds when nothing was entered (the trail and the snapshot leave such fields out, so claims
# saved before these boxes existed compare equal to themselves).
CMS1500_DEFAULTS: dict[str, Any] = {
    "patient_relationship": Relationship.SELF,
    "frequency_code": ClaimFrequency.ORIGINAL,
    "has_other_plan": False,
    "employment_related": False,
    "auto_accident": False,
    "other_accident": False,
    "insured_dob": None,
    "current_illness_date": None,
    "secondary_payer": None,
}
INSURED_FROM_PATIENT = {  # relationship self: box -> the patient's box it copies
    "insured_last_name": "patient_last_name",
    "insured_first_name": "patient_first_name",
    "insured_dob": "patient_dob",
    "insured_sex": "patient_sex",
    "insured_address_line1": "patient_address_line1",
    "insured_address_line2": "patient_address_line2",
    "insured_city": "patient_city",
    "insured_state": "patient_state",
    "insured_zip_code": "patient_zip_code",
}
STATE_FIELDS = [name for name in CMS1500_FIELDS if name.endswith("_state")]
DIGIT_FIELDS = [name for name in CMS1500_FIELDS if name.endswith(("_zip_code", "_phone", "_npi"))]


def trail_values(claim) -> dict[str, Any]:
    """The boxes as the trail and the snapshot keep them: only those that hold something."""
    values = {}
    for name in CMS1500_FIELDS:
        value = getattr(claim, name)
        if value != CMS1500_DEFAULTS.get(name, ""):
            values[name] = value.name if isinstance(value, Payer) else value
    return values


# --- the entry form's part -----------------------------------------------------------------------------
class StateField(forms.CharField):
    """A USPS state code as typed: trimmed, in capitals (the model field's validator names a wrong one)."""

    def to_python(self, value):
        return normalise_state(super().to_python(value))


class DigitsField(forms.CharField):
    """A ZIP code, phone number or NPI as typed, with its dashes, spaces and brackets taken out, then checked
    by the model field's own test (so a wrong one gets that message alone, not also one about its length)."""

    check = staticmethod(lambda value: None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.validators = [v for v in self.validators if not isinstance(v, MaxLengthValidator)]

    def to_python(self, value):
        return normalise_digits(super().to_python(value))

    def validate(self, value):
        super().validate(value)
        if value:
            self.check(value)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update(maxlength="20", inputmode="numeric")  # room for (212) 555-0142 or 10001-2345 as typed
        return attrs


class ZipField(DigitsField):
    check = staticmethod(validate_zip)


class PhoneField(DigitsField):
    check = staticmethod(validate_phone)


class NpiField(DigitsField):
    check = staticmethod(validate_npi)


DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DIGIT_FIELD_CLASSES = {"_zip_code": ZipField, "_phone": PhoneField, "_npi": NpiField}
FIELD_CLASSES = {
    **{name: StateField for name in STATE_FIELDS},
    **{name: cls for name in DIGIT_FIELDS for suffix, cls in DIGIT_FIELD_CLASSES.items() if name.endswith(suffix)},
}
WIDGETS = {
    "insured_dob": DATE_INPUT,
    "current_illness_date": DATE_INPUT,
    **{name: forms.TextInput(attrs={"size": 3, "autocomplete": "off"}) for name in STATE_FIELDS},
}
LABELS = {
    "patient_address_line1": "Patient's address (5)",
    "patient_address_line2": "Patient's address line 2",
    "patient_city": "Patient's city",
    "patient_state": "Patient's state",
    "patient_zip_code": "Patient's ZIP code",
    "patient_phone": "Patient's phone",
    "patient_relationship": "Patient's relationship to insured (6)",
    "insured_last_name": "Insured's last name (4)",
    "insured_first_name": "Insured's first name",
    "insured_address_line1": "Insured's address (7)",
    "insured_address_line2": "Insured's address line 2",
    "insured_city": "Insured's city",
    "insured_state": "Insured's state",
    "insured_zip_code": "Insured's ZIP code",
    "insured_group_number": "Insured's policy group or FECA number (11)",
    "insured_dob": "Insured's date of birth (11a)",
    "insured_sex": "Insured's sex",
    "other_claim_id": "Other claim ID (11b)",
    "insured_plan_name": "Insurance plan name (11c)",
    "has_other_plan": "There is another health benefit plan (11d)",
    "other_insured_last_name": "Other insured's last name (9)",
    "other_insured_first_name": "Other insured's first name",
    "other_insured_member_id": "Other insured's member ID",
    "other_insured_group_number": "Other insured's policy or group number (9a)",
    "other_insured_plan_name": "Other insurance plan name (9d)",
    "secondary_payer": "Other insured's payer (9d)",
    "employment_related": "Employment, current or previous (10a)",
    "auto_accident": "Auto accident (10b)",
    "auto_accident_state": "Auto accident state (10b)",
    "other_accident": "Other accident (10c)",
    "current_illness_date": "Date of current illness (14)",
    "current_illness_qualifier": "Qualifier of the date (14)",
    "referring_qualifier": "Referring provider qualifier (17)",
    "referring_last_name": "Referring provider's last name (17)",
    "referring_first_name": "Referring provider's first name",
    "referring_npi": "Referring provider NPI (17b)",
    "additional_info": "Additional claim information (19)",
    "frequency_code": "Resubmission code (22)",
    "original_reference": "Original reference number (22)",
    "patient_account_number": "Patient's account number (26)",
    "facility_name": "Service facility (32)",
    "facility_address_line1": "Facility address",
    "facility_address_line2": "Facility address line 2",
    "facility_city": "Facility city",
    "facility_state": "Facility state",
    "facility_zip_code": "Facility ZIP code",
    "facility_npi": "Facility NPI (32a)",
    "billing_name": "Billing name (33)",
    "billing_address_line1": "Billing address",
    "billing_address_line2": "Billing address line 2",
    "billing_city": "Billing city",
    "billing_state": "Billing state",
    "billing_zip_code": "Billing ZIP code",
    "billing_phone": "Billing phone",
}
HELP_TEXTS = {
    "patient_relationship": "Self: boxes 4, 7 and 11a are the patient's.",
    "original_reference": "The payer's claim number of the claim replaced (7) or voided (8).",
    "patient_account_number": "The practice's own number; blank: the claim number.",
    "billing_name": "Filled from the practice's provider of the billing NPI when left blank.",
}


class Cms1500FormMixin:
    """The boxes on ``ClaimForm``: choices optional with their defaults, relationship *self* copying the
    patient into the insured's boxes before the model's checks (``Claim.clean``) run."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("patient_relationship", "frequency_code"):
            self.fields[name].required = False  # not posted: the default (self; original claim)
        self.fields["secondary_payer"].queryset = Payer.objects.order_by("name")
        self.fields["secondary_payer"].empty_label = "—"
        for name in ("current_illness_qualifier", "referring_qualifier", "insured_sex"):
            self.fields[name].choices = [("", "—"), *[c for c in self.fields[name].choices if c[0]]]

    def _post_clean(self):
        data = self.cleaned_data
        for name in ("patient_relationship", "frequency_code"):
            if name in data and not data[name]:
                data[name] = CMS1500_DEFAULTS[name]
        if data.get("patient_relationship") == Relationship.SELF:
            for insured, patient in INSURED_FROM_PATIENT.items():
                if patient in data:
                    value = data[patient]
                    data[insured] = value.strip() if isinstance(value, str) else value
                    self.errors.pop(insured, None)
        super()._post_clean()

    @property
    def cms1500_sections(self) -> list[dict[str, Any]]:
        return entry_sections(self)


# --- the entry page's sections (templates/claims/_entry_cms1500.html) ----------------------------------------
WIDE = "col-12 col-md-6 col-lg-4"
NARROW = "col-4 col-md-2"
MIDDLE = "col-6 col-md-3 col-lg-2"
ADDRESS = [("address_line1", WIDE), ("address_line2", MIDDLE), ("city", MIDDLE), ("state", NARROW),
           ("zip_code", MIDDLE)]  # fmt: skip


def _address(prefix: str) -> list[tuple[str, str]]:
    return [(f"{prefix}_{part}", width) for part, width in ADDRESS]


# section id, heading, groups of (field, column classes); a group with a name is shown or hidden by
# static/js/claim-cms1500.js (data-cms1500-group): "insured" when the relationship is not self, "other-plan"
# when 11d is yes, "accident-state" with an auto accident.
SECTIONS = [
    ("patient-insured", "Patient and insured (5, 6, 4, 7, 11)", [
        ("", [*_address("patient"), ("patient_phone", MIDDLE), ("patient_relationship", MIDDLE)]),
        ("insured", [("insured_last_name", MIDDLE), ("insured_first_name", MIDDLE), ("insured_dob", MIDDLE),
                     ("insured_sex", MIDDLE), *_address("insured")]),
        ("", [("insured_group_number", WIDE), ("insured_plan_name", WIDE), ("other_claim_id", MIDDLE)]),
    ]),
    ("other-insurance", "Other insurance (11d, 9, 9a, 9d)", [
        ("", [("has_other_plan", "col-12")]),
        ("other-plan", [("other_insured_last_name", MIDDLE), ("other_insured_first_name", MIDDLE),
                        ("other_insured_member_id", MIDDLE), ("other_insured_group_number", WIDE),
                        ("other_insured_plan_name", WIDE), ("secondary_payer", MIDDLE)]),
    ]),
    ("condition-dates", "Condition and dates (10, 14)", [
        ("", [("employment_related", "col-12 col-md-4"), ("auto_accident", "col-6 col-md-3")]),
        ("accident-state", [("auto_accident_state", MIDDLE)]),
        ("", [("other_accident", "col-12 col-md-4"), ("current_illness_date", MIDDLE),
              ("current_illness_qualifier", WIDE)]),
    ]),
    ("referring", "Referring or ordering provider (17, 17b)", [
        ("", [("referring_qualifier", WIDE), ("referring_last_name", WIDE), ("referring_first_name", MIDDLE),
              ("referring_npi", MIDDLE)]),
    ]),
    ("facility-billing", "Service facility and billing provider (32, 33)", [
        ("", [("facility_name", WIDE), ("facility_npi", MIDDLE)]),
        ("", _address("facility")),
        ("", [("billing_name", WIDE), ("billing_phone", MIDDLE)]),
        ("", _address("billing")),
    ]),
    ("resubmission", "Resubmission, account number and notes (22, 26, 19)", [
        ("", [("frequency_code", WIDE), ("original_reference", WIDE), ("patient_account_number", WIDE)]),
        ("", [("additional_info", "col-12 col-lg-8")]),
    ]),
]  # fmt: skip


def _entered(bound_field) -> bool:
    value = bound_field.value()
    return value not in (None, "", False, CMS1500_DEFAULTS.get(bound_field.name, ""))


def entry_sections(form) -> list[dict[str, Any]]:
    """The sections with their bound fields; a section is open when it holds something or an error."""
    sections = []
    for section_id, heading, groups in SECTIONS:
        rows = [{"name": group, "fields": [(form[name], width) for name, width in fields]} for group, fields in groups]
        bound = [field for row in rows for field, _ in row["fields"]]
        sections.append(
            {
                "id": section_id,
                "heading": heading,
                "rows": rows,
                "open": any(field.errors or _entered(field) for field in bound),
            }
        )
    return sections


# --- the claim page's summary (templates/claims/_claim_cms1500.html) ----------------------------------------
def _join(*parts: str, sep: str = ", ") -> str:
    return sep.join(part for part in parts if part)


def _address_text(claim, prefix: str) -> str:
    get = lambda part: getattr(claim, f"{prefix}_{part}")  # noqa: E731
    city_line = _join(get("city"), _join(get("state"), format_zip(get("zip_code")), sep=" "))
    return _join(get("address_line1"), get("address_line2"), city_line)


def _name(last: str, first: str) -> str:
    return _join(last, first)


def claim_boxes(claim) -> list[tuple[str, str, str]]:
    """(box, label, value) of the boxes the claim page shows, CMS-1500 order; empty boxes say so ("")."""
    causes = [label for flag, label in ((claim.employment_related, "employment"),
                                        (claim.auto_accident, f"auto accident ({claim.auto_accident_state})"),
                                        (claim.other_accident, "other accident")) if flag]  # fmt: skip
    illness = ""
    if claim.current_illness_date:
        illness = f"{claim.current_illness_date:%m/%d/%Y} (qual. {claim.current_illness_qualifier})"
    referring = ""
    if claim.referring_qualifier:
        referring = f"{claim.referring_qualifier} {_name(claim.referring_last_name, claim.referring_first_name)}"
    insured_dob = f"{claim.insured_dob:%m/%d/%Y}" if claim.insured_dob else ""
    other = ""
    if claim.has_other_plan:
        other = _join(
            _name(claim.other_insured_last_name, claim.other_insured_first_name),
            claim.other_insured_member_id,
            claim.secondary_payer.name if claim.secondary_payer_id else "",
        )
    frequency = claim.get_frequency_code_display()
    if claim.original_reference:
        frequency += f", original reference {claim.original_reference}"
    return [
        ("4", "Insured's name", _name(claim.insured_last_name, claim.insured_first_name)),
        ("5", "Patient's address", _join(_address_text(claim, "patient"), format_phone(claim.patient_phone),
                                         sep=" · ")),  # fmt: skip
        ("6", "Relationship to insured", claim.get_patient_relationship_display()),
        ("7", "Insured's address", _address_text(claim, "insured")),
        ("9, 9a, 9d", "Other insured", _join(other, claim.other_insured_group_number, claim.other_insured_plan_name)),
        ("10", "Condition related to", ", ".join(causes) or "none"),
        ("11", "Insured's policy group", claim.insured_group_number),
        ("11a", "Insured's birth date, sex", _join(insured_dob, claim.get_insured_sex_display())),
        ("11b", "Other claim ID", claim.other_claim_id),
        ("11c", "Insurance plan name", claim.insured_plan_name),
        ("11d", "Another health benefit plan", "yes" if claim.has_other_plan else "no"),
        ("14", "Date of current illness", illness),
        ("17, 17b", "Referring or ordering provider", _join(referring, claim.referring_npi, sep=" · NPI ")),
        ("19", "Additional claim information", claim.additional_info),
        ("22", "Resubmission", frequency),
        ("26", "Patient's account number", claim.patient_account_number),
        ("28", "Total charge", f"${claim.total_charge:,.2f}"),
        ("32, 32a", "Service facility", _join(claim.facility_name, _address_text(claim, "facility"),
                                              claim.facility_npi and f"NPI {claim.facility_npi}", sep=" · ")),
        ("33", "Billing provider", _join(claim.billing_name, _address_text(claim, "billing"),
                                         format_phone(claim.billing_phone), sep=" · ")),
    ]  # fmt: skip
