"""No index that another one makes redundant: a foreign key's own index is dropped when a composite index
or unique constraint of the same model (without a condition) leads with that column — every insert and
update would maintain it for nothing."""

from __future__ import annotations

from django.apps import apps
from django.db import models


def _leading_fields(model: type[models.Model]) -> set[str]:
    leading: set[str] = set()
    meta = model._meta
    for index in meta.indexes:
        if index.condition is None and len(index.fields) > 1:
            leading.add(index.fields[0].lstrip("-"))
    for constraint in meta.constraints:
        fields: list[str] = list(getattr(constraint, "fields", ()))
        if (
            isinstance(constraint, models.UniqueConstraint)
            and constraint.condition is None
            and len(fields) > 1
        ):
            leading.add(fields[0])
    for together in meta.unique_together:
        names = list(together)
        if len(names) > 1:
            leading.add(str(names[0]))
    return leading


def redundant_fk_indexes() -> list[str]:
    found = []
    for model in apps.get_models():
        if not model.__module__.startswith("salesdesk."):
            continue
        leading = _leading_fields(model)
        for field in model._meta.local_fields:
            if (
                isinstance(field, models.ForeignKey)
                and getattr(field, "db_index", False)
                and field.name in leading
            ):
                found.append(f"{model._meta.label}.{field.name}")
    return sorted(found)


def test_no_foreign_key_index_a_composite_index_already_covers() -> None:
    assert redundant_fk_indexes() == []


def test_the_check_finds_one() -> None:
    """The check above can fail: a model whose foreign key is indexed and leads a composite index."""

    class Probe(models.Model):
        owner = models.ForeignKey("accounts.User", on_delete=models.CASCADE)
        day = models.DateField()

        class Meta:
            app_label = "core"
            indexes = [models.Index(fields=["owner", "day"], name="probe_owner_day")]

        def __str__(self) -> str:
            return str(self.day)

    try:
        assert "core.Probe.owner" in redundant_fk_indexes()
    finally:
        del apps.get_app_config("core").models["probe"]
        apps.clear_cache()
