"""Addresses and phone numbers as the CMS-1500 and the 837P take them (N3/N4, PER): USPS state codes, ZIP codes
of 5 or 9 digits, US phone numbers of 10 digits. The model fields store the clean form; the entry form cleans
what was typed (``normalise_*``) before the validators see it."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

# USPS two-letter codes: the states, DC, the territories and the armed forces (AA, AE, AP) an N402 may hold.
# fmt: off
USPS_STATES = frozenset({
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM",
    "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA",
    "WV", "WI", "WY", "AS", "GU", "MP", "PR", "VI", "UM", "FM", "MH", "PW", "AA", "AE", "AP",
})
# fmt: on


def validate_state(value: str) -> None:
    if value and value not in USPS_STATES:
        raise ValidationError(
            "%(value)s is not a US state: use the two-letter USPS code, e.g. NY.",
            params={"value": value},
            code="invalid_state",
        )


def validate_zip(value: str) -> None:
    if value and not re.fullmatch(r"\d{5}(\d{4})?", value):
        raise ValidationError("A ZIP code has 5 or 9 digits, e.g. 10001 or 10001-2345.", code="invalid_zip")


def validate_phone(value: str) -> None:
    if value and not re.fullmatch(r"[2-9]\d{9}", value):
        raise ValidationError(
            "A phone number has 10 digits, area code first, e.g. (212) 555-0142.", code="invalid_phone"
        )


def normalise_state(value: str | None) -> str:
    return (value or "").strip().upper()


def normalise_digits(value: str | None) -> str:
    """A ZIP code, phone number or NPI as typed, without its spaces, dashes, dots and brackets (a leading +1 of a
    phone number is left to the validator, which refuses 11 digits)."""
    return re.sub(r"[\s().-]", "", value or "")


def format_zip(value: str) -> str:
    return f"{value[:5]}-{value[5:]}" if len(value) == 9 else value


def format_phone(value: str) -> str:
    return f"({value[:3]}) {value[3:6]}-{value[6:]}" if len(value) == 10 else value
