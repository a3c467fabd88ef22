"""Forms of the review pages: bulk assignment from the queue, and the names of the review page's controls."""

from __future__ import annotations

import re

from django import forms

from .models import ClaimReview
from .review_selectors import reviewers, reviews_visible_to

UNASSIGN = "none"
ASSIGN_TO_ME = "me"
_UNSAFE = re.compile(r"[^A-Za-z0-9-]")


def user_label(user) -> str:
    full = user.get_full_name().strip()
    return f"{full} ({user.get_username()})" if full else user.get_username()


class AssignForm(forms.Form):
    """Give the ticked reviews to a reviewer (or to nobody); "Assign to me" needs no reviewer chosen."""

    review = forms.ModelMultipleChoiceField(
        queryset=ClaimReview.objects.none(),  # the user's: set in __init__
        error_messages={
            "required": "Tick at least one claim to assign.",
            "invalid_choice": "A ticked claim is no longer in the queue; reload the queue.",
            "invalid_pk_value": "A ticked claim is no longer in the queue; reload the queue.",
        },
    )
    assignee = forms.ChoiceField(label="Assign the ticked claims to", required=False)
    action = forms.ChoiceField(choices=[("assign", "Assign"), (ASSIGN_TO_ME, "Assign to me")], required=False)
    query = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        kwargs.setdefault("auto_id", "assign_%s")  # the queue's filter form has its own "assignee"
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["review"].queryset = reviews_visible_to(user)
        self.reviewer_list = list(reviewers())
        self.fields["assignee"].choices = [
            ("", "Choose a reviewer…"),
            *[(str(reviewer.pk), user_label(reviewer)) for reviewer in self.reviewer_list],
            (UNASSIGN, "Nobody (unassign)"),
        ]
        self.fields["assignee"].widget.attrs["class"] = "form-select form-select-sm"

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == ASSIGN_TO_ME:
            cleaned["assignee_user"] = self.user
            return cleaned
        chosen = cleaned.get("assignee")
        if chosen == UNASSIGN:
            cleaned["assignee_user"] = None
        elif not chosen:
            self.add_error("assignee", "Choose the reviewer to assign the ticked claims to.")
        else:
            cleaned["assignee_user"] = next(r for r in self.reviewer_list if str(r.pk) == chosen)
        return cleaned


def field_suffix(finding_key: str) -> str:
    """A finding key (``2:PTP-MI0``) made safe for control names and ids: ``2_PTP-MI0``."""
    return _UNSAFE.sub("_", finding_key)


def decision_name(finding_key: str) -> str:
    return f"decision-{field_suffix(finding_key)}"


def note_name(finding_key: str) -> str:
    return f"note-{field_suffix(finding_key)}"
