"""Production settings: debug off by default, what starting without debug requires, ``check --deploy`` clean, our
own system checks, the security headers (CSP, no-store, frame denial) on every page of a signed-in user, error
reports without patient data or secrets, and the error pages (JSON under /api/)."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client, RequestFactory
from django.urls import reverse
from django.views.debug import ExceptionReporter, get_exception_reporter_class

from billing_site import checks
from tests.claims.factories import make_claim, make_patient
from tests.codes.factories import make_code
from tests.crawl import PATIENT, site_urls

# the system-check tests point DATABASES at PostgreSQL without connecting to it
pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES:UserWarning")
ROOT = Path(django_settings.BASE_DIR)
STRONG_KEY = "k3Y-" + "production-secret-for-the-test-only-0123456789abcdef"
PRODUCTION_ENVIRONMENT = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": STRONG_KEY,
    "DJANGO_ALLOWED_HOSTS": "claims.example.org",
    # check --deploy does not connect: a PostgreSQL URL that names no real server will do
    "DATABASE_URL": "postgres://claimdesk@db.invalid:5432/claimdesk",
}


# --- settings ------------------------------------------------------------------------------------------


@contextmanager
def reloaded_settings(monkeypatch, **environment):
    """billing_site.settings imported again with ``environment`` (None deletes a variable), then restored."""
    import billing_site.settings as site_settings

    for name, value in environment.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    try:
        yield lambda: importlib.reload(site_settings)
    finally:
        monkeypatch.undo()
        importlib.reload(site_settings)


def test_debug_is_off_unless_turned_on_explicitly(monkeypatch):
    with reloaded_settings(monkeypatch, DJANGO_DEBUG=None) as reload:
        assert reload().DEBUG is False
    with reloaded_settings(monkeypatch, DJANGO_DEBUG="1", DJANGO_SECRET_KEY=None, DJANGO_ALLOWED_HOSTS=None) as reload:
        debug = reload()
        assert debug.DEBUG is True
        assert debug.SECRET_KEY == debug.DEVELOPMENT_SECRET_KEY
        assert debug.ALLOWED_HOSTS == ["localhost", "127.0.0.1"]


@pytest.mark.parametrize(
    "key",
    [
        None,
        "",
        "claimdesk-development-only-key-never-use-in-production",
        "too-short-" + "x" * 20,
        "ab" * 40,  # long, but 2 different characters
        "django-insecure-" + "q7w8e9r0t1y2u3i4o5p6a7s8d9f0g1h2j3k4l5",
    ],
    ids=["unset", "empty", "development key", "short", "few characters", "insecure prefix"],
)
def test_without_debug_a_weak_secret_key_is_a_reason_not_to_serve(monkeypatch, key):
    with reloaded_settings(monkeypatch, DJANGO_DEBUG="0", DJANGO_SECRET_KEY=key) as reload:
        production = reload()
        assert any("DJANGO_SECRET_KEY must be set to a strong secret" in p for p in production.SETTINGS_PROBLEMS)
        assert production.SECRET_KEY == ""  # nothing can be signed with it


def test_without_debug_allowed_hosts_must_be_named(monkeypatch):
    production_without_hosts = {"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": STRONG_KEY, "DJANGO_ALLOWED_HOSTS": ""}
    with reloaded_settings(monkeypatch, **production_without_hosts) as reload:
        problems = reload().SETTINGS_PROBLEMS
        assert len(problems) == 1 and "DJANGO_ALLOWED_HOSTS must name the host names" in problems[0]
    with reloaded_settings(monkeypatch, **PRODUCTION_ENVIRONMENT) as reload:
        assert reload().SETTINGS_PROBLEMS == []
    with reloaded_settings(
        monkeypatch, DJANGO_DEBUG="0", DJANGO_SECRET_KEY=STRONG_KEY, DJANGO_ALLOWED_HOSTS=" claims.example.org , "
    ) as reload:
        assert reload().ALLOWED_HOSTS == ["claims.example.org"]


def test_production_security_settings_and_their_switches(monkeypatch):
    with reloaded_settings(monkeypatch, **PRODUCTION_ENVIRONMENT, DJANGO_SECURE_SSL_REDIRECT=None) as reload:
        production = reload()
        assert production.SECURE_SSL_REDIRECT is True
        assert production.SECURE_HSTS_SECONDS == 31536000
        assert production.SECURE_HSTS_INCLUDE_SUBDOMAINS and production.SECURE_HSTS_PRELOAD
        assert production.SESSION_COOKIE_SECURE and production.CSRF_COOKIE_SECURE
        assert production.SESSION_COOKIE_HTTPONLY and production.SESSION_COOKIE_SAMESITE == "Lax"
        assert production.X_FRAME_OPTIONS == "DENY"
        assert not hasattr(production, "SECURE_PROXY_SSL_HEADER")
    with reloaded_settings(
        monkeypatch,
        **PRODUCTION_ENVIRONMENT,
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_PROXY_SSL_HEADER="1",
        DJANGO_SECURE_HSTS_SECONDS="600",
        DJANGO_SECURE_HSTS_PRELOAD="0",
    ) as reload:
        switched = reload()
        assert switched.SECURE_SSL_REDIRECT is False
        assert switched.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")
        assert switched.SECURE_HSTS_SECONDS == 600
        assert switched.SECURE_HSTS_PRELOAD is False


def test_the_test_run_uses_its_own_environment():
    """tests/environment.py's values reached the settings pytest-django loaded (a random key, the test hosts)."""
    from tests.environment import TEST_ENVIRONMENT

    assert django_settings.DEBUG is False
    assert django_settings.SECRET_KEY == os.environ["DJANGO_SECRET_KEY"]
    assert django_settings.SECRET_KEY != django_settings.DEVELOPMENT_SECRET_KEY
    assert "testserver" in django_settings.ALLOWED_HOSTS
    if os.environ["DJANGO_SECRET_KEY"] == TEST_ENVIRONMENT["DJANGO_SECRET_KEY"]:
        assert django_settings.SECRET_KEY.startswith("claimdesk-test-")


def _manage(*args, **environment) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**env, **environment}, capture_output=True, text=True
    )


def test_check_deploy_reports_nothing_in_the_production_configuration():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENVIRONMENT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)" in result.stdout


def test_check_deploy_warns_about_plain_http_when_the_redirect_is_turned_off():
    """What the CI smoke run (plain http on loopback) accepts, and nothing else may."""
    result = _manage("check", "--deploy", **PRODUCTION_ENVIRONMENT, DJANGO_SECURE_SSL_REDIRECT="0")
    output = result.stdout + result.stderr
    assert "claimdesk.W004" in output and "security.W008" in output


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"])
def test_the_server_does_not_start_without_a_secret_key_or_hosts(missing):
    """gunicorn and runserver load the WSGI application: it refuses, naming the variable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update({**PRODUCTION_ENVIRONMENT, missing: ""})
    result = subprocess.run(
        [sys.executable, "-c", "import billing_site.wsgi"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and f"so {missing} must" in result.stderr


def test_commands_that_serve_nothing_run_without_a_secret_key_and_say_why_it_would_not_serve():
    """A plain environment (debug off, no key, no hosts): makemigrations still checks the migrations."""
    result = _manage("makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout
    assert "claimdesk.W009" in result.stderr and "DJANGO_SECRET_KEY must be set to a strong secret" in result.stderr


# --- our system checks ---------------------------------------------------------------------------------


@pytest.fixture
def production_like(settings):
    """The settings of a sound production server (each test then breaks one thing)."""
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["claims.example.org"]
    settings.DATABASES = {**settings.DATABASES, "default": {**settings.DATABASES["default"]}}
    settings.DATABASES["default"]["ENGINE"] = "django.db.backends.postgresql"
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_SSL_REDIRECT = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    return settings


def _ids(messages) -> list[str]:
    return [message.id for message in messages]


def test_a_sound_production_configuration_passes_our_checks(production_like):
    assert checks.check_production_settings(None) == []
    assert checks.check_production_settings_for_deployment(None) == []


@pytest.mark.parametrize(
    "change, warning",
    [
        ({"DATABASES": {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "x.sqlite3"}}}, "claimdesk.W002"),
        ({"SECURE_HSTS_SECONDS": 0}, "claimdesk.W003"),
        ({"SECURE_HSTS_SECONDS": 3600}, "claimdesk.W003"),
        ({"SECURE_SSL_REDIRECT": False}, "claimdesk.W004"),
        ({"SESSION_COOKIE_SECURE": False}, "claimdesk.W005"),
        ({"CSRF_COOKIE_SECURE": False}, "claimdesk.W005"),
        ({"SESSION_COOKIE_HTTPONLY": False}, "claimdesk.W005"),
        ({"CONTENT_SECURITY_POLICY": {"DIRECTIVES": {"default-src": ["'self'", "'unsafe-inline'"]}}}, "claimdesk.W006"),
        ({"CONTENT_SECURITY_POLICY": {}}, "claimdesk.W006"),
        ({"DEFAULT_EXCEPTION_REPORTER_FILTER": "django.views.debug.SafeExceptionReporterFilter"}, "claimdesk.W008"),
    ],
)
def test_an_unsafe_production_setting_is_warned_about(production_like, change, warning):
    for name, value in change.items():
        setattr(production_like, name, value)
    assert _ids(checks.check_production_settings(None)) == [warning]


def test_missing_security_middleware_is_warned_about(production_like):
    production_like.MIDDLEWARE = [
        name for name in production_like.MIDDLEWARE if name not in (checks.CSP_MIDDLEWARE, checks.NO_STORE_MIDDLEWARE)
    ]
    assert _ids(checks.check_production_settings(None)) == ["claimdesk.W006", "claimdesk.W007"]


def test_ssl_redirect_off_is_fine_behind_a_proxy_that_says_https(production_like):
    production_like.SECURE_SSL_REDIRECT = False
    production_like.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert checks.check_production_settings(None) == []


def test_debug_with_public_hosts_is_warned_about_at_every_check(production_like):
    production_like.DEBUG = True
    assert _ids(checks.check_production_settings(None)) == ["claimdesk.W001"]
    production_like.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    assert checks.check_production_settings(None) == []


def test_with_debug_on_the_production_warnings_wait_for_check_deploy(production_like):
    production_like.DEBUG = True
    production_like.ALLOWED_HOSTS = ["localhost"]
    production_like.SESSION_COOKIE_SECURE = False
    assert checks.check_production_settings(None) == []
    assert _ids(checks.check_production_settings_for_deployment(None)) == ["claimdesk.W005"]


# --- headers on every page -----------------------------------------------------------------------------


@pytest.fixture
def crawled(biller):
    make_code("99213")
    claim = make_claim(biller, patient=make_patient(**PATIENT))
    return site_urls(claim_pk=claim.pk)


@pytest.mark.django_db
def test_every_answer_to_a_signed_in_user_carries_the_csp_and_no_store(client, admin_user, crawled):
    client.force_login(admin_user)
    problems = []
    for url in crawled:
        response = client.get(url.path)
        if response.status_code >= 500:
            problems.append(f"{url}: {response.status_code}")
        if "default-src 'self'" not in response.get("Content-Security-Policy", ""):
            problems.append(f"{url}: no Content-Security-Policy")
        if response.get("Cache-Control") != "no-store" or response.get("Pragma") != "no-cache":
            problems.append(f"{url}: Cache-Control {response.get('Cache-Control')!r}")
    assert problems == []


@pytest.mark.django_db
def test_the_policy_allows_nothing_inline_and_no_framing(biller_client):
    response = biller_client.get(reverse("claims:claim_new"))
    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";") if part.strip()
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["img-src"] == "'self' data:"
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert policy["form-action"] == "'self'" and policy["base-uri"] == "'self'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_an_anonymous_page_has_the_policy_but_not_our_no_store(client):
    """The login page (Django marks it never-cache itself: it holds a CSRF token) and a 404 keep their own
    Cache-Control; our middleware answers only signed-in users."""
    response = client.get(reverse("login"))
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["Cache-Control"] != "no-store" and "Pragma" not in response
    not_found = client.get("/no-such-page/")
    assert "default-src 'self'" in not_found["Content-Security-Policy"]
    assert "Cache-Control" not in not_found and "Pragma" not in not_found


@pytest.mark.django_db
def test_static_files_keep_their_caching_for_a_signed_in_user(settings, biller):
    settings.WHITENOISE_USE_FINDERS = True  # serve from static/ without collectstatic
    settings.WHITENOISE_AUTOREFRESH = True
    client = Client()  # a new handler: WhiteNoise reads its settings when the middleware is built
    client.force_login(biller)
    response = client.get("/static/css/claimdesk.css")
    assert response.status_code == 200
    assert "no-store" not in response["Cache-Control"]
    assert "max-age" in response["Cache-Control"]


def test_templates_have_no_inline_scripts_styles_or_handlers():
    """The policy blocks them: a style= attribute, a <style> or <script> block, an on…= handler."""
    import re

    offenders = []
    pattern = re.compile(r"""\sstyle=|<style|<script(?![^>]*\ssrc=)[^>]*>|\son[a-z]+=|javascript:""", re.I)
    for path in [*ROOT.glob("templates/**/*.html"), *ROOT.glob("*/templates/**/*.html")]:
        if ".venv" in path.parts:
            continue
        text = re.sub(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|{#.*?#}", "", path.read_text(), flags=re.S)
        offenders += [f"{path.relative_to(ROOT)}: {match.group(0)}" for match in pattern.finditer(text)]
    for path in [*ROOT.glob("*/admin.py"), *ROOT.glob("*/tables.py"), *ROOT.glob("*/templatetags/*.py")]:
        offenders += [f"{path.relative_to(ROOT)}: style=" for _ in re.finditer(r"style=", path.read_text())]
    assert offenders == []


# --- error reports -------------------------------------------------------------------------------------


SECRET_BODY = {
    "claims": [
        {
            "claim_id": "C-1",
            "patient": {"last_name": PATIENT["last_name"], "first_name": PATIENT["first_name"]},
            "member_id": PATIENT["member_id"],
        }
    ]
}


def _failing_scrub_report(monkeypatch, user, *, html: bool = False) -> tuple[str, str, str]:
    """A scrub API request (an API token, patient data in the body and the query string) whose check blows up:
    its key, the error report Django's handler makes of it (as for the log and the admins' e-mail) and the
    answer the client got (the debug page when DEBUG is on)."""
    from django.core.signals import got_request_exception

    import claims.api
    from claims.models import ApiToken

    def explode(*args, **kwargs):
        raise RuntimeError("the rules engine failed")

    reports = []

    def report(sender, request, **kwargs):  # sent while the exception is being handled
        reporter = get_exception_reporter_class(request)(request, *sys.exc_info())  # what Django's logging uses
        reports.append(reporter.get_traceback_html() if html else reporter.get_traceback_text())

    monkeypatch.setattr(claims.api, "check_document", explode)
    _, key = ApiToken.issue(user=user, name="billing system")
    got_request_exception.connect(report)
    try:
        response = Client(raise_request_exception=False).post(
            reverse("claims:api_scrub") + f"?member={PATIENT['member_id']}",
            data=json.dumps(SECRET_BODY),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {key}",
        )
    finally:
        got_request_exception.disconnect(report)
    assert response.status_code == 500
    [text] = reports
    return key, text, response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
@pytest.mark.parametrize("html", [False, True], ids=["text", "html"])
def test_an_error_report_of_the_scrub_api_shows_no_token_and_no_patient(monkeypatch, settings, biller, debug, html):
    settings.DEBUG = debug
    key, report, answer = _failing_scrub_report(monkeypatch, biller, html=html)
    for text in (report, answer) if debug else (report,):
        assert "the rules engine failed" in text  # it is the report of that failure
        assert "claims/api.py" in text
        assert key not in text
        assert key[:8] not in text
        for value in PATIENT.values():
            assert value not in text
    if not debug:
        assert "the rules engine failed" not in answer


@pytest.mark.django_db
def test_an_error_report_of_a_form_post_shows_no_field_values(settings, biller):
    """With DEBUG off every POST value and local variable is starred, decorated view or not."""
    request = RequestFactory().post("/claims/new/", {"patient_last_name": PATIENT["last_name"], "password": "x1"})
    request.user = biller
    local_patient = PATIENT["member_id"]  # noqa: F841 (a local variable of the failing frame)
    try:
        raise ValueError("boom")
    except ValueError:
        report = ExceptionReporter(request, *sys.exc_info()).get_traceback_text()
    assert "boom" in report and "patient_last_name" in report
    assert PATIENT["last_name"] not in report and PATIENT["member_id"] not in report


# --- error pages ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_unknown_api_address_answers_json_404(client):
    response = client.get("/api/claims/nothing-here/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "error" in response.json()


@pytest.mark.django_db
def test_a_server_error_in_the_api_answers_json_500_without_details(monkeypatch, biller):
    import claims.api

    def explode(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(claims.api, "check_document", explode)
    client = Client(raise_request_exception=False)
    client.force_login(biller)
    response = client.post(reverse("claims:api_scrub"), data=json.dumps(SECRET_BODY), content_type="application/json")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert "secret internal detail" not in response.content.decode()
    assert "Traceback" not in response.content.decode()


@pytest.mark.django_db
def test_a_server_error_on_a_page_shows_the_plain_500_page(monkeypatch, biller):
    import claims.views

    def explode(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(claims.views.ClaimListView, "get", explode)
    client = Client(raise_request_exception=False)
    client.force_login(biller)
    response = client.get(reverse("claims:claim_list"))
    assert response.status_code == 500
    assert b"Server error" in response.content and b"secret internal detail" not in response.content
    assert b"/static/css/claimdesk.css" in response.content


@pytest.mark.django_db
def test_error_pages_are_the_sites_own(client, outsider):
    not_found = client.get("/no-such-page/")
    assert not_found.status_code == 404 and b"Page not found" in not_found.content
    assert b"ClaimDesk" in not_found.content
    bad_host = client.get("/login/", HTTP_HOST="evil.example.net")
    assert bad_host.status_code == 400 and b"Bad request" in bad_host.content
    client.force_login(outsider)
    forbidden = client.get(reverse("claims:claim_list"))
    assert forbidden.status_code == 403 and b"Your account may not open this page" in forbidden.content


@pytest.mark.django_db
def test_a_csrf_failure_shows_the_sites_page():
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert b"The form could not be accepted" in response.content
    assert b"<style" not in response.content
