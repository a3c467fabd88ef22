"""National Provider Identifiers: the CMS check digit, shared by the FMT-NPI-LUHN rule and the provider list."""

from __future__ import annotations

import re
from functools import lru_cache

from django.core.exceptions import ValidationError

NPI_FORMAT = re.compile(r"^[12]\d{9}$")


@lru_cache(maxsize=8192)
def npi_is_valid(npi: str) -> bool:
    """Ten digits starting with 1 or 2 whose Luhn check over ``"80840" + NPI`` holds (CMS NPI standard)."""
    if not NPI_FORMAT.match(npi):
        return False
    total = 0
    for position, char in enumerate(reversed("80840" + npi)):
        digit = int(char)
        if position % 2:  # every second digit from the right, starting left of the check digit
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def validate_npi(value: str) -> None:
    """Model and form validator: the same test the FMT-NPI-LUHN rule applies to claims."""
    if not npi_is_valid(value):
        raise ValidationError(
            "%(value)s is not a valid NPI: ten digits starting with 1 or 2, with a matching check digit. "
            "Copy it from NPPES.",
            params={"value": value},
            code="invalid_npi",
        )
