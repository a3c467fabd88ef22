"""System checks for ClaimDesk's own settings.

``claimdesk.W009`` repeats, at every command, why this configuration will not serve (``SETTINGS_PROBLEMS``:
debug off without a strong secret key or without allowed hosts); the WSGI application itself refuses to load
then (``billing_site/wsgi.py``), so neither gunicorn nor ``runserver`` starts. Commands that serve nothing
(``makemigrations``, ``collectstatic``, ``migrate``) still run.
``claimdesk.E001`` runs with ``manage.py check --deploy``. The ``claimdesk.W0xx`` warnings name a production
setting that is unsafe for patient data; they run with ``--deploy`` and, when DEBUG is off, at every check
(``migrate``, ``runserver``, ``check``), so a production server that starts with one of them says so.
``W001`` (debug on while serving real host names) is checked whenever DEBUG is on.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]", "testserver", ".localhost"}
ONE_YEAR = 365 * 24 * 3600
CSP_MIDDLEWARE = "csp.middleware.CSPMiddleware"
NO_STORE_MIDDLEWARE = "billing_site.middleware.NoStoreForSignedInUsersMiddleware"
OUR_REPORTER_FILTER = "billing_site.error_reports.ClaimDeskExceptionReporterFilter"
UNSAFE_CSP_SOURCES = {"'unsafe-inline'", "'unsafe-eval'", "*"}


@register(Tags.security)
def check_settings_may_serve(app_configs, **kwargs):
    return [
        Warning(
            f"This configuration will not serve requests: {problem}",
            hint="See docs/deploy.md, Environment variables.",
            id="claimdesk.W009",
        )
        for problem in getattr(settings, "SETTINGS_PROBLEMS", [])
    ]


@register(Tags.security, deploy=True)
def check_secret_key_is_not_the_development_key(app_configs, **kwargs):
    if settings.SECRET_KEY == getattr(settings, "DEVELOPMENT_SECRET_KEY", None):
        return [
            Error(
                "SECRET_KEY is ClaimDesk's public development key.",
                hint="Set DJANGO_SECRET_KEY to a long random value and DJANGO_DEBUG=0 in production.",
                id="claimdesk.E001",
            )
        ]
    return []


def debug_with_public_hosts() -> list[Warning]:
    public = [host for host in settings.ALLOWED_HOSTS if host not in LOCAL_HOSTS]
    if settings.DEBUG and public:
        return [
            Warning(
                f"DEBUG is on while the site answers to {', '.join(public)}: error pages show code, settings and "
                "request data to anyone.",
                hint="Set DJANGO_DEBUG=0 on any machine others can reach (DJANGO_DEBUG=1 only with local hosts).",
                id="claimdesk.W001",
            )
        ]
    return []


def unsafe_production_settings() -> list[Warning]:
    """Everything about the settings that is unsafe for a production server holding patient data (not W001)."""
    warnings = []
    engines = {db["ENGINE"] for db in settings.DATABASES.values()}
    if "django.db.backends.sqlite3" in engines:
        warnings.append(
            Warning(
                "The database is SQLite: one file on one machine, no concurrent writers, no point-in-time backups.",
                hint="Set DATABASE_URL to a PostgreSQL database (docs/deploy.md).",
                id="claimdesk.W002",
            )
        )
    if getattr(settings, "SECURE_HSTS_SECONDS", 0) < ONE_YEAR:
        warnings.append(
            Warning(
                "HTTP Strict Transport Security is off or shorter than a year: browsers may still try plain http.",
                hint="Leave DJANGO_SECURE_HSTS_SECONDS unset (one year) or set it to 31536000 or more.",
                id="claimdesk.W003",
            )
        )
    if not settings.SECURE_SSL_REDIRECT and not getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        warnings.append(
            Warning(
                "Plain http requests are not redirected to https (SECURE_SSL_REDIRECT off) and no proxy header "
                "tells the application which requests came over https.",
                hint="Leave DJANGO_SECURE_SSL_REDIRECT unset; behind a TLS proxy set DJANGO_SECURE_PROXY_SSL_HEADER=1.",
                id="claimdesk.W004",
            )
        )
    if not (settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE and settings.SESSION_COOKIE_HTTPONLY):
        warnings.append(
            Warning(
                "The session or CSRF cookie may travel over plain http, or the session cookie is readable by "
                "scripts.",
                hint="Leave DJANGO_SECURE_COOKIES unset (secure cookies) and SESSION_COOKIE_HTTPONLY on.",
                id="claimdesk.W005",
            )
        )
    policy = (getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}).get("DIRECTIVES") or {}
    sources = {source for name in ("default-src", "script-src", "style-src") for source in policy.get(name, ())}
    if CSP_MIDDLEWARE not in settings.MIDDLEWARE or "default-src" not in policy or sources & UNSAFE_CSP_SOURCES:
        warnings.append(
            Warning(
                "The Content-Security-Policy is missing or allows inline or foreign scripts and styles.",
                hint=f"Keep {CSP_MIDDLEWARE} in MIDDLEWARE and CONTENT_SECURITY_POLICY as in billing_site/settings.py.",
                id="claimdesk.W006",
            )
        )
    if NO_STORE_MIDDLEWARE not in settings.MIDDLEWARE:
        warnings.append(
            Warning(
                "Pages of signed-in users may be kept by browsers and proxies (no Cache-Control: no-store).",
                hint=f"Keep {NO_STORE_MIDDLEWARE} in MIDDLEWARE.",
                id="claimdesk.W007",
            )
        )
    if settings.DEFAULT_EXCEPTION_REPORTER_FILTER != OUR_REPORTER_FILTER:
        warnings.append(
            Warning(
                "Error reports may carry patient data: the exception reporter filter is not ClaimDesk's.",
                hint=f"Set DEFAULT_EXCEPTION_REPORTER_FILTER = {OUR_REPORTER_FILTER!r}.",
                id="claimdesk.W008",
            )
        )
    return warnings


@register(Tags.security)
def check_production_settings(app_configs, **kwargs):
    """At every check: W001 while debugging; every production warning when DEBUG is off."""
    if settings.DEBUG:
        return debug_with_public_hosts()
    return unsafe_production_settings()


@register(Tags.security, deploy=True)
def check_production_settings_for_deployment(app_configs, **kwargs):
    """``check --deploy`` while DEBUG is on (with DEBUG off the check above has said it all)."""
    if settings.DEBUG:
        return unsafe_production_settings()
    return []
