from __future__ import annotations

from django import forms
from django.contrib.auth.forms import PasswordChangeForm


class SixDigitCodeForm(forms.Form):
    """The code an authenticator app shows (spaces allowed: some apps show "123 456")."""

    code = forms.CharField(
        label="Six-digit code",
        max_length=12,
        help_text="The code your authenticator app shows for ClaimDesk right now.",
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True, "pattern": r"[0-9 ]*"}
        ),
    )

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if len(code) != 6 or not code.isdigit():
            raise forms.ValidationError("Type the six digits your authenticator app shows.")
        return code


class ChangePasswordForm(PasswordChangeForm):
    """Django's form in the billing team's words."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "Current password"
        self.fields["new_password1"].label = "New password"
        self.fields["new_password2"].label = "New password again"
