"""antt settings: one file, every value from the environment.

With no variable set, antt runs on SQLite in ``var/antt.sqlite3`` and runs Celery tasks
in-process, so a newcomer needs no server. Production sets:

- ``DATABASE_URL`` (``postgres://user:pass@host:port/name``) or the libpq ``PG*`` variables
  (``PGDATABASE`` at least) → PostgreSQL; ``DATABASE_REPLICA_URL`` → report reads from a replica;
- ``CELERY_BROKER_URL`` (``redis://host:port/0``) → a separate worker and beat;
- ``SECRET_KEY``, ``DEBUG``, ``ALLOWED_HOSTS``, ``MEDIA_ROOT``, ``HTTPS`` (secure cookies, HSTS).
"""

import os
from pathlib import Path
from urllib.parse import unquote, urlparse

from django.utils.translation import gettext_lazy as _

from certification.schedule import BEAT_SCHEDULE

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ANTT_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# The lookups compiled once per process (antt/database/compiled.py) run as prepared statements:
# planned once per connection. Set to 0 behind a connection pooler in transaction mode that does
# not keep prepared statements (PgBouncer before 1.21, or without max_prepared_statements).
DATABASE_PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", True)


def _postgres_options() -> dict:
    # psycopg's threshold: a number lets the statements asked to be prepared be prepared (Django's
    # own cursors bind on the client and never are; the number of executions before psycopg would
    # prepare a statement by itself is never reached by them). None: nothing is prepared.
    return {"prepare_threshold": 5 if DATABASE_PREPARED_STATEMENTS else None}


def postgres_from_url(url: str) -> dict:
    parsed = urlparse(url)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parsed.path.lstrip("/")),
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": parsed.hostname or "",
        "PORT": str(parsed.port or ""),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": _postgres_options(),
    }


def database_from_env() -> dict:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return postgres_from_url(url)
    if url.startswith("sqlite:///"):
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": url.removeprefix("sqlite:///")}
    if os.environ.get("PGDATABASE"):
        # libpq reads PGHOST, PGPORT, PGUSER, PGPASSWORD itself.
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ["PGDATABASE"],
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": _postgres_options(),
        }
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # the embedded default must work on a fresh clone
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": VAR_DIR / "antt.sqlite3",
        # The demo server runs several threads: writers queue for the lock (IMMEDIATE) instead of
        # failing with "database is locked", and readers do not wait for writers (WAL).
        "OPTIONS": {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL;",
        },
    }


# Without SECRET_KEY: a development key that `check --deploy` refuses (antt.security).
DEVELOPMENT_SECRET_KEY = "insecure-dev-key-change-me-in-production-0123456789abcdef"
SECRET_KEY = os.environ.get("SECRET_KEY") or DEVELOPMENT_SECRET_KEY
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "axes",
    "django_otp",
    "antt.accounts",
    "django_otp.plugins.otp_totp",
    "units",
    "certification",
    "ninja",  # its docs page then uses the vendored swagger-ui from static/, no CDN
    "api",
    "movement",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "antt.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "antt.web.language.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "antt.accounts.identity.IdentityMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "antt.accounts.two_factor.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "antt.urls"
WSGI_APPLICATION = "antt.wsgi.application"

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
                "antt.web.context_processors.site",
            ],
        },
    },
]

DATABASES = {"default": database_from_env()}
# A streaming replica of the PostgreSQL primary (docs/scaling.md). Only the reads marked as report
# reads (antt.database.replica.report_reads: the summary report, the leaders' dashboard, the
# results pages) go to it, and only outside a transaction and before any write of the same block;
# everything else, every write included, goes to the primary. Unset: one database.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    if not DATABASE_REPLICA_URL.startswith(("postgres://", "postgresql://")):
        raise ValueError("DATABASE_REPLICA_URL must be a postgres:// URL")
    # In tests the alias mirrors the test database (no second test database is created).
    DATABASES["replica"] = {**postgres_from_url(DATABASE_REPLICA_URL), "TEST": {"MIRROR": "default"}}
DATABASE_ROUTERS = ["antt.database.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Argon2id first (antt/passwords.py says why); the PBKDF2 ones stay so that the hashes stored before
# still verify, and are replaced by Argon2id at the user's next login.
PASSWORD_HASHERS = [
    "antt.accounts.passwords.Argon2idPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions carry their user's id in a column, so that a user's other sessions can be ended
# (password changed, two-step verification turned on, "log out everywhere"): antt.accounts.sessions.
SESSION_ENGINE = "antt.accounts.sessions"
# Sessions, users and roles are read through the ``identity`` cache (CACHES below).
SESSION_CACHE_ALIAS = "identity"

# The client's address behind reverse proxies (antt.accounts.lockout, docs/reliability.md "Behind
# the proxy"): TRUSTED_PROXY_COUNT is the number of proxies in front of gunicorn that append the
# address they saw to X-Forwarded-For (nginx with $proxy_add_x_forwarded_for: 1). 0: the address
# of the TCP peer. The login lockout and every per-address limit use this one address, through
# django-axes and django-ipware (which counts the proxies *after* the client in the header: the
# nearest proxy is the TCP peer, not in the header). Non-strict: entries a client forged to the
# left of the trusted ones are ignored instead of making the whole header unusable.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
if TRUSTED_PROXY_COUNT > 0:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT - 1
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
    AXES_IPWARE_PROXY_COUNT = None
IPWARE_STRICT = False

# Login throttling: AXES_FAILURE_LIMIT failures per user name + address lock that pair for
# 15 minutes. An account guessed at from many addresses (ACCOUNT_FAILURE_LIMIT failures in those
# 15 minutes, each address counting at most AXES_FAILURE_LIMIT) accepts logins only from the
# addresses it logged in from in the last ACCOUNT_KNOWN_ADDRESS_DAYS days until it cools off: a
# stranger cannot lock the owner out of their usual machine (antt.accounts.lockout).
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HANDLER = "antt.accounts.lockout.AccountGuardHandler"
ACCOUNT_FAILURE_LIMIT = int(os.environ.get("ACCOUNT_FAILURE_LIMIT", "20"))
ACCOUNT_KNOWN_ADDRESS_DAYS = int(os.environ.get("ACCOUNT_KNOWN_ADDRESS_DAYS", "90"))

# Password reset links (by e-mail, or issued once by an administrator): valid this many seconds,
# and only until the password is set.
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_TIMEOUT", str(3 * 24 * 3600)))
# Requests for a reset e-mail per address per minute (a mailbox cannot be flooded).
PASSWORD_RESET_RATE_LIMIT = int(os.environ.get("PASSWORD_RESET_RATE_LIMIT", "5"))

# Second factor (TOTP, django-otp): anyone may turn it on under "Xác thực hai lớp"; a user
# who has it is asked for the 6-digit code after the password. Users holding one of these
# roles must turn it on before anything else (production: ANTT_REQUIRE_2FA_FOR=approver,admin).
ANTT_REQUIRE_2FA_FOR = env_list("ANTT_REQUIRE_2FA_FOR")
OTP_TOTP_ISSUER = "ANTT"
OTP_TOTP_THROTTLE_FACTOR = 1  # after n wrong codes in a row, wait 2^(n-1) s (capped by django-otp)

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["antt.formats"]

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Media are never served by URL: evidence and PDFs go through permission-checked views.
MEDIA_URL = "/media-not-served/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", False)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
EVIDENCE_MAX_BYTES = int(os.environ.get("EVIDENCE_MAX_BYTES", str(10 * 1024 * 1024)))
# Budgets of every spreadsheet import (antt.spreadsheets checks them before a parser runs;
# docs/reliability.md "Hostile files" has the measured worst cases).
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(5 * 1024 * 1024)))
SPREADSHEET_MAX_ROWS = int(os.environ.get("SPREADSHEET_MAX_ROWS", "10000"))
SPREADSHEET_MAX_COLUMNS = int(os.environ.get("SPREADSHEET_MAX_COLUMNS", "300"))
SPREADSHEET_MAX_CELLS = int(os.environ.get("SPREADSHEET_MAX_CELLS", "100000"))
SPREADSHEET_MAX_UNCOMPRESSED_BYTES = int(
    os.environ.get("SPREADSHEET_MAX_UNCOMPRESSED_BYTES", str(30 * 1024 * 1024))
)
# Units per assessment import: confirming writes each unit through the audited services.
ASSESSMENT_IMPORT_MAX_UNITS = int(os.environ.get("ASSESSMENT_IMPORT_MAX_UNITS", "300"))
# Import previews never confirmed are deleted after this long (manage.py sweep_imports, hourly).
IMPORT_PREVIEW_TTL_SECONDS = int(os.environ.get("IMPORT_PREVIEW_TTL_SECONDS", str(24 * 3600)))
# A request body larger than this is refused before it is read (antt.web.uploads); the proxy's
# client_max_body_size should be the same (docs/reliability.md).
UPLOAD_MAX_BODY_BYTES = int(
    os.environ.get("UPLOAD_MAX_BODY_BYTES", str(max(EVIDENCE_MAX_BYTES, IMPORT_MAX_BYTES) + 1024 * 1024))
)
FILE_UPLOAD_HANDLERS = [
    "antt.web.uploads.BoundedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Files up to this size stay in memory, larger ones go to a temporary file.
FILE_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("FILE_UPLOAD_MAX_MEMORY_SIZE", str(5 * 1024 * 1024)))
# Form fields other than files (Django refuses a larger non-file body with a 400).
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DATA_UPLOAD_MAX_MEMORY_SIZE", str(20 * 1024 * 1024)))

# Celery: no broker → tasks run in the calling process.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", CELERY_BROKER_URL or None)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
# Seconds between two province summaries while officers save (certification.scoring.results).
SCORING_SUMMARY_DELAY = int(os.environ.get("SCORING_SUMMARY_DELAY", "5"))
# Seconds a saved unit waits for the others of its campaign before one worker pass rescores them
# all (certification.tasks.scoring.request_rescore); 0: one task per save, at once.
SCORING_RESCORE_DELAY = int(os.environ.get("SCORING_RESCORE_DELAY", "2"))
# Communes per chunk of a scoring run (certification.scoring.runs). 40 communes ≈ 2,000 units: a
# chunk's reads grow with its units, so larger chunks only save round trips; on 2 workers a
# province from scratch took ~10 % less than with 20. More workers may want smaller chunks.
SCORING_CHUNK_COMMUNES = int(os.environ.get("SCORING_CHUNK_COMMUNES", "120"))
# Celery worker processes that share a print job's chunks (docker-compose: --concurrency=2): a
# job is cut into a multiple of this many chunks of equal size (certification.documents.printing).
PRINT_WORKERS = int(os.environ.get("PRINT_WORKERS", "2"))
# Redis down: these tasks (short, safe to run twice, awaited by a user) run in the web process
# instead of being dropped (antt.broker).
BROKER_DOWN_INLINE_TASKS = env_list(
    "BROKER_DOWN_INLINE_TASKS",
    "certification.tasks.scoring.rescore_unit_task,"
    "certification.tasks.printing.print_job_task,"
    "certification.tasks.printing.render_chunk_task,"
    "certification.tasks.printing.finish_job_task",
)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery's Django fixup closes the worker's database connections before and after every task
# unless this is set (then after this many tasks): a new PostgreSQL backend per task, ~25 ms of
# its CPU each (issue 23, round 7). With it, CONN_MAX_AGE and the health check decide, as for
# web requests (antt.celery closes old or broken connections around each task).
CELERY_DB_REUSE_MAX = 1000
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5, "max_retries": 1}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
# Redis down: give up quickly, the page is served anyway (antt.broker).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
}
# Daily: score the campaigns whose assessment period has just ended.
CELERY_BEAT_SCHEDULE = {**BEAT_SCHEDULE}

# Security. HTTPS=1 in production behind TLS.
HTTPS = env_bool("HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers and container health checks speak plain HTTP
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Sent on every response that sets none itself; empty: no header. antt.security says why each
# directive is there.
CONTENT_SECURITY_POLICY = os.environ.get(
    "CONTENT_SECURITY_POLICY",
    "; ".join(
        [
            "default-src 'self'",
            "img-src 'self' data:",
            "style-src 'self'",
            "style-src-attr 'unsafe-inline'",
            "script-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    ),
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # 403/404 are the client's doing: one line each, no traceback (antt.security).
    "filters": {"client_errors_without_traceback": {"()": "antt.security.ClientErrorFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django.request": {"filters": ["client_errors_without_traceback"]},
        # The seal's font subset (pyHanko): a table fontTools drops on purpose, once per document.
        "fontTools.subset": {"level": "ERROR"},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Public certificate verification: requests per minute per client address (TRUSTED_PROXY_COUNT).
VERIFY_RATE_LIMIT = int(os.environ.get("VERIFY_RATE_LIMIT", "30"))
# Requests per API token: "count/period", the period s, m, h or d (e.g. "600/h").
API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "120/m")
# Days the API's per-request trail is kept (manage.py sweep_api_requests).
API_REQUEST_DAYS = int(os.environ.get("API_REQUEST_DAYS", "90"))
# Digital signatures (NĐ 30/2020, docs/signatures.md). Trust roots: comma-separated paths of PEM or DER
# CA certificates that a signed decision's chain must reach. The agency's own key (PKCS#12) signs the
# decisions and certificates the server issues; unset: documents are issued unsigned.
SIGNATURE_TRUST_ROOTS = env_list("SIGNATURE_TRUST_ROOTS")
SIGNATURE_PKCS12_PATH = os.environ.get("SIGNATURE_PKCS12_PATH", "")
SIGNATURE_PKCS12_PASSPHRASE = os.environ.get("SIGNATURE_PKCS12_PASSPHRASE", "")
# The agency's red seal (PNG, transparent background) and the signer's blue signature image; unset:
# a plain red ring stands for the seal and no signature image is drawn.
SIGNATURE_SEAL_IMAGE = os.environ.get("SIGNATURE_SEAL_IMAGE", "")
SIGNATURE_SIGNER_IMAGE = os.environ.get("SIGNATURE_SIGNER_IMAGE", "")
# Largest signed PDF accepted (the clerk's upload and the public check).
SIGNED_PDF_MAX_BYTES = int(os.environ.get("SIGNED_PDF_MAX_BYTES", str(20 * 1024 * 1024)))
CACHE_URL = os.environ.get("CACHE_URL", "")
# How long the entry form and the officer's home stay kept whole (antt/web/fragments.py, issue 23,
# round 9): a kept page is never stale (its key changes with any of its rows), the time only
# bounds the memory of pages nobody opens again. 0: render every request.
PAGES_KEPT_SECONDS = int(os.environ.get("PAGES_KEPT_SECONDS", "3600"))


def _cache(without: str, location: str = "", **options: str) -> dict[str, str]:
    """Redis at ``CACHE_URL`` when it is set, else the ``without`` backend."""
    backend = "antt.database.cache.RedisCache" if CACHE_URL else without
    return {"BACKEND": backend, "LOCATION": CACHE_URL or location, **options}


CACHES = {
    "default": _cache("django.core.cache.backends.locmem.LocMemCache", "antt"),
    # Sessions, users and their roles (antt/accounts/identity.py): only in a cache every process
    # shares, so that an ended session or a revoked role takes effect at once everywhere; without
    # CACHE_URL nothing is kept (each request reads them from the database).
    "identity": _cache("django.core.cache.backends.dummy.DummyCache", KEY_PREFIX="antt"),
}


def site_base_url() -> str:
    """The address the site is served at, printed on certificates and encoded in their QR codes:
    SITE_BASE_URL, else the first named host of ALLOWED_HOSTS (https with HTTPS=1), else where
    scripts/run listens. ``check --deploy`` refuses an address the site does not answer at."""
    if os.environ.get("SITE_BASE_URL"):
        return os.environ["SITE_BASE_URL"].rstrip("/")
    local = {"localhost", "127.0.0.1", "[::1]", "testserver", "0.0.0.0"}
    named = [h for h in ALLOWED_HOSTS if h not in local and "*" not in h and not h.startswith(".")]
    if named:
        return f"{'https' if HTTPS else 'http'}://{named[0]}"
    return f"http://127.0.0.1:{os.environ.get('PORT') or 8000}"


SITE_BASE_URL = site_base_url()

# E-mail: SMTP when EMAIL_HOST is set; the daily worklist digest only with EMAIL_DIGESTS=1.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "antt@localhost")
EMAIL_DIGESTS = env_bool("EMAIL_DIGESTS", False)
