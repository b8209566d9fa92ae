"""Load the GB/T 2260 administrative divisions (dataset 2023) shipped in salesdesk/core/data."""

import csv
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "gbt2260_2023.csv"


def load(apps, schema_editor):
    Region = apps.get_model("core", "Region")
    with DATA.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    existing = set(Region.objects.values_list("code", flat=True))
    for level in ("1", "2", "3"):
        Region.objects.bulk_create(
            [
                Region(code=r["code"], name=r["name"], level=int(level), parent_id=r["parent"] or None,
                       dataset="2023", is_active=True)
                for r in rows
                if r["level"] == level and r["code"] not in existing
            ],
            batch_size=1000,
        )


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
