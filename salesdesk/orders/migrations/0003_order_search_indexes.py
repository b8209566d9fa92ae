"""Indexes that keep the order list and search fast with a million orders (PostgreSQL only).

* trigram GIN on UPPER(customer_name): ``customer_name__icontains`` (Django emits
  ``UPPER(col) LIKE UPPER('%…%')``) for fragments of 3+ characters;
* trigram GIN on contact_phone and ship_mobile: ``__contains`` phone search by a digit fragment.

Number prefixes already use the ``number`` varchar_pattern_ops index and customer PO the btree index,
so ``q`` (number OR name OR PO OR phone) becomes a BitmapOr of index scans instead of a table scan.
On other databases (SQLite in tests) this migration does nothing.
"""

from django.db import migrations

INDEXES = {
    "order_customer_name_trgm": "UPPER(customer_name) gin_trgm_ops",
    "order_contact_phone_trgm": "contact_phone gin_trgm_ops",
    "order_ship_mobile_trgm": "ship_mobile gin_trgm_ops",
}


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON orders_salesorder USING gin ({expression})"
        )


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("orders", "0002_sqlite_exact_amount_checks")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
