"""Parameters kept per process on PostgreSQL and dropped by every process when one changes them."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection, connections, transaction

from salesdesk.core import shared_cache
from salesdesk.core.parameters import get_parameter, set_parameter

pytestmark = pytest.mark.usefixtures("fresh_shared_cache")

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="LISTEN / NOTIFY: the cache exists on PostgreSQL only"
)


@pytest.mark.django_db
def test_on_sqlite_or_when_turned_off_nothing_is_cached(settings: Any) -> None:
    settings.CONFIG_CACHE = False
    assert shared_cache.generation() is None
    settings.CONFIG_CACHE = True
    assert (shared_cache.generation() is None) is (connection.vendor != "postgresql")


@postgresql_only
@pytest.mark.django_db
def test_parameters_are_read_once_until_they_change(django_assert_num_queries: Any) -> None:
    get_parameter("orders.default_type")
    with django_assert_num_queries(0):
        assert get_parameter("orders.default_type") == "standard"
        assert get_parameter("approval.new_customer") is True


def _in_other_connection(work: Any) -> None:
    """Run ``work`` in a thread with its own connection (another process would do the same)."""
    failure: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # pragma: no cover - reported below
            failure.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    assert not failure, failure


def _other_process() -> Any:
    """A connection of another process: outside Django, so nothing of this process learns of what it
    does but through PostgreSQL."""
    import psycopg

    params = connection.settings_dict
    return psycopg.connect(
        dbname=params["NAME"],
        user=params["USER"] or None,
        password=params["PASSWORD"] or None,
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        autocommit=True,
    )


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_change_committed_elsewhere_is_seen_once_its_notification_arrives() -> None:
    assert get_parameter("approval.new_customer") is True  # cached here
    with _other_process() as other:
        other.execute(
            "INSERT INTO core_parameter (key, value, updated_at) VALUES ('approval.new_customer', "
            "'false', now())"
        )
        assert get_parameter("approval.new_customer") is True  # no notification yet: the cached copy
        other.execute("SELECT pg_notify(%s, '')", [shared_cache.CHANNEL])
    # the listening backend passes the notification on within moments: read until it has arrived
    deadline = time.monotonic() + 10
    while get_parameter("approval.new_customer") is True and time.monotonic() < deadline:
        time.sleep(0.01)
    assert get_parameter("approval.new_customer") is False


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_set_parameter_notifies_every_process_at_commit_not_at_rollback(
    admin_user: Any,
) -> None:
    with _other_process() as other:
        other.execute(f"LISTEN {shared_cache.CHANNEL}")
        with pytest.raises(_Undo):
            _change_and_roll_back(admin_user)
        assert list(other.notifies(timeout=0.5)) == []
        set_parameter(key="approval.new_customer", value=False, by=admin_user)
        assert [n.channel for n in other.notifies(timeout=5, stop_after=1)] == [shared_cache.CHANNEL]


def _change_and_roll_back(admin_user: Any) -> None:
    with transaction.atomic():
        set_parameter(key="approval.new_customer", value=False, by=admin_user)
        raise _Undo


class _Undo(Exception):
    pass


def _change_see_and_roll_back(admin_user: Any, seen_elsewhere: list[Any]) -> None:
    with transaction.atomic():
        set_parameter(key="approval.new_customer", value=False, by=admin_user)
        assert get_parameter("approval.new_customer") is False  # this transaction sees its change
        _in_other_connection(lambda: seen_elsewhere.append(get_parameter("approval.new_customer")))
        raise _Undo


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_change_holds_in_its_transaction_and_is_forgotten_when_it_rolls_back(admin_user: Any) -> None:
    assert get_parameter("approval.new_customer") is True
    seen_elsewhere: list[Any] = []
    with pytest.raises(_Undo):
        _change_see_and_roll_back(admin_user, seen_elsewhere)
    assert seen_elsewhere == [True]  # not committed: other connections kept the old value
    assert get_parameter("approval.new_customer") is True


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_after_a_committed_change_reads_in_later_transactions_are_cached_again(
    admin_user: Any, django_assert_num_queries: Any
) -> None:
    set_parameter(key="approval.new_customer", value=False, by=admin_user)  # its own transaction
    with transaction.atomic():  # as a service reads them: inside its transaction
        assert get_parameter("approval.new_customer") is False
        with django_assert_num_queries(0):
            assert get_parameter("approval.new_customer") is False
