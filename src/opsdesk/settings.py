"""Django settings. The only module that reads the environment (OPSDESK_* variables)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import secrets
from pathlib import Path

import dj_database_url
import django_stubs_ext
from csp import constants as csp_constants
from django.core.exceptions import ImproperlyConfigured

# Django classes that are generic only in the type stubs (admin.ModelAdmin[Site],
# forms.ModelChoiceField[User]) can be subscripted at run time too.
django_stubs_ext.monkeypatch()

ENV = os.environ


def _flag(name: str, default: bool = False) -> bool:
    value = ENV.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(name: str, default: str) -> list[str]:
    return [item.strip() for item in ENV.get(name, default).split(",") if item.strip()]


BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(ENV.get("OPSDESK_VAR_DIR", Path.cwd() / "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    if ENV.get("OPSDESK_SECRET_KEY"):
        return ENV["OPSDESK_SECRET_KEY"]
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        # Generated once and kept, so sessions survive restarts.
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _flag("OPSDESK_DEBUG")
ALLOWED_HOSTS = _list("OPSDESK_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = _list("OPSDESK_CSRF_TRUSTED_ORIGINS", "")
BASE_URL = ENV.get("OPSDESK_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "axes",
    "opsdesk.core",
    "opsdesk.tenancy",
    "opsdesk.accounts",
    "opsdesk.channels",
    "opsdesk.sites",
    "opsdesk.people",
    "opsdesk.services",
    "opsdesk.oncall",
    "opsdesk.changes",
    "opsdesk.workorders",
    "opsdesk.dispatch",
    "opsdesk.alerts",
    "opsdesk.incidents",
    "opsdesk.learning",
    "opsdesk.slas",
    "opsdesk.slos",
    "opsdesk.paging",
    "opsdesk.inbound",
    "opsdesk.demo",
]

MIDDLEWARE = [
    "opsdesk.core.metrics.view.RequestMetricsMiddleware",  # first: times the whole answer
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "opsdesk.core.middleware.BodySizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "opsdesk.core.request_context.RequestContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so it sees the answer of the sign-in view (axes: the lockout page).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "opsdesk.urls"
WSGI_APPLICATION = "opsdesk.wsgi.application"
ASGI_APPLICATION = "opsdesk.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "opsdesk.core.context.navigation",
            ],
        },
    },
]

DATABASE_URL = ENV.get("OPSDESK_DATABASE_URL", f"sqlite:///{VAR_DIR / 'opsdesk.sqlite3'}")
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["CONN_MAX_AGE"] = 0 if _db["NAME"] == ":memory:" else 60
    _db["OPTIONS"] = {
        # WAL lets readers and one writer work side by side; synchronous=FULL makes a
        # committed transaction survive power loss, not only a process crash.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
        ),
        # Take the write lock at BEGIN, so concurrent writers wait (busy timeout)
        # instead of failing with "database is locked" on lock upgrade.
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    _db["TEST"] = {"NAME": ENV.get("OPSDESK_TEST_DATABASE_NAME") or None}
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Request bodies above this get 413 (alerts: 512 KB per issue #5).
DATA_UPLOAD_MAX_MEMORY_SIZE = int(ENV.get("OPSDESK_MAX_BODY_BYTES", 512 * 1024))

# The lean alert intake (`opsdesk intake`, started by `opsdesk serve`): its port, and how long a
# delivery waits for the database's write lock before it is answered 503 (the sender retries).
INTAKE_PORT = int(ENV.get("OPSDESK_INTAKE_PORT", "8001"))
# How long a dispatch plan may search (seconds); a region's day of ~40 visits settles in about one.
OPSDESK_DISPATCH_SECONDS = float(ENV.get("OPSDESK_DISPATCH_SECONDS", "5"))
INTAKE_LOCK_TIMEOUT = float(ENV.get("OPSDESK_INTAKE_LOCK_TIMEOUT", "5"))
# Where `opsdesk backup`/`restore` look first for pg_dump and pg_restore (then Debian's layout, PATH).
PG_BIN = ENV.get("OPSDESK_PG_BIN", "")
# Outbound requests (core.outbound, the SSRF guard) go to public addresses only; these CIDRs and
# host names (`*.corp.example` for a domain) are permitted anyway, for on-premises targets.
OPSDESK_OUTBOUND_ALLOW = _list("OPSDESK_OUTBOUND_ALLOW", "")

# Own metrics (GET /metrics, Prometheus): every opsdesk process on this machine writes its counters to
# files in METRICS_DIR (prometheus_client's multiprocess mode, configured by PROMETHEUS_MULTIPROC_DIR,
# set here for this process and the ones it starts); `opsdesk serve` clears stopped processes' files.
METRICS_DIR = Path(ENV.get("OPSDESK_METRICS_DIR", VAR_DIR / "metrics")).resolve()
METRICS_DIR.mkdir(parents=True, exist_ok=True)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(METRICS_DIR)
# Addresses that may scrape /metrics without a token (CIDRs; empty: a `metrics`-scoped token always).
try:
    METRICS_ALLOW = [ipaddress.ip_network(c, strict=False) for c in _list("OPSDESK_METRICS_ALLOW", "127.0.0.1/32,::1/128")]
except ValueError as exc:
    raise ImproperlyConfigured(f"OPSDESK_METRICS_ALLOW: {exc} (comma-separated CIDRs such as 10.0.0.0/8)") from None

SESSION_COOKIE_HTTPONLY = True
# OPSDESK_HTTPS=1: served over HTTPS (usually behind a TLS-terminating proxy, which must set
# X-Forwarded-Proto: https and strip it from clients). Plain-http requests are redirected (301),
# HSTS is sent for a year with subdomains (not preloaded), cookies are Secure. Every path is
# redirected, alert intake and health included: senders must be configured with https:// URLs.
# OPSDESK_SECURE_COOKIES (older) still marks cookies Secure alone, without redirect or HSTS.
HTTPS = _flag("OPSDESK_HTTPS")
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 365 * 24 * 3600 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SESSION_COOKIE_SECURE = HTTPS or _flag("OPSDESK_SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy on every response (django-csp): nothing inline, nothing from elsewhere.
# A <style> or <script> that must be inline carries the request's nonce ({{ request.csp_nonce }}).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", csp_constants.NONCE],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

EMAIL_BACKEND = ENV.get("OPSDESK_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = ENV.get("OPSDESK_SMTP_HOST", "localhost")
EMAIL_PORT = int(ENV.get("OPSDESK_SMTP_PORT", "25"))
EMAIL_HOST_USER = ENV.get("OPSDESK_SMTP_USER", "")
EMAIL_HOST_PASSWORD = ENV.get("OPSDESK_SMTP_PASSWORD", "")
EMAIL_USE_TLS = _flag("OPSDESK_SMTP_TLS")
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = ENV.get("OPSDESK_EMAIL_FROM", "opsdesk <opsdesk@localhost>")
OPSDESK_EMAIL_ENABLED = _flag("OPSDESK_EMAIL_ENABLED", default=bool(ENV.get("OPSDESK_SMTP_HOST")))

TASKS = {
    "default": {
        "BACKEND": ENV.get("OPSDESK_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 500

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    # Keys in paths and tokens in query strings never reach a log line (opsdesk.core.redact).
    "filters": {"redact": {"()": "opsdesk.core.redact.RedactFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": ENV.get("OPSDESK_LOG_LEVEL", "INFO")},
    # axes: failures and lockouts are WARNING; its INFO lines (start-up banner, a clean-up on
    # every sign-in page) are bookkeeping.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

AUTHENTICATION_BACKENDS = [
    "opsdesk.core.throttle.PasswordLockoutBackend",  # django-axes: refuses locked-out sign-ins
    "django.contrib.auth.backends.ModelBackend",
    "opsdesk.accounts.backends.TokenBackend",
]

# Sign-in throttling (django-axes): after LIMIT failures for one username, or from one address,
# within the window, sign-ins (and API tokens from that address or with that prefix) are refused
# until the window has passed since the failure that reached the limit.
OPSDESK_LOGIN_FAILURE_LIMIT = int(ENV.get("OPSDESK_LOGIN_FAILURE_LIMIT", "5"))
OPSDESK_LOGIN_LOCKOUT_MINUTES = float(ENV.get("OPSDESK_LOGIN_LOCKOUT_MINUTES", "15"))
# Behind N reverse proxies that append to X-Forwarded-For, set N; 0 trusts only REMOTE_ADDR.
OPSDESK_TRUSTED_PROXIES = int(ENV.get("OPSDESK_TRUSTED_PROXIES", "0"))
AXES_FAILURE_LIMIT = OPSDESK_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = dt.timedelta(minutes=OPSDESK_LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = "opsdesk.core.throttle.lockout_parameters"
AXES_CLIENT_IP_CALLABLE = "opsdesk.core.throttle.client_address"
AXES_LOCKOUT_CALLABLE = "opsdesk.core.throttle.lockout_response"
AXES_HANDLER = "opsdesk.core.throttle.Handler"
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # refused attempts do not extend a lockout
AXES_RESET_ON_SUCCESS = False
AXES_ENABLE_ADMIN = True

# Paging: how long a one-click link in a page (acknowledge, escalate, resolve, open) stays valid, in seconds.
OPSDESK_PAGING_LINK_MAX_AGE = int(ENV.get("OPSDESK_PAGING_LINK_MAX_AGE", str(24 * 3600)))

# Slack app endpoints (channels, kind `slack_app`): the bot token (`xoxb-…`, scope `chat:write`)
# they call the Web API with. A secret: read from the environment only, never stored in the database.
OPSDESK_SLACK_BOT_TOKEN = ENV.get("OPSDESK_SLACK_BOT_TOKEN", "").strip()

# Inbound email (`opsdesk mail`, the inbound app): the domains whose addresses it accepts mail for
# (others: 550; default the BASE_URL's host), the largest message (552 above it), the attachments
# kept of one message, and the port it listens on.
OPSDESK_MAIL_DOMAINS = [d.lower() for d in _list("OPSDESK_MAIL_DOMAINS", BASE_URL.split("://", 1)[-1].split("/")[0]
                                                 .rsplit(":", 1)[0].strip("[]"))]
OPSDESK_MAIL_MAX_BYTES = int(ENV.get("OPSDESK_MAIL_MAX_BYTES", 25 * 1024 * 1024))
OPSDESK_MAIL_MAX_ATTACHMENTS = int(ENV.get("OPSDESK_MAIL_MAX_ATTACHMENTS", "20"))
OPSDESK_MAIL_PORT = int(ENV.get("OPSDESK_MAIL_PORT", "8025"))
# Where attachments of inbound mail are kept (files; the raw message itself is in the database).
OPSDESK_MAIL_FILES_DIR = Path(ENV.get("OPSDESK_MAIL_FILES_DIR", VAR_DIR / "inbound")).resolve()
