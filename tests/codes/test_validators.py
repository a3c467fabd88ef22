"""``codes.validators``: the shared refusal of lone surrogates and of dates outside 1900–2100."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict

from codes.validators import (
    DATE_OF_SERVICE_RANGE,
    SurrogateSafeFormMixin,
    date_range_problem,
    has_unpaired_surrogate,
    reject_unpaired_surrogates,
    unpaired_surrogate_problem,
    validate_date_in_range,
    without_unpaired_surrogates,
)


@pytest.mark.parametrize("text", ["\ud800", "a\udfffb", "99213\udc80"])
def test_lone_surrogates_are_refused_with_a_message(text):
    assert has_unpaired_surrogate(text)
    with pytest.raises(ValidationError) as caught:
        reject_unpaired_surrogates(text)
    assert caught.value.code == "unpaired_surrogate"
    assert "unpaired surrogate" in caught.value.messages[0]
    assert "unpaired surrogate" in unpaired_surrogate_problem(text)
    assert not has_unpaired_surrogate(without_unpaired_surrogates(text))
    without_unpaired_surrogates(text).encode("utf-8")  # now printable


@pytest.mark.parametrize("text", ["", "99213", "Müller", "😀 emoji (a valid pair)", "日本語"])
def test_real_text_passes(text):
    reject_unpaired_surrogates(text)
    assert unpaired_surrogate_problem(text) is None
    assert without_unpaired_surrogates(text) == text


def test_non_text_passes():
    reject_unpaired_surrogates(None)
    reject_unpaired_surrogates(12)


@pytest.mark.parametrize("day", [date(1900, 1, 1), date(2026, 3, 9), date(2100, 12, 31), datetime(2000, 5, 1, 12)])
def test_dates_inside_the_range_pass(day):
    validate_date_in_range(day)
    assert date_range_problem(day) is None


@pytest.mark.parametrize("day", [date(1899, 12, 31), date(2101, 1, 1), date(9999, 12, 31), date(1, 1, 1)])
def test_dates_outside_the_range_are_refused(day):
    with pytest.raises(ValidationError) as caught:
        validate_date_in_range(day)
    assert caught.value.code == "date_out_of_range"
    assert caught.value.messages == [f"{day.isoformat()} is outside the dates accepted (1900-01-01 to 2100-12-31)."]
    assert date_range_problem(day).startswith(day.isoformat())
    assert DATE_OF_SERVICE_RANGE == (date(1900, 1, 1), date(2100, 12, 31))


class _Form(SurrogateSafeFormMixin, forms.Form):
    name = forms.CharField()
    count = forms.IntegerField(required=False)


def test_form_mixin_refuses_the_field_and_can_be_shown_again():
    form = _Form(data={"name": "x\ud800y", "count": "3"})
    assert not form.is_valid()
    assert [e.code for e in form.errors.as_data()["name"]] == ["unpaired_surrogate"]
    html = str(form["name"])
    html.encode("utf-8")  # rendering the typed value again does not fail
    assert "x\ufffdy" in html


def test_form_mixin_with_prefix_and_querydict():
    data = QueryDict(mutable=True)
    data["p-name"] = "fine"
    data.setlist("p-count", ["1\udc00"])
    form = _Form(data=data, prefix="p")
    assert not form.is_valid()
    assert "unpaired_surrogate" in [e.code for e in form.errors.as_data()["count"]]
    assert "name" not in form.errors


def test_form_mixin_leaves_clean_input_alone():
    form = _Form(data={"name": "Müller 😀", "count": "2"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"name": "Müller 😀", "count": 2}
