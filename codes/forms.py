"""Forms of the codes app: the look-up search form and the admin upload form."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Field, Layout
from django import forms
from django.conf import settings

from codes.validators import SurrogateSafeFormMixin, reject_unpaired_surrogates, validate_date_in_range

from .importers.archives import human_size
from .importers.registry import kind_choices

DEFAULT_IMPORT_MAX_BYTES = 200 * 1024 * 1024


def import_max_bytes() -> int:
    """The largest file the admin import accepts (``CLAIMDESK_IMPORT_MAX_BYTES``, default 200 MB)."""
    return int(getattr(settings, "CLAIMDESK_IMPORT_MAX_BYTES", DEFAULT_IMPORT_MAX_BYTES))


class CodeFilterForm(SurrogateSafeFormMixin, forms.Form):
    """Base form of ``ProcedureCodeFilterSet``: crispy renders it as one row of search controls (GET)."""

    def clean_on(self):
        """The "status on" date, within 1900–2100 (``ProcedureCodeFilterSet`` declares the field)."""
        value = self.cleaned_data.get("on")
        validate_date_in_range(value)
        return value

    @property
    def helper(self) -> FormHelper:
        helper = FormHelper()
        helper.form_method = "get"
        helper.form_tag = True
        helper.attrs = {"role": "search", "aria-label": "Search codes"}
        columns = {"q": "col-12 col-lg-3", "section": "col-12 col-md-4 col-lg-3"}
        helper.layout = Layout(
            Div(
                *[Div(Field(name), css_class=columns.get(name, "col-6 col-md-2 col-lg-auto")) for name in self.fields],
                Div(
                    HTML(
                        '<button type="submit" class="btn btn-primary mb-3">'
                        '<i class="bi bi-search" aria-hidden="true"></i> Search</button> '
                        '<a class="btn btn-outline-secondary mb-3" href="?">Reset</a>'
                    ),
                    css_class="col-12 col-lg-auto",
                ),
                css_class="row g-2 align-items-end",
            )
        )
        return helper


class ImportUploadForm(SurrogateSafeFormMixin, forms.Form):
    """Admin: a CMS file to preview, then import (at most ``CLAIMDESK_IMPORT_MAX_BYTES``)."""

    kind = forms.ChoiceField(label="File kind", choices=kind_choices)
    file = forms.FileField(help_text="The file as CMS publishes it; keep its original name (it names the release).")
    label = forms.CharField(
        label="Release label",
        required=False,
        max_length=64,
        validators=[reject_unpaired_surrogates],
        help_text="Optional, e.g. '2026 January'. Leave blank to take it from the file name or content.",
    )
    effective_date = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[validate_date_in_range],
        help_text="Optional first date of service of the release (YYYY-MM-DD).",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text += f" At most {human_size(import_max_bytes())}."

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = import_max_bytes()
        if upload.size > limit:
            raise forms.ValidationError(
                "%(name)s is %(size)s, larger than the largest file accepted, %(limit)s "
                "(CLAIMDESK_IMPORT_MAX_BYTES); nothing was imported.",
                code="file_too_large",
                params={"name": upload.name, "size": human_size(upload.size), "limit": human_size(limit)},
            )
        return upload
