"""Settings for orgportal, read from the environment (see .env.example for every variable)."""

import hashlib
import re
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from orgportal.logging import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A .env file is a convenience; what the environment sets wins. ENV_FILE names another file,
# or none when empty (the settings tests start from a clean environment that way).
_env_file = env("ENV_FILE", default=str(BASE_DIR / ".env"))
if _env_file:
    environ.Env.read_env(_env_file, overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

# DEBUG off means production: the secret key and the host names must come from the
# environment, and start-up stops with the name of the missing variable. Tests declare theirs
# in pyproject.toml (pytest-env); `make run` sets DEBUG=1.
SECRET_KEY = env("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
# Commands that only compare or print the schema sign nothing and serve nobody: they run on a
# clean checkout without the production variables (`makemigrations --check` in reviews).
_SCHEMA_ONLY_COMMAND = sys.argv[1:2] in (["makemigrations"], ["showmigrations"], ["sqlmigrate"])
if DEBUG or _SCHEMA_ONLY_COMMAND:
    SECRET_KEY = SECRET_KEY or "django-insecure-development-only"
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["localhost", "127.0.0.1", "[::1]"]
else:
    for _name, _value in (("SECRET_KEY", SECRET_KEY), ("ALLOWED_HOSTS", ALLOWED_HOSTS)):
        if not _value:
            raise ImproperlyConfigured(
                f"{_name} is not set. With DEBUG off (production) the {_name} environment "
                "variable is required: see .env.example. For local development set DEBUG=1."
            )
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# HTTPS hardening, on by default in production. The TLS-terminating proxy tells the portal
# that the original request was HTTPS through this header; it must set (not pass on) it.
_proxy_ssl_header = env("SECURE_PROXY_SSL_HEADER", default="" if DEBUG else "X-Forwarded-Proto")
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https") if _proxy_ssl_header else None
)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers and Docker probe the health checks over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
# The preload directive has no effect until the domain's owner submits it to the browsers' list.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

INSTALLED_APPS = [
    # Before the admin, as django-modeltranslation asks: it registers every app's
    # translation.py and patches the models before the admin looks at them.
    "modeltranslation",
    # django.contrib.admin, with the portal's admin site (orgportal/admin_site.py).
    "orgportal.admin_apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "mptt",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "import_export",
    "simple_history",
    "orgportal",
    "departments",
    "roles",
    "orgportal.guide",
    "teams",
]

MIDDLEWARE = [
    "orgportal.middleware.RequestLogMiddleware",
    "orgportal.error_pages.ApiErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # django-csp's CSPMiddleware, building the site's policy once.
    "orgportal.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # ?lang= on an API request chooses the language of its texts (after Accept-Language).
    "orgportal.api.language.ApiLanguageMiddleware",
    # A cached department or a current tree, answered to a token without the rest (see there).
    "orgportal.api.shortcut.ApiShortcutMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Who changes what, why (X-Change-Reason) and through which path: read by the history.
    "orgportal.changes.context.ChangeContextMiddleware",
    # Django's MessageMiddleware, except for the API.
    "orgportal.middleware.PageMessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it answers a locked-out login.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "orgportal.urls"

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

WSGI_APPLICATION = "orgportal.wsgi.application"
ASGI_APPLICATION = "orgportal.asgi.application"

# SQLite by default: a file in the project, zero set-up. IMMEDIATE transactions take the
# database write lock at BEGIN, which serialises tree writers the way PostgreSQL's advisory
# lock does (see departments/locking.py).
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = env.bool("ATOMIC_REQUESTS", default=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's, skipping the health check of a connection that answered a moment ago.
    DATABASES["default"]["ENGINE"] = "orgportal.postgresql"
    # Fail fast when the database is unreachable, so /readyz answers within the probe's timeout.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-axes first: it refuses a locked-out login before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "chart:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [
    ("zh-hans", _("Simplified Chinese")),
    ("en", _("English")),
    ("zh-hant", _("Traditional Chinese")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# Translated content (django-modeltranslation): every registered text field has one column per
# language (name_zh_hans, name_en, name_zh_hant). Simplified Chinese is the source text, required,
# and the fallback of the other two: an English page shows the Chinese text where HR have not
# written the English one yet. See orgportal/i18n.py and the README, section Languages.
MODELTRANSLATION_DEFAULT_LANGUAGE = "zh-hans"
MODELTRANSLATION_LANGUAGES = ("zh-hans", "en", "zh-hant")
MODELTRANSLATION_FALLBACK_LANGUAGES = ("zh-hans",)


def MODELTRANSLATION_BUILD_LOCALIZED_VERBOSE_NAME(verbose_name, language):
    """Label a field's column of one language, "name (English)", in the reader's language."""
    from orgportal.i18n import localized_verbose_name

    return localized_verbose_name(verbose_name, language)


# Where HR leave a traditional text empty, the portal stores an automatic conversion of the
# simplified text (OpenCC): s2twp (Taiwan, with Taiwanese phrases: the default), s2hk (Hong
# Kong) or s2t (characters only). After a change, `manage.py convert_traditional` converts the
# stored automatic texts again.
ORGPORTAL_TRADITIONAL_VARIANT = env("ORGPORTAL_TRADITIONAL_VARIANT", default="s2twp")
if ORGPORTAL_TRADITIONAL_VARIANT not in ("s2twp", "s2hk", "s2t"):
    raise ImproperlyConfigured("ORGPORTAL_TRADITIONAL_VARIANT must be s2twp, s2hk or s2t.")

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("ORGPORTAL_HASHED_STATIC", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Local memory by default; Redis (shared by every web process) when REDIS_URL is set. Short
# socket timeouts keep a lost Redis from holding up requests: the organisation cache then
# builds its values from the database (see orgportal/cache.py).
REDIS_URL = env("REDIS_URL", default="")
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default=""),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
# Files uploaded to the admin's import wait here between the preview and the confirmation
# (orgportal/orgfiles/spreadsheets.py): in Redis, which every web container shares, when
# REDIS_URL is set; otherwise in files under ORGPORTAL_IMPORTS_DIR, which every gunicorn worker
# of one container (or host) shares, so that the confirmation may reach another worker.
# The default is one folder per installation (named after a hash of its path), so that two
# checkouts or deployments on one host never read or clear each other's files.
ORGPORTAL_IMPORTS_DIR = env(
    "ORGPORTAL_IMPORTS_DIR",
    default=str(
        Path(tempfile.gettempdir())
        / f"orgportal-imports-{hashlib.sha256(str(BASE_DIR).encode()).hexdigest()[:12]}"
    ),
)
CACHES["imports"] = (
    {**CACHES["default"], "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="") + "imports"}
    if REDIS_URL
    else {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": ORGPORTAL_IMPORTS_DIR,
    }
)
# Rendered API answers (the department detail), keyed by the organisation version: apart from
# the default cache so that thousands of small answers never push the chart out of it.
CACHES["responses"] = (
    {**CACHES["default"], "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="") + "responses"}
    if REDIS_URL
    else {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "responses",
        "OPTIONS": {"MAX_ENTRIES": 5000},
    }
)
# Seconds an organisation cache entry lives. Changes invalidate entries at once in every process
# that shares the cache; without REDIS_URL another process sees a change within this time.
ORGPORTAL_CACHE_TIMEOUT = env.int("ORGPORTAL_CACHE_TIMEOUT", default=300)

# The handbook PDF takes about 45 ms a page and 1 MB of memory a page to make. Above this many
# roles a browser is told to take a department's handbook instead (or HR run
# `manage.py handbook_pdf`), so that no request outlives gunicorn's timeout or eats the memory.
ORGPORTAL_HANDBOOK_MAX_ROLES = env.int("ORGPORTAL_HANDBOOK_MAX_ROLES", default=300)
# A worksheet holds 1,048,576 rows (Excel's limit, headers included): a workbook whose duties
# would not fit is refused with a page that leads on to the departments' workbooks and the
# organisation file (which has no such limit).
ORGPORTAL_WORKBOOK_MAX_ROWS = env.int("ORGPORTAL_WORKBOOK_MAX_ROWS", default=1_048_575)

# The org chart (orgportal/chart): up to ORGPORTAL_CHART_OPEN_UP_TO departments it opens whole;
# above, it draws the open levels only (the root's children, and the path to ?focus=), each
# closed card opening on demand as a fragment (/chart/branch/<code>/) of
# ORGPORTAL_CHART_PAGE_SIZE children at a time. "Expand all" (?expand=all) is offered up to
# ORGPORTAL_CHART_EXPAND_ALL_UP_TO departments: above that a whole chart is too big to draw.
ORGPORTAL_CHART_OPEN_UP_TO = env.int("ORGPORTAL_CHART_OPEN_UP_TO", default=30)
ORGPORTAL_CHART_EXPAND_ALL_UP_TO = env.int("ORGPORTAL_CHART_EXPAND_ALL_UP_TO", default=300)
ORGPORTAL_CHART_PAGE_SIZE = env.int("ORGPORTAL_CHART_PAGE_SIZE", default=50)
if ORGPORTAL_CHART_PAGE_SIZE < 1:
    raise ImproperlyConfigured("ORGPORTAL_CHART_PAGE_SIZE must be 1 or more.")

# Content-Security-Policy: everything the portal needs comes from the portal itself, with no
# inline script or style (django-csp). The API's ReDoc page relaxes it for itself (see
# orgportal/api/urls.py). CSP_REPORT_ONLY=1 reports violations without enforcing the policy.
_csp = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
if env("CSP_REPORT_URI", default=""):
    _csp["DIRECTIVES"]["report-uri"] = [env("CSP_REPORT_URI")]
if env.bool("CSP_REPORT_ONLY", default=False):
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _csp
else:
    CONTENT_SECURITY_POLICY = _csp

# How many proxies in front of the portal append to X-Forwarded-For; 0 trusts no such header
# and takes the connection's address. Login lockouts and API throttles count per address.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)

# Login lockout (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords for one username from
# one address, that pair is locked out for LOGIN_LOCKOUT_MINUTES; a good login resets the count.
AXES_ENABLED = env.bool("LOGIN_LOCKOUT", default=True)
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Unlock with `manage.py axes_reset_username USERNAME` (or axes_reset); the admin stays HR's.
AXES_ENABLE_ADMIN = False
AXES_CLIENT_IP_CALLABLE = "orgportal.api.throttling.client_ip"

# API throttling (DRF): requests per user (token or session) and, with ORGPORTAL_PUBLIC_READ,
# per address for anonymous readers, as "number/second|minute|hour|day"; empty turns one off.
# Counted in the cache: per process without REDIS_URL, shared with it.
ORGPORTAL_API_THROTTLE_RATES = {
    "user": env("API_THROTTLE_RATE", default="1200/minute") or None,
    "anon": env("API_THROTTLE_ANON_RATE", default="120/minute") or None,
}

# E-mail, as a URL (django-environ): smtp+tls://USER:PASSWORD@smtp.example.com:587 (or
# smtp+ssl://…:465, or consolemail:// to print mails in development). Password reset by
# e-mail is offered only when it is set.
EMAIL_URL = env("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(env.email_url("EMAIL_URL"))
DEFAULT_FROM_EMAIL = SERVER_EMAIL = env("DEFAULT_FROM_EMAIL", default="orgportal@localhost")
ORGPORTAL_PASSWORD_RESET = bool(EMAIL_URL)
# Reset requests allowed per client address (number/period; empty: no limit).
ORGPORTAL_API_THROTTLE_RATES["password_reset"] = (
    env("PASSWORD_RESET_RATE", default="5/hour") or None
)

# HR's spreadsheets in the admin (django-import-export): every import in one transaction; blank
# rows that spreadsheet programs leave at the end are not rows.
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_IMPORT_IGNORE_BLANK_LINES = True
# The uploaded file waits for the confirmation in the "imports" cache above, which every web
# worker reaches (Redis, or files shared by one container's workers); see docs/deploy.md.
IMPORT_EXPORT_TMP_STORAGE_CLASS = "orgportal.orgfiles.spreadsheets.ImportFileStorage"

# Anonymous visitors may read the portal and the API only when this is on.
ORGPORTAL_PUBLIC_READ = env.bool("ORGPORTAL_PUBLIC_READ", default=False)
# Organisation health (/insights/): the target band of the span of control, as "4-7" (or "13+"),
# of departments (sub-departments per department) and of roles (direct reports per role).
ORGPORTAL_SPAN_TARGET = env("ORGPORTAL_SPAN_TARGET", default="4-7")
ORGPORTAL_REPORTS_TARGET = env("ORGPORTAL_REPORTS_TARGET", default="4-7")
for _name in ("ORGPORTAL_SPAN_TARGET", "ORGPORTAL_REPORTS_TARGET"):
    if not re.fullmatch(r"\s*[1-9]\d*\s*([-–]\s*[1-9]\d*|\+)?\s*", vars()[_name]):
        raise ImproperlyConfigured(f"{_name} must be a band such as 4-7 or 13+.")
# The organisation file that `make run` and the container load into an empty database.
ORGPORTAL_SEED_FILE = BASE_DIR / "data" / "organisation.yaml"

# Token authentication comes first: DRF takes the WWW-Authenticate header of the first class,
# and only with that header does an anonymous request get 401 rather than 403.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "orgportal.api.authentication.OrgTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["orgportal.api.permissions.OrganisationPermission"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["orgportal.api.parsers.BoundedJSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["orgportal.api.filtering.StrictFilterBackend"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "orgportal.api.negotiation.StrictContentNegotiation",
    "DEFAULT_PAGINATION_CLASS": "orgportal.api.pagination.OrganisationPagination",
    "EXCEPTION_HANDLER": "orgportal.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "orgportal.api.throttling.UserThrottle",
        "orgportal.api.throttling.AnonThrottle",
    ],
    "NUM_PROXIES": NUM_PROXIES or None,
    "DEFAULT_SCHEMA_CLASS": "orgportal.api.schema.OrganisationAutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# The long description (authentication, errors, paging, ETags) is added by a hook in
# orgportal/api/schema.py, next to the code it describes.
SPECTACULAR_SETTINGS = {
    "TITLE": "orgportal API",
    "DESCRIPTION": "Departments, roles, duties and project teams of the organisation.",
    "VERSION": "1.0.0",
    # A project team's status appears in teams, roles' teams and the export: one enum.
    "ENUM_NAME_OVERRIDES": {"TeamStatusEnum": ["planned", "active", "closed"]},
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "orgportal.api.schema.describe_api",
    ],
    "TAGS": [
        {"name": "departments", "description": _("The department tree, by department code.")},
        {"name": "roles", "description": _("Roles, by role code, with their duties.")},
        {"name": "duties", "description": _("Duties of roles, by id, in their order.")},
        {"name": "export", "description": _("The whole organisation as one organisation file.")},
        {
            "name": "organisation",
            "description": _("The company's profile (mode, stage) and its health check."),
        },
    ],
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True, "displayOperationId": False},
}

# Production writes one JSON object per line on stdout (a line per request, see
# orgportal/middleware.py, and errors with their tracebacks); DEBUG keeps readable text.
LOG_FORMAT = env("LOG_FORMAT", default="text" if DEBUG else "json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured("LOG_FORMAT must be json or text.")
LOG_LEVEL = env("LOG_LEVEL", default="INFO").upper()
LOGGING = logging_config(
    LOG_FORMAT,
    root_level=LOG_LEVEL,
    loggers={
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        # django-axes says at INFO that it starts and each failed login; lockouts are WARNINGs.
        "axes": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # WeasyPrint reports each step of every PDF at INFO, and fontTools each font subset.
        "weasyprint": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "fontTools": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        # runserver already prints every request in development.
        "orgportal.requests": {
            "handlers": ["console"],
            "level": LOG_LEVEL if LOG_FORMAT == "json" else "WARNING",
            "propagate": False,
        },
    },
)
