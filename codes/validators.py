"""Validators every text and date input shares: no unpaired surrogates, dates within 1900–2100.

A lone UTF-16 surrogate (``"\\ud800"`` in JSON) is not a character: it cannot be encoded as UTF-8, so it
cannot be stored, logged or shown, and must be refused where it comes in, with a message at the field.
Dates far outside the years a claim can be about (``9999-12-31``) overflow date arithmetic in the rules
(a filing deadline one year later), so every date a user or a client gives is kept within
``DATE_OF_SERVICE_RANGE``.

    from codes.validators import reject_unpaired_surrogates, validate_date_in_range

Both are Django validators (``validators=[...]`` on a form or model field), raising ``ValidationError``
with the codes ``"unpaired_surrogate"`` and ``"date_out_of_range"``. ``unpaired_surrogate_problem`` and
``date_range_problem`` give the same messages as plain text (or None) for code outside forms, e.g. the
scrub input. ``SurrogateSafeFormMixin`` refuses such text in any field of a bound form, and replaces it in
the bound data so that showing the form again with its errors cannot fail.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError

DATE_MIN = date(1900, 1, 1)
DATE_MAX = date(2100, 12, 31)
DATE_OF_SERVICE_RANGE = (DATE_MIN, DATE_MAX)

UNPAIRED_SURROGATE_MESSAGE = "contains an unpaired surrogate (an invalid character); retype this text"
_SURROGATE_FIELD_MESSAGE = "This text contains an unpaired surrogate (an invalid character); retype it."
REPLACEMENT_CHARACTER = "\ufffd"

# After JSON or form decoding a valid pair is one character, so any code point in this range is unpaired.
_SURROGATE = re.compile("[\ud800-\udfff]")


def has_unpaired_surrogate(value: Any) -> bool:
    """Whether ``value`` is text holding a lone surrogate (ASCII text is answered without a scan)."""
    return isinstance(value, str) and not value.isascii() and _SURROGATE.search(value) is not None


def without_unpaired_surrogates(value: str) -> str:
    """The text with each lone surrogate replaced by U+FFFD, safe to show or log."""
    if not has_unpaired_surrogate(value):
        return value
    return _SURROGATE.sub(REPLACEMENT_CHARACTER, value)


def unpaired_surrogate_problem(value: Any) -> str | None:
    """The message for text with a lone surrogate, else None."""
    return UNPAIRED_SURROGATE_MESSAGE if has_unpaired_surrogate(value) else None


def reject_unpaired_surrogates(value: Any) -> None:
    """Django validator: text must not hold a lone surrogate."""
    if has_unpaired_surrogate(value):
        raise ValidationError(_SURROGATE_FIELD_MESSAGE, code="unpaired_surrogate")


def date_range_problem(value: date | datetime | None) -> str | None:
    """The message for a date outside 1900-01-01..2100-12-31, else None (None passes)."""
    if value is None:
        return None
    day = value.date() if isinstance(value, datetime) else value
    if DATE_MIN <= day <= DATE_MAX:
        return None
    return f"{day.isoformat()} is outside the dates accepted ({DATE_MIN.isoformat()} to {DATE_MAX.isoformat()})"


def validate_date_in_range(value: date | datetime | None) -> None:
    """Django validator: a date between 1900-01-01 and 2100-12-31 inclusive."""
    problem = date_range_problem(value)
    if problem:
        raise ValidationError(
            "%(day)s is outside the dates accepted (%(first)s to %(last)s).",
            code="date_out_of_range",
            params={"day": problem.split(" ", 1)[0], "first": DATE_MIN.isoformat(), "last": DATE_MAX.isoformat()},
        )


class SurrogateSafeFormMixin:
    """A form (or formset form) that refuses lone surrogates in any submitted value.

    The bound data is copied with each lone surrogate replaced by U+FFFD (so the form can be shown again
    with what was typed), and every field whose value held one gets the unpaired-surrogate error.
    Put it before ``forms.Form``/``forms.ModelForm`` in the bases.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.surrogate_keys: set[str] = set()
        if not self.is_bound:
            return
        data = self.data
        tainted = [key for key in data if has_unpaired_surrogate(key) or _values_tainted(data, key)]
        if not tainted:
            return
        self.surrogate_keys = {without_unpaired_surrogates(key) for key in tainted}
        copy = data.copy()  # QueryDict.copy() is mutable; dict.copy() too
        for key in tainted:
            values = data.getlist(key) if hasattr(data, "getlist") else [data[key]]
            clean = [without_unpaired_surrogates(v) if isinstance(v, str) else v for v in values]
            del copy[key]
            if hasattr(copy, "setlist"):
                copy.setlist(without_unpaired_surrogates(key), clean)
            else:
                copy[without_unpaired_surrogates(key)] = clean[0] if len(clean) == 1 else clean
        self.data = copy

    def _clean_fields(self) -> None:
        super()._clean_fields()
        if not self.surrogate_keys:
            return
        for name in self.fields:
            if self.add_prefix(name) in self.surrogate_keys:
                self.add_error(name, ValidationError(_SURROGATE_FIELD_MESSAGE, code="unpaired_surrogate"))


def _values_tainted(data: Any, key: str) -> bool:
    values = data.getlist(key) if hasattr(data, "getlist") else [data[key]]
    return any(has_unpaired_surrogate(value) for value in values if isinstance(value, str))
