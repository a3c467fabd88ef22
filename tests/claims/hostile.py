"""Hypothesis strategies for hostile scrub documents, shared by the property tests of ``scrub_claims``
(tests/claims/test_hostile_input.py) and of the API (tests/claims/test_api_hostile.py).

Settings: ``CLAIMDESK_HYPOTHESIS_EXAMPLES`` examples per property (default 200, the CI profile), no
deadline (a database query may be slow on a busy machine), and no example database, so nothing is
written to ``.hypothesis/`` in the repository.
"""

from __future__ import annotations

import os
import string
from datetime import date

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

HOSTILE_SETTINGS = settings(
    max_examples=int(os.environ.get("CLAIMDESK_HYPOTHESIS_EXAMPLES", "200")),
    deadline=None,
    database=None,
    # The database fixtures are function-scoped; no example writes anything, so sharing them is sound.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

SURROGATES = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
# Any text: ordinary characters, control characters and NUL, lone surrogates, astral characters.
ANY_TEXT = st.text(alphabet=st.one_of(st.characters(), SURROGATES, st.sampled_from("\x00\n\t\"\\")), max_size=40)
CODE_LIKE = st.one_of(
    st.sampled_from(["99213", "J1030", "96372", "J8499", "20610", "0001F", "G0008", "A0425", "99999", "ZZZZZ"]),
    st.text(alphabet=string.ascii_uppercase + string.digits, min_size=0, max_size=7),
    ANY_TEXT,
)

MODIFIER_LIKE = st.sampled_from(["25", "59", "XU", "JW", "JZ", "RT", "LT", "50"])
DIAGNOSIS_LIKE = st.sampled_from(["J45.909", "Z79.899", "E11.9", "R69", "O80", "Z00.00"])


def _iso(day: date) -> str:
    return day.isoformat()


DATE_LIKE = st.one_of(
    st.dates(min_value=date(2020, 1, 1), max_value=date(2027, 12, 31)).map(_iso),
    st.dates().map(_iso),  # years 1 to 9999
    st.sampled_from(["9999-12-31", "0001-01-01", "1899-12-31", "2101-01-01", "2026-02-30", "", "2026-3-9"]),
    ANY_TEXT,
)
NUMBER_LIKE = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["1", "0", "-1", "1e999999", "NaN", "Infinity", "0.0001", "1,5", "", " 2 "]),
    ANY_TEXT,
)
# Any JSON value (and, for the Python entry, the values json.loads never gives: NaN, infinities).
JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), ANY_TEXT)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(ANY_TEXT, children, max_size=4)),
    max_leaves=20,
)


def maybe(value_strategy):
    """A value of the field's kind, or any JSON value (a wrong type)."""
    return st.one_of(value_strategy, value_strategy, value_strategy, JSON_VALUES)


def _object(draw, required: dict, optional: dict) -> dict:
    """An object with the required keys (one of them sometimes left out), some optional keys, and
    sometimes a key the format does not know; each value of its kind or, now and then, any JSON value."""
    dropped = draw(st.one_of(st.none(), st.none(), st.sampled_from(sorted(required)))) if required else None
    obj = {key: draw(maybe(value)) for key, value in required.items() if key != dropped}
    for key, value in optional.items():
        if draw(st.integers(min_value=0, max_value=3)) == 0:
            obj[key] = draw(maybe(value))
    if draw(st.integers(min_value=0, max_value=9)) == 0:
        obj[draw(ANY_TEXT)] = draw(JSON_VALUES)
    return obj


@st.composite
def doses(draw) -> dict:
    return _object(draw, {"amount": NUMBER_LIKE}, {"unit": st.sampled_from(["mg", "ml", "", "units"]),
                                                   "discarded": st.one_of(NUMBER_LIKE, st.booleans())})


@st.composite
def lines(draw) -> dict:
    return _object(
        draw,
        {"code": CODE_LIKE},
        {
            "line": st.one_of(st.integers(min_value=1, max_value=60), st.integers()),
            "modifiers": st.lists(st.one_of(MODIFIER_LIKE, ANY_TEXT), max_size=5),
            "units": NUMBER_LIKE,
            "charge": NUMBER_LIKE,
            "dx_pointers": st.lists(st.one_of(st.sampled_from("ABCDL"), ANY_TEXT), max_size=5),
            "ndc": st.one_of(st.sampled_from(["63323050601", "00000-0000-00"]), ANY_TEXT),
            "ndc_unit": st.sampled_from(["ML", "UN", "GR", "F2", "XX"]),
            "ndc_qty": NUMBER_LIKE,
            "dose": doses(),
            "container": st.sampled_from(["single_dose", "multi_dose", "vial"]),
            "narrative": ANY_TEXT,
            "dos": DATE_LIKE,
            "pos": st.one_of(st.sampled_from(["11", "22", "99"]), ANY_TEXT),
            "rendering_npi": st.one_of(st.just("1234567893"), ANY_TEXT),
        },
    )


@st.composite
def history_items(draw) -> dict:
    return _object(
        draw,
        {"code": CODE_LIKE, "dos": DATE_LIKE},
        {"modifiers": st.lists(ANY_TEXT, max_size=3), "units": NUMBER_LIKE, "status": ANY_TEXT,
         "dx": st.lists(ANY_TEXT, max_size=3)},
    )


@st.composite
def product_lists(draw) -> dict:
    return _object(draw, {}, {"preferred": st.lists(CODE_LIKE, max_size=3),
                              "non_preferred": st.lists(CODE_LIKE, max_size=3)})


@st.composite
def payer_configs(draw) -> dict:
    return _object(
        draw,
        {},
        {
            "timely_filing_days": NUMBER_LIKE,
            "apply_ncci": st.booleans(),
            "pa_required_codes": st.lists(CODE_LIKE, max_size=3),
            "preferred_products": st.dictionaries(ANY_TEXT, product_lists(), max_size=2),
            "rejects_S_codes": st.booleans(),
            "ndc_required_all_drug_lines": st.booleans(),
        },
    )


@st.composite
def patients(draw) -> dict:
    return _object(draw, {}, {"dob": DATE_LIKE, "sex": st.sampled_from(["F", "M", "U", "X", "Q", "f"]),
                              "medicare_part_b_effective": DATE_LIKE})


@st.composite
def claims(draw) -> dict:
    return _object(
        draw,
        {
            "id": st.one_of(st.text(alphabet=string.ascii_uppercase + "-0123456789", min_size=1, max_size=8), ANY_TEXT),
            "payer_type": st.one_of(st.sampled_from(["medicare", "medicaid", "commercial", "MEDICARE"]), ANY_TEXT),
            "dos": DATE_LIKE,
            "lines": st.lists(lines(), min_size=0, max_size=4),
        },
        {
            "payer_name": st.one_of(st.sampled_from(["Medicare Part B", "Commercial PPO"]), ANY_TEXT),
            "payer_config": payer_configs(),
            "state": ANY_TEXT,
            "patient": patients(),
            "billing_npi": st.one_of(st.just("1234567893"), ANY_TEXT),
            "rendering_npi": st.one_of(st.just("1234567893"), ANY_TEXT),
            "rendering_specialty": ANY_TEXT,
            "group_tin": ANY_TEXT,
            "pos": st.one_of(st.sampled_from(["11", "22"]), ANY_TEXT),
            "submission_date": DATE_LIKE,
            "diagnoses": st.lists(st.one_of(DIAGNOSIS_LIKE, ANY_TEXT), max_size=4),
            "prior_auth_number": ANY_TEXT,
            "frequency_code": st.sampled_from(["1", "7", "8", "x"]),
            "history": st.lists(history_items(), max_size=2),
        },
    )


@st.composite
def scrub_documents(draw):
    """Documents shaped like the scrub format, with hostile values anywhere; now and then any JSON value."""
    if draw(st.integers(min_value=0, max_value=7)) == 0:
        return draw(JSON_VALUES)
    document = {"claims": draw(st.lists(claims(), max_size=3))}
    if draw(st.booleans()):
        document[draw(ANY_TEXT)] = draw(JSON_VALUES)
    return document


SCRUB_DOCUMENTS = scrub_documents()
