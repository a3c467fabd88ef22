"""The upload form of an 837P file to import."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat


class ImportFileForm(forms.Form):
    file = forms.FileField(
        label="837P file",
        help_text="An ASC X12 837P (005010X222A1 or A2) from your practice-management system.",
        widget=forms.ClearableFileInput(attrs={"accept": ".837,.x12,.edi,.txt,text/plain"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = True
        self.helper.attrs = {"enctype": "multipart/form-data", "novalidate": ""}
        self.helper.add_input(Submit("submit", "Import in the background"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.CLAIMDESK_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"This file is {filesizeformat(upload.size)}; the largest file accepted is {filesizeformat(limit)}. "
                "Split it into smaller files."
            )
        self.cleaned_data["raw"] = upload.read()
        return upload
