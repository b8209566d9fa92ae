"""Create the PostgreSQL database named in DATABASE_URL when it does not exist (SQLite: nothing to do)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the configured PostgreSQL database if it is missing."

    def handle(self, *args: Any, **options: Any) -> None:
        db = settings.DATABASES["default"]
        if not db["ENGINE"].endswith("postgresql"):
            return
        import psycopg
        from psycopg import sql

        params = {
            "host": db.get("HOST") or None,
            "port": db.get("PORT") or None,
            "user": db.get("USER") or None,
            "password": db.get("PASSWORD") or None,
        }
        with psycopg.connect(
            dbname="postgres", autocommit=True, **{k: v for k, v in params.items() if v}
        ) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
                self.stdout.write(f"created database {db['NAME']}")
