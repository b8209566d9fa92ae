"""Process-wide copies of configuration that every process drops as soon as any process changes it.

Parameters are read by almost every request, the plan templates by every confirmation. Reading them is
cheap for PostgreSQL but still a statement and a round trip each time; keeping them in
the process needs every process to learn of a change at once. PostgreSQL does that: each connection
``LISTEN``s on one channel, a change sends ``NOTIFY`` in its own transaction (delivered when it commits,
never when it rolls back), and before a cached value is used the connection's socket is read for
notifications that arrived — no round trip, the socket is only read when something is there. Each
notification (and each new connection, which may have missed some) starts a new *generation*; a value
cached in an older generation is read again.

Not cached — read from the database every time, as before — on SQLite (one process, the embedded
default), when ``DB_CONFIG_CACHE=0`` (behind PgBouncer in transaction mode, where LISTEN is not kept),
and while the current thread's transaction has changed the configuration itself (until it ends).

Code that changes cached configuration calls ``changed()`` in the changing transaction: the parameters
from their save and delete signals, the plan templates from those of templates, steps, departments and
users (``fulfillment.capacity.template_inputs_changed``); a bulk ``update()`` sends no signal, so code
that changes these rows that way calls it itself.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.signals import connection_created

CHANNEL = "salesdesk_config"

T = TypeVar("T")

_counter = itertools.count(1)
_generation = [0]
_values: dict[str, tuple[int, Any]] = {}
# set by changed(): this thread's transaction changed the configuration, so other processes and this
# one's cache do not know yet (and must not, if it rolls back). Holds the transaction's outermost atomic
# block (None when the change was made in autocommit): while that block is open, nothing is cached.
_changed_in: ContextVar[tuple[Any] | None] = ContextVar("config_changed_in", default=None)


def _new_generation(*args: Any) -> None:
    _generation[0] = next(_counter)


def _enabled(connection: Any) -> bool:
    return connection.vendor == "postgresql" and bool(getattr(settings, "CONFIG_CACHE", True))


def _listen(sender: Any, connection: Any, **kwargs: Any) -> None:
    """A new connection listens for changes; what it may have missed is dropped (new generation)."""
    if connection.alias != DEFAULT_DB_ALIAS or not _enabled(connection):
        return
    _start_listening(connection)


connection_created.connect(_listen, dispatch_uid="core.shared_cache.listen")


def _start_listening(connection: Any) -> bool:
    """LISTEN on this connection, outside a transaction (inside one it would only start at commit);
    False when it can't now."""
    if connection.in_atomic_block or not connection.get_autocommit():
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"LISTEN {CHANNEL}")
    # notifications that arrive with the results of any statement on this connection
    connection.connection.add_notify_handler(_new_generation)
    connection.config_listening_on = connection.connection
    _new_generation()
    return True


def _outermost_block(connection: Any) -> Any:
    return connection.atomic_blocks[0] if connection.in_atomic_block and connection.atomic_blocks else None


def generation() -> int | None:
    """The current generation, after reading the notifications that have arrived; None when values
    must not be cached now (see the module's docstring)."""
    connection = connections[DEFAULT_DB_ALIAS]
    if not _enabled(connection):
        return None
    changed_in = _changed_in.get()
    if changed_in is not None:
        if changed_in[0] is not None and changed_in[0] is _outermost_block(connection):
            return None  # the transaction that changed it is still open
        _changed_in.set(None)  # it is over: committed (NOTIFY sent) or rolled back
        _new_generation()
    if connection.connection is None:
        connection.ensure_connection()  # listens (connection_created)
    if getattr(connection, "config_listening_on", None) is not connection.connection and not (
        _start_listening(connection)
    ):
        return None  # opened before this module was loaded, and now inside a transaction
    pgconn = connection.connection.pgconn
    try:
        pgconn.consume_input()  # reads only what has arrived; never waits
    except Exception:  # a broken connection: let the read that follows report it
        return None
    while pgconn.notifies() is not None:
        _new_generation()
    return _generation[0]


def cached(name: str, load: Callable[[], T], current: int | None = None) -> T:
    """``load()``'s value, kept in this process until the configuration changes anywhere (``current``:
    the ``generation()`` the caller has just read)."""
    if current is None:
        current = generation()
    if current is None:
        return load()
    hit = _values.get(name)
    if hit is not None and hit[0] == current:
        return hit[1]  # type: ignore[no-any-return]
    value = load()
    # a change that arrives while loading starts a newer generation: this value is read again then
    _values[name] = (current, value)
    return value


def changed(using: str = DEFAULT_DB_ALIAS) -> None:
    """Configuration changes in the current transaction: every process drops its copies when it
    commits (this thread's right away: it reads from the database until its transaction ends)."""
    connection = connections[using]
    _changed_in.set((_outermost_block(connection),))
    _values.clear()
    if _enabled(connection):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, '')", [CHANNEL])
