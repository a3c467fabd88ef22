"""ClaimDesk settings: one file, driven by environment variables (all of them: docs/deploy.md).

DEBUG            off unless DJANGO_DEBUG=1 (`make run` turns it on for the local server)
SECRET_KEY       DJANGO_SECRET_KEY; required and strong when DEBUG is off, a development key while debugging
DATABASE_URL     PostgreSQL in production (postgres://user@host:5432/db); SQLite at var/db.sqlite3 otherwise
ALLOWED_HOSTS    DJANGO_ALLOWED_HOSTS, comma separated; required when DEBUG is off
CLAIMDESK_SCRUB_MAX_BYTES  largest request body of POST /api/claims/scrub/ (default 5 MB)
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"


def env_bool(name: str, default: str) -> bool:
    return os.environ.get(name, default).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", "0")

DEVELOPMENT_SECRET_KEY = "claimdesk-development-only-key-never-use-in-production"  # noqa: S105
# Why this configuration must not serve requests (debug off without a strong key or without host names).
# The settings still load, so that commands which serve nothing (makemigrations, migrate, collectstatic) run
# and say why (claimdesk.W009); the WSGI application refuses to load (billing_site/wsgi.py), so neither
# gunicorn nor runserver starts.
SETTINGS_PROBLEMS: list[str] = []
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not DEBUG and (
    not SECRET_KEY
    or SECRET_KEY == DEVELOPMENT_SECRET_KEY
    or SECRET_KEY.startswith(SECRET_KEY_INSECURE_PREFIX)
    or len(SECRET_KEY) < SECRET_KEY_MIN_LENGTH
    or len(set(SECRET_KEY)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
):
    SETTINGS_PROBLEMS.append(
        "DJANGO_DEBUG is off, so DJANGO_SECRET_KEY must be set to a strong secret: at least "
        f"{SECRET_KEY_MIN_LENGTH} characters, {SECRET_KEY_MIN_UNIQUE_CHARACTERS} or more different ones, not the "
        "development key. Generate one with: python -c \"import secrets; print(secrets.token_urlsafe(50))\" "
        "(or set DJANGO_DEBUG=1 on a development machine)."
    )
    SECRET_KEY = ""  # nothing can sign a session or a form with it (Django refuses an empty key)
elif not SECRET_KEY:
    SECRET_KEY = DEVELOPMENT_SECRET_KEY

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1" if DEBUG else "")
if not DEBUG and not ALLOWED_HOSTS:
    SETTINGS_PROBLEMS.append(
        "DJANGO_DEBUG is off, so DJANGO_ALLOWED_HOSTS must name the host names this site answers to, comma "
        "separated (e.g. claims.example.org)."
    )
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tables2",
    "django_filters",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "billing_site",
    "audit",
    "codes",
    "claims",
    "edi",  # X12 837P in and out (issue 12): builds on claims, claims never imports edi
    # Accounts: sign-in, sessions and two-factor (issue 10)
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "accounts",
    "django_tasks",  # Django's Tasks API, backported to 5.2 (batches/background.py is the one place importing it)
    "django_tasks_db",  # the database task backend: its queue table (CLAIMDESK_TASKS_BACKEND=db, the default)
    "batches",  # background batches (issue 12): builds on claims and codes, claims never imports batches
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",  # Content-Security-Policy on every page (static files are served above it)
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "billing_site.middleware.NoStoreForSignedInUsersMiddleware",  # Cache-Control: no-store for signed-in users
    "django_htmx.middleware.HtmxMiddleware",
    # Accounts: two-factor state, session time limits, the two-factor gate; axes stays last.
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.SessionLimitsMiddleware",
    "accounts.middleware.TwoFactorMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "billing_site.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "billing_site.wsgi.application"

VAR_DIR.mkdir(exist_ok=True)
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Accounts: sign-in throttling (django-axes), session limits, two-factor sign-in (django-otp).
# Axes checks first; a locked-out sign-in never reaches the password check.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Five failed sign-ins lock the account, and separately the address, for the cool-off time.
AXES_FAILURE_LIMIT = int(os.environ.get("CLAIMDESK_LOCKOUT_FAILURES", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("CLAIMDESK_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # each one on its own
AXES_LOCKOUT_CALLABLE = "accounts.views.lockout_response"
AXES_CLIENT_IP_CALLABLE = "accounts.network.client_ip"
# How many reverse proxies in front of the app append to X-Forwarded-For; unset: the header is ignored.
AXES_IPWARE_PROXY_COUNT = int(os.environ.get("AXES_IPWARE_PROXY_COUNT") or 0) or None
# Who a locked-out user should ask (shown on the sign-in page).
CLAIMDESK_UNLOCK_CONTACT = os.environ.get("CLAIMDESK_UNLOCK_CONTACT", "your ClaimDesk administrator")
# Sign out after this many minutes without activity, and this many hours after signing in whatever happens.
CLAIMDESK_SESSION_IDLE_MINUTES = float(os.environ.get("CLAIMDESK_SESSION_IDLE_MINUTES", "15"))
CLAIMDESK_SESSION_MAX_HOURS = float(os.environ.get("CLAIMDESK_SESSION_MAX_HOURS", "12"))
CLAIMDESK_SESSION_WARNING_SECONDS = 60  # the page warns this long before the idle sign-out
SESSION_COOKIE_AGE = int(CLAIMDESK_SESSION_MAX_HOURS * 3600)
# Two-factor sign-in required for supervisors and administrators: on by default when DEBUG is off.
CLAIMDESK_REQUIRE_2FA = env_bool("CLAIMDESK_REQUIRE_2FA", "0" if DEBUG else "1")
OTP_TOTP_ISSUER = "ClaimDesk"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the admin never shows an authenticator's secret

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))  # where collectstatic writes
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or env_bool("DJANGO_PLAIN_STATIC", "0")
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Uploaded CMS files for the admin preview are kept here between preview and confirm.
IMPORT_UPLOAD_DIR = Path(os.environ.get("CLAIMDESK_IMPORT_UPLOAD_DIR", VAR_DIR / "uploads"))  # shared by all servers
# Compact indexes of big reference tables (the PTP edits of a release), built on import, read by the batch check.
REFERENCE_INDEX_DIR = Path(os.environ.get("CLAIMDESK_REFERENCE_INDEX_DIR", VAR_DIR / "reference-index"))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# The largest body POST /api/claims/scrub/ accepts (bytes); larger batches go through scrub_claims.
CLAIMDESK_SCRUB_MAX_BYTES = int(os.environ.get("CLAIMDESK_SCRUB_MAX_BYTES", str(5 * 1024 * 1024)))
# --- limits on input (issue 10) ---
# Days an API token lasts from issue (the admin may set another expiry when issuing it).
CLAIMDESK_API_TOKEN_DAYS = int(os.environ.get("CLAIMDESK_API_TOKEN_DAYS", "90"))
# The largest CMS file the admin import accepts (bytes; the real quarterly files are at most ~40 MB each).
CLAIMDESK_IMPORT_MAX_BYTES = int(os.environ.get("CLAIMDESK_IMPORT_MAX_BYTES", str(200 * 1024 * 1024)))
# A .zip (or .xlsx) being imported may unpack to at most this many bytes in all ...
CLAIMDESK_IMPORT_MAX_UNCOMPRESSED_BYTES = int(
    os.environ.get("CLAIMDESK_IMPORT_MAX_UNCOMPRESSED_BYTES", str(2 * 1024 * 1024 * 1024))
)
# ... and no member over 1 MB may unpack to more than this many times its compressed size (real CMS files: ~20).
CLAIMDESK_IMPORT_MAX_RATIO = int(os.environ.get("CLAIMDESK_IMPORT_MAX_RATIO", "100"))
# --- end limits on input ---

# Background work (the batches app) runs through Django's Tasks API. "db" (default): the queue is a table of this
# database and `manage.py db_worker` runs it (any number of workers, on any machines sharing the PostgreSQL
# database); "rq": Redis at CLAIMDESK_REDIS_URL, run by `manage.py rqworker --job-class django_tasks_rq.Job default`.
CLAIMDESK_TASKS_BACKEND = os.environ.get("CLAIMDESK_TASKS_BACKEND", "db").strip().lower() or "db"
CLAIMDESK_REDIS_URL = os.environ.get("CLAIMDESK_REDIS_URL", "redis://127.0.0.1:6379/0")
TASK_BACKENDS = {
    "db": {"BACKEND": "django_tasks_db.DatabaseBackend"},
    "rq": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]},
}
if CLAIMDESK_TASKS_BACKEND not in TASK_BACKENDS:
    SETTINGS_PROBLEMS.append(
        f"CLAIMDESK_TASKS_BACKEND must be one of {', '.join(TASK_BACKENDS)}, not {CLAIMDESK_TASKS_BACKEND!r}."
    )
    CLAIMDESK_TASKS_BACKEND = "db"
TASKS = {"default": TASK_BACKENDS[CLAIMDESK_TASKS_BACKEND]}
if CLAIMDESK_TASKS_BACKEND == "rq":
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {"default": {"URL": CLAIMDESK_REDIS_URL, "DEFAULT_TIMEOUT": 3600}}
# A batch is split into chunks of this many claims, one task each; a chunk whose task fails is run again
# up to CLAIMDESK_BATCH_CHUNK_ATTEMPTS times in all, then the batch is marked failed with the reason.
CLAIMDESK_BATCH_CHUNK_SIZE = int(os.environ.get("CLAIMDESK_BATCH_CHUNK_SIZE", "500"))
CLAIMDESK_BATCH_CHUNK_ATTEMPTS = int(os.environ.get("CLAIMDESK_BATCH_CHUNK_ATTEMPTS", "3"))
# A part marked running for longer than this (seconds) lost its worker (stopped or killed mid-part): it counts as a
# failed attempt and is queued again. Parts take seconds to a minute or two; keep this well above that.
CLAIMDESK_BATCH_PART_TIMEOUT = int(os.environ.get("CLAIMDESK_BATCH_PART_TIMEOUT", "900"))
# Claims per part of a background 837P import. A part saves and checks its claims in one transaction (some 40 ms
# a claim); on SQLite that holds the database's only write lock, so parts stay short enough that a biller saving
# a claim meanwhile waits a second or two, not the length of a 500-claim part.
CLAIMDESK_IMPORT_PART_CLAIMS = int(os.environ.get("CLAIMDESK_IMPORT_PART_CLAIMS", "50"))
CLAIMDESK_BATCH_MAX_BYTES = int(os.environ.get("CLAIMDESK_BATCH_MAX_BYTES", str(50 * 1024 * 1024)))

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5-responsive.html"
DJANGO_TABLES2_TABLE_ATTRS = {"class": "table table-sm table-hover align-middle"}

# --- Security (docs/deploy.md lists every variable) -----------------------------------------------------
# Browsers may keep nothing of a signed-in page (billing_site.middleware) and obey this policy: only our own
# files, no inline scripts or styles (htmx's indicator style is off: base.html), no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],  # Bootstrap draws some controls with data: SVGs; the two-factor QR code is one
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True  # pages send the token from the page (base.html's hx-headers), never from the cookie
CSRF_COOKIE_SAMESITE = "Lax"
# Error reports (admin e-mails, logs) never carry request data or local variables: billing_site.error_reports.
DEFAULT_EXCEPTION_REPORTER = "billing_site.error_reports.ClaimDeskExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "billing_site.error_reports.ClaimDeskExceptionReporterFilter"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", "1")
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", "1")
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", "1")
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", "1")
    if not SECURE_HSTS_PRELOAD:  # a deliberate choice (DJANGO_SECURE_HSTS_PRELOAD=0): check --deploy stays quiet
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
# Behind a reverse proxy that terminates TLS: trust its X-Forwarded-Proto (and only then: the proxy must set
# it on every request, overwriting what the client sent).
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", "0"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Where the real CMS files live on the project's machines (tests skip when absent).
SHARED_DATA_DIR = Path(os.environ.get("CLAIMDESK_SHARED_DATA", BASE_DIR.parent / "shared" / "data"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
    # No patient data in logs (issue 10): django.template's DEBUG records dump the template context, patients
    # included; they are dropped whatever DJANGO_LOG_LEVEL says (tests/test_no_phi_in_logs.py).
    "filters": {"no_template_context": {"()": "billing_site.log_filters.DropTemplateContext"}},
    "loggers": {"django.template": {"filters": ["no_template_context"]}},
}
