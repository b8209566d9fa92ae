"""Database driver settings that are not Django settings.

psycopg turns each statement's ``%s`` placeholders into PostgreSQL's in Python (a regular expression
over the whole text) and remembers the result only for statements of at most 4 kB and 50 parameters
(``psycopg._queries``: ``MAX_CACHED_STATEMENT_LENGTH``, ``MAX_CACHED_STATEMENT_PARAMS``, an LRU of 128).
The inserts of an order (its 60 columns, five lines of 37) and the wider reads are above those limits,
so every request parsed them again: about a tenth of the CPU of an order's creation
(``bench/profile_flow.py --cprofile``). ``widen_psycopg_statement_cache`` raises the limits and the
cache's size once at start-up (``CoreConfig.ready``).

The names are psycopg's own, not a public API: the lock file pins psycopg, and
``core/tests/test_db.py`` fails when an upgrade renames them, rather than letting the change go quiet.
"""

from __future__ import annotations

from functools import lru_cache

MAX_LENGTH = 64 * 1024
MAX_PARAMS = 4000
CACHE_SIZE = 512
_NAMES = (
    "MAX_CACHED_STATEMENT_LENGTH",
    "MAX_CACHED_STATEMENT_PARAMS",
    "_query2pg",
    "_query2pg_nocache",
    "_query2pg_client",
    "_query2pg_client_nocache",
)


def widen_psycopg_statement_cache() -> bool:
    """Raise psycopg's limits for remembering parsed statements; False when psycopg is missing or its
    internals are not the ones this was written for (nothing is changed then)."""
    try:
        from psycopg import _queries
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    if not all(hasattr(_queries, name) for name in _NAMES):
        return False
    if getattr(_queries, "_salesdesk_widened", False):
        return True
    _queries.MAX_CACHED_STATEMENT_LENGTH = max(_queries.MAX_CACHED_STATEMENT_LENGTH, MAX_LENGTH)
    _queries.MAX_CACHED_STATEMENT_PARAMS = max(_queries.MAX_CACHED_STATEMENT_PARAMS, MAX_PARAMS)
    _queries._query2pg = lru_cache(maxsize=CACHE_SIZE)(_queries._query2pg_nocache)
    _queries._query2pg_client = lru_cache(maxsize=CACHE_SIZE)(_queries._query2pg_client_nocache)
    _queries._salesdesk_widened = True  # type: ignore[attr-defined]
    return True
