"""Serve the app and run the background task worker beside it until interrupted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the web server and the django-tasks database worker together."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
        parser.add_argument("--host", default="127.0.0.1")

    def handle(self, *args: Any, **options: Any) -> None:
        manage = [sys.executable, "manage.py"]
        worker = subprocess.Popen([*manage, "db_worker"])
        # the scheduler enqueues the alert scan, escalation and the daily digest for the worker
        scheduler = subprocess.Popen([*manage, "run_scheduler"])
        try:
            subprocess.call([*manage, "runserver", f"{options['host']}:{options['port']}", "--noreload"])
        except KeyboardInterrupt:
            pass
        finally:
            for child in (scheduler, worker):
                child.send_signal(signal.SIGTERM)
            for child in (scheduler, worker):
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
