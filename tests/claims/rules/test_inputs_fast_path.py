"""The fast reading of plain service lines gives exactly what the full reader gives."""

from dataclasses import FrozenInstanceError
from datetime import date
from decimal import Decimal

import pytest

from claims.rules import inputs
from claims.rules.inputs import (
    ClaimInput,
    HistoryItem,
    LineInput,
    PatientInput,
    PayerConfigInput,
    _fast_line,
    _parse_line,
    parse_claim,
)

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
        {"line": 1, "code": "99213", "modifiers": [["25"]]},
        {"line": 1, "code": "99213", "modifiers": [{"code": "25"}]},
        {"line": 1, "code": "99213", "dx_pointers": ["A", 2]},
        {"line": 1, "code": "99213", "narrative": ""},
        {"line": 1, "code": "99213", "dose": {}},
        {"line": 1, "code": "99213", "ndc": 0},
    ],
)
def test_anything_unusual_goes_to_the_full_reader(raw):
    assert _fast_line(raw, 1, DOS, "11", "1234567893") is None


def test_a_fast_read_line_is_a_frozen_line_input_like_any_other():
    raw = {"line": 2, "code": "j1100", "modifiers": ["jz"], "units": 10, "charge": 14.5, "dx_pointers": ["A"]}
    fast = _fast_line(raw, 2, DOS, "11", "1234567893")
    built = LineInput(
        number=2,
        code="J1100",
        dos=DOS,
        pos="11",
        modifiers=("JZ",),
        units=Decimal(10),
        units_text="10",
        charge=Decimal("14.5"),
        dx_pointers=("A",),
        rendering_npi="1234567893",
    )
    assert type(fast) is LineInput
    assert fast == built and hash(fast) == hash(built) and repr(fast) == repr(built)
    with pytest.raises(FrozenInstanceError):
        fast.code = "J1101"


def test_repeated_modifier_lists_read_the_same_every_time():
    """Modifier and pointer lists are remembered between lines; each line still gets its own values."""
    first = _fast_line({"line": 1, "code": "20610", "modifiers": [" rt", "59"]}, 1, DOS, "11", "")
    second = _fast_line({"line": 2, "code": "20611", "modifiers": [" rt", "59"]}, 2, DOS, "11", "")
    other = _fast_line({"line": 3, "code": "20610", "modifiers": ["LT"]}, 3, DOS, "11", "")
    assert first.modifiers == second.modifiers == ("RT", "59")
    assert first.modifier_set == second.modifier_set == frozenset({"RT", "59"})
    assert other.modifiers == ("LT",) and other.modifier_set == frozenset({"LT"})


def test_a_parsed_claim_is_the_frozen_claim_input_of_its_fields():
    raw = {
        "id": "C-9",
        "payer_type": "Medicare",
        "payer_name": " Medicare Part B ",
        "state": "ny",
        "dos": "2026-03-09",
        "pos": "11",
        "billing_npi": "1234567893",
        "rendering_npi": "1234567893",
        "rendering_specialty": "11",
        "group_tin": "311234567",
        "diagnoses": ["j45. 909"],
        "prior_auth_number": "PA-1",
        "frequency_code": "7",
        "submission_date": "2026-03-12",
        "patient": {"dob": "1951-06-02", "sex": "f"},
        "history": [{"code": "99213", "dos": "2026-01-05", "status": "Paid"}],
        "lines": [{"line": 1, "code": "99213", "units": 1, "charge": 100.0, "dx_pointers": ["A"]}],
    }
    claim = parse_claim(raw)
    expected = ClaimInput(
        id="C-9",
        payer_type="medicare",
        payer_name="Medicare Part B",
        state="NY",
        dos=date(2026, 3, 9),
        pos="11",
        billing_npi="1234567893",
        rendering_npi="1234567893",
        rendering_specialty="11",
        group_tin="311234567",
        diagnoses=("J45.909",),
        prior_auth_number="PA-1",
        frequency_code="7",
        submission_date=date(2026, 3, 12),
        patient=PatientInput(dob=date(1951, 6, 2), sex="F"),
        history=(HistoryItem(code="99213", dos=date(2026, 1, 5), status="paid"),),
        lines=(_fast_line(raw["lines"][0], 1, date(2026, 3, 9), "11", "1234567893"),),
    )
    assert type(claim) is ClaimInput
    assert claim == expected and hash(claim) == hash(expected)
    with pytest.raises(FrozenInstanceError):
        claim.id = "C-10"
    assert parse_claim({**raw, "payer_config": {"apply_ncci": False}}).payer_config == PayerConfigInput(
        apply_ncci=False
    )
