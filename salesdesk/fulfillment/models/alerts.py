"""Alerts computed from the data before a date is missed (C8)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AlertRule(models.TextChoices):
    STEP_NOT_STARTED = "step_not_started", _("Step not started by its planned start")
    STEP_AT_RISK = "step_at_risk", _("Step cannot finish before its due date")
    STOCK_SHORT = "stock_short", _("Stock short for a confirmed order")
    PROMISE_AT_RISK = "promise_at_risk", _("Promised date at risk")
    NO_CUSTOMER_CONFIRMATION = "no_customer_confirmation", _("No customer confirmation")


class Severity(models.TextChoices):
    INFO = "info", _("Info")
    WARNING = "warning", _("Warning")
    CRITICAL = "critical", _("Critical")


class Alert(models.Model):
    """One open (or cleared) alert; unique per rule and subject while open, cleared when the cause is gone."""

    rule = models.CharField(_("rule"), max_length=40, choices=AlertRule.choices)
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.WARNING
    )
    order = models.ForeignKey(
        "orders.SalesOrder",
        on_delete=models.CASCADE,
        related_name="alerts",
        verbose_name=_("order"),
        db_index=False,
    )
    step = models.ForeignKey(
        "fulfillment.PlanStep",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="alerts",
        verbose_name=_("step"),
    )
    subject_key = models.CharField(max_length=80, help_text="rule:order:step (or line) — one open alert each")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="alerts",
        verbose_name=_("responsible"),
        db_index=False,
    )
    message = models.CharField(_("message"), max_length=300)
    due_on = models.DateField(_("date at risk"), null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    raised_at = models.DateTimeField(_("raised at"), auto_now_add=True)
    last_seen_at = models.DateTimeField(_("last seen at"), auto_now=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject_key"],
                condition=models.Q(cleared_at__isnull=True),
                name="uniq_open_alert_subject",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "cleared_at", "-id"], name="alert_owner_open"),
            models.Index(fields=["order", "cleared_at"], name="alert_order_open"),
        ]

    def __str__(self) -> str:
        return self.message
