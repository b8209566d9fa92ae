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
    sql = "SELECT " + ", ".join(["%s::int"] * 120)
    with connection.cursor() as cursor:
        cursor.execute(sql, list(range(120)))
        before = psycopg_queries._query2pg_client.cache_info()
        cursor.execute(sql, list(range(1, 121)))
        assert cursor.fetchone()[-1] == 120
    after = psycopg_queries._query2pg_client.cache_info()
    assert after.hits == before.hits + 1
    assert after.misses == before.misses
