"""Settings shared by every environment. Environment variables override the defaults."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("SALESDESK_VAR_DIR", BASE_DIR / "var"))

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me-in-production-0123456789")
DEBUG = False
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "simple_history",
    "django_tasks",
    "django_tasks_db",
    "salesdesk.core",
    "salesdesk.accounts",
    "salesdesk.customers",
    "salesdesk.catalog",
    "salesdesk.inventory",
    "salesdesk.pricing",
    "salesdesk.orders",
    "salesdesk.fulfillment",
    "salesdesk.shipping",
    "salesdesk.api",
    "salesdesk.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "salesdesk.accounts.middleware.IdleTimeoutMiddleware",
    "salesdesk.core.context.RequestContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "salesdesk.web.context_processors.navigation",
                "salesdesk.web.views.alerts.notification_badge",
            ],
        },
    },
]


def _database() -> dict[str, Any]:
    url = os.environ.get("DATABASE_URL")
    if url:
        db: dict[str, Any] = dict(
            dj_database_url.parse(url, conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")))
        )
        if db["ENGINE"].endswith("postgresql"):
            db.setdefault("OPTIONS", {})
            # Planner costs for data on SSD or in memory (PostgreSQL's default random_page_cost of 4 is for
            # spinning disks): with it, a salesperson's orders filtered by product are read through the
            # (owner, id) index instead of the whole orders table by id — docs/benchmarks.md, order_list.
            # DB_PG_OPTIONS="" keeps the server's own settings.
            pg_options = os.environ.get("DB_PG_OPTIONS", "-c random_page_cost=1.1")
            if pg_options:
                db["OPTIONS"].setdefault("options", pg_options)
            db["CONN_HEALTH_CHECKS"] = True
            # Prepared statements: parameters bound on the server, and a statement run five times on a
            # connection is prepared there, so PostgreSQL stops planning it again (planning was about
            # two thirds of its time per order; CPU of the backend per create-and-confirm 17.5 -> 9.2 ms,
            # docs/benchmarks.md). DB_PREPARED_STATEMENTS=0 turns it off, e.g. behind PgBouncer in
            # transaction mode older than 1.21 (or without max_prepared_statements).
            if os.environ.get("DB_PREPARED_STATEMENTS", "1") != "0":
                db["OPTIONS"].setdefault("server_side_binding", True)
                db["OPTIONS"].setdefault("prepare_threshold", 5)
        return db
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("SQLITE_PATH", str(VAR_DIR / "salesdesk.sqlite3")),
        # WAL lets readers and one writer work at once; IMMEDIATE takes the write lock at BEGIN,
        # so two writers queue on busy_timeout instead of failing with "database is locked".
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                "PRAGMA busy_timeout=20000;"
            ),
        },
    }


DATABASES = {"default": _database()}
# Parameters kept in each process and dropped by all at once when one changes them (PostgreSQL LISTEN /
# NOTIFY, salesdesk.core.shared_cache); DB_CONFIG_CACHE=0 reads them per request instead, e.g. behind
# PgBouncer in transaction mode (LISTEN needs a session of its own). SQLite always reads per request.
CONFIG_CACHE = os.environ.get("DB_CONFIG_CACHE", "1") != "0"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["salesdesk.accounts.backends.LockoutModelBackend"]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "salesdesk.accounts.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "salesdesk.accounts.passwords.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "salesdesk.accounts.passwords.NotContainingUsernameValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Security (DOMAIN.md §9.4): lock after 5 failures within 15 minutes for 30 minutes; idle timeout.
LOGIN_FAILURE_LIMIT = 5
LOGIN_FAILURE_WINDOW_MINUTES = 15
LOGIN_LOCKOUT_MINUTES = 30
IDLE_TIMEOUT_SECONDS = 30 * 60
ADMIN_IDLE_TIMEOUT_SECONDS = 15 * 60
SESSION_COOKIE_AGE = IDLE_TIMEOUT_SECONDS
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
API_TOKEN_TTL_DAYS = 30

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS: list[Path] = []

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "kv": {"format": "ts=%(asctime)s level=%(levelname)s logger=%(name)s msg=%(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "kv"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# Demo data (make run): printed once when generated.
DEMO_PASSWORD = os.environ.get("SALESDESK_DEMO_PASSWORD", "")
