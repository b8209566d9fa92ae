"""How ``DATABASE_URL`` becomes the database settings (config/settings/base.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from config.settings.base import _database

PG = "postgres://app@db.example:5432/salesdesk"


def test_postgresql_connections_get_the_planner_costs_for_ssd(monkeypatch: Any) -> None:
    monkeypatch.setenv("DATABASE_URL", PG)
    monkeypatch.delenv("DB_PG_OPTIONS", raising=False)
    db = _database()
    assert db["OPTIONS"]["options"] == "-c random_page_cost=1.1"
    assert db["CONN_MAX_AGE"] == 60
    assert db["CONN_HEALTH_CHECKS"] is True


def test_the_operator_can_set_other_options_or_none(monkeypatch: Any) -> None:
    monkeypatch.setenv("DATABASE_URL", PG)
    monkeypatch.setenv("DB_PG_OPTIONS", "-c work_mem=64MB")
    assert _database()["OPTIONS"]["options"] == "-c work_mem=64MB"
    monkeypatch.setenv("DB_PG_OPTIONS", "")
    assert "options" not in _database()["OPTIONS"]


def test_sqlite_has_no_postgresql_options(monkeypatch: Any) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    db = _database()
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert "options" not in db["OPTIONS"]


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_setting_reaches_the_session() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone()[0] == "1.1"


def test_postgresql_statements_are_prepared_unless_turned_off(monkeypatch: Any) -> None:
    monkeypatch.setenv("DATABASE_URL", PG)
    monkeypatch.delenv("DB_PREPARED_STATEMENTS", raising=False)
    options = _database()["OPTIONS"]
    assert options["server_side_binding"] is True
    assert options["prepare_threshold"] == 5
    monkeypatch.setenv("DB_PREPARED_STATEMENTS", "0")
    options = _database()["OPTIONS"]
    assert "server_side_binding" not in options
    assert "prepare_threshold" not in options


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_statement_run_often_is_prepared_on_the_server() -> None:
    """The fifth run of one statement on a connection prepares it (pg_prepared_statements lists it)."""
    sql = "SELECT id FROM core_sequence WHERE prefix = %s -- prepared-statement check"
    with connection.cursor() as cursor:
        for i in range(6):
            cursor.execute(sql, [f"P{i}"])
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%prepared-statement check%"],
        )
        assert cursor.fetchone()[0] == 1
