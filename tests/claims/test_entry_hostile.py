"""Hostile input to the entry page and the live check: limits on lines, dates and text, and random form data.

Whatever is posted, the answer is never a server error: the page comes back with a clear message at the field
(or the conflict message for an edit), and nothing is saved from a post that is not a valid claim.

Random data reaches the views two ways: as a browser sends it (URL-encoded UTF-8; a lone surrogate cannot be
encoded, so Django reads it as U+FFFD), and raw, with lone surrogates put into ``request.POST`` by a test
middleware (as text decoded from JSON would carry them).
"""

from __future__ import annotations

import re
import string
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from claims import forms as claim_forms
from claims.forms import MAX_LINES, ClaimForm, LineFormSet, read_lines
from claims.models import Claim, ClaimLine, Patient
from tests.claims.factories import make_payer

from .entry_helpers import entry_data
from .page_forms import form_data

# Hypothesis keeps caches (constants, Unicode data) in its home directory even without an example database:
# under var/ (ignored by git), not a .hypothesis directory in the repository's root.
set_hypothesis_home_dir(str(Path(settings.VAR_DIR) / "hypothesis"))

NEW = reverse("claims:claim_new")
LIVE = reverse("claims:live_check")
SURROGATE_MESSAGE = "unpaired surrogate"
RANGE_MESSAGE = "is outside the dates accepted (1900-01-01 to 2100-12-31)"
ANSWERS = {200, 302, 400, 404, 409, 422}  # never 500


pytestmark = pytest.mark.usefixtures("starter_data_for_module")  # tests/claims/conftest.py


@pytest.fixture
def medicare(db):
    return make_payer()


def claim_post(payer, **header) -> dict[str, str]:
    data = entry_data(payer, [{"code": "96372", "charge": "25.00"}, {"code": "J8499", "charge": "10.00"}], **header)
    return {key: str(value) for key, value in data.items()}


def counts() -> tuple[int, int, int]:
    return Claim.objects.count(), ClaimLine.objects.count(), Patient.objects.count()


# --- raw lone surrogates in request.POST ----------------------------------------------------------------
MARK = re.compile(r"⟦U\+([0-9A-F]{4})⟧")


def marked(text: str) -> str:
    """Text with each lone surrogate written as a marker the test middleware turns back into the surrogate."""
    return "".join(f"⟦U+{ord(ch):04X}⟧" if "\ud800" <= ch <= "\udfff" else ch for ch in text)


class RawSurrogates:
    """Test middleware: puts lone surrogates (written as markers) into ``request.POST``, keys and values."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        posted = request.POST
        if request.method == "POST" and any("⟦U+" in key + "".join(posted.getlist(key)) for key in posted):
            raw = type(posted)(mutable=True)
            for key in posted:
                raw.setlist(
                    MARK.sub(lambda m: chr(int(m.group(1), 16)), key),
                    [MARK.sub(lambda m: chr(int(m.group(1), 16)), value) for value in posted.getlist(key)],
                )
            request._post = raw
        return self.get_response(request)


raw_surrogates = override_settings(MIDDLEWARE=[*settings.MIDDLEWARE, f"{__name__}.RawSurrogates"])


def post_raw(client, url: str, pairs: list[tuple[str, str]]):
    """POST with lone surrogates arriving in ``request.POST`` as they are."""
    body = "&".join(f"{quote(marked(key))}={quote(marked(value))}" for key, value in pairs)
    return client.post(url, body, content_type="application/x-www-form-urlencoded")


def post_as_browser(client, url: str, pairs: list[tuple[str, str]]):
    """POST URL-encoded as a browser does (lone surrogates as the bytes UTF-8 would give them)."""
    encode = lambda text: quote(text.encode("utf-8", "surrogatepass"))  # noqa: E731
    body = "&".join(f"{encode(key)}={encode(value)}" for key, value in pairs)
    return client.post(url, body.encode("ascii"), content_type="application/x-www-form-urlencoded")


# --- at most 50 lines ---------------------------------------------------------------------------------
@pytest.fixture
def built_line_forms(monkeypatch):
    """How many line forms the formset builds."""
    built: list[int] = []
    form_class = LineFormSet.form
    original = form_class.__init__

    def counting(self, *args, **kwargs):
        built.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(form_class, "__init__", counting)
    return built


@pytest.mark.parametrize("total", ["100000", "51", "999999999999999999999"])
def test_more_than_50_lines_is_refused_without_building_the_forms(biller_client, medicare, built_line_forms, total):
    data = {**claim_post(medicare), "lines-TOTAL_FORMS": total, "action": "save"}
    response = biller_client.post(NEW, data)
    html = response.content.decode()
    assert response.status_code == 422 and f"at most {MAX_LINES} service lines" in html
    assert len(built_line_forms) <= MAX_LINES + 1  # the lines read, and the template of a new line
    assert counts() == (0, 0, 0)


def test_more_than_50_lines_on_an_edit_is_refused_too(biller_client, medicare, built_line_forms):
    biller_client.post(NEW, {**claim_post(medicare), "action": "save"})
    claim = Claim.objects.get()
    data = form_data(biller_client.get(reverse("claims:claim_edit", args=[claim.pk])).content.decode())
    built_line_forms.clear()
    data.update({"lines-TOTAL_FORMS": "100000", "action": "save"})
    response = biller_client.post(reverse("claims:claim_edit", args=[claim.pk]), data)
    assert response.status_code == 422 and f"at most {MAX_LINES} service lines" in response.content.decode()
    assert len(built_line_forms) <= MAX_LINES + 1
    assert Claim.objects.get().version == claim.version


def test_the_live_check_reads_at_most_50_lines_and_says_so(biller_client, medicare, monkeypatch):
    readings: list[int] = []
    original = claim_forms.LineReading

    def counting(*args, **kwargs):
        readings.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(claim_forms, "LineReading", counting)
    response = biller_client.post(LIVE, {**claim_post(medicare), "lines-TOTAL_FORMS": "100000"})
    assert response.status_code == 200
    assert f"A claim has at most {MAX_LINES} service lines" in response.content.decode()
    assert len(readings) == MAX_LINES
    assert counts() == (0, 0, 0)


# --- dates within 1900–2100 ---------------------------------------------------------------------------
@pytest.mark.parametrize("day", ["9999-12-31", "1899-12-31", "2101-01-01", "0001-01-01"])
@pytest.mark.parametrize("field", ["date_of_service", "patient_dob", "lines-0-date_of_service"])
def test_a_date_outside_1900_to_2100_gets_a_message_at_the_field(biller_client, medicare, field, day):
    data = {**claim_post(medicare), field: day}
    response = biller_client.post(NEW, {**data, "action": "save"})
    html = response.content.decode()
    assert response.status_code == 422 and f"{day} {RANGE_MESSAGE}" in html
    assert re.search(
        rf'name="{field}"[^>]*class="[^"]*is-invalid|class="[^"]*is-invalid[^"]*"[^>]*name="{field}"', html
    )
    assert counts() == (0, 0, 0)
    live = biller_client.post(LIVE, data)
    assert live.status_code == 200 and f"{day} {RANGE_MESSAGE}" in live.content.decode()


def test_the_first_and_last_accepted_days_are_accepted(biller_client, medicare):
    data = claim_post(medicare, patient_dob="1900-01-01")
    data["lines-0-date_of_service"] = "2026-03-09"
    assert biller_client.post(NEW, {**data, "action": "save"}).status_code == 302
    form = ClaimForm({**data, "date_of_service": "2100-12-31"}, instance=Claim())
    assert form.is_valid(), form.errors


# --- unpaired surrogates ------------------------------------------------------------------------------
@pytest.mark.parametrize("field", ["patient_last_name", "member_id", "diagnosis_a", "prior_auth_number", "billing_npi"])
def test_the_header_form_refuses_a_lone_surrogate_at_the_field(medicare, field):
    form = ClaimForm({**claim_post(medicare), field: "Do\ud800e"}, instance=Claim())
    assert not form.is_valid() and SURROGATE_MESSAGE in " ".join(form.errors[field])


@pytest.mark.parametrize("field", ["code", "modifier_1", "ndc", "narrative", "dose_unit"])
def test_the_line_reader_refuses_a_lone_surrogate_at_the_field(medicare, field):
    data = {**claim_post(medicare), f"lines-0-{field}": "\udc00"}
    reading = read_lines(data, {"A": "J45.909"})[0]
    assert any(SURROGATE_MESSAGE in error.text and error.field_id == f"id_lines-0-{field}" for error in reading.errors)


@raw_surrogates
@pytest.mark.parametrize("field", ["patient_first_name", "lines-1-code", "lines-0-narrative", "diagnosis_a"])
def test_a_lone_surrogate_in_the_post_gets_a_message_not_a_server_error(biller_client, medicare, field):
    data = {**claim_post(medicare), field: "a\ud800b", "action": "save"}
    response = post_raw(biller_client, NEW, list(data.items()))
    html = response.content.decode()
    assert response.status_code == 422 and SURROGATE_MESSAGE in html
    assert "a\ufffdb" in html  # what was typed is shown again, the invalid character replaced
    assert counts() == (0, 0, 0)
    live = post_raw(biller_client, LIVE, list(data.items()))
    assert live.status_code == 200 and SURROGATE_MESSAGE in live.content.decode()


@raw_surrogates
@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("lines-TOTAL_FORMS", "2\ud800", "did not arrive whole"),
        ("lines-INITIAL_FORMS", "\udfff", "did not arrive whole"),
        ("ack-claim-RULE\ud800", "reason", SURROGATE_MESSAGE),
        ("ack-lines-0-DRG-ORAL-MEDICARE", "because \ud800", SURROGATE_MESSAGE),
        ("lines-0-DELETE", "\ud800", "Nothing was saved"),
        ("lines-0-id", "\ud800", "Nothing was saved"),
        ("\ud800", "\udc00", None),  # a key no field reads: ignored
    ],
)
def test_a_lone_surrogate_anywhere_in_the_post_is_no_server_error(biller_client, medicare, key, value, message):
    data = {**claim_post(medicare), key: value, "action": "submit"}
    response = post_raw(biller_client, NEW, list(data.items()))
    if message is None:
        assert response.status_code == 302 and counts()[0] == 1
        return
    assert response.status_code == 422 and message in response.content.decode()
    assert counts() == (0, 0, 0)
    live = post_raw(biller_client, LIVE, list(data.items()))
    assert live.status_code == 200


# --- random form data -----------------------------------------------------------------------------------
HOSTILE_TEXT = st.one_of(
    st.text(max_size=30),
    st.text(
        alphabet=st.sampled_from(list("\ud800\udbff\udc00\udfff\x00\x07\x1b\r\n\t\u202e\ufffd aZ9-./%&=+")), max_size=12
    ),
    st.sampled_from(["", " ", "\ud800", "a\udfffb", "\x00", "NaN", "sNaN",
        "Infinity", "-0", "1e999", "٣", "²", "𝟗𝟗𝟐𝟏𝟑"]),
)
DATES = st.one_of(
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(lambda day: day.isoformat()),
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(lambda day: day.strftime("%m/%d/%Y")),
    st.sampled_from(["9999-12-31", "0000-00-00", "2026-02-30", "2026-13-01", "1899-12-31", "2101-01-01"]),
)
NUMBERS = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(repr),
)
COUNTS = st.one_of(
    st.integers(min_value=-5, max_value=200).map(str),
    st.sampled_from(["100000", "999999999999999999999", "", "x", "1.5", "-0", "٣", "²", " 3 ", "2\x00"]),
)
VALUE = st.one_of(HOSTILE_TEXT, DATES, NUMBERS, COUNTS)
FIELD_KINDS = {
    "date_of_service": DATES,
    "patient_dob": DATES,
    "lines-0-date_of_service": DATES,
    "lines-1-date_of_service": DATES,
    "lines-0-units": NUMBERS,
    "lines-0-charge": NUMBERS,
    "lines-1-ndc_quantity": NUMBERS,
    "lines-1-dose_amount": NUMBERS,
    "lines-TOTAL_FORMS": COUNTS,
    "lines-INITIAL_FORMS": COUNTS,
    "lines-MAX_NUM_FORMS": COUNTS,
    "version": COUNTS,
    "claim_id": COUNTS,
    "payer": COUNTS,
}


@st.composite
def hostile_posts(draw, base: dict[str, str]) -> list[tuple[str, str]]:
    """A valid form's data, some fields removed or replaced by hostile values, some keys added."""
    data = dict(base)
    keys = sorted(set(data) | set(FIELD_KINDS))
    for key in draw(st.lists(st.sampled_from(keys), max_size=8, unique=True)):
        if draw(st.booleans()) and key in data:
            del data[key]
        else:
            data[key] = draw(FIELD_KINDS.get(key, VALUE))
    extra = draw(
        st.lists(
            st.tuples(
                st.one_of(
                    st.sampled_from(
                        [f"lines-{n}-{f}" for n in (2, 7, 49, 50, 99999) for f in ("code", "id", "DELETE")]
                    ),
                    st.text(alphabet=string.printable + "\ud800", max_size=10),
                ),
                VALUE,
            ),
            max_size=4,
        )
    )
    data["action"] = draw(st.sampled_from(["save", "check", "submit", "add_line", "bogus", "\ud800"]))
    return list(data.items()) + extra


def hypothesis_runs(examples: int):
    return hypothesis_settings(
        max_examples=examples,
        deadline=None,
        database=None,  # no example database in the repository
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )


MESSAGES = ("Nothing was saved", "changed by someone else", "reload the claim", "at most 50 service lines")


def _assert_answered(response, before, *, claim=None, version=None) -> None:
    assert response.status_code in ANSWERS, response.status_code
    if response.status_code in (409, 422):
        html = response.content.decode()
        assert any(message in html for message in MESSAGES), html[:2000]
    if response.status_code != 302:
        assert counts() == before
        if claim is not None:
            assert Claim.objects.get(pk=claim.pk).version == version


@raw_surrogates
@hypothesis_runs(100)
@given(data=st.data(), raw=st.booleans())
def test_random_posts_to_the_new_claim_page_never_fail(biller_client, medicare, data, raw):
    pairs = data.draw(hostile_posts({**claim_post(medicare), "action": "save"}))
    before = counts()
    response = (post_raw if raw else post_as_browser)(biller_client, NEW, pairs)
    _assert_answered(response, before)


@pytest.fixture
def open_claim(biller_client, medicare):
    biller_client.post(NEW, {**claim_post(medicare), "action": "save"})
    claim = Claim.objects.get()
    url = reverse("claims:claim_edit", args=[claim.pk])
    return claim, url, form_data(biller_client.get(url).content.decode())


@raw_surrogates
@hypothesis_runs(60)  # each example checks the claim (the rules run): fewer, to keep the suite's time
@given(data=st.data(), raw=st.booleans())
def test_random_posts_to_the_edit_page_never_fail(biller_client, open_claim, data, raw):
    claim, url, opened = open_claim
    claim.refresh_from_db()
    base = {**opened, "version": str(claim.version)}  # the current version: the form is checked, not refused
    pairs = data.draw(hostile_posts(base))
    before, version = counts(), claim.version
    response = (post_raw if raw else post_as_browser)(biller_client, url, pairs)
    _assert_answered(response, before, claim=claim, version=version)


@raw_surrogates
@hypothesis_runs(60)
@given(data=st.data(), raw=st.booleans())
def test_random_posts_to_the_live_check_never_fail_and_save_nothing(biller_client, open_claim, data, raw):
    claim, _, opened = open_claim
    claim.refresh_from_db()
    pairs = data.draw(hostile_posts(opened))
    before, version = counts(), claim.version
    response = (post_raw if raw else post_as_browser)(biller_client, LIVE, pairs)
    assert response.status_code in (200, 404), response.status_code  # 404: a claim id the biller cannot see
    assert counts() == before and Claim.objects.get(pk=claim.pk).version == version


@pytest.mark.parametrize("field", ["units", "charge", "ndc_quantity", "dose_amount"])
def test_a_signalling_nan_is_a_typing_error_not_a_server_error(biller_client, medicare, field):
    """Django's decimal field compares "sNaN" with the initial value before validating it, which raised."""
    data = entry_data(medicare, [{"code": "99213", field: "sNaN"}])
    response = biller_client.post(reverse("claims:claim_new"), {**data, "action": "save"})
    assert response.status_code == 422 and "Enter a number." in response.content.decode()  # the form, with its errors
    assert not Claim.objects.exists()
