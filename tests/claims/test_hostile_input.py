"""Hostile input to the batch check's Python entry (``parse_json`` / ``check_document``) and to
``manage.py scrub_claims``: a clear ``ScrubInputError`` (exit status 2 from the command, no traceback)
or a result that can be written, never another exception (issue 10)."""

from __future__ import annotations

import copy
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import example, given
from hypothesis import strategies as st

from claims.models import Claim, ClaimFinding, Patient
from claims.output import parse_json
from claims.rules import check_document
from claims.rules.inputs import ScrubInputError
from tests.claims.hostile import HOSTILE_SETTINGS, JSON_VALUES, SCRUB_DOCUMENTS

from .test_scrub_command import CLEAN, DOCUMENT, reference_rows, run_manage, write_input  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


def _assert_clear(error: ScrubInputError) -> None:
    message = str(error)
    assert message.strip(), "an input error must say what is wrong"
    message.encode("utf-8")  # printable: no lone surrogate echoed back
    json.dumps(error.as_dict())


def _assert_writable(result) -> None:
    assert set(result) == {"claims", "reference_data"}
    json.dumps(result, ensure_ascii=False).encode("utf-8")  # the command and the API can write it


def _check(document) -> None:
    try:
        result = check_document(document)
    except ScrubInputError as error:
        _assert_clear(error)
    else:
        _assert_writable(result)
        assert result["claims"], "a result is never empty: an empty batch is an input error"


def _counts() -> tuple[int, int, int]:
    return Claim.objects.count(), ClaimFinding.objects.count(), Patient.objects.count()


# --- properties -----------------------------------------------------------------------------------


@pytest.mark.usefixtures("reference_rows")
@HOSTILE_SETTINGS
@given(document=SCRUB_DOCUMENTS)
@example(document={"claims": []})
@example(document={"claims": [{**CLEAN, "dos": "9999-12-31"}]})
@example(document={"claims": [{**CLEAN, "id": "\ud800"}]})
@example(document={"claims": [{**CLEAN, "lines": [{"line": 1, "code": "\ud800"}]}]})
@example(document={"claims": [{**CLEAN, "lines": [{"line": 1, "code": "99213", "units": float("nan")}]}]})
@example(document={"claims": [{**CLEAN, "dos": None, "lines": [{"line": 1, "code": "99213", "dos": "bad"}]}]})
def test_check_document_gives_a_result_or_a_clear_input_error(document):
    before = _counts()
    _check(document)
    assert _counts() == before  # the batch check saves nothing


@pytest.mark.usefixtures("reference_rows")
@HOSTILE_SETTINGS
@given(document=SCRUB_DOCUMENTS)
def test_parse_json_then_check_on_the_encoded_document(document):
    # As the API and the command receive it: JSON text (NaN written as NaN, lone surrogates as escapes).
    raw = json.dumps(document).encode("utf-8")
    try:
        parsed = parse_json(raw)
    except ScrubInputError as error:
        _assert_clear(error)
        return
    _check(parsed)


@HOSTILE_SETTINGS
@given(raw=st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode)))
@example(raw=b"\xed\xa0\x80")
@example(raw=b"[" * 50_000)
@example(raw=b'{"claims": [1' + b"0" * 5000 + b"]}")
@example(raw=b"\xef\xbb\xbf{}")
def test_parse_json_of_any_bytes_is_a_value_or_a_clear_error(raw):
    try:
        parse_json(raw)
    except ScrubInputError as error:
        _assert_clear(error)


@HOSTILE_SETTINGS
@given(value=JSON_VALUES)
def test_any_json_value_round_trips_or_is_refused_clearly(value):
    try:
        parse_json(json.dumps(value))
    except ScrubInputError as error:  # NaN and infinities, which JSON does not have
        _assert_clear(error)
        assert "not a JSON number" in str(error)


# --- the command: the known cases, with a message and exit status 2, never a traceback ---------------

HOSTILE_FILES = [
    ('{"claims": []}', "the document holds no claims"),
    (json.dumps({"claims": [{**CLEAN, "dos": "9999-12-31"}]}), "claim CLEAN-1, field 'dos': 9999-12-31 is outside"),
    (json.dumps({"claims": [{**CLEAN, "id": "A\ud800"}]}), "claim #1, field 'id': contains an unpaired surrogate"),
    (
        json.dumps({"claims": [{**CLEAN, "lines": [{"line": 1, "code": "\udc00"}]}]}),
        "claim CLEAN-1, line 1, field 'code': contains an unpaired surrogate",
    ),
    ('{"claims": ' + "[" * 100_000, "nested too deeply"),
    ('{"claims": [{"id": "A", "units": NaN}]}', "NaN is not a JSON number"),
    ('{"claims": [' + "1" * 5000 + "]}", "too many digits"),
    ('"just text"', "must be a JSON object"),
]


@pytest.mark.parametrize(("text", "words"), HOSTILE_FILES)
def test_command_reports_hostile_input_with_exit_status_2(tmp_path, text, words):
    path = write_input(tmp_path, text)
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("scrub_claims", str(path), stdout=out)
    assert caught.value.returncode == 2
    assert words in str(caught.value)
    assert out.getvalue() == ""


def test_command_reports_bytes_that_are_not_utf8(tmp_path):
    path = tmp_path / "claims.json"
    path.write_bytes(b'{"claims": [{"id": "\xff"}]}')
    with pytest.raises(CommandError, match="not UTF-8") as caught:
        call_command("scrub_claims", str(path))
    assert caught.value.returncode == 2


@pytest.mark.usefixtures("reference_rows")
@pytest.mark.parametrize(
    ("where", "value", "words"),
    [
        ("code", "\ud800", "claim C-250, line 1, field 'code': contains an unpaired surrogate"),
        ("dos", "9999-12-31", "claim C-250, line 1, field 'dos': 9999-12-31 is outside"),
    ],
)
def test_command_in_worker_processes_reports_the_claim(tmp_path, where, value, words):
    """A batch big enough for worker processes: the reference data is read from the raw claims first,
    and a lone surrogate there must not reach the database."""
    claims = [{**copy.deepcopy(CLEAN), "id": f"C-{i}"} for i in range(450)]
    claims[250]["lines"][0][where] = value
    path = write_input(tmp_path, json.dumps({"claims": claims}))
    with pytest.raises(CommandError) as caught:
        call_command("scrub_claims", str(path), "--jobs", "2", stdout=StringIO())
    assert caught.value.returncode == 2
    assert words in str(caught.value)


@pytest.mark.parametrize(("text", "words"), [HOSTILE_FILES[0], HOSTILE_FILES[1], HOSTILE_FILES[2], HOSTILE_FILES[4]])
def test_command_process_prints_a_message_not_a_traceback(tmp_path, text, words):
    done = run_manage(str(write_input(tmp_path, text)))
    assert done.returncode == 2
    assert words in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


@pytest.mark.usefixtures("reference_rows")
def test_the_regular_document_still_checks(tmp_path):
    out = StringIO()
    call_command("scrub_claims", str(write_input(tmp_path, DOCUMENT)), stdout=out)
    assert [c["id"] for c in json.loads(out.getvalue())["claims"]] == ["CLEAN-1", "RISKY-1"]
