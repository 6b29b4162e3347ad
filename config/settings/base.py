"""Settings shared by every environment.

With no environment variables the project runs embedded: SQLite in the project folder and Celery
tasks executed eagerly. ``DATABASE_URL`` and ``CELERY_BROKER_URL`` move it to real engines.
"""

import datetime
import os
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    """Read a boolean environment variable ("1", "true", "yes" are true)."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    """Read a comma-separated environment variable."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
# Rotating the secret: the new one in DJANGO_SECRET_KEY, the old ones here (comma-separated) until every
# signed thing made under them is gone — sessions, confirmation tokens, and the sealed quotes of open projects.
SECRET_KEY_FALLBACKS = env_list("DJANGO_SECRET_KEY_FALLBACKS")
DEBUG = False
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")

INSTALLED_APPS = [
    # project apps first so their templates and translations win
    "marketplace",
    "credit_rules",
    "workflows",
    "cms",
    "opendata",
    # Wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    # third party
    "guardian",
    "django_celery_beat",
    "django_fsm",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Django
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.headers.PermissionsPolicyMiddleware",
    "config.headers.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "axes.middleware.AxesMiddleware",
    # Demo mode only: brings this process to the shared demo time before each request (no-op otherwise).
    "workflows.clock.DemoClockMiddleware",
    # A lock that outlasted SQLite's busy timeout answers 503 "try again", never a 500.
    "config.locks.DatabaseBusyMiddleware",
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
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "marketplace.context_processors.roles",
                "workflows.context_processors.workspace",
                "workflows.clock.banner_context",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
    )
}
# SQLite shared by a web server and a Celery worker: WAL lets readers run beside the one writer, the busy
# timeout makes a writer wait for the lock, and IMMEDIATE transactions take the write lock when they begin.
# A deferred transaction that reads first and then writes cannot wait: SQLite refuses its lock upgrade at
# once ("database is locked") when another process wrote meanwhile, whatever the timeout.
SQLITE_OPTIONS: dict[str, Any] = {
    "timeout": 30,
    "transaction_mode": "IMMEDIATE",
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out login before any password check
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row; the public never holds object perms

# Login throttling (django-axes, every settings module): five wrong passwords for one username from one
# address lock that pair out for 15 minutes (Django admin, Wagtail admin and the site share the login
# backend); an operator unlocks at /operator/lockouts/. Attempts are rows, so every process agrees.
# Security headers on every response: Referrer-Policy (SecurityMiddleware) and Permissions-Policy (config.headers).
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy (django-csp) on every response: everything comes from this origin — the site's
# scripts and styles are files under /static/, none inline; a template that truly needs an inline block
# marks it with the request's nonce (``nonce="{{ request.csp_nonce }}"``). No frames, no plugins, forms
# post only here. data: images are the SVG icons Django's and Wagtail's admin stylesheets embed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Wagtail's rich-text editor writes <style> elements from its scripts (see config.headers).
CSP_INLINE_STYLE_PREFIXES = ["/cms/"]

AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# The REST API (opendata.api, docs/api.md): DRF for Django-native permissions and throttling, drf-spectacular for
# the OpenAPI 3 document, Swagger UI served from static by drf-spectacular-sidecar (no CDN).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "opendata.api.problems.problem_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ZJCS open API",
    "DESCRIPTION": "中介超市开放接口 — the marketplace's open data and organisation API (docs/api.md).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "PREPROCESSING_HOOKS": ["opendata.api.schema.api_paths_only"],
    "COMPONENT_SPLIT_REQUEST": True,
}
# Calls one API token may make (DRF throttling, counted in the default cache).
ZJCS_API_TOKEN_RATE = os.environ.get("ZJCS_API_TOKEN_RATE", "120/min")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "/"

# Internationalisation: simplified Chinese by default, English on request.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "zjcs_language"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Uploads: qualification scans and contracts. Larger files are refused with a message.
MAX_UPLOAD_BYTES = int(os.environ.get("MAX_UPLOAD_BYTES", str(5 * 1024 * 1024)))
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# Embedded (no CACHE_URL): a file cache in the project folder, shared by every process on the machine (the
# web server and the demo's Celery worker), so a notice published by one drops the cached pages of the other.
CACHE_DIR = Path(os.environ.get("ZJCS_CACHE_DIR", BASE_DIR / ".cache"))
CACHES: dict[str, dict[str, Any]] = {
    "default": (
        {"BACKEND": "config.cache.PooledRedisCache", "LOCATION": os.environ["CACHE_URL"]}
        if os.environ.get("CACHE_URL")
        else {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(CACHE_DIR),
            "OPTIONS": {"MAX_ENTRIES": 5000},  # every list page in two languages before culling starts
        }
    )
}

# Celery: eager with no broker configured; a real broker (redis:// or amqp://) runs a worker and beat.
CELERY_TASK_ALWAYS_EAGER = not os.environ.get("CELERY_BROKER_URL")
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or "memory://localhost/"
if CELERY_BROKER_URL.startswith("filesystem://"):
    # The demo's broker-free worker and beat: messages are files in one folder, no server needed.
    _celery_dir = Path(os.environ.get("CELERY_FS_DIR", BASE_DIR / ".celery"))
    for _sub in ("queue", "processed", "control"):
        (_celery_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_celery_dir / "queue"),
        "data_folder_out": str(_celery_dir / "queue"),
        "processed_folder": str(_celery_dir / "processed"),
        "control_folder": str(_celery_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The periodic sweeps; django-celery-beat copies these into its tables at start.
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "credit-sweep": {"task": "workflows.tasks.credit_sweep", "schedule": 60.0},
    "deadlines-sweep": {
        "task": "workflows.tasks.deadlines_sweep",
        "schedule": float(os.environ.get("ZJCS_SWEEP_SECONDS", "30")),
    },
    "notice-resend": {"task": "cms.tasks.notice_requests_resend", "schedule": 120.0},
    # Before each deadline that costs credit, the people who must act are told (ZJCS_REMINDER_LEAD_HOURS).
    # The credit exchange (docs/credit-exchange.md): measures out, external lists in; nothing without an endpoint.
    "credit-exchange-push": {"task": "opendata.tasks.exchange_push", "schedule": 300.0},
    "credit-exchange-pull": {"task": "opendata.tasks.exchange_pull", "schedule": 3600.0},
    "reminders-sweep": {
        "task": "workflows.tasks.reminders_sweep",
        "schedule": float(os.environ.get("ZJCS_REMINDER_SECONDS", os.environ.get("ZJCS_SWEEP_SECONDS", "60"))),
    },
    # Asks every hour; acts only on the first working day of a month (the last month's operations report, once).
    "monthly-report": {"task": "workflows.tasks.monthly_report", "schedule": 3600.0},
    # Risk flags for supervisors (docs/risk-flags.md): patterns over a year of records, hourly is plenty.
    "risk-flags-sweep": {"task": "workflows.tasks.risk_flags_sweep", "schedule": 3600.0},
}

# Wagtail runs its own background work through django-tasks: keep it immediate.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

WAGTAIL_SITE_NAME = "中介超市"
# The back office loads nothing from elsewhere (the Content-Security-Policy would refuse it, and a
# government platform does not tell a third party who its editors are or when they sign in): no
# Gravatar pictures, no call home for Wagtail's release news.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["pdf", "png", "jpg", "jpeg"]
WAGTAIL_I18N_ENABLED = False
WAGTAILADMIN_PERMITTED_LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# An approved notice is published as the revision approved, and only if it is still its snapshot.
WAGTAIL_FINISH_WORKFLOW_ACTION = "cms.moderation.notice_workflow_finish"

# OCDS (docs/ocds.md): every ocid is "<prefix>-<project code>". A prefix is registered with the Open Contracting
# Partnership for each publisher; "ocds-xxxxxx" is a placeholder, not a registered prefix: set your own.
ZJCS_OCID_PREFIX = os.environ.get("ZJCS_OCID_PREFIX", "ocds-xxxxxx")

# Direct selection (直接选取) is allowed only up to this budget, in yuan.
ZJCS_DIRECT_MAX_AMOUNT = os.environ.get("ZJCS_DIRECT_MAX_AMOUNT", "300000")

# Notifications: reminders this many hours before each deadline that costs credit (compressed by the time
# scale); SMS through this provider class (the default only logs); e-mail by SMTP unless a settings module
# chooses another backend (the demo prints to the console, the tests keep it in memory).
ZJCS_REMINDER_LEAD_HOURS = [int(h) for h in env_list("ZJCS_REMINDER_LEAD_HOURS", "24,2")]
# How an agency proves control of its USCC before it is listed (workflows/identity.py: the operator's review
# of the business licence ships; a deployment's credit-platform login would be another verifier class).
ZJCS_IDENTITY_VERIFIER = os.environ.get("ZJCS_IDENTITY_VERIFIER", "workflows.identity.OperatorReview")
ZJCS_SMS_PROVIDER = os.environ.get("ZJCS_SMS_PROVIDER", "workflows.services.notifications.channels.LoggingSmsProvider")
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "中介超市 <noreply@localhost>")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")

# Time acceleration for scripted runs and end-to-end tests: 1 = real time; 86400 makes a procurement or
# service period of a day last a second. Measure periods (suspensions, bars, publication) stay calendar time.
ZJCS_TIME_SCALE = float(os.environ.get("ZJCS_TIME_SCALE", "1"))
# Under acceleration no deadline is shorter than this many real seconds, so a person can still act in time.
ZJCS_SCALED_MIN_SECONDS = float(os.environ.get("ZJCS_SCALED_MIN_SECONDS", "300"))

# The public credit platform's exchange endpoint (docs/credit-exchange.md) and its bearer token; empty: no exchange.
# `make demo` points it at the local stand-in (/exchange-standin/), mounted in demo mode, DEBUG or when asked.
ZJCS_CREDIT_EXCHANGE_URL = os.environ.get("ZJCS_CREDIT_EXCHANGE_URL", "")
ZJCS_CREDIT_EXCHANGE_TOKEN = os.environ.get("ZJCS_CREDIT_EXCHANGE_TOKEN", "")
ZJCS_CREDIT_EXCHANGE_STANDIN = env_bool("ZJCS_CREDIT_EXCHANGE_STANDIN")

# Demo mode (`make demo`): a demo clock every process reads from the database, moved forward by an operator
# or supervisor from the banner or /operator/clock/. Off everywhere else; production refuses it.
ZJCS_DEMO = env_bool("ZJCS_DEMO")
if ZJCS_DEMO:
    # The demo clock may move weeks ahead: sessions outlive it, and cached public pages show a fresh demo time.
    SESSION_COOKIE_AGE = 10 * 365 * 24 * 3600
    ZJCS_NOTICE_CACHE_SECONDS = 60

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
