"""Hostile and random JSON thrown at ``POST /api/claims/scrub/`` through Django's test client (issue 10):
for an authorised caller the answer is 200, 400 or 413, always JSON, an error always says what is
wrong, and nothing is saved."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import example, given
from hypothesis import strategies as st

from audit.models import AuditEvent
from claims.models import ApiToken, Claim, ClaimFinding, Patient
from tests.claims.hostile import HOSTILE_SETTINGS, SCRUB_DOCUMENTS

from .test_scrub_command import CLEAN, reference_rows  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_rows")]

URL = reverse("claims:api_scrub")
ALLOWED = {200, 400, 413}


@pytest.fixture
def token_client(biller):
    _, key = ApiToken.issue(user=biller, name="hostile input")
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    client.raise_request_exception = False  # a server error must show as a 500 answer, not pass as an exception
    return client


def _counts() -> tuple[int, int, int, int]:
    return Claim.objects.count(), ClaimFinding.objects.count(), Patient.objects.count(), AuditEvent.objects.count()


def _assert_answer(response) -> None:
    assert response.status_code in ALLOWED, (response.status_code, response.content[:500])
    assert response["Content-Type"] == "application/json"
    answer = response.json()
    if response.status_code == 200:
        assert answer["claims"] and set(answer) == {"claims", "reference_data"}
    else:
        assert isinstance(answer["error"], str) and answer["error"].strip()


def _post(client: Client, body: bytes):
    return client.post(URL, data=body, content_type="application/json")


def _encoded(document) -> bytes:
    # As a client might send it: lone surrogates as \\u escapes, NaN and Infinity as JavaScript writes them.
    return json.dumps(document).encode("utf-8")


@HOSTILE_SETTINGS
@given(document=SCRUB_DOCUMENTS)
@example(document={"claims": []})
@example(document={"claims": [{**CLEAN, "dos": "9999-12-31"}]})
@example(document={"claims": [{**CLEAN, "id": "\ud800"}]})
@example(document={"claims": [{**CLEAN, "lines": [{"line": 1, "code": "\ud800"}]}]})
@example(document={"claims": [{**CLEAN, "lines": [{"line": 1, "code": "99213", "units": float("inf")}]}]})
@example(document={"claims": [CLEAN]})
def test_any_scrub_shaped_document_gets_a_json_answer_and_saves_nothing(token_client, document):
    before = _counts()
    _assert_answer(_post(token_client, _encoded(document)))
    assert _counts() == before


@HOSTILE_SETTINGS
@given(body=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)))
@example(body=b"")
@example(body=b"\xed\xa0\x80")
@example(body=b"[" * 200_000)
@example(body=b'{"claims": [' + b"9" * 5000 + b"]}")
def test_any_bytes_get_a_json_answer(token_client, body):
    before = _counts()
    _assert_answer(_post(token_client, body))
    assert _counts() == before


def test_the_limit_answers_413_json(token_client, settings):
    settings.CLAIMDESK_SCRUB_MAX_BYTES = 1000
    response = _post(token_client, _encoded({"claims": [CLEAN] * 20}))
    assert response.status_code == 413
    _assert_answer(response)


def test_a_clean_claim_still_gets_200(token_client):
    response = _post(token_client, _encoded({"claims": [CLEAN]}))
    assert response.status_code == 200
    assert response.json()["claims"][0]["id"] == "CLEAN-1"
