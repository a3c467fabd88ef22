"""``POST /api/claims/scrub/``: authentication (session + CSRF, or API token), errors, size limit,
and the same findings as ``scrub_claims`` for the same document."""

from __future__ import annotations

import copy
import io
import json

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from claims.models import ApiToken

from .test_scrub_command import DOCUMENT, reference_rows, write_input  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

URL = reverse("claims:api_scrub")


def post(client: Client, data, **extra):
    body = data if isinstance(data, str | bytes) else json.dumps(data)
    return client.post(URL, data=body, content_type="application/json", **extra)


@pytest.fixture
def token_key(biller):
    _, key = ApiToken.issue(user=biller, name="clearinghouse export")
    return key


def auth(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Token {key}"}


def test_url_is_the_documented_one():
    assert URL == "/api/claims/scrub/"


# --- authentication --------------------------------------------------------------------------------


def test_anonymous_gets_401_json_not_a_login_redirect(client):
    response = post(client, DOCUMENT)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert "Authentication required" in response.json()["error"]
    assert response["WWW-Authenticate"].startswith("Token")


@pytest.mark.parametrize("header", ["Token not-a-key", "Token ", "Bearer abc", "Basic YWRtaW46cHc="])
def test_invalid_credentials_get_401(client, token_key, header):
    response = post(client, DOCUMENT, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert "error" in response.json()


def test_inactive_token_gets_401(client, token_key):
    ApiToken.objects.update(active=False)
    assert post(client, DOCUMENT, **auth(token_key)).status_code == 401


def test_token_of_inactive_user_gets_401(client, biller, token_key):
    biller.is_active = False
    biller.save()
    assert post(client, DOCUMENT, **auth(token_key)).status_code == 401


@pytest.mark.usefixtures("reference_rows")
def test_token_works_without_csrf_and_records_last_use(token_key):
    client = Client(enforce_csrf_checks=True)
    token = ApiToken.objects.get()
    assert token.last_used_at is None
    response = post(client, DOCUMENT, **auth(token_key))
    assert response.status_code == 200, response.content
    assert [c["id"] for c in response.json()["claims"]] == ["CLEAN-1", "RISKY-1"]
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert token_key not in {token.key_hash, token.prefix}


def test_session_without_csrf_token_is_refused(biller):
    client = Client(enforce_csrf_checks=True)
    client.force_login(biller)
    response = post(client, DOCUMENT)
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]


@pytest.mark.usefixtures("reference_rows")
def test_session_with_csrf_token_is_accepted(biller):
    client = Client(enforce_csrf_checks=True)
    client.force_login(biller)
    secret = "a" * 32
    client.cookies[settings.CSRF_COOKIE_NAME] = secret
    response = post(client, DOCUMENT, HTTP_X_CSRFTOKEN=secret)
    assert response.status_code == 200, response.content
    assert response.json()["claims"][1]["risk"] == "high"


def test_get_is_405(biller_client):
    response = biller_client.get(URL)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert "error" in response.json()


# --- bad input and size limit -----------------------------------------------------------------------


def test_malformed_claim_is_400_with_the_parser_error(biller_client, tmp_path):
    data = copy.deepcopy(DOCUMENT)
    data["claims"][1]["lines"][1]["dos"] = "2026-02-30"
    response = post(biller_client, data)
    assert response.status_code == 400
    assert response.json() == {
        "error": "claim RISKY-1, line 2, field 'dos': '2026-02-30' is not a date in the form YYYY-MM-DD",
        "claim": "RISKY-1",
        "line": 2,
        "field": "dos",
    }
    # The command reports the very same text.
    with pytest.raises(Exception, match=r"claim RISKY-1, line 2, field 'dos': '2026-02-30' is not a date") as error:
        call_command("scrub_claims", str(write_input(tmp_path, data)))
    assert response.json()["error"] in str(error.value)


@pytest.mark.parametrize("body", ["{not json", "", b"\xff\xfe{", "[1, 2]"])
def test_invalid_json_is_400(biller_client, body):
    response = post(biller_client, body)
    assert response.status_code == 400
    assert response.json()["error"]
    assert set(response.json()) == {"error", "claim", "line", "field"}


def test_body_over_the_limit_is_413(biller_client, settings):
    settings.CLAIMDESK_SCRUB_MAX_BYTES = 100
    response = post(biller_client, {"claims": [], "padding": "x" * 200})
    assert response.status_code == 413
    assert "100 bytes" in response.json()["error"]


def test_body_at_the_limit_is_accepted(biller_client, settings):
    body = json.dumps({"claims": []})
    settings.CLAIMDESK_SCRUB_MAX_BYTES = len(body)
    response = post(biller_client, body)
    assert response.status_code == 200
    assert response.json()["claims"] == []


def test_limit_is_a_setting_of_five_megabytes_by_default():
    assert settings.CLAIMDESK_SCRUB_MAX_BYTES == 5 * 1024 * 1024


# --- same findings as the command --------------------------------------------------------------------


@pytest.mark.usefixtures("reference_rows")
def test_api_and_command_give_identical_results(biller_client, tmp_path):
    response = post(biller_client, DOCUMENT)
    assert response.status_code == 200
    out = io.StringIO()
    call_command("scrub_claims", str(write_input(tmp_path, DOCUMENT)), stdout=out)
    from_command = json.loads(out.getvalue())
    from_api = response.json()
    assert from_api == from_command
    assert any(c["findings"] for c in from_api["claims"])  # the comparison is not between two empty lists


@pytest.mark.parametrize("by_token", [True, False])
def test_a_user_who_may_not_enter_claims_gets_403(client, outsider, by_token):
    if by_token:
        _, key = ApiToken.issue(user=outsider, name="no role")
        response = post(client, DOCUMENT, **auth(key))
    else:
        client.force_login(outsider)
        response = post(client, DOCUMENT)
    assert response.status_code == 403
    assert "may not check claims" in response.json()["error"]
