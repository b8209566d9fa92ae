"""Shared reference data and records: administrative divisions, parameters, the audit log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Region(models.Model):
    """An administrative division of GB/T 2260 (province, prefecture or county level).

    The dataset is versioned (``dataset``) and never deletes codes, so old records keep resolving.
    """

    class Level(models.IntegerChoices):
        PROVINCE = 1, _("Province")
        CITY = 2, _("City")
        COUNTY = 3, _("County")

    code = models.CharField(_("code"), max_length=6, primary_key=True)
    name = models.CharField(_("name"), max_length=50)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent"),
        db_index=False,
    )
    dataset = models.CharField(_("dataset version"), max_length=20)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("administrative division")
        verbose_name_plural = _("administrative divisions")
        indexes = [models.Index(fields=["parent", "code"])]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Parameter(models.Model):
    """One business parameter an administrator may change (C15); defaults live in ``parameters.py``."""

    key = models.CharField(_("key"), max_length=80, primary_key=True)
    value = models.JSONField(_("value"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("updated by"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("parameter")
        verbose_name_plural = _("parameters")

    def __str__(self) -> str:
        return self.key


# The hash of an entry not yet chained (``core.audit``): "pending:" + a random hex id.
AUDIT_PENDING = "pending:"


class AuditLog(models.Model):
    """An append-only record of who did what; each row hashes the previous one (tamper evidence)."""

    created_at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("user"),
    )
    actor_name = models.CharField(_("user name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=60)  # indexed for prefix filters: Meta.indexes
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    is_success = models.BooleanField(_("success"), default=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    hash = models.CharField(max_length=64)  # unique: Meta.constraints (no pattern index: never searched)

    class Meta:
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["hash"], name="core_auditlog_hash_unique")]
        # Every entry is written twice (inserted, then sealed: an update that changes an indexed column,
        # so every index takes a new entry): only the indexes something reads. The action filter is a
        # prefix filter (``action__startswith``), which a pattern index serves, equality too.
        indexes = [
            models.Index(
                fields=["action"], name="core_audit_action_prefix", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["object_type", "object_id"]),
            # only the few entries waiting to be chained: the sealer finds them without a table scan
            models.Index(
                fields=["id"], name="core_audit_pending", condition=models.Q(hash__startswith=AUDIT_PENDING)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name} {self.action}"


class Sequence(models.Model):
    """A counter per (prefix, date) for document numbers; incremented under a row lock."""

    prefix = models.CharField(max_length=20)
    day = models.DateField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "day"], name="uniq_sequence_prefix_day")]

    def __str__(self) -> str:
        return f"{self.prefix}{self.day:%Y%m%d}:{self.last_value}"
