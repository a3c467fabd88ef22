"""The export page's form: the ticked claims and the clearinghouse to send them to."""

from __future__ import annotations

from django import forms

from claims.models import Claim

from .selectors import active_clearinghouses


class ExportForm(forms.Form):
    clearinghouse = forms.ModelChoiceField(
        queryset=active_clearinghouses(), empty_label=None, label="Clearinghouse",
        error_messages={"invalid_choice": "Choose an active clearinghouse."},
    )
    claims = forms.ModelMultipleChoiceField(
        queryset=Claim.objects.all(), widget=forms.MultipleHiddenInput,
        error_messages={"required": "Tick the claims to export first.",
                        "invalid_choice": "A ticked claim no longer exists.",
                        "invalid_pk_value": "A ticked claim is not a claim."},
    )
    query = forms.CharField(required=False, widget=forms.HiddenInput)  # the filters to go back to

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clearinghouse"].queryset = active_clearinghouses()
