import pytest
from django.db import connection

from salesdesk.core.db import MAX_PARAMS, widen_psycopg_statement_cache

psycopg_queries = pytest.importorskip("psycopg._queries")


def test_psycopg_remembers_long_statements_once_widened():
    """The names the widening relies on exist in the installed psycopg, and the app set them at start."""
    assert widen_psycopg_statement_cache() is True
    assert psycopg_queries.MAX_CACHED_STATEMENT_PARAMS >= MAX_PARAMS
    assert psycopg_queries._query2pg_client.cache_info().maxsize >= 512


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)")
def test_a_statement_of_many_parameters_is_parsed_once():
    """Whichever way parameters are bound (client side, or on the server for prepared statements)."""

    def cache_info():
        infos = [psycopg_queries._query2pg.cache_info(), psycopg_queries._query2pg_client.cache_info()]
        return sum(i.hits for i in infos), sum(i.misses for i in infos)

    sql = "SELECT " + ", ".join(["%s::int"] * 120)
    with connection.cursor() as cursor:
        cursor.execute(sql, list(range(120)))
        hits, misses = cache_info()
        cursor.execute(sql, list(range(1, 121)))
        assert cursor.fetchone()[-1] == 120
    assert cache_info() == (hits + 1, misses)
