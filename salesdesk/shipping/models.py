"""Shipments from one warehouse, their lines, tracking events and sign-off (C10)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .carriers import carrier_name


class ShipmentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SHIPPED = "shipped", _("Shipped")
    IN_TRANSIT = "in_transit", _("In transit")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")


class Shipment(models.Model):
    """A delivery of some or all of an order's lines from one warehouse (发货单)."""

    number = models.CharField(_("number"), max_length=32, unique=True)
    order = models.ForeignKey(
        "orders.SalesOrder",
        on_delete=models.PROTECT,
        related_name="shipments",
        verbose_name=_("order"),
        db_index=False,
    )
    warehouse = models.ForeignKey(
        "inventory.Warehouse", on_delete=models.PROTECT, related_name="+", verbose_name=_("warehouse")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ShipmentStatus.choices, default=ShipmentStatus.DRAFT
    )
    carrier = models.CharField(_("carrier"), max_length=40, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=40, blank=True, db_index=True)
    ship_to = models.CharField(_("ship to"), max_length=300, blank=True)
    receiver = models.CharField(_("receiver"), max_length=50, blank=True)
    receiver_mobile = models.CharField(_("receiver mobile"), max_length=30, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    shipped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("shipped by"),
    )
    signed_by_name = models.CharField(_("signed by"), max_length=50, blank=True)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    sign_note = models.CharField(_("sign-off note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["-id"]
        indexes = [models.Index(fields=["order", "id"], name="shipment_order")]

    def __str__(self) -> str:
        return self.number

    @property
    def carrier_label(self) -> str:
        """The carrier's Chinese name (顺丰速运) for a known code, else the text as entered."""
        return carrier_name(self.carrier)


class ShipmentLine(models.Model):
    """How much of one order line leaves with this shipment."""

    shipment = models.ForeignKey(
        Shipment,
        on_delete=models.CASCADE,
        related_name="lines",
        verbose_name=_("shipment"),
        db_index=False,
    )
    order_line = models.ForeignKey(
        "orders.SalesOrderLine",
        on_delete=models.PROTECT,
        related_name="shipment_lines",
        verbose_name=_("order line"),
    )
    qty = models.DecimalField(_("quantity"), max_digits=18, decimal_places=6)

    class Meta:
        verbose_name = _("shipment line")
        verbose_name_plural = _("shipment lines")
        constraints = [
            models.CheckConstraint(condition=models.Q(qty__gt=0), name="shipment_line_qty_positive"),
            models.UniqueConstraint(fields=["shipment", "order_line"], name="uniq_shipment_order_line"),
        ]

    def __str__(self) -> str:
        return f"{self.shipment_id}: {self.order_line_id} × {self.qty}"


class TrackingEvent(models.Model):
    """A carrier event (揽收, 运输中, 派送中, 签收 …) received by API or Excel import."""

    shipment = models.ForeignKey(
        Shipment,
        on_delete=models.CASCADE,
        related_name="tracking_events",
        verbose_name=_("shipment"),
        db_index=False,
    )
    occurred_at = models.DateTimeField(_("time"))
    location = models.CharField(_("location"), max_length=100, blank=True)
    description = models.CharField(_("description"), max_length=300)
    source = models.CharField(_("source"), max_length=20, default="api")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tracking event")
        verbose_name_plural = _("tracking events")
        ordering = ["shipment_id", "occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shipment", "occurred_at", "description"], name="uniq_tracking_event"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.description}"
