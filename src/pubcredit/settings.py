"""Django settings, read from environment variables.

Required in production (``PUBCREDIT_ENV=production``, the default):
``DATABASE_URL``, ``SECRET_KEY``, ``PUBCREDIT_PII_HASH_KEY``, ``PUBCREDIT_PII_ENC_KEY``
(both PII keys: 32 random bytes, base64), ``PUBCREDIT_AUDIT_SIGNING_KEY`` (Ed25519 seed, 32
random bytes, base64), ``PUBCREDIT_REPORT_SIGNING_KEY`` (Ed25519 seed, likewise).
``pubcredit demo`` writes a local ``var/demo.env`` with fresh random keys; the test settings use
fixed test keys.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
ENV = os.environ.get("PUBCREDIT_ENV", "production")
if ENV not in {"production", "development", "test"}:
    raise ImproperlyConfigured(f"PUBCREDIT_ENV must be production, development or test, not {ENV!r}")


def _required(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise ImproperlyConfigured(f"environment variable {name} is not set")
    return value


SECRET_KEY = _required("SECRET_KEY")
PII_HASH_KEY = _required("PUBCREDIT_PII_HASH_KEY")
PII_ENC_KEY = _required("PUBCREDIT_PII_ENC_KEY")
PII_ENC_KEY_ID = int(os.environ.get("PUBCREDIT_PII_ENC_KEY_ID", "1"))
# Earlier encryption keys as "id:base64", comma-separated, still read while data is re-keyed.
PII_ENC_OLD_KEYS = [k for k in os.environ.get("PUBCREDIT_PII_ENC_OLD_KEYS", "").split(",") if k]
# Ed25519 seed (32 random bytes, base64) that signs the audit chain's checkpoints (pubcredit.audit.keys).
AUDIT_SIGNING_KEY = _required("PUBCREDIT_AUDIT_SIGNING_KEY")
# Ed25519 seed (32 random bytes, base64) that signs every issued credit report (pubcredit.reports.signing);
# its public key is published at /api/v1/reports/public-key and on the /verify/ page.
REPORT_SIGNING_KEY = _required("PUBCREDIT_REPORT_SIGNING_KEY")
# Public keys (base64 of the raw 32 bytes, comma-separated) of report keys used before the current one:
# reports they signed still verify, and they stay published for offline checks (docs/reports.md).
REPORT_RETIRED_PUBLIC_KEYS = [k.strip() for k in os.environ.get("PUBCREDIT_REPORT_RETIRED_PUBLIC_KEYS", "").split(",")
                              if k.strip()]

DEBUG = os.environ.get("PUBCREDIT_DEBUG", "0") == "1"
if DEBUG and ENV == "production":  # debug pages show stack traces and settings to anyone
    raise ImproperlyConfigured("PUBCREDIT_DEBUG=1 is refused when PUBCREDIT_ENV=production")
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
if ENV == "test":
    ALLOWED_HOSTS = ["*"]
# The platform's public address (https://credit.example.gov.cn): the verify link and QR code every
# report prints, whatever host a request came in on (reports.links). Required in production: without
# it the link follows the request's Host header, and a PDF kept for one host would not serve another.
PUBCREDIT_PUBLIC_URL = os.environ.get("PUBCREDIT_PUBLIC_URL", "").strip().rstrip("/")
if PUBCREDIT_PUBLIC_URL and not PUBCREDIT_PUBLIC_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(f"PUBCREDIT_PUBLIC_URL must start with https:// (is {PUBCREDIT_PUBLIC_URL!r})")
if ENV == "production" and not PUBCREDIT_PUBLIC_URL:
    raise ImproperlyConfigured("environment variable PUBCREDIT_PUBLIC_URL is not set "
                               "(the platform's public address, e.g. https://credit.example.gov.cn)")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "ninja",  # serves Swagger UI from its own static files (no CDN; fits the CSP)
    "pubcredit.access",
    "pubcredit.workdays",
    "pubcredit.subjects",
    "pubcredit.catalog",
    "pubcredit.collection",
    "pubcredit.portal",
    "pubcredit.audit",
    "pubcredit.monitoring",
    "pubcredit.reports",
    "django_tasks",
    "pubcredit.taskapp.TasksConfig",  # django_tasks_db, named in Chinese
]

# Background jobs (batch queries, Art. 40): django-tasks with its database backend. A task row is
# written in the transaction that creates the job, so a job exists exactly when its tasks do;
# ``pubcredit worker`` runs them (``pubcredit serve`` and ``demo`` start one beside the server).
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "batch-queries", "collection", "report-pdfs"],
    },
}

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "pubcredit.access.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "pubcredit.access.middleware.RateLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "pubcredit.access.middleware.SecondFactorMiddleware",
    "pubcredit.access.middleware.ApiErrorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "pubcredit.access.middleware.MethodNotAllowedMiddleware",
]

ROOT_URLCONF = "pubcredit.urls"
WSGI_APPLICATION = "pubcredit.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": dj_database_url.parse(_required("DATABASE_URL"), conn_max_age=60)}
if not DATABASES["default"]["ENGINE"].endswith("postgresql"):
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgresql://...)")
# Django leaves psycopg's prepare threshold at None, which turns server-side preparing off even for
# statements that ask for it. pubcredit.prepared asks (prepare=True) for its few hot statements;
# Django's own cursors bind on the client and never prepare, so nothing else is prepared.
DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 2**31 - 1)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "access.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]

# Second factor and login security (pubcredit.access): every path under these prefixes is for
# officers, operators and auditors only, and only after their one-time code.
PUBCREDIT_STAFF_PATHS = ["/admin/", "/quality/", "/officer/"]
PUBCREDIT_TOTP_ISSUER = os.environ.get("PUBCREDIT_TOTP_ISSUER", "杭州公共信用")
PUBCREDIT_TOTP_SELF_ENROL = os.environ.get("PUBCREDIT_TOTP_SELF_ENROL", "1") == "1"
# Number of reverse proxies in front of the app that append to X-Forwarded-For (0: trust none).
PUBCREDIT_TRUSTED_PROXIES = int(os.environ.get("PUBCREDIT_TRUSTED_PROXIES", "0"))

# Sign-in with the city's identity provider (政务服务账号), OpenID Connect; off until configured.
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_RP_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_RP_CLIENT_SECRET", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("OIDC_OP_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_OP_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_OP_USER_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_OP_JWKS_ENDPOINT", "") or None
OIDC_OP_ISSUER = os.environ.get("OIDC_OP_ISSUER", "")
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = os.environ.get("OIDC_RP_SCOPES", "openid profile email")
OIDC_USE_PKCE = True
OIDC_TIMEOUT = 10
OIDC_AUTHENTICATION_CALLBACK_URL = "accounts:oidc_callback"
PUBCREDIT_OIDC_USERNAME_CLAIM = os.environ.get("PUBCREDIT_OIDC_USERNAME_CLAIM", "preferred_username")
PUBCREDIT_OIDC_CREATE_SUBJECT_ACCOUNTS = os.environ.get("PUBCREDIT_OIDC_CREATE_SUBJECT_ACCOUNTS", "0") == "1"
PUBCREDIT_OIDC_SUBJECT_CODE_CLAIM = os.environ.get("PUBCREDIT_OIDC_SUBJECT_CODE_CLAIM", "")
if OIDC_RP_CLIENT_ID:
    AUTHENTICATION_BACKENDS.append("pubcredit.access.oidc.GovIdentityBackend")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Record files received through the API (and large officer uploads) wait here until a task
# worker has collected them (collection.queued); the server and its workers must see the same folder.
PUBCREDIT_SPOOL_DIR = Path(os.environ.get("PUBCREDIT_SPOOL_DIR", BASE_DIR.parents[1] / "var" / "spool"))
# An officer's upload in the back-office larger than this is collected in the background, like a
# department's file through the API; a smaller one (≈ 4,000 rows of a wide entry, well under a
# second) while the officer waits, so the result shows at once.
PUBCREDIT_BACKGROUND_UPLOAD_BYTES = 2 * 1024 * 1024
# Days a batch query's answers are kept after it finishes (Art. 40): then they are deleted (the
# job, its counts and its query-log rows stay) and a download answers 410.
PUBCREDIT_BATCH_RESULTS_DAYS = int(os.environ.get("PUBCREDIT_BATCH_RESULTS_DAYS", "30"))
# PDF reports rendered at the same time, across every server process (a report of 400 records
# takes ≈ 20 s of a core); a PDF not yet rendered gets 503 + Retry-After when all are busy.
PUBCREDIT_PDF_RENDERS_AT_ONCE = int(os.environ.get("PUBCREDIT_PDF_RENDERS_AT_ONCE", "2"))
# A report listing more records than this (≈ 3 s of rendering) has its PDF rendered by a task
# worker: the request is answered at once (202, a "being prepared" page) and asked again.
PUBCREDIT_PDF_INLINE_ITEMS = int(os.environ.get("PUBCREDIT_PDF_INLINE_ITEMS", "60"))
STATIC_ROOT = Path(os.environ.get("PUBCREDIT_STATIC_ROOT", BASE_DIR.parents[1] / "var" / "static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# A failed CSRF check: the portal's error page (Chinese, for phones), JSON under /api/; not Django's English page.
CSRF_FAILURE_VIEW = "pubcredit.portal.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# pubcredit.access.middleware.SecurityHeadersMiddleware sends these on every response.
PUBCREDIT_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                 "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'")
PUBCREDIT_PERMISSIONS_POLICY = ("accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
                                "microphone=(), payment=(), usb=()")
if ENV == "production":
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("PUBCREDIT_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("PUBCREDIT_HSTS_INCLUDE_SUBDOMAINS", "0") == "1"
    SECURE_SSL_REDIRECT = os.environ.get("PUBCREDIT_SSL_REDIRECT", "0") == "1"
    # Behind a TLS-terminating proxy: the header it sets, e.g. HTTP_X_FORWARDED_PROTO (only if it
    # always overwrites that header — otherwise a client could claim https).
    if os.environ.get("PUBCREDIT_PROXY_SSL_HEADER"):
        SECURE_PROXY_SSL_HEADER = (os.environ["PUBCREDIT_PROXY_SSL_HEADER"], "https")

# Anti-scraping limits on the public read paths, per client address and fixed window; the first
# matching pattern applies (pubcredit.access.ratelimit). Off under the test settings.
PUBCREDIT_RATE_LIMIT_ENABLED = os.environ.get("PUBCREDIT_RATE_LIMIT", "0" if ENV == "test" else "1") == "1"
PUBCREDIT_RATE_LIMITS = [
    {"name": "report", "pattern": r"^/api/v1/subjects/[^/]+/(?:special-)?report", "requests": 10, "seconds": 60},
    {"name": "api", "pattern": r"^/api/v1/subjects/", "requests": 60, "seconds": 60},
    {"name": "page-report", "pattern": r"^/subjects/[^/]+/(?:special-)?report", "requests": 10, "seconds": 60},
    {"name": "search", "pattern": r"^/search/", "requests": 60, "seconds": 60},
    {"name": "subject", "pattern": r"^/subjects/", "requests": 60, "seconds": 60},
]
# Valid resident ID numbers one client (without an API token) may look up per window, found or not,
# on top of the rules above: masked IDs on public pages must not be completed by trying birth dates.
PUBCREDIT_PERSON_CODE_LIMIT = {"requests": int(os.environ.get("PUBCREDIT_PERSON_CODE_LIMIT", "20")),
                               "seconds": 3600}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Resident-ID-shaped numbers are masked in every record before it is written.
    "filters": {"mask_personal_data": {"()": "pubcredit.access.logmask.MaskPersonalData"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["mask_personal_data"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("PUBCREDIT_LOG_LEVEL", "WARNING")},
}

# A request body read into memory (JSON rows, forms): a department's JSON batch of up to
# collection.api.MAX_JSON_ROWS rows (≈ 700 bytes each) fits; larger data goes as a file upload, which
# is streamed to disk (Django's default of 2.5 MB refused a documented 5,000-row batch with a bare 400).
DATA_UPLOAD_MAX_MEMORY_SIZE = 16 * 1024 * 1024

PUBCREDIT_SITE_NAME = _("杭州市公共信用信息平台")
