"""Shared validators of typed input (placeholder until the shared module arrives; see the report)."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError

EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2100, 12, 31)


def has_unpaired_surrogate(text: str) -> bool:
    return any("\ud800" <= character <= "\udfff" for character in text)


def reject_unpaired_surrogates(value) -> None:
    if isinstance(value, str) and has_unpaired_surrogate(value):
        raise ValidationError("This contains a character that is not valid text; retype it.", code="surrogate")


def validate_date_in_range(value) -> None:
    if value is not None and not (EARLIEST_DATE <= value <= LATEST_DATE):
        raise ValidationError(
            f"Enter a date between {EARLIEST_DATE:%m/%d/%Y} and {LATEST_DATE:%m/%d/%Y}.", code="date_out_of_range"
        )
