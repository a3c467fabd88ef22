"""The claim entry form: the header (payer, patient, diagnoses, providers) and the lines as an inline formset.

Fields follow the paper CMS-1500 so the tab order does: payer, 1a member ID, 2 patient name, 3 birth date
and sex, 21 diagnoses A–L, 23 prior authorisation, the service defaults, the lines (24A date, 24B place,
24D code and modifiers, 24E pointers, 24F charge, 24G units, then the drug data of the shaded line), 24J
rendering NPI and specialty, 25 tax ID, 33a billing NPI.

The form rejects what cannot be a claim at all (a date of birth after the date of service, a pointer to a
diagnosis that is not there, an NDC that is not an NDC, units that are not a number); everything a payer
would deny is left to the rules engine, which shows it as a finding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.forms.formsets import ManagementForm
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property

from codes.validators import SurrogateSafeFormMixin, reject_unpaired_surrogates, validate_date_in_range

from . import cms1500
from .choices import Sex
from .models import DIAGNOSIS_LETTERS, MAX_MODIFIERS, MAX_POINTERS, Claim, ClaimLine, Patient, Payer

MAX_LINES = 50  # the 837P allows 50 service lines per claim
CODE_FORMAT = re.compile(r"^[A-Z0-9]{5}$")
MODIFIER_FORMAT = re.compile(r"^[A-Z0-9]{2}$")
DIAGNOSIS_FORMAT = re.compile(r"^[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?$")
NPI_FORMAT = re.compile(r"^\d{10}$")
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def guard_fields(form_fields) -> None:
    """Every text field refuses unpaired surrogates and every date field dates outside 1900–2100, each with a
    message at the field (``codes.validators``); used by the header form and the line form."""
    for form_field in form_fields.values():
        if isinstance(form_field, forms.CharField) and reject_unpaired_surrogates not in form_field.validators:
            form_field.validators.append(reject_unpaired_surrogates)
        if isinstance(form_field, forms.DateField) and validate_date_in_range not in form_field.validators:
            form_field.validators.append(validate_date_in_range)


def normalise_ndc(value: str) -> str:
    """An NDC as its 11 digits (5-4-2). Accepts 11 digits, or the labeler's 10-digit forms with their
    dashes (4-4-2, 5-3-2, 5-4-1), which are zero-filled. Raises ``ValidationError`` otherwise."""
    text = value.strip().replace(" ", "")
    if not text:
        return ""
    if not re.fullmatch(r"[0-9-]+", text):
        raise ValidationError("An NDC has only digits and dashes, e.g. 00409-3795-01.")
    parts = text.split("-")
    if len(parts) == 1:
        if len(text) == 11:
            return text
        if len(text) == 10:
            raise ValidationError(
                "A 10-digit NDC is ambiguous without its dashes: enter it as printed (e.g. 0409-3795-01) "
                "or as 11 digits."
            )
        raise ValidationError(f"An NDC has 11 digits; this one has {len(text)}.")
    if len(parts) != 3:
        raise ValidationError("An NDC has three parts: labeler-product-package, e.g. 00409-3795-01.")
    widths = [len(part) for part in parts]
    targets = {(5, 4, 2): (5, 4, 2), (4, 4, 2): (5, 4, 2), (5, 3, 2): (5, 4, 2), (5, 4, 1): (5, 4, 2)}
    if tuple(widths) not in targets:
        raise ValidationError(
            f"NDC {text} is not in a labeler form (5-4-2, 4-4-2, 5-3-2 or 5-4-1); check the package label."
        )
    return "".join(part.zfill(width) for part, width in zip(parts, (5, 4, 2), strict=True))


PATIENT_CONTACT_FIELDS = ("address_line1", "address_line2", "city", "state", "zip_code", "phone")


class ClaimForm(cms1500.Cms1500FormMixin, SurrogateSafeFormMixin, forms.ModelForm):
    """The claim header, with the patient's fields (a patient is found by member ID and date of birth)."""

    member_id = forms.CharField(label="Member ID (1a)", max_length=30)
    patient_last_name = forms.CharField(label="Patient last name (2)", max_length=60)
    patient_first_name = forms.CharField(label="First name", max_length=35)
    patient_dob = forms.DateField(label="Date of birth (3)", widget=DATE_INPUT)
    patient_sex = forms.ChoiceField(label="Sex", choices=[("", "—"), *Sex.choices])
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Claim
        fields = [
            "payer",
            "prior_auth_number",
            "date_of_service",
            "place_of_service",
            "rendering_npi",
            "rendering_specialty",
            "group_tin",
            "billing_npi",
            *cms1500.CMS1500_FIELDS,  # the rest of the CMS-1500 (claims/cms1500.py)
        ]
        field_classes = cms1500.FIELD_CLASSES
        labels = {
            **cms1500.LABELS,
            "prior_auth_number": "Prior authorisation number (23)",
            "date_of_service": "Date of service",
            "place_of_service": "Place of service",
            "rendering_npi": "Rendering NPI (24J)",
            "rendering_specialty": "Specialty",
            "group_tin": "Group TIN (25)",
            "billing_npi": "Billing NPI (33a)",
        }
        widgets = {
            **cms1500.WIDGETS,
            "date_of_service": DATE_INPUT,
            "place_of_service": forms.TextInput(attrs={"inputmode": "numeric", "maxlength": 2, "size": 3}),
            "rendering_npi": forms.TextInput(attrs={"inputmode": "numeric", "maxlength": 10}),
            "billing_npi": forms.TextInput(attrs={"inputmode": "numeric", "maxlength": 10}),
            "group_tin": forms.TextInput(attrs={"inputmode": "numeric", "maxlength": 9}),
            "rendering_specialty": forms.TextInput(attrs={"maxlength": 2, "size": 3}),
        }
        help_texts = {
            **cms1500.HELP_TEXTS,
            "date_of_service": "Lines without their own date take this one.",
            "place_of_service": "Two digits, e.g. 11 office.",
            "rendering_specialty": "CMS code, e.g. 11.",
            "group_tin": "Nine digits.",
        }

    def __init__(self, *args, patient: Patient | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["payer"].queryset = Payer.objects.order_by("name")
        self.fields["payer"].label = "Payer"
        self.fields["payer"].empty_label = "Choose the payer …"
        lookup = reverse("codes:diagnosis_lookup")
        for letter in DIAGNOSIS_LETTERS:
            name = f"diagnosis_{letter.lower()}"
            # A code (8 characters at most), or words to look one up by (ICD-10-CM look-up, codes app): the box takes
            # what is typed, the code is checked when the form is.
            self.fields[name] = forms.CharField(
                label=f"{letter}.",
                required=False,
                validators=[MaxLengthValidator(8, "A diagnosis code has at most 8 characters (with the dot).")],
                widget=forms.TextInput(
                    attrs={
                        "class": "diagnosis-input code-mono",
                        "data-letter": letter,
                        "autocomplete": "off",
                        "spellcheck": "false",
                        "size": 8,
                        "maxlength": 60,
                        "data-code-autocomplete": "",
                        "hx-get": lookup,
                        "hx-trigger": "input changed delay:250ms",
                        "hx-target": f"#id_{name}-suggestions",
                        "hx-include": "#id_date_of_service",
                        "hx-sync": "this:replace",
                        "hx-swap": "innerHTML",
                        "role": "combobox",
                        "aria-autocomplete": "list",
                        "aria-expanded": "false",
                        "aria-controls": f"id_{name}-suggestions",
                        "placeholder": "code or words",
                    }
                ),
            )
        self.order_fields(
            [
                "payer",
                "member_id",
                "patient_last_name",
                "patient_first_name",
                "patient_dob",
                "patient_sex",
                *[f"diagnosis_{letter.lower()}" for letter in DIAGNOSIS_LETTERS],
                "prior_auth_number",
                "date_of_service",
                "place_of_service",
            ]
        )
        if not self.is_bound:
            if self.instance.pk:
                self.initial["version"] = self.instance.version
                for letter, code in zip(DIAGNOSIS_LETTERS, self.instance.diagnoses, strict=False):
                    self.initial[f"diagnosis_{letter.lower()}"] = code
                if patient is None:  # the patient as entered on this claim, not the shared record
                    self.initial.update(
                        member_id=self.instance.member_id,
                        patient_last_name=self.instance.patient_last_name,
                        patient_first_name=self.instance.patient_first_name,
                        patient_dob=self.instance.patient_dob,
                        patient_sex=self.instance.patient_sex,
                    )
            if patient is not None:
                self.initial.update(
                    member_id=patient.member_id,
                    patient_last_name=patient.last_name,
                    patient_first_name=patient.first_name,
                    patient_dob=patient.date_of_birth,
                    patient_sex=patient.sex,
                    # box 5, from the patient's address and phone
                    **{f"patient_{name}": getattr(patient, name) for name in PATIENT_CONTACT_FIELDS},
                )
        guard_fields(self.fields)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    # --- field cleaning -----------------------------------------------------------------------------------
    def _digits(self, name: str, count: int, what: str) -> str:
        value = re.sub(r"[\s-]", "", self.cleaned_data.get(name) or "")
        if value and not re.fullmatch(rf"\d{{{count}}}", value):
            raise ValidationError(f"{what} has {count} digits.")
        return value

    def clean_billing_npi(self) -> str:
        return self._digits("billing_npi", 10, "An NPI")

    def clean_rendering_npi(self) -> str:
        return self._digits("rendering_npi", 10, "An NPI")

    def clean_group_tin(self) -> str:
        return self._digits("group_tin", 9, "A tax ID")

    def clean_place_of_service(self) -> str:
        value = (self.cleaned_data.get("place_of_service") or "").strip()
        if not re.fullmatch(r"\d{1,2}", value):
            raise ValidationError("A place of service is a two-digit CMS code, e.g. 11.")
        return value.zfill(2)

    def clean_rendering_specialty(self) -> str:
        return (self.cleaned_data.get("rendering_specialty") or "").strip().upper()

    def clean_member_id(self) -> str:
        return self.cleaned_data["member_id"].strip().upper()

    def clean_version(self) -> int | None:
        version = self.cleaned_data.get("version")
        if version is not None and version < 1:
            raise ValidationError("This is not a version of the claim; reload the claim.")
        return version

    def clean_patient_dob(self) -> date:
        dob = self.cleaned_data["patient_dob"]
        if dob > timezone.localdate():
            raise ValidationError("The date of birth is in the future.")
        return dob

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        codes = []
        for letter in DIAGNOSIS_LETTERS:
            name = f"diagnosis_{letter.lower()}"
            code = (data.get(name) or "").strip().upper().replace(" ", "")
            data[name] = code
            if code and not DIAGNOSIS_FORMAT.match(code):
                self.add_error(name, f"{code} is not an ICD-10-CM code (a letter, two characters, then up to 4).")
            codes.append(code)
        while codes and not codes[-1]:
            codes.pop()
        if "" in codes:
            gap = DIAGNOSIS_LETTERS[codes.index("")]
            self.add_error(
                f"diagnosis_{gap.lower()}", f"Diagnosis {gap} is empty but later ones are not: fill A–L in order."
            )
        data["diagnoses"] = codes
        dob, dos = data.get("patient_dob"), data.get("date_of_service")
        if dob and dos and dob > dos:
            self.add_error(
                "patient_dob", f"The date of birth {dob:%m/%d/%Y} is after the date of service {dos:%m/%d/%Y}."
            )
        return data

    @property
    def diagnoses(self) -> list[str]:
        return self.cleaned_data.get("diagnoses", []) if hasattr(self, "cleaned_data") else []

    def diagnosis_letters(self) -> dict[str, str]:
        """Letter → code as entered (bound data, else initial), for the pointer pickers."""
        out = {}
        for letter in DIAGNOSIS_LETTERS:
            name = f"diagnosis_{letter.lower()}"
            value = self[name].value() or ""
            if value.strip():
                out[letter] = value.strip().upper()
        return out

    def build_patient(self) -> Patient | None:
        """The patient as entered (unsaved), or None while the patient's fields are incomplete."""
        data = getattr(self, "cleaned_data", {})
        needed = ("member_id", "patient_last_name", "patient_first_name", "patient_dob", "patient_sex")
        if any(not data.get(name) for name in needed):
            return None
        return Patient(
            member_id=data["member_id"],
            last_name=data["patient_last_name"].strip(),
            first_name=data["patient_first_name"].strip(),
            date_of_birth=data["patient_dob"],
            sex=data["patient_sex"],
        )

    def build_claim(self) -> Claim:
        """The claim as entered, from the fields that are valid (for the live check and for saving)."""
        claim = self.instance
        data = getattr(self, "cleaned_data", {})
        for name in self.Meta.fields:
            if name in data:
                setattr(claim, name, data[name])
        claim.diagnoses = data.get("diagnoses", [])
        for name in ("member_id", "patient_last_name", "patient_first_name", "patient_dob", "patient_sex"):
            if data.get(name):  # the patient as entered stays on the claim itself
                setattr(claim, name, data[name].strip() if isinstance(data[name], str) else data[name])
        return claim


# --- line cleaning, shared by the line form and the live check's fast reader -----------------------------
def clean_code(value: str) -> str:
    code = re.sub(r"\s", "", value or "").upper()
    if not CODE_FORMAT.match(code):
        raise ValidationError(
            f"'{code[:20]}' is not a CPT or HCPCS code: five letters or digits, e.g. 99213 or J1100. "
            "Type words to look a code up and pick it from the list."
        )
    return code


def clean_line_place_of_service(value: str) -> str:
    value = (value or "").strip()
    if value and not re.fullmatch(r"\d{1,2}", value):
        raise ValidationError("A place of service is a two-digit CMS code, e.g. 11.")
    return value.zfill(2) if value else ""


def clean_units(units: Decimal | None) -> Decimal | None:
    if units is not None and units <= 0:
        raise ValidationError("Units must be above 0.")
    return units


def clean_charge(charge: Decimal | None) -> Decimal | None:
    if charge is not None and charge < 0:
        raise ValidationError("A charge cannot be negative.")
    return charge


def clean_dose_unit(value: str) -> str:
    return (value or "").strip().lower()


LINE_FIELD_CLEANERS = {
    "code": clean_code,
    "place_of_service": clean_line_place_of_service,
    "units": clean_units,
    "charge": clean_charge,
    "ndc": normalise_ndc,
    "dose_unit": clean_dose_unit,
}


def clean_line(data: dict[str, Any], diagnoses: dict[str, str], add_error) -> tuple[list[str], str]:
    """The checks across a line's fields; returns its modifiers and its pointer letters.

    ``data`` holds the fields that cleaned; ``add_error(field, message)`` reports a problem.
    """
    modifiers: list[str] = []
    for index in range(1, MAX_MODIFIERS + 1):
        name = f"modifier_{index}"
        value = (data.get(name) or "").strip().upper()
        data[name] = value
        if not value:
            continue
        if not MODIFIER_FORMAT.match(value):
            add_error(name, f"'{value}' is not a modifier: two letters or digits, e.g. 25 or RT.")
        elif value in modifiers:
            add_error(name, f"Modifier {value} is entered twice.")
        else:
            modifiers.append(value)
    pointers: list[str] = []
    for index in range(1, MAX_POINTERS + 1):
        name = f"pointer_{index}"
        letter = (data.get(name) or "").strip().upper()
        if not letter:
            continue
        if letter not in diagnoses:
            add_error(name, f"Pointer {letter}: no diagnosis {letter} is entered in box 21.")
        elif letter in pointers:
            add_error(name, f"Pointer {letter} is chosen twice.")
        else:
            pointers.append(letter)
    if data.get("dose_discarded") is not None and data.get("dose_amount") is None:
        add_error("dose_amount", "Enter the dose given as well as the amount discarded.")
    if data.get("dose_amount") is not None and not data.get("dose_unit"):
        add_error("dose_unit", "Say the unit of the dose (mg, mcg, units, mL …).")
    return modifiers, "".join(pointers)


LINE_FIELDS = [
    "date_of_service",
    "place_of_service",
    "code",
    "charge",
    "units",
    "ndc",
    "ndc_unit",
    "ndc_quantity",
    "dose_amount",
    "dose_unit",
    "dose_discarded",
    "container",
    "narrative",
]


class FiniteDecimalField(forms.DecimalField):
    """A decimal field that refuses NaN and infinities as it reads the value, not only when it validates it:
    Django's own compares the value with the initial one first (``has_changed``), and "sNaN" raises there."""

    def to_python(self, value):
        number = super().to_python(value)
        if number is not None and not number.is_finite():
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return number

class LineForm(SurrogateSafeFormMixin, forms.ModelForm):
    """One service line. Modifiers and diagnosis pointers are four boxes each, as on the paper form.

    Every field is configured here, on the class (declared, so the formset factory keeps them), so
    ``read_lines`` can clean posted lines with the same field objects without building a form per line
    (the live check runs on every pause in typing).
    """

    modifier_1 = forms.CharField(label="Modifier 1", required=False, max_length=2)
    modifier_2 = forms.CharField(label="Modifier 2", required=False, max_length=2)
    modifier_3 = forms.CharField(label="Modifier 3", required=False, max_length=2)
    modifier_4 = forms.CharField(label="Modifier 4", required=False, max_length=2)
    pointer_1 = forms.CharField(label="Diagnosis pointer 1", required=False, max_length=1)
    pointer_2 = forms.CharField(label="Diagnosis pointer 2", required=False, max_length=1)
    pointer_3 = forms.CharField(label="Diagnosis pointer 3", required=False, max_length=1)
    pointer_4 = forms.CharField(label="Diagnosis pointer 4", required=False, max_length=1)
    charge = FiniteDecimalField(
        label="Charge $ (24F)",
        max_digits=10,
        decimal_places=2,
        error_messages={"required": "Enter the line's charge."},
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
    )  # no initial: the model's default 0 would hide a forgotten charge
    units = FiniteDecimalField(
        label="Units (24G)",
        max_digits=9,
        decimal_places=3,
        initial=1,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 5}),
    )
    code = forms.CharField(
        label="CPT/HCPCS (24D)",
        max_length=60,  # the field also takes words to look a code up; only a code is accepted
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "class": "code-input"}),
    )
    ndc = forms.CharField(
        label="NDC",
        required=False,
        max_length=14,  # as printed, with dashes; stored as 11 digits
        widget=forms.TextInput(attrs={"placeholder": "00409-3795-01", "inputmode": "numeric"}),
    )

    class Meta:
        model = ClaimLine
        fields = LINE_FIELDS
        field_classes = {name: FiniteDecimalField for name in ("ndc_quantity", "dose_amount", "dose_discarded")}
        labels = {
            "date_of_service": "Date (24A)",
            "place_of_service": "POS (24B)",
            "ndc_unit": "NDC unit",
            "ndc_quantity": "NDC quantity",
            "dose_amount": "Dose given",
            "dose_unit": "Dose unit",
            "dose_discarded": "Dose discarded",
            "container": "Container",
            "narrative": "Line note",
        }
        help_texts = {name: "" for name in LINE_FIELDS}
        widgets = {
            "date_of_service": DATE_INPUT,
            "place_of_service": forms.TextInput(attrs={"inputmode": "numeric", "maxlength": 2, "size": 3}),
            "ndc_quantity": forms.TextInput(attrs={"inputmode": "decimal"}),
            "dose_amount": forms.TextInput(attrs={"inputmode": "decimal"}),
            "dose_discarded": forms.TextInput(attrs={"inputmode": "decimal"}),
        }

    field_order = [
        "date_of_service",
        "place_of_service",
        "code",
        *[f"modifier_{i}" for i in range(1, MAX_MODIFIERS + 1)],
        *[f"pointer_{i}" for i in range(1, MAX_POINTERS + 1)],
        "charge",
        "units",
    ]

    def __init__(self, *args, diagnoses: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.diagnoses = diagnoses or {}
        # Pointer pickers: the letters A-L, labelled with the diagnosis entered for each (the template
        # renders these options).
        self.pointer_choices = pointer_choices(self.diagnoses)
        instance = self.instance
        if not self.is_bound and instance.pk:
            for index, modifier in enumerate(instance.modifiers[:MAX_MODIFIERS], start=1):
                self.initial[f"modifier_{index}"] = modifier
            for index, letter in enumerate(instance.dx_pointers[:MAX_POINTERS], start=1):
                self.initial[f"pointer_{index}"] = letter
            for name in PLAIN_NUMBER_FIELDS:  # "4", not the stored "4.000"; "2.5" keeps its decimal
                value = getattr(instance, name)
                if value is not None:
                    self.initial[name] = plain_number(value)

    def _clean_fields(self):
        super()._clean_fields()
        for name, cleaner in LINE_FIELD_CLEANERS.items():
            if name in self.cleaned_data:
                try:
                    self.cleaned_data[name] = cleaner(self.cleaned_data[name])
                except ValidationError as error:
                    self.add_error(name, error)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        modifiers, pointers = clean_line(data, self.diagnoses, self.add_error)
        self.instance.modifiers = modifiers
        self.instance.dx_pointers = pointers
        return data

    def build_line(self) -> ClaimLine | None:
        """The line as entered, from its valid fields; None without a valid code (nothing to check)."""
        return line_from(getattr(self, "cleaned_data", {}), set(self.errors))


# Quantities shown as typed: stored with three decimals, shown without trailing zeros (the charge keeps its cents).
PLAIN_NUMBER_FIELDS = ("units", "ndc_quantity", "dose_amount", "dose_discarded")


def plain_number(value: Decimal) -> str:
    """``Decimal("4.000")`` → "4", ``Decimal("2.500")`` → "2.5" (never an exponent: ``Decimal("10")`` → "10")."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def pointer_choices(diagnoses: dict[str, str]) -> list[tuple[str, str]]:
    return [("", "—")] + [
        (letter, f"{letter} · {diagnoses[letter]}" if letter in diagnoses else letter) for letter in DIAGNOSIS_LETTERS
    ]


def line_from(data: dict[str, Any], bad: set[str]) -> ClaimLine | None:
    """A line from the fields that cleaned (``bad`` names the ones that did not); None without a code."""
    if not data.get("code") or "code" in bad:
        return None
    line = ClaimLine(modifiers=[], dx_pointers="")
    for name in LINE_FIELDS:
        if name in data and name not in bad:
            setattr(line, name, data[name])
    if data.get("units") is None or "units" in bad:
        line.units = None  # reported by FMT-UNITS
    if data.get("charge") is None:
        line.charge = None
    line.modifiers = [
        data[f"modifier_{i}"]
        for i in range(1, MAX_MODIFIERS + 1)
        if data.get(f"modifier_{i}") and f"modifier_{i}" not in bad
    ]
    line.dx_pointers = "".join(
        data[f"pointer_{i}"].upper()
        for i in range(1, MAX_POINTERS + 1)
        if data.get(f"pointer_{i}") and f"pointer_{i}" not in bad
    )
    return line


@dataclass(frozen=True, order=True)
class EntryError:
    """Something typed that cannot be checked, said for the biller, and the id of its field (the page links to it)."""

    text: str
    field_id: str = ""

    def __str__(self) -> str:
        return self.text


@dataclass
class LineReading:
    """One posted line read by ``read_lines``: what cleaned, and the problems, labelled for the biller."""

    prefix: str
    deleted: bool = False
    blank: bool = False
    line: ClaimLine | None = None
    errors: list[EntryError] = field(default_factory=list)


def read_lines(data, diagnoses: dict[str, str], prefix: str = "lines") -> list[LineReading]:
    """The posted lines, cleaned with ``LineForm``'s own fields and rules but without building forms.

    The live check reads up to 50 lines on every pause in typing: a form per line would cost more than
    the rules themselves. Saving still goes through the formset.
    """
    fields = LineFormSet.form.base_fields  # the formset's form class: the one saving uses
    try:
        total = min(int(data.get(f"{prefix}-TOTAL_FORMS", "0")), MAX_LINES)  # as the formset: never more
        initial = int(data.get(f"{prefix}-INITIAL_FORMS", "0"))
    except ValueError:
        return []
    readings = []
    for index in range(total):
        form_prefix = f"{prefix}-{index}"
        reading = LineReading(prefix=form_prefix)
        readings.append(reading)
        if data.get(f"{form_prefix}-DELETE"):
            reading.deleted = True
            continue
        raw = {
            name: field.widget.value_from_datadict(data, {}, f"{form_prefix}-{name}") for name, field in fields.items()
        }
        entered = [name for name, value in raw.items() if value not in (None, "") and name != "units"]
        if index >= initial and not entered:
            reading.blank = True
            continue
        cleaned: dict[str, Any] = {}
        problems: dict[str, list[str]] = {}

        def add_error(name: str, message, problems=problems) -> None:
            messages = message.messages if isinstance(message, ValidationError) else [message]
            problems.setdefault(name, []).extend(messages)

        for name, form_field in fields.items():
            try:
                value = form_field.clean(raw[name])
                if name in LINE_FIELD_CLEANERS:
                    value = LINE_FIELD_CLEANERS[name](value)
                cleaned[name] = value
            except ValidationError as error:
                add_error(name, error)
        clean_line(cleaned, diagnoses, add_error)
        reading.line = line_from(cleaned, set(problems))
        reading.errors = [
            EntryError(f"{fields[name].label}: {message}", f"id_{form_prefix}-{name}")
            for name, messages in problems.items()
            for message in messages
        ]
    return readings


class LinesManagementForm(SurrogateSafeFormMixin, ManagementForm):
    """The formset's line counts; text that is not text is refused here too, and never shown back as it came."""


def too_many_lines(data, prefix: str = "lines") -> bool:
    """Whether the posted form announces more lines than a claim may have (only the first 50 are read)."""
    total = str(data.get(f"{prefix}-TOTAL_FORMS", "")).strip()
    return bool(re.fullmatch(r"[0-9]+", total)) and (len(total) > 3 or int(total) > MAX_LINES)


class BaseLineFormSet(BaseInlineFormSet):
    """The lines: at least one, at most 50; blank new lines are ignored, deleted lines dropped.

    However many lines the management form announces, no more than 50 forms are ever built
    (``absolute_max``), and more than 50 is refused with a message. A line the form was opened with that is
    no longer on the claim (someone else removed it meanwhile) is kept as typed and marked ``line_gone``: the
    page says the claim changed, rather than "Select a valid choice"."""

    default_error_messages = {
        "too_many_forms": f"A claim has at most {MAX_LINES} service lines (the 837P limit): nothing was saved.",
        "too_few_forms": "Enter at least one service line.",
        "missing_management_form": "The lines of this form did not arrive whole: reload the page and try again.",
    }

    def __init__(self, *args, diagnoses: dict[str, str] | None = None, **kwargs):
        self.diagnoses = diagnoses or {}
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "diagnoses": self.diagnoses}

    @cached_property
    def management_form(self):
        """Django's, with ``LinesManagementForm``: the counts are rendered again when the page comes back."""
        if not self.is_bound:
            return super().management_form
        form = LinesManagementForm(self.data, auto_id=self.auto_id, prefix=self.prefix, renderer=self.renderer)
        form.full_clean()
        return form

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.line_gone = False
        if self.is_bound and i < self.initial_form_count() and form.instance.pk is None:
            # Posted as a stored line, but not one of the claim's lines now: keep what was typed (the id too).
            form.line_gone = True
            form.fields[self.model._meta.pk.name] = forms.CharField(required=False, widget=forms.HiddenInput)
        return form

    @property
    def lines_gone(self) -> bool:
        """Whether a line the form was opened with is no longer on the claim (someone else saved it since)."""
        return any(getattr(form, "line_gone", False) for form in self.forms)

    @property
    def empty_form(self):
        form = self.form(
            auto_id=self.auto_id,
            prefix=self.add_prefix("__prefix__"),
            empty_permitted=True,
            use_required_attribute=False,
            diagnoses=self.diagnoses,
            renderer=self.renderer,
        )
        self.add_fields(form, None)
        return form

    def active_forms(self) -> list[LineForm]:
        """The forms of the lines still on the claim, in order (not deleted, not left blank)."""
        out = []
        for form in self.forms:
            if self.can_delete and self._should_delete_form(form):
                continue
            if form.empty_permitted and not form.has_changed():
                continue
            out.append(form)
        return out

    def clean(self):
        super().clean()
        if any(self.errors) or not self.management_form.is_valid():  # keep Django's message for a broken form
            return
        if not self.active_forms():
            raise ValidationError("Enter at least one service line.")


LineFormSet = inlineformset_factory(
    Claim,
    ClaimLine,
    form=LineForm,
    formset=BaseLineFormSet,
    extra=0,
    min_num=1,
    max_num=MAX_LINES,
    absolute_max=MAX_LINES,  # never build more forms than a claim may have lines, whatever TOTAL_FORMS says
    validate_max=True,
    can_delete=True,
)
guard_fields(LineFormSet.form.base_fields)  # the line fields: the formset's forms and ``read_lines`` share them
