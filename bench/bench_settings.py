"""Production-like settings for the HTTP benchmarks: base settings, DEBUG off, plain HTTP on 127.0.0.1.

Not config.settings.prod because that one forces HTTPS redirects and secure cookies. Logging is kept to
warnings so the log handler does not become part of what is measured.
"""

from config.settings.base import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
LOGGING["root"]["level"] = "WARNING"  # type: ignore[index]  # noqa: F405
