"""Settings, read from the environment with one django-environ reader.

Every variable of API.md is declared here with its type and default. With no environment at all the
project runs on the embedded defaults: SQLite, in-process tasks, in-process limiter and cache.
"""

import base64
import os
import re
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from config.credit_packs import parse_credit_packs, parse_currency
from config.observability.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()


def _read(name, cast, default):
    """Read one variable; a value that cannot be parsed stops start-up naming the variable."""
    try:
        return cast(name, default=default)
    except (ValueError, TypeError, ImproperlyConfigured, environ.ImproperlyConfigured) as exc:
        raise ImproperlyConfigured(f"Environment variable {name} has an invalid value: {exc}") from exc


def _positive(name, value, maximum=None):
    if not value > 0 or (maximum is not None and not value <= maximum):
        bound = f" and at most {maximum}" if maximum else ""
        raise ImproperlyConfigured(f"Environment variable {name} must be greater than 0{bound}, got {value}")
    return value


# The embedded key carries Django's `django-insecure-` mark, so `check --deploy` flags it (security.W009);
# on PostgreSQL (a real deployment) start-up refuses it, below DATABASES.
BUILT_IN_SECRET_KEY = "django-insecure-shop-sms-embedded-default-for-the-demo-only-0123456789"
SECRET_KEY = _read("SECRET_KEY", env.str, BUILT_IN_SECRET_KEY)
DEBUG = _read("DEBUG", env.bool, False)
ALLOWED_HOSTS = _read("ALLOWED_HOSTS", env.list, ["localhost", "127.0.0.1", "[::1]", "testserver"])

REDIS_URL = _read("REDIS_URL", env.str, "") or None
CELERY_BROKER_URL = _read("CELERY_BROKER_URL", env.str, "") or REDIS_URL
CELERY_TASK_ALWAYS_EAGER = _read("CELERY_TASK_ALWAYS_EAGER", env.bool, not CELERY_BROKER_URL)

MITTO_API_BASE = _read("MITTO_API_BASE", env.str, "https://messaging.mittoapi.com").rstrip("/")
MITTO_API_KEY = _read("MITTO_API_KEY", env.str, "")
MITTO_TRAFFIC_ACCOUNT_ID = _read("MITTO_TRAFFIC_ACCOUNT_ID", env.str, "")
MITTO_SENDER = _read("MITTO_SENDER", env.str, "")
MITTO_TIMEOUT_S = _positive("MITTO_TIMEOUT_S", _read("MITTO_TIMEOUT_S", env.float, 10.0))
MITTO_WEBHOOK_SECRET = _read("MITTO_WEBHOOK_SECRET", env.str, "")
# The one answer to HELP on the shared fallback sender (and on a sender several shops registered).
PLATFORM_HELP_TEXT = _read(
    "PLATFORM_HELP_TEXT", env.str,
    "Shop SMS: marketing texts from the shops you subscribed to. Msg & data rates may apply. Reply STOP to opt out.",
)

SMS_BATCH_SIZE = _positive("SMS_BATCH_SIZE", _read("SMS_BATCH_SIZE", env.int, 5000), maximum=5000)
RATE_LIMIT_TRAFFIC_ACCOUNT_MAX = _positive(
    "RATE_LIMIT_TRAFFIC_ACCOUNT_MAX", _read("RATE_LIMIT_TRAFFIC_ACCOUNT_MAX", env.int, 100)
)
RATE_LIMIT_TRAFFIC_ACCOUNT_WINDOW_MS = _positive(
    "RATE_LIMIT_TRAFFIC_ACCOUNT_WINDOW_MS", _read("RATE_LIMIT_TRAFFIC_ACCOUNT_WINDOW_MS", env.int, 1000)
)
RATE_LIMIT_TENANT_MAX = _positive("RATE_LIMIT_TENANT_MAX", _read("RATE_LIMIT_TENANT_MAX", env.int, 50))
RATE_LIMIT_TENANT_WINDOW_MS = _positive(
    "RATE_LIMIT_TENANT_WINDOW_MS", _read("RATE_LIMIT_TENANT_WINDOW_MS", env.int, 1000)
)
QUEUE_ATTEMPTS = _positive("QUEUE_ATTEMPTS", _read("QUEUE_ATTEMPTS", env.int, 5))
STATUS_CACHE_SECONDS = _read("STATUS_CACHE_SECONDS", env.float, 2.0)
if STATUS_CACHE_SECONDS < 0:
    raise ImproperlyConfigured("Environment variable STATUS_CACHE_SECONDS must not be negative")

# Prefix of every Redis key and Celery queue this deployment owns; the test suite sets one per run.
SMS_KEY_PREFIX = _read("SMS_KEY_PREFIX", env.str, "shopsms")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "messaging",
    "metrics",
    "shopify",
    "campaigns",
]

MIDDLEWARE = [
    "config.observability.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "campaigns.admin.shop_time.ShopTimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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

DATABASES = {"default": _read("DATABASE_URL", env.db_url, f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if SECRET_KEY == BUILT_IN_SECRET_KEY and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    raise ImproperlyConfigured(
        "Environment variable SECRET_KEY is not set: the built-in key is for the embedded defaults (SQLite) only. "
        "Set SECRET_KEY to a long random value before running on PostgreSQL."
    )
DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Each test run gets a database of its own, so two runs on one machine never collide.
DATABASES["default"]["TEST"] = {"NAME": f"test_shopsms_{os.getpid()}"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                          "KEY_PREFIX": SMS_KEY_PREFIX}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Sign-in throttle (campaigns.admin.login_throttle): this many wrong passwords for one username from one address
# lock that pair out for ADMIN_LOGIN_LOCKOUT_S seconds, the right password included.
AUTHENTICATION_BACKENDS = ["campaigns.admin.login_throttle.ThrottledModelBackend"]
ADMIN_LOGIN_FAILURE_LIMIT = _positive("ADMIN_LOGIN_FAILURE_LIMIT", _read("ADMIN_LOGIN_FAILURE_LIMIT", env.int, 5))
ADMIN_LOGIN_LOCKOUT_S = _positive("ADMIN_LOGIN_LOCKOUT_S", _read("ADMIN_LOGIN_LOCKOUT_S", env.int, 900))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# Request bodies, refused with 413 before they are read. A legal 10,000-contact bulk call weighs 1.4 MB with
# typical rows and 4.2 MB with 100-character names and five tags (campaigns/tests/test_api_body_limits.py);
# API_BULK_BODY_MAX_BYTES leaves room above that, other API calls take at most 64 KB (campaigns.api.parsers).
# Django's own limit is the webhooks' (8 MB of delivery reports).
API_BULK_BODY_MAX_BYTES = _positive(
    "API_BULK_BODY_MAX_BYTES", _read("API_BULK_BODY_MAX_BYTES", env.int, 6 * 1024 * 1024)
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 8 * 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["campaigns.api.auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["campaigns.api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "campaigns.api.pagination.NewestFirstPagination",
    "EXCEPTION_HANDLER": "campaigns.api.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Shop SMS API",
    "DESCRIPTION": "Bulk SMS campaigns for Shopify merchants, sent through Mitto.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

# Celery: separate queues for sending, delivery reports and periodic work so each scales alone.
CELERY_TASK_ALWAYS_EAGER = bool(CELERY_TASK_ALWAYS_EAGER)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# When the broker connection drops (Redis restarting) a running batch task finishes: its bulk request may be
# at Mitto, and only its answer, applied to the database, says what was sent. Cancelled, the batch would stay
# `submitting` and end `unknown` for review. (Celery 6 turns cancelling on by default.)
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
# A Redis-broker message not acknowledged within this time is delivered again; every retry delay is
# kept far below it (see campaigns.tasks) and longer waits live on the Batch row for beat.
CELERY_VISIBILITY_TIMEOUT_S = 3600
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT_S,
    "global_keyprefix": f"{SMS_KEY_PREFIX}:",
}
CELERY_QUEUE_SEND = f"{SMS_KEY_PREFIX}.send"
CELERY_QUEUE_REPORTS = f"{SMS_KEY_PREFIX}.reports"
CELERY_QUEUE_PERIODIC = f"{SMS_KEY_PREFIX}.periodic"
CELERY_TASK_DEFAULT_QUEUE = CELERY_QUEUE_SEND

# Observability (config/observability): JSON log lines by default (`text` for a terminal: the demo, the
# dev server), each with the request/task, shop, campaign and batch ids bound, phone numbers masked;
# `GET /metrics` for Prometheus, behind METRICS_TOKEN (unset: this machine only). Set
# PROMETHEUS_MULTIPROC_DIR (read by prometheus_client itself) for gunicorn workers and Celery processes.
LOG_FORMAT = _read("LOG_FORMAT", env.str, "json").lower()
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f"Environment variable LOG_FORMAT must be json or text, got {LOG_FORMAT!r}")
LOG_LEVEL = _read("LOG_LEVEL", env.str, "INFO").upper()
LOGGING = logging_config(log_format=LOG_FORMAT, level=LOG_LEVEL, deployment=SMS_KEY_PREFIX)
METRICS_TOKEN = _read("METRICS_TOKEN", env.str, "")
# A worker-only host: the Celery worker serves the host's /metrics on METRICS_ADDR:METRICS_PORT (0: not).
METRICS_PORT = _read("METRICS_PORT", env.int, 0)
METRICS_ADDR = _read("METRICS_ADDR", env.str, "127.0.0.1")

# HTTPS hardening, off by default so the demo and tests run over plain HTTP; a production deployment
# behind TLS sets these (then `manage.py check --deploy --fail-level WARNING` reports nothing).
_SECURE_COOKIES = not DEBUG and _read("SECURE_COOKIES", env.bool, False)
SESSION_COOKIE_SECURE = _read("SESSION_COOKIE_SECURE", env.bool, _SECURE_COOKIES)
CSRF_COOKIE_SECURE = _read("CSRF_COOKIE_SECURE", env.bool, _SECURE_COOKIES)
SECURE_SSL_REDIRECT = _read("SECURE_SSL_REDIRECT", env.bool, False)
SECURE_HSTS_SECONDS = _read("SECURE_HSTS_SECONDS", env.int, 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _read("SECURE_HSTS_INCLUDE_SUBDOMAINS", env.bool, SECURE_HSTS_SECONDS > 0)
SECURE_HSTS_PRELOAD = _read("SECURE_HSTS_PRELOAD", env.bool, False)
if _read("SECURE_PROXY_SSL_HEADER", env.bool, False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# The send pipeline (campaigns.services): how many batches of one campaign may be in the broker or in
# flight at once (fairness between shops), retry delays (kept far below the visibility timeout; a longer
# wait is parked on the Batch row for beat), recovery deadlines, and the per-shop enqueue throttle.
SEND_WINDOW_BATCHES = _positive("SEND_WINDOW_BATCHES", _read("SEND_WINDOW_BATCHES", env.int, 4))
SEND_RETRY_MAX_DELAY_S = _positive("SEND_RETRY_MAX_DELAY_S", _read("SEND_RETRY_MAX_DELAY_S", env.int, 300))
if SEND_RETRY_MAX_DELAY_S * 4 > CELERY_VISIBILITY_TIMEOUT_S:
    raise ImproperlyConfigured("SEND_RETRY_MAX_DELAY_S must stay far below the broker's visibility timeout")
SEND_RETRY_BASE_DELAY_S = _read("SEND_RETRY_BASE_DELAY_S", env.float, 2.0)
SEND_STALE_DISPATCH_S = _positive("SEND_STALE_DISPATCH_S", _read("SEND_STALE_DISPATCH_S", env.int, 900))
SEND_SUBMIT_DEADLINE_S = _positive("SEND_SUBMIT_DEADLINE_S", _read("SEND_SUBMIT_DEADLINE_S", env.int, 600))
SEND_UNKNOWN_REVIEW_S = _positive("SEND_UNKNOWN_REVIEW_S", _read("SEND_UNKNOWN_REVIEW_S", env.int, 3600))
# Beat runs each periodic task (config.celery.PERIODIC) every `interval x BEAT_INTERVAL_SCALE` seconds:
# below 1 for faster recovery (or tests), above 1 for a quieter database.
BEAT_INTERVAL_SCALE = _positive("BEAT_INTERVAL_SCALE", _read("BEAT_INTERVAL_SCALE", env.float, 1.0), maximum=100)
ENQUEUE_THROTTLE_RATE = _read("ENQUEUE_THROTTLE_RATE", env.str, "30/min")
PREFLIGHT_THROTTLE_RATE = _read("PREFLIGHT_THROTTLE_RATE", env.str, "60/min")
# Retention: beat removes the recipients and batches of campaigns finished this many days ago (and message logs
# and unmatched reports as old); counters, the ledger and consent history stay (campaigns.services.sending.retention).
RETENTION_DAYS = _positive("RETENTION_DAYS", _read("RETENTION_DAYS", env.int, 180))
# Test sends per shop (API and admin together): each is an SMS the shop pays and one provider request.
TEST_SEND_THROTTLE_RATE = _read("TEST_SEND_THROTTLE_RATE", env.str, "10/min")

# Quiet hours (each shop's quiet_hours_start/end, by the recipient's local time) are enforced at send time.
# Turned off only where the clock must not decide what is sent (the test settings; quiet-hours tests turn it on).
QUIET_HOURS_ENFORCED = _read("QUIET_HOURS_ENFORCED", env.bool, True)

# Shopify (SHOPIFY.md): the app's credentials, the pinned Admin API version and where the Admin API is.
# SHOPIFY_TOKEN_KEY holds one or more comma-separated Fernet keys: the first encrypts, every one decrypts
# (rotation: put the new key first, re-encrypt, then drop the old one). Unset, a key derived from SECRET_KEY
# is used (the demo); a deployment sets its own.
SHOPIFY_API_KEY = _read("SHOPIFY_API_KEY", env.str, "")
SHOPIFY_API_SECRET = _read("SHOPIFY_API_SECRET", env.str, "")
SHOPIFY_SCOPES = ",".join(
    _read("SHOPIFY_SCOPES", env.list, ["read_customers", "write_customers", "read_orders"])
)
SHOPIFY_API_VERSION = _read("SHOPIFY_API_VERSION", env.str, "2026-10")
if not re.fullmatch(r"\d{4}-\d{2}|unstable", SHOPIFY_API_VERSION):
    raise ImproperlyConfigured(
        f"Environment variable SHOPIFY_API_VERSION must look like 2026-10, got {SHOPIFY_API_VERSION!r}"
    )
SHOPIFY_APP_URL = _read("SHOPIFY_APP_URL", env.str, "http://127.0.0.1:8000").rstrip("/")
SHOPIFY_ADMIN_BASE = _read("SHOPIFY_ADMIN_BASE", env.str, "https://{shop}").rstrip("/")
if SHOPIFY_ADMIN_BASE.count("{shop}") != 1:
    raise ImproperlyConfigured("Environment variable SHOPIFY_ADMIN_BASE must contain {shop} exactly once")
SHOPIFY_TOKEN_KEY = _read("SHOPIFY_TOKEN_KEY", env.str, "")
# The customer sync reads a shop page by page, and switches to a bulk export once it saw this many customers.
SHOPIFY_SYNC_BULK_THRESHOLD = _read("SHOPIFY_SYNC_BULK_THRESHOLD", env.int, 10_000)
SHOPIFY_SYNC_BULK_POLL_S = _read("SHOPIFY_SYNC_BULK_POLL_S", env.float, 1.0)
CELERY_QUEUE_SHOPIFY = f"{SMS_KEY_PREFIX}.shopify"  # Shopify webhooks and install work, apart from sending
for _key in filter(None, (part.strip() for part in SHOPIFY_TOKEN_KEY.split(","))):
    try:
        _valid_key = len(base64.urlsafe_b64decode(_key.encode("ascii"))) == 32
    except (ValueError, UnicodeEncodeError):
        _valid_key = False
    if not _valid_key:
        raise ImproperlyConfigured(
            "Environment variable SHOPIFY_TOKEN_KEY must be comma-separated Fernet keys "
            "(url-safe base64 of 32 bytes, e.g. from Fernet.generate_key())"
        )

# Short links, clicks and attribution (campaigns.services.links). LINK_BASE_URL is the base of every short link
# (`{LINK_BASE_URL}/{code}`, the code of fixed length, so a message's size is known before it is sent); its
# characters are GSM-7 so a link never changes a message's encoding. LINK_SECRET keys the codes (derived from
# SECRET_KEY unless set: set it to keep links working across a SECRET_KEY rotation).
LINK_BASE_URL = _read("LINK_BASE_URL", env.str, f"{SHOPIFY_APP_URL}/l").rstrip("/")
if not LINK_BASE_URL.startswith(("http://", "https://")) or any(ch.isspace() for ch in LINK_BASE_URL):
    raise ImproperlyConfigured(f"Environment variable LINK_BASE_URL must be an http(s) URL, got {LINK_BASE_URL!r}")
LINK_SECRET = _read("LINK_SECRET", env.str, "")
# A click within this many seconds of the message's send or delivery is a link previewer's or a scanner's.
LINK_BOT_CLICK_SECONDS = _read("LINK_BOT_CLICK_SECONDS", env.int, 5)
ATTRIBUTION_CLICK_DAYS = _positive("ATTRIBUTION_CLICK_DAYS", _read("ATTRIBUTION_CLICK_DAYS", env.int, 5))
ATTRIBUTION_RECEIVE_HOURS = _positive("ATTRIBUTION_RECEIVE_HOURS", _read("ATTRIBUTION_RECEIVE_HOURS", env.int, 24))

# Credit packs merchants buy inside Shopify (config.credit_packs): `credits:price,…` in CREDIT_CURRENCY. Purchases
# are Shopify test charges on development stores, and on every store when SHOPIFY_TEST_CHARGES is true.
def _parsed(name, parse, default):
    try:
        return parse(_read(name, env.str, default))
    except ValueError as exc:
        raise ImproperlyConfigured(f"Environment variable {name} has an invalid value: {exc}") from exc


CREDIT_PACKS = _parsed("CREDIT_PACKS", parse_credit_packs, "1000:12.00,5000:55.00,20000:200.00")
CREDIT_CURRENCY = _parsed("CREDIT_CURRENCY", parse_currency, "USD")
SHOPIFY_TEST_CHARGES = _read("SHOPIFY_TEST_CHARGES", env.bool, False)
