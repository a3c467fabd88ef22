"""Service lines and claims are read by one parser into plain frozen inputs."""

from dataclasses import FrozenInstanceError
from datetime import date
from decimal import Decimal

import pytest

from claims.rules.inputs import (
    ClaimInput,
    HistoryItem,
    LineInput,
    PatientInput,
    PayerConfigInput,
    ScrubInputError,
    _parse_line,
    parse_claim,
)

DOS = date(2026, 3, 9)


def read(raw, index=5):
    return _parse_line(raw, index, claim_id="C-1", claim_dos=DOS, claim_pos="11", npi="1234567893")


def plain(number, code, **fields):
    modifier_set = frozenset(fields.get("modifiers", ()))
    return LineInput(
        number=number, code=code, dos=DOS, pos="11", rendering_npi="1234567893", modifier_set=modifier_set, **fields
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            {"line": 1, "code": "99213", "modifiers": ["25"], "units": 1, "charge": 120.0, "dx_pointers": ["A"]},
            plain(1, "99213", modifiers=("25",), charge=Decimal("120.0"), dx_pointers=("A",)),
        ),
        (
            {"line": 2, "code": " j1100 ", "modifiers": [" rt", "Lt"], "units": 10, "charge": 14, "dx_pointers": ["a"]},
            plain(
                2,
                "J1100",
                modifiers=("RT", "LT"),
                units=Decimal(10),
                units_text="10",
                charge=Decimal(14),
                dx_pointers=("A",),
            ),
        ),
        (
            {"line": 3, "code": "17000", "units": 2.5, "charge": -1.25, "ndc": None, "dose": None, "dos": None},
            plain(3, "17000", units=Decimal("2.5"), units_text="2.5", charge=Decimal("-1.25")),
        ),
        ({"code": "99214", "units": "3"}, plain(5, "99214", units=Decimal(3), units_text="3")),
        ({"line": 1, "code": 99213, "units": None}, plain(1, "99213", units=None, units_text="")),
        ({"line": 1, "code": "99213", "units": float("nan")}, plain(1, "99213", units=None, units_text="nan")),
        (
            {"line": 1, "code": "J1100", "ndc": "63323-0506-01", "dos": "2026-03-10", "pos": "22", "narrative": "x"},
            LineInput(
                number=1,
                code="J1100",
                dos=date(2026, 3, 10),
                pos="22",
                modifier_set=frozenset(),
                ndc="63323-0506-01",
                narrative="x",
                rendering_npi="1234567893",
            ),
        ),
    ],
)
def test_a_line_is_read_into_its_fields(raw, expected):
    line = read(raw)
    assert line == expected
    assert line.modifier_set == frozenset(expected.modifiers)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"line": "1", "code": "99213"}, "line"),
        ({"line": 1, "code": "99213", "units": True}, "units"),
        ({"line": 1, "code": "99213", "units": 10**101}, "units"),
        ({"line": 1, "code": "99213", "modifiers": "25"}, "modifiers"),
        ({"line": 1, "code": "99213", "modifiers": [["25"]]}, "modifiers"),
        ({"line": 1, "code": "99213", "dx_pointers": [{"p": "A"}]}, "dx_pointers"),
        ({"line": 1, "code": "99213", "charge": "abc"}, "charge"),
        ({"line": 1, "code": ""}, "code"),
        ({"line": 1, "code": "99213", "container": "jar"}, "container"),
        ({"line": 1, "code": "99213", "dos": "2026-02-30"}, "dos"),
    ],
)
def test_a_wrong_field_is_named(raw, field):
    with pytest.raises(ScrubInputError) as error:
        read(raw, index=1)
    assert (error.value.claim_id, error.value.line, error.value.field) == ("C-1", 1, field)


def test_drug_and_override_fields_given_as_null_read_as_not_given():
    optional = ("ndc", "ndc_unit", "ndc_qty", "dose", "container", "narrative", "dos", "pos", "rendering_npi")
    nulls = dict.fromkeys(optional)
    line = {"line": 1, "code": "99213", "modifiers": ["25"], "units": 2, "charge": 10.5}
    assert (
        read({**line, **nulls})
        == read(line)
        == plain(1, "99213", modifiers=("25",), units=Decimal(2), units_text="2", charge=Decimal("10.5"))
    )
    given = read({**line, **nulls, "pos": "22", "container": "single_dose"})
    assert (given.pos, given.container, given.dos) == ("22", "single_dose", DOS)


def test_a_line_is_a_line_input_of_its_fields_only():
    """Rules never change a line (``test_prefilters_equivalence``); no field can be added to one either."""
    line = read({"line": 2, "code": "j1100", "modifiers": ["jz"], "units": 10, "charge": 14.5})
    assert type(line) is LineInput
    assert line == read({"line": 2, "code": "J1100", "modifiers": ["JZ"], "units": 10, "charge": 14.5})
    with pytest.raises(AttributeError):
        line.extra = "no new fields"


def test_a_line_cannot_be_built_without_the_set_of_its_modifiers():
    with pytest.raises(TypeError, match="modifier_set"):
        LineInput(number=1, code="99213", dos=DOS, pos="11", modifiers=("25",))


def test_repeated_modifier_lists_read_the_same_every_time():
    """Modifier and pointer lists are remembered between lines; each line still gets its own values."""
    first = read({"line": 1, "code": "20610", "modifiers": [" rt", "59"]})
    second = read({"line": 2, "code": "20611", "modifiers": [" rt", "59"]})
    other = read({"line": 3, "code": "20610", "modifiers": ["LT"]})
    numbers = read({"line": 4, "code": "20610", "modifiers": [59]})
    assert first.modifiers == second.modifiers == ("RT", "59")
    assert first.modifier_set == second.modifier_set == frozenset({"RT", "59"})
    assert other.modifiers == ("LT",) and other.modifier_set == frozenset({"LT"})
    assert numbers.modifiers == ("59",)


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
        lines=(
            LineInput(
                number=1,
                code="99213",
                dos=date(2026, 3, 9),
                pos="11",
                modifier_set=frozenset(),
                charge=Decimal("100.0"),
                dx_pointers=("A",),
                rendering_npi="1234567893",
            ),
        ),
    )
    assert type(claim) is ClaimInput
    assert claim == expected and hash(claim) == hash(expected)
    with pytest.raises(FrozenInstanceError):
        claim.id = "C-10"
    assert parse_claim({**raw, "payer_config": {"apply_ncci": False}}).payer_config == PayerConfigInput(
        apply_ncci=False
    )
