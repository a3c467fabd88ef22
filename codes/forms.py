"""Forms of the codes app: the look-up search form and the admin upload form."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Field, Layout
from django import forms

from .importers.registry import kind_choices


class CodeFilterForm(forms.Form):
    """Base form of ``ProcedureCodeFilterSet``: crispy renders it as one row of search controls (GET)."""

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


class ImportUploadForm(forms.Form):
    """Admin: a CMS file to preview, then import."""

    kind = forms.ChoiceField(label="File kind", choices=kind_choices)
    file = forms.FileField(help_text="The file as CMS publishes it; keep its original name (it names the release).")
    label = forms.CharField(
        label="Release label",
        required=False,
        max_length=64,
        help_text="Optional, e.g. '2026 January'. Leave blank to take it from the file name or content.",
    )
    effective_date = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Optional first date of service of the release (YYYY-MM-DD).",
    )
