"""Helpers of the claim-entry tests: the entry form's POST data and the starter data loaded once per module."""

from __future__ import annotations

import re
from typing import Any

from claims.models import Payer

HEADER = {
    "member_id": "1EG4TE5MK72",
    "patient_last_name": "Doe",
    "patient_first_name": "Jane",
    "patient_dob": "1950-03-01",
    "patient_sex": "F",
    "diagnosis_a": "J45.909",
    "date_of_service": "2026-03-09",
    "place_of_service": "11",
    "rendering_npi": "1234567893",
    "rendering_specialty": "11",
    "group_tin": "311234567",
    "billing_npi": "1234567893",
}


def entry_data(payer: Payer, lines: list[dict[str, Any]], *, initial: int = 0, **header) -> dict[str, Any]:
    """POST data of the entry form: header fields and the ``lines`` formset (fields without the prefix)."""
    data: dict[str, Any] = {"payer": payer.pk, **HEADER, **header}
    data.update(
        {
            "lines-TOTAL_FORMS": str(len(lines)),
            "lines-INITIAL_FORMS": str(initial),
            "lines-MIN_NUM_FORMS": "1",
            "lines-MAX_NUM_FORMS": "50",
        }
    )
    for index, line in enumerate(lines):
        values = {"units": "1", "charge": "50.00", "pointer_1": "A", **line}
        for name, value in values.items():
            data[f"lines-{index}-{name}"] = value
    return {key: value for key, value in data.items() if value is not None}


def rules_under_line(html: str, prefix: str) -> list[str]:
    """The rule IDs shown in one line's findings box (``id="findings-<prefix>"``)."""
    match = re.search(
        rf'<div class="line-findings" id="findings-{prefix}".*?(?=<div class="line-findings"|</section|\Z)', html, re.S
    )
    return re.findall(r'data-rule="([^"]+)"', match.group(0)) if match else []
