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


def _one_in(n: int):
    # sampled_from, not integers: Hypothesis favours an integer range's ends, which would skew the odds.
    return st.sampled_from([False] * (n - 1) + [True])


def mostly(sane, hostile, one_in: int = 6):
    """Usually a sane value, one time in ``one_in`` a hostile one (so many documents get past the first field)."""
    return _one_in(one_in).flatmap(lambda hostile_now: hostile if hostile_now else sane)


CODE_LIKE = mostly(
    st.sampled_from(["99213", "J1030", "96372", "J8499", "20610", "0001F", "G0008", "A0425", "99999", "ZZZZZ"]),
    st.one_of(st.text(alphabet=string.ascii_uppercase + string.digits, min_size=0, max_size=7), ANY_TEXT),
)

TEXT = mostly(st.text(alphabet=string.printable, max_size=20), ANY_TEXT, one_in=10)
MODIFIER_LIKE = st.sampled_from(["25", "59", "XU", "JW", "JZ", "RT", "LT", "50"])
DIAGNOSIS_LIKE = st.sampled_from(["J45.909", "Z79.899", "E11.9", "R69", "O80", "Z00.00"])


def _iso(day: date) -> str:
    return day.isoformat()


DATE_LIKE = mostly(
    st.dates(min_value=date(2020, 1, 1), max_value=date(2027, 12, 31)).map(_iso),
    st.one_of(
        st.dates().map(_iso),  # years 1 to 9999
        st.sampled_from(["9999-12-31", "0001-01-01", "1899-12-31", "2101-01-01", "2026-02-30", "", "2026-3-9"]),
        ANY_TEXT,
    ),
)
NUMBER_LIKE = mostly(
    st.one_of(st.integers(min_value=0, max_value=100), st.decimals(min_value=0, max_value=10_000, places=2).map(float)),
    st.one_of(
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from(["1", "0", "-1", "1e999999", "NaN", "Infinity", "0.0001", "1,5", "", " 2 ", "1e400"]),
        ANY_TEXT,
    ),
)
# Any JSON value (and, for the Python entry, the values json.loads never gives: NaN, infinities).
JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), ANY_TEXT)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(ANY_TEXT, children, max_size=4)),
    max_leaves=20,
)


def maybe(value_strategy):
    """A value of the field's kind, or now and then any JSON value (a wrong type)."""
    return mostly(value_strategy, JSON_VALUES, one_in=100)


_LEAVE_ONE_OUT, _OPTIONAL_PRESENT, _UNKNOWN_KEY = _one_in(12), _one_in(3), _one_in(10)


def _shape(required: dict, optional: dict):
    """The fields of an object: each value of its kind or, now and then, any JSON value (built once)."""
    return (
        {key: maybe(value) for key, value in required.items()},
        {key: maybe(value) for key, value in optional.items()},
        st.sampled_from(sorted(required)) if required else None,
    )


def _object(draw, shape) -> dict:
    """An object with the required keys (one of them sometimes left out), some optional keys, and
    sometimes a key the format does not know."""
    required, optional, pick_required = shape
    dropped = draw(pick_required) if pick_required is not None and draw(_LEAVE_ONE_OUT) else None
    obj = {key: draw(value) for key, value in required.items() if key != dropped}
    for key, value in optional.items():
        if draw(_OPTIONAL_PRESENT):
            obj[key] = draw(value)
    if draw(_UNKNOWN_KEY):
        obj[draw(ANY_TEXT)] = draw(JSON_VALUES)
    return obj


def objects(required: dict, optional: dict):
    """A strategy for objects of this shape (see ``_object``)."""
    shape = _shape(required, optional)
    return st.composite(lambda draw: _object(draw, shape))()


DOSES = objects(
    {"amount": NUMBER_LIKE},
    {"unit": st.sampled_from(["mg", "ml", "", "units"]), "discarded": st.one_of(NUMBER_LIKE, st.booleans())},
)
LINES = objects(
    {"code": CODE_LIKE},
    {
        "line": st.one_of(st.integers(min_value=1, max_value=60), st.integers()),
        "modifiers": st.lists(mostly(MODIFIER_LIKE, ANY_TEXT), max_size=5),
        "units": NUMBER_LIKE,
        "charge": NUMBER_LIKE,
        "dx_pointers": st.lists(mostly(st.sampled_from("ABCDL"), ANY_TEXT), max_size=5),
        "ndc": mostly(st.sampled_from(["63323050601", "00000-0000-00"]), ANY_TEXT),
        "ndc_unit": st.sampled_from(["ML", "UN", "GR", "F2", "XX"]),
        "ndc_qty": NUMBER_LIKE,
        "dose": DOSES,
        "container": mostly(st.sampled_from(["single_dose", "multi_dose"]), st.sampled_from(["vial", ""])),
        "narrative": TEXT,
        "dos": DATE_LIKE,
        "pos": mostly(st.sampled_from(["11", "22", "99"]), ANY_TEXT),
        "rendering_npi": mostly(st.just("1234567893"), ANY_TEXT),
    },
)
HISTORY_ITEMS = objects(
    {"code": CODE_LIKE, "dos": DATE_LIKE},
    {
        "modifiers": st.lists(mostly(MODIFIER_LIKE, ANY_TEXT), max_size=3),
        "units": NUMBER_LIKE,
        "status": TEXT,
        "dx": st.lists(mostly(DIAGNOSIS_LIKE, ANY_TEXT), max_size=3),
    },
)
PRODUCT_LISTS = objects(
    {}, {"preferred": st.lists(CODE_LIKE, max_size=3), "non_preferred": st.lists(CODE_LIKE, max_size=3)}
)
PAYER_CONFIGS = objects(
    {},
    {
        "timely_filing_days": NUMBER_LIKE,
        "apply_ncci": st.booleans(),
        "pa_required_codes": st.lists(CODE_LIKE, max_size=3),
        "preferred_products": st.dictionaries(mostly(st.sampled_from(["infliximab", "epoetin"]), ANY_TEXT),
                                              PRODUCT_LISTS, max_size=2),
        "rejects_S_codes": st.booleans(),
        "ndc_required_all_drug_lines": st.booleans(),
    },
)
PATIENTS = objects(
    {},
    {"dob": DATE_LIKE, "sex": st.sampled_from(["F", "M", "U", "X", "Q", "f"]), "medicare_part_b_effective": DATE_LIKE},
)
CLAIMS = objects(
    {
        "id": mostly(st.text(alphabet=string.ascii_uppercase + "-0123456789", min_size=1, max_size=8), ANY_TEXT),
        "payer_type": mostly(st.sampled_from(["medicare", "medicaid", "commercial", "MEDICARE"]), ANY_TEXT),
        "dos": DATE_LIKE,
        "lines": mostly(st.lists(LINES, min_size=1, max_size=4), st.lists(LINES, max_size=1), one_in=15),
    },
    {
        "payer_name": mostly(st.sampled_from(["Medicare Part B", "Commercial PPO"]), ANY_TEXT),
        "payer_config": PAYER_CONFIGS,
        "state": TEXT,
        "patient": PATIENTS,
        "billing_npi": mostly(st.just("1234567893"), ANY_TEXT),
        "rendering_npi": mostly(st.just("1234567893"), ANY_TEXT),
        "rendering_specialty": TEXT,
        "group_tin": TEXT,
        "pos": mostly(st.sampled_from(["11", "22"]), ANY_TEXT),
        "submission_date": DATE_LIKE,
        "diagnoses": st.lists(mostly(DIAGNOSIS_LIKE, ANY_TEXT), max_size=4),
        "prior_auth_number": TEXT,
        "frequency_code": st.sampled_from(["1", "7", "8", "x"]),
        "history": st.lists(HISTORY_ITEMS, max_size=2),
    },
)
_CLAIM_LISTS = mostly(st.lists(CLAIMS, min_size=1, max_size=3), st.just([]), one_in=30)
_ANY_DOCUMENT, _EXTRA_KEY = _one_in(16), st.booleans()


@st.composite
def scrub_documents(draw):
    """Documents shaped like the scrub format, with hostile values anywhere; now and then any JSON value."""
    if draw(_ANY_DOCUMENT):
        return draw(JSON_VALUES)
    document = {"claims": draw(_CLAIM_LISTS)}
    if draw(_EXTRA_KEY):
        document[draw(ANY_TEXT)] = draw(JSON_VALUES)
    return document


SCRUB_DOCUMENTS = scrub_documents()
