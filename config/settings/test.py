"""Test settings: fast hashing, a temporary SQLite file or PostgreSQL (DATABASE_URL) database."""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # A file (in the temp dir, one per test process), not ":memory:": with an in-memory database the
    # live server's threads share ONE connection, and two requests of a page at once (a search while a
    # quote is running) collide ("cannot start a transaction within a transaction"). A file gives each
    # thread its own connection in WAL mode with IMMEDIATE transactions, as the app runs in production.
    _test_db = str(Path(tempfile.gettempdir()) / f"salesdesk-test-{os.getpid()}.sqlite3")
    DATABASES["default"]["NAME"] = _test_db  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": _test_db}  # noqa: F405
LOGGING = {"version": 1, "disable_existing_loggers": False}

# Serve static files from the app folders without collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
