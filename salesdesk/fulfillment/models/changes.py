"""Change requests against confirmed orders, order versions, and exceptions (C9)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ChangeStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ChangeRequest(models.Model):
    """A proposed change to a confirmed order (quantities, prices, dates, address, lines) with its reason.

    ``changes`` holds the proposal; ``impact`` is computed when it is made and shown before approval.
    """

    order = models.ForeignKey(
        "orders.SalesOrder", on_delete=models.CASCADE, related_name="change_requests", verbose_name=_("order")
    )
    number = models.CharField(_("number"), max_length=32, unique=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ChangeStatus.choices, default=ChangeStatus.PENDING
    )
    reason = models.CharField(_("reason"), max_length=300)
    base_version = models.PositiveIntegerField(_("order version"))
    changes = models.JSONField(_("changes"))
    impact = models.JSONField(_("impact"), default=dict, blank=True)
    amount_difference = models.DecimalField(
        _("amount difference"), max_digits=18, decimal_places=2, default=Decimal("0")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_comment = models.CharField(_("comment"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("change request")
        verbose_name_plural = _("change requests")
        ordering = ["-id"]
        permissions = [("approve_changerequest", "Can approve change requests")]

    def __str__(self) -> str:
        return self.number


class OrderVersion(models.Model):
    """A snapshot of an order after each approved change (V1 is the confirmed order)."""

    order = models.ForeignKey(
        "orders.SalesOrder",
        on_delete=models.CASCADE,
        related_name="versions",
        verbose_name=_("order"),
        db_index=False,
    )
    number = models.PositiveIntegerField(_("version"))
    snapshot = models.JSONField(_("snapshot"))
    diff = models.JSONField(_("changes from the previous version"), default=list, blank=True)
    change_request = models.ForeignKey(
        ChangeRequest,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("change request"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("order version")
        verbose_name_plural = _("order versions")
        ordering = ["order_id", "number"]
        constraints = [models.UniqueConstraint(fields=["order", "number"], name="uniq_order_version")]

    def __str__(self) -> str:
        return f"{self.order_id} V{self.number}"


class ExceptionKind(models.TextChoices):
    SHORT_STOCK = "short_stock", _("Short stock")
    DELAY = "delay", _("Delay")
    QUALITY = "quality", _("Quality")
    LOGISTICS = "logistics", _("Logistics")
    REJECTION = "rejection", _("Rejected by customer")
    PRICE_DISPUTE = "price_dispute", _("Price dispute")
    OTHER = "other", _("Other")


class ExceptionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


class OrderException(models.Model):
    """Something that went wrong with an order: its owner, why it happened, how it was solved, the lesson."""

    order = models.ForeignKey(
        "orders.SalesOrder", on_delete=models.CASCADE, related_name="exceptions", verbose_name=_("order")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ExceptionKind.choices)
    severity = models.CharField(
        _("severity"),
        max_length=10,
        default="warning",
        choices=[("info", _("Info")), ("warning", _("Warning")), ("critical", _("Critical"))],
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ExceptionStatus.choices, default=ExceptionStatus.OPEN
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("owner"),
    )
    root_cause = models.TextField(_("root cause"), blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    lessons = models.TextField(_("lessons"), blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("reported by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("exception")
        verbose_name_plural = _("exceptions")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.title
