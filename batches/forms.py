"""The upload form of a file of claims to check in the background."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from claims.rules.inputs import ScrubInputError

from .checking import document_claims, file_sha256


class CheckFileForm(forms.Form):
    file = forms.FileField(
        label="File of claims (JSON)",
        help_text='A scrub document: {"claims": [...]}, as for manage.py scrub_claims and the scrub API.',
        widget=forms.ClearableFileInput(attrs={"accept": ".json,application/json"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = timezone.localdate()
        self.helper = FormHelper()
        self.helper.form_tag = True
        self.helper.attrs = {"enctype": "multipart/form-data", "novalidate": ""}
        self.helper.add_input(Submit("submit", "Check in the background"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.CLAIMDESK_BATCH_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"This file is {filesizeformat(upload.size)}; the largest file accepted is {filesizeformat(limit)}. "
                "Split it into smaller files."
            )
        raw = upload.read()
        try:
            self.cleaned_data["claims"] = document_claims(raw, today=self.today)
        except ScrubInputError as error:
            raise forms.ValidationError(f"This file cannot be checked, nothing was started: {error}.") from None
        self.cleaned_data["sha256"] = file_sha256(raw)
        return upload
