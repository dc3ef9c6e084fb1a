"""Settings for Helpdesk, read once from the environment with safe development defaults."""

import os
import tempfile
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name, default=None):
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def env_bool(name, default):
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def env_int(name, default):
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None


def env_list(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_smtp():
    """SMTP options from EMAIL_URL, else from EMAIL_HOST and its companions; None when neither is set."""
    url = env_str("EMAIL_URL")
    if url:
        parts = urlsplit(url)
        try:
            port = parts.port  # raises on a port that is not a number
            valid = parts.scheme in ("smtp", "smtps") and bool(parts.hostname)
        except ValueError:
            valid = False
        if not valid:  # the message never repeats the value: it may hold the password
            raise ImproperlyConfigured(
                "EMAIL_URL must look like smtp://user:password@host:587 or smtps://user:password@host:465"
            )
        implicit_tls = parts.scheme == "smtps"
        return {
            "host": parts.hostname,
            "port": port or (465 if implicit_tls else 587),
            "username": unquote(parts.username or ""),
            "password": unquote(parts.password or ""),
            "use_tls": not implicit_tls,
            "use_ssl": implicit_tls,
            "timeout": env_int("EMAIL_TIMEOUT", 10),
        }
    host = env_str("EMAIL_HOST")
    if not host:
        return None
    return {
        "host": host,
        "port": env_int("EMAIL_PORT", 587),
        "username": env_str("EMAIL_HOST_USER", ""),
        "password": env_str("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", True),
        "timeout": env_int("EMAIL_TIMEOUT", 10),
    }


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "dev-insecure-" + "x" * 50
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks_db",
    "kb",
    "tickets",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "helpdesk.two_factor.StaffTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Turns a login attempt that axes refused into the lockout page.
    "axes.middleware.AxesMiddleware",
    # A view that cannot reach the database answers 503 with Retry-After (helpdesk/unavailable.py).
    "helpdesk.unavailable.DatabaseUnavailableMiddleware",
    # Innermost, so a cache hit still passes through the security, CSP and CSRF response handling above.
    "kb.pagecache.PageCacheMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"
WSGI_APPLICATION = "helpdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kb.context_processors.site",
            ],
        },
    },
]

# Database: embedded SQLite unless DATABASE_URL says otherwise; persistent connections with health checks.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # JIT compilation costs more than it saves on these short queries (measured on the home page).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
    DATABASES["default"].setdefault("TEST", {})["TEMPLATE"] = "template0"
    DATABASES["default"]["TEST"]["CHARSET"] = "UTF8"
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    # Tests use a file, as `make run` does, not shared-cache memory: concurrent requests then wait for each other's
    # writes (WAL and the busy timeout) instead of failing with "table is locked". One file per test process.
    DATABASES["default"]["TEST"] = {"NAME": str(Path(tempfile.gettempdir()) / f"helpdesk-test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "helpdesk.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "helpdesk"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 5000}}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# cached_db with fewer round trips (helpdesk/sessions.py).
SESSION_ENGINE = "helpdesk.sessions"

# Staff login (helpdesk/staff_login.py, helpdesk/two_factor.py): failures lock the account and the client address
# for a while (django-axes, counted in the database); authenticator-app codes (django-otp TOTP) once enrolled.
STAFF_LOGIN_ACCOUNT_FAILURES = env_int("STAFF_LOGIN_ACCOUNT_FAILURES", 5)
STAFF_LOGIN_ADDRESS_FAILURES = env_int("STAFF_LOGIN_ADDRESS_FAILURES", 20)
STAFF_LOGIN_LOCKOUT_MINUTES = env_int("STAFF_LOGIN_LOCKOUT_MINUTES", 15)
if min(STAFF_LOGIN_ACCOUNT_FAILURES, STAFF_LOGIN_ADDRESS_FAILURES, STAFF_LOGIN_LOCKOUT_MINUTES) < 1:
    raise ImproperlyConfigured(
        "STAFF_LOGIN_ACCOUNT_FAILURES, STAFF_LOGIN_ADDRESS_FAILURES and STAFF_LOGIN_LOCKOUT_MINUTES must be at least 1"
    )
# Off for development and the demo; on in production: staff must enrol and verify before using the admin.
STAFF_OTP_REQUIRED = env_bool("STAFF_OTP_REQUIRED", False)
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked accounts and addresses before any password check
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "helpdesk.staff_login.StaffLoginHandler"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_FAILURE_LIMIT = "helpdesk.staff_login.failure_limit"
AXES_COOLOFF_TIME = timedelta(minutes=STAFF_LOGIN_LOCKOUT_MINUTES)
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # the lockout ends when the page says it does
AXES_RESET_ON_SUCCESS = False  # the handler forgives the account's failures itself, not the address's
AXES_CLIENT_IP_CALLABLE = "helpdesk.staff_login.client_address"  # REMOTE_ADDR, never X-Forwarded-For
AXES_LOCKOUT_CALLABLE = "helpdesk.staff_login.lockout_response"
# Masked in the form data axes stores with each attempt (it always masks "password").
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "otp_token", "csrfmiddlewaretoken"]
OTP_TOTP_ISSUER = env_str("STAFF_OTP_ISSUER", "Helpdesk")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # superusers may remove someone's device but never read its secret

# Languages: the first one is the default and the source language of articles.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Customers' attachments: outside the static root and anything whitenoise serves, read only through the
# authorised download views (tickets.attachments.download_response).
ATTACHMENTS_ROOT = Path(env_str("ATTACHMENTS_DIR", str(BASE_DIR / "var" / "attachments")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "attachments": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": ATTACHMENTS_ROOT,
            "base_url": None,
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Strict Content-Security-Policy: no inline scripts or styles anywhere; the admin's few inline scripts carry nonces.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Production hardening follows DEBUG; each can be overridden (e.g. SECURE_SSL_REDIRECT=0 behind a TLS proxy).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Email: SMTP from EMAIL_URL or EMAIL_HOST; the console in development. Production must have SMTP: tickets email
# customers, and the console backend only prints what it should send.
smtp = env_smtp()
if smtp:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend", "OPTIONS": smtp}}
elif DEBUG:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
else:
    raise ImproperlyConfigured(
        "EMAIL_URL (smtp://user:password@host:587) or EMAIL_HOST must be set when DEBUG is off: tickets email customers"
    )
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "support@example.com")
SERVER_EMAIL = DEFAULT_FROM_EMAIL


def env_site_url(name, default):
    """The site's public origin (scheme://host[:port], no path): emails link to it and only to it."""
    value = env_str(name, default)
    if not value:
        return ""
    parts = urlsplit(value)
    try:
        valid = parts.port is None or parts.port > 0  # raises on a port that is not a number
    except ValueError:
        valid = False
    valid = valid and parts.scheme in ("http", "https") and bool(parts.hostname)
    if not valid or parts.path.strip("/") or parts.query or parts.fragment:
        raise ImproperlyConfigured(f"{name} must look like https://help.example.com (no path), not {value!r}")
    return f"{parts.scheme}://{parts.netloc}"


# Links in emails start with SITE_URL. Production must say where the site is (a system check asks for https).
SITE_URL = env_site_url("SITE_URL", "http://127.0.0.1:8000" if DEBUG else "")

# Background work (emails) goes through Django's tasks API to the database backend: a task is a row written in the
# same transaction as the ticket, so a rollback takes it back and a crash or a mail outage loses nothing.
# `manage.py db_worker` runs the tasks (`make run` starts one). tickets.tasks retries failed sends itself.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# An email that failed this many times is given up (a dead letter in the admin, where staff can send it again);
# the waits between attempts double from 1 minute up to EMAIL_RETRY_MAX_MINUTES.
EMAIL_MAX_ATTEMPTS = env_int("EMAIL_MAX_ATTEMPTS", 8)
EMAIL_RETRY_MAX_MINUTES = env_int("EMAIL_RETRY_MAX_MINUTES", 60)
if min(EMAIL_MAX_ATTEMPTS, EMAIL_RETRY_MAX_MINUTES) < 1:
    raise ImproperlyConfigured("EMAIL_MAX_ATTEMPTS and EMAIL_RETRY_MAX_MINUTES must be at least 1")
# A solved ticket can be reopened (a reply, or the button on its page) and rated for this many days; then the SLA
# sweep closes it, and a customer who needs more help opens a new ticket.
TICKET_REOPEN_DAYS = env_int("TICKET_REOPEN_DAYS", 7)
if TICKET_REOPEN_DAYS < 1:
    raise ImproperlyConfigured("TICKET_REOPEN_DAYS must be at least 1")
# The time zone a customer's times are shown in, by the ticket's language (others: UTC).
CUSTOMER_TIME_ZONES = {"zh-hans": "Asia/Shanghai", "en": "UTC"}

REST_FRAMEWORK = {
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.DjangoModelPermissionsOrAnonReadOnly"],
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    # JSON nested too deeply is a 400 and a body past DATA_UPLOAD_MAX_MEMORY_SIZE a 413, both with a message.
    "DEFAULT_PARSER_CLASSES": [
        "helpdesk.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "helpdesk.parsers.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {"feedback": "30/hour"},
    # Count clients by the address the server saw, never by a client-sent X-Forwarded-For.
    "NUM_PROXIES": 0,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Helpdesk API",
    "DESCRIPTION": (
        "Help center (categories, sections, articles, announcements, feedback), the customer's tickets without an "
        "account (`/api/v1/ticket-types/`, `/api/v1/tickets/`: the token in the `X-Ticket-Token` header, retries "
        "made safe by an `Idempotency-Key`) and the staff ticket desk (`/api/v1/staff/tickets/`, token or session "
        "authentication)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Help center: name shown in the header; cached pages live this long unless content changes first.
SITE_NAME = env_str("SITE_NAME", _("Help Center"))
KB_PAGE_CACHE = env_bool("KB_PAGE_CACHE", True)
KB_PAGE_CACHE_SECONDS = env_int("KB_PAGE_CACHE_SECONDS", 600)

# Every handler masks tracking tokens and query strings (helpdesk.log_redaction); the development server's request
# lines go through the same filter.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "helpdesk.log_redaction.RedactRequestLines"}},
    "formatters": {
        "django.server": {"()": "django.utils.log.ServerFormatter", "format": "[{server_time}] {message}", "style": "{"}
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact"]},
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server", "filters": ["redact"]},
    },
    "loggers": {
        # Django's default handlers for these loggers carry no redaction: replace them (records reach the root's).
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
        # helpdesk.staff_login logs each failed staff login once; axes' own lines would repeat it.
        "axes": {"level": "ERROR"},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}
