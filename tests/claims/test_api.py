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

from .test_scrub_command import CLEAN, DOCUMENT, reference_rows, write_input  # noqa: F401 (fixture)

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
    body = json.dumps({"claims": [CLEAN]})
    settings.CLAIMDESK_SCRUB_MAX_BYTES = len(body)
    response = post(biller_client, body)
    assert response.status_code == 200
    assert [c["id"] for c in response.json()["claims"]] == ["CLEAN-1"]


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
def test_a_user_with_no_permissions_gets_403(client, outsider, by_token):
    if by_token:
        _, key = ApiToken.issue(user=outsider, name="no role")
        response = post(client, DOCUMENT, **auth(key))
    else:
        client.force_login(outsider)
        response = post(client, DOCUMENT)
    assert response.status_code == 403
    assert "may not check claims" in response.json()["error"]


# --- the "check claims" permission (issue 10) ---------------------------------------------------------


def _user_with(django_user_model, username: str, *codenames: str):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user(username)
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="claims", codename__in=codenames))
    return user


@pytest.mark.parametrize("by_token", [True, False])
def test_entering_claims_without_check_claims_is_403(client, django_user_model, by_token):
    user = _user_with(django_user_model, "entry-only", "add_claim", "change_claim", "view_claim")
    if by_token:
        _, key = ApiToken.issue(user=user, name="entry only")
        response = post(client, DOCUMENT, **auth(key))
    else:
        client.force_login(user)
        response = post(client, DOCUMENT)
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert "Can check claims" in response.json()["error"]


@pytest.mark.usefixtures("reference_rows")
def test_the_check_claims_permission_alone_is_enough(client, django_user_model):
    user = _user_with(django_user_model, "checker", "check_claim")
    _, key = ApiToken.issue(user=user, name="checker")
    response = post(client, DOCUMENT, **auth(key))
    assert response.status_code == 200, response.content


def test_billers_and_supervisors_hold_check_claims(biller, supervisor, outsider):
    from claims.roles import BILLING_STAFF, ROLE_PERMISSIONS, SUPERVISORS

    assert "claims.check_claim" in ROLE_PERMISSIONS[BILLING_STAFF]
    assert "claims.check_claim" in ROLE_PERMISSIONS[SUPERVISORS]
    assert biller.has_perm("claims.check_claim") and supervisor.has_perm("claims.check_claim")
    assert not outsider.has_perm("claims.check_claim")


# --- token expiry and revocation (issue 10) -----------------------------------------------------------


def test_expired_token_gets_401_saying_when(client, biller):
    from datetime import timedelta

    from django.utils import timezone

    token, key = ApiToken.issue(user=biller, name="old export")
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    token.refresh_from_db()
    response = post(client, DOCUMENT, **auth(key))
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    expected = f"expired on {timezone.localtime(token.expires_at):%Y-%m-%d}"
    assert expected in response.json()["error"]
    token.refresh_from_db()
    assert token.last_used_at is None  # a refused token is not "used"


def test_revoked_token_gets_401_saying_revoked(client, biller, admin_user):
    from claims.api_tokens import api_token_revoke

    token, key = ApiToken.issue(user=biller, name="export")
    assert api_token_revoke(token=token, revoked_by=admin_user)
    response = post(client, DOCUMENT, **auth(key))
    assert response.status_code == 401
    assert "revoked" in response.json()["error"]


@pytest.mark.usefixtures("reference_rows")
def test_token_just_before_expiry_works(client, biller):
    from datetime import timedelta

    from django.utils import timezone

    _, key = ApiToken.issue(user=biller, name="export", expires_at=timezone.now() + timedelta(minutes=1))
    assert post(client, DOCUMENT, **auth(key)).status_code == 200


def test_new_tokens_expire_after_the_configured_days(biller, settings):
    from datetime import timedelta

    from django.utils import timezone

    settings.CLAIMDESK_API_TOKEN_DAYS = 7
    token, _ = ApiToken.issue(user=biller, name="week")
    assert abs(token.expires_at - (timezone.now() + timedelta(days=7))) < timedelta(minutes=1)


# --- hostile input: JSON errors, never a server error (issue 10) ------------------------------------


def _claim(**changes):
    claim = copy.deepcopy(CLEAN)
    claim.update(changes)
    return claim


@pytest.mark.usefixtures("reference_rows")  # the empty batch failed only with reference data loaded
def test_an_empty_batch_is_400_saying_so(biller_client):
    response = post(biller_client, {"claims": []})
    assert response.status_code == 400
    assert response.json()["error"] == (
        "field 'claims': the document holds no claims: send at least one claim in the 'claims' list"
    )


@pytest.mark.usefixtures("reference_rows")
@pytest.mark.parametrize(
    ("claim", "expected"),
    [
        (
            _claim(dos="9999-12-31"),
            "claim CLEAN-1, field 'dos': 9999-12-31 is outside the dates accepted (1900-01-01 to 2100-12-31)",
        ),
        (
            _claim(lines=[{"line": 1, "code": "99213", "dos": "9999-12-31"}]),
            "claim CLEAN-1, line 1, field 'dos': 9999-12-31 is outside the dates accepted (1900-01-01 to 2100-12-31)",
        ),
        (
            _claim(dos=None, lines=[{"line": 3, "code": "99213", "dos": "1899-12-31"}]),
            "claim CLEAN-1, line 3, field 'dos': 1899-12-31 is outside the dates accepted (1900-01-01 to 2100-12-31)",
        ),
        (
            _claim(submission_date="9999-12-31"),
            "claim CLEAN-1, field 'submission_date': 9999-12-31 is outside the dates accepted "
            "(1900-01-01 to 2100-12-31)",
        ),
        (
            _claim(patient={"dob": "0001-01-01"}),
            "claim CLEAN-1, field 'patient.dob': 0001-01-01 is outside the dates accepted (1900-01-01 to 2100-12-31)",
        ),
    ],
)
def test_dates_outside_1900_2100_are_400_naming_claim_line_and_field(biller_client, claim, expected):
    response = post(biller_client, {"claims": [claim]})
    assert response.status_code == 400, response.content
    assert response.json()["error"] == expected


@pytest.mark.usefixtures("reference_rows")
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            '{"claims": [{"id": "X\\ud800", "payer_type": "medicare", "dos": "2026-03-09", '
            '"lines": [{"line": 1, "code": "99213"}]}]}',
            {"claim": "#1", "line": None, "field": "id"},
        ),
        (
            '{"claims": [{"id": "A-1", "payer_type": "medicare", "dos": "2026-03-09", '
            '"lines": [{"line": 1, "code": "\\udfff"}]}]}',
            {"claim": "A-1", "line": 1, "field": "code"},
        ),
        (
            '{"claims": [{"id": "A-1", "payer_type": "medicare", "dos": "2026-03-09", '
            '"lines": [{"line": 2, "code": "99213", "modifiers": ["2\\ud800"]}]}]}',
            {"claim": "A-1", "line": 2, "field": "modifiers"},
        ),
        (
            '{"claims": [{"id": "A-1", "payer_type": "medicare", "dos": "2026-03-09", "patient": {"sex": "\\ud800"}, '
            '"lines": [{"line": 1, "code": "99213"}]}]}',
            {"claim": "A-1", "line": None, "field": "patient.sex"},
        ),
        (  # a surrogate written as (invalid) UTF-8 bytes, which the JSON parser lets through
            b'{"claims": [{"id": "A-1", "payer_type": "medicare", "dos": "2026-03-09", "payer_name": "\xed\xa0\x80", '
            b'"lines": [{"line": 1, "code": "99213"}]}]}',
            {"claim": "A-1", "line": None, "field": "payer_name"},
        ),
        (
            '{"claims": [{"id": "A-1", "payer_type": "medicare", "dos": "2026-03-0\\ud800", '
            '"lines": [{"line": 1, "code": "99213"}]}]}',
            {"claim": "A-1", "line": None, "field": "dos"},
        ),
    ],
)
def test_unpaired_surrogates_are_400_naming_the_field(biller_client, body, expected):
    response = post(biller_client, body)
    assert response.status_code == 400, response.content
    answer = response.json()
    assert {key: answer[key] for key in expected} == expected
    assert "unpaired surrogate" in answer["error"]


@pytest.mark.usefixtures("reference_rows")
def test_a_valid_surrogate_pair_is_text_not_an_error(biller_client):
    body = json.dumps({"claims": [_claim(id="EMOJI-\U0001f600")]})  # json.dumps writes the pair \\ud83d\\ude00
    assert "\\ud83d\\ude00" in body
    response = post(biller_client, body)
    assert response.status_code == 200, response.content
    assert response.json()["claims"][0]["id"] == "EMOJI-\U0001f600"


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"\xed\xa0\x80", "not valid JSON"),  # a surrogate written as UTF-8 bytes, alone
        (b'{"claims": "\xff"}', "not UTF-8"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"claims": [{"id": "A", "payer_type": "medicare", "dos": "2026-03-09", '
         '"lines": [{"line": 1, "code": "99213", "units": 1' + "0" * 5000 + "}]}]}", "too many digits"),
        ('{"claims": [{"id": "A", "payer_type": "medicare", "dos": "2026-03-09", '
         '"lines": [{"line": 1, "code": "99213", "units": NaN}]}]}', "NaN is not a JSON number"),
        ('{"claims": [{"id": "A", "payer_type": "medicare", "dos": "2026-03-09", '
         '"lines": [{"line": 1, "code": "99213", "charge": -Infinity}]}]}', "-Infinity is not a JSON number"),
        ('{"claims": [{"id": "A", "payer_type": "medicare", "dos": "2026-03-09", '
         '"lines": [{"line": 1, "code": "99213", "charge": 1e999}]}]}', "is not a number"),
        ('"claims"', "must be a JSON object"),
        ("null", "must be a JSON object"),
        ('{"claims": {"id": "A"}}', "'claims' list"),
        ('{"claims": [[]]}', "must be a JSON object"),
        ('{"claims": [{"id": {"x": 1}, "payer_type": "medicare"}]}', "must be text, not dict"),
        ('{"claims": [{"id": "A", "payer_type": "medicare", "dos": 20260309, "lines": [{"code": "99213"}]}]}',
         "must be a date YYYY-MM-DD, not int"),
        ('{"claims": [{"id": "A", "payer_type": "medicare", "dos": "2026-03-09", '
         '"payer_config": {"timely_filing_days": 1e300}, "lines": [{"code": "99213"}]}]}', "at most 36525 days"),
        ('{"claims": [{"id": "A", "payer_type": "medicare", "lines": [{"code": "99213", "dos": "next week"}]}]}',
         "'next week' is not a date"),
    ],
)
def test_hostile_bodies_are_400_with_a_message(biller_client, body, words):
    response = post(biller_client, body)
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    assert words in response.json()["error"]


def test_a_long_wrong_value_is_quoted_short(biller_client):
    response = post(biller_client, {"claims": [_claim(dos="x" * 100_000)]})
    assert response.status_code == 400
    assert len(response.json()["error"]) < 200


@pytest.mark.parametrize("method", ["get", "put", "delete", "patch"])
def test_other_methods_are_405_json(biller_client, method):
    response = getattr(biller_client, method)(URL)
    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
