"""Warehouses, stock levels per product and warehouse, and the append-only stock ledger (C4, DOMAIN.md §5).

A ``StockLevel`` row is the balance that reservations lock and update; every change to it writes one
``StockMove`` in the same transaction, so the ledger always adds up to the balance:

* on_hand  = Σ receipt + Σ adjust − Σ issue
* reserved = Σ reserve − Σ release − Σ issue (from a reservation)
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

QTY_DIGITS, QTY_PLACES = 18, 6  # NUMERIC(18,6), DOMAIN.md §0


class Warehouse(models.Model):
    """A place where stock is kept; referenced by its short code on documents and in the API."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=50)
    address = models.CharField(_("address"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class StockLevel(models.Model):
    """The balance of one product in one warehouse.

    Quantities change only through the inventory services (queryset updates under a row lock, each
    with its ledger move); ``save()`` is used for creation and for the safety stock, so the field
    history records who changed the safety stock, and the ledger is the history of the quantities.
    """

    product = models.ForeignKey(
        "catalog.Product",
        on_delete=models.PROTECT,
        related_name="stock_levels",
        verbose_name=_("product"),
        db_index=False,
    )
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="stock_levels", verbose_name=_("warehouse")
    )
    on_hand_qty = models.DecimalField(
        _("on hand"), default=Decimal("0"), max_digits=QTY_DIGITS, decimal_places=QTY_PLACES
    )
    reserved_qty = models.DecimalField(
        _("reserved"), default=Decimal("0"), max_digits=QTY_DIGITS, decimal_places=QTY_PLACES
    )
    safety_qty = models.DecimalField(
        _("safety stock"), default=Decimal("0"), max_digits=QTY_DIGITS, decimal_places=QTY_PLACES
    )
    history = HistoricalRecords(excluded_fields=["on_hand_qty", "reserved_qty"])

    class Meta:
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        ordering = ["product_id", "warehouse_id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "warehouse"], name="uniq_stock_level"),
            # Hard invariants no parameter can relax. on_hand ≥ 0 and reserved ≤ on_hand are kept by
            # the services, because the "stock.allow_negative" parameter may legitimately break them.
            models.CheckConstraint(
                condition=models.Q(reserved_qty__gte=0), name="stock_reserved_non_negative"
            ),
            models.CheckConstraint(condition=models.Q(safety_qty__gte=0), name="stock_safety_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.warehouse_id}"

    @property
    def available_qty(self) -> Decimal:
        """可发货量: on hand minus reserved (safety stock is not subtracted here)."""
        return self.on_hand_qty - self.reserved_qty


class StockMove(models.Model):
    """One line of the append-only stock ledger; never edited or deleted, reversed by a new move."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("Receipt")
        ISSUE = "issue", _("Issue")
        RESERVE = "reserve", _("Reservation")
        RELEASE = "release", _("Release")
        ADJUST = "adjust", _("Adjustment")

    product = models.ForeignKey(  # the index: stockmove_level_idx (product, warehouse, id) leads with it
        "catalog.Product",
        on_delete=models.PROTECT,
        related_name="stock_moves",
        verbose_name=_("product"),
        db_index=False,
    )
    warehouse = models.ForeignKey(
        Warehouse, on_delete=models.PROTECT, related_name="stock_moves", verbose_name=_("warehouse")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    qty = models.DecimalField(_("quantity"), max_digits=QTY_DIGITS, decimal_places=QTY_PLACES)
    from_reservation = models.BooleanField(_("from reservation"), default=False)
    on_hand_after = models.DecimalField(_("on hand after"), max_digits=QTY_DIGITS, decimal_places=QTY_PLACES)
    reserved_after = models.DecimalField(
        _("reserved after"), max_digits=QTY_DIGITS, decimal_places=QTY_PLACES
    )
    reference = models.CharField(_("reference"), max_length=40, blank=True, db_index=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("stock move")
        verbose_name_plural = _("stock moves")
        ordering = ["-id"]
        permissions = [("adjust_stock", "Can adjust stock")]
        indexes = [models.Index(fields=["product", "warehouse", "id"], name="stockmove_level_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind="adjust") & ~models.Q(qty=0) | models.Q(qty__gt=0),
                name="stockmove_qty_sign",
            ),
            models.CheckConstraint(
                condition=models.Q(from_reservation=False) | models.Q(kind="issue"),
                name="stockmove_from_reservation_issue_only",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.qty} {self.reference}".strip()
