"""The fast reading of plain service lines gives exactly what the full reader gives."""

from datetime import date

import pytest

from claims.rules import inputs
from claims.rules.inputs import _fast_line, _parse_line

DOS = date(2026, 3, 9)

PLAIN_LINES = [
    {"line": 1, "code": "99213", "modifiers": ["25"], "units": 1, "charge": 120.0, "dx_pointers": ["A"]},
    {"line": 2, "code": " j1100 ", "modifiers": [" rt", "Lt"], "units": 10, "charge": 14, "dx_pointers": ["a", "B"]},
    {"line": 3, "code": "17000", "units": 2.5, "charge": -1.25, "ndc": None, "dose": None, "dos": None},
    {"line": 4, "code": "97110", "modifiers": [], "units": 0, "dx_pointers": []},
    {"code": "99214", "units": 1, "charge": 0},
    {"line": 6, "code": "96372", "units": 1.0, "charge": 1e2, "dx_pointers": ["A", "B", "C", "D", "E"]},
]


@pytest.mark.parametrize("raw", PLAIN_LINES)
def test_fast_path_equals_the_full_reader(raw, monkeypatch):
    fast = _fast_line(raw, 5, DOS, "11", "1234567893")
    assert fast is not None
    monkeypatch.setattr(inputs, "_fast_line", lambda *args: None)
    slow = _parse_line(raw, 5, claim_id="C-1", claim_dos=DOS, claim_pos="11", npi="1234567893")
    assert fast == slow
    assert fast.modifier_set == slow.modifier_set == frozenset(slow.modifiers)


@pytest.mark.parametrize(
    "raw",
    [
        {"line": 1, "code": "J1100", "ndc": "63323050601"},
        {"line": 1, "code": "J1100", "dose": {"amount": 10, "unit": "mg"}},
        {"line": 1, "code": "99213", "dos": "2026-03-10"},
        {"line": 1, "code": "99213", "units": "3"},
        {"line": 1, "code": "99213", "units": True},
        {"line": 1, "code": "99213", "units": None},
        {"line": "1", "code": "99213"},
        {"line": 1, "code": 99213},
        {"line": 1, "code": "99213", "modifiers": "25"},
        {"line": 1, "code": "99213", "charge": "abc"},
        {"line": 1, "code": "99213", "units": float("nan")},
        {"line": 1, "code": ""},
    ],
)
def test_anything_unusual_goes_to_the_full_reader(raw):
    assert _fast_line(raw, 1, DOS, "11", "1234567893") is None
