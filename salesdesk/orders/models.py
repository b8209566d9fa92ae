"""Sales orders, their lines (with snapshots of master data), the timeline and saved filters (C6, C14)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Round
from django.utils.translation import gettext_lazy as _

from .choices import (
    ApprovalStatus,
    BillingStatus,
    ConfirmationStatus,
    EventType,
    OrderType,
    PaymentStatus,
    PriceMode,
    ShippingStatus,
    Status,
)

ZERO = Decimal("0")


def _money(verbose: Any, **kwargs: object) -> models.DecimalField:
    return models.DecimalField(verbose, max_digits=18, decimal_places=2, default=ZERO, **kwargs)  # type: ignore[arg-type]


class SalesOrder(models.Model):
    """A customer's order. Master data is copied onto it when entered, so later edits don't rewrite it."""

    number = models.CharField(_("order number"), max_length=32, unique=True)
    order_type = models.CharField(
        _("order type"), max_length=20, choices=OrderType.choices, default=OrderType.STANDARD
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    approval_status = models.CharField(
        _("approval"), max_length=20, choices=ApprovalStatus.choices, default=ApprovalStatus.NOT_REQUIRED
    )
    confirmation_status = models.CharField(
        _("customer confirmation"),
        max_length=20,
        choices=ConfirmationStatus.choices,
        default=ConfirmationStatus.NOT_SENT,
    )
    shipping_status = models.CharField(
        _("shipping"), max_length=20, choices=ShippingStatus.choices, default=ShippingStatus.NOT_SHIPPED
    )
    billing_status = models.CharField(
        _("invoicing"), max_length=20, choices=BillingStatus.choices, default=BillingStatus.NOT_BILLED
    )
    payment_status = models.CharField(
        _("payment"), max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.UNPAID
    )
    version = models.PositiveIntegerField(_("version"), default=1)

    customer = models.ForeignKey(  # the index: order_customer_id (customer, -id) leads with it
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("customer"),
        db_index=False,
    )
    customer_code = models.CharField(_("customer code"), max_length=20)
    customer_name = models.CharField(_("customer name"), max_length=200)
    customer_uscc = models.CharField(_("unified social credit code"), max_length=18, blank=True)
    customer_grade = models.CharField(_("customer grade"), max_length=2, blank=True)
    invoice_info = models.JSONField(_("invoice details"), default=dict, blank=True)
    contact_name = models.CharField(_("contact"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    address = models.ForeignKey(
        "customers.Address",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("delivery address"),
    )
    ship_region_code = models.CharField(_("region code"), max_length=6, blank=True)
    ship_region_text = models.CharField(_("province / city / district"), max_length=100, blank=True)
    ship_address_detail = models.CharField(_("address"), max_length=200, blank=True)
    ship_receiver = models.CharField(_("receiver"), max_length=50, blank=True)
    ship_mobile = models.CharField(_("receiver mobile"), max_length=30, blank=True)

    owner = models.ForeignKey(  # the index: order_owner_id (owner, -id) leads with it
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_orders",
        verbose_name=_("salesperson"),
        db_index=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    order_date = models.DateField(_("order date"))
    requested_date = models.DateField(_("requested delivery date"), null=True, blank=True)
    promised_date = models.DateField(_("promised delivery date"), null=True, blank=True)
    price_mode = models.CharField(
        _("price mode"), max_length=20, choices=PriceMode.choices, default=PriceMode.TAX_INCLUDED
    )
    customer_po = models.CharField(_("customer PO number"), max_length=64, blank=True)
    payment_term_days = models.PositiveIntegerField(_("payment term (days)"), null=True, blank=True)
    remark = models.TextField(_("remark for the customer"), blank=True)
    internal_note = models.TextField(_("internal note"), blank=True)

    order_discount_amount = _money(_("order discount"))
    round_off_amount = _money(_("round-off"))
    gross_amount = _money(_("amount before discounts"))
    discount_amount = _money(_("discount"))
    total_amount = _money(_("total (tax incl.)"))
    net_amount = _money(_("amount (tax excl.)"))
    tax_amount = _money(_("tax"))

    approval_reasons = models.JSONField(_("approval reasons"), default=list, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("approved by"),
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmation_sent_at = models.DateTimeField(_("confirmation sent at"), null=True, blank=True)
    confirmation_expires_at = models.DateTimeField(_("confirmation link expires at"), null=True, blank=True)
    confirmation_nonce = models.CharField(max_length=32, blank=True)
    customer_confirmed_at = models.DateTimeField(_("customer confirmed at"), null=True, blank=True)
    customer_feedback = models.TextField(_("customer's change request"), blank=True)
    hold_reason = models.CharField(_("hold reason"), max_length=200, blank=True)
    cancel_reason = models.CharField(_("cancel reason"), max_length=200, blank=True)
    close_reason = models.CharField(_("close reason"), max_length=200, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    copied_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("copied from"),
    )
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("sales order")
        verbose_name_plural = _("sales orders")
        ordering = ["-id"]
        permissions = [
            ("approve_salesorder", "Can approve sales orders"),
            ("export_salesorder", "Can export sales orders"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "idempotency_key"],
                name="uniq_order_idempotency_key",
                condition=models.Q(idempotency_key__isnull=False),
            ),
            models.CheckConstraint(
                # Round() keeps the check exact on SQLite, which stores decimals as floats.
                condition=models.Q(total_amount=Round(models.F("net_amount") + models.F("tax_amount"), 2)),
                name="order_total_is_net_plus_tax",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "-id"], name="order_owner_id"),
            models.Index(fields=["customer", "-id"], name="order_customer_id"),
            # the duplicate check: this customer's orders of the last minutes
            models.Index(fields=["customer", "created_at"], name="order_customer_created"),
            models.Index(fields=["status", "-id"], name="order_status_id"),
            models.Index(fields=["order_date", "-id"], name="order_date_id"),
            models.Index(fields=["customer_po"], name="order_customer_po"),
            models.Index(fields=["customer_name"], name="order_customer_name"),
        ]

    def __str__(self) -> str:
        return self.number


class SalesOrderLine(models.Model):
    """One line: the product as it was when ordered, quantity, price, its source, discounts and tax."""

    order = models.ForeignKey(  # the index: uniq_order_line_no (order, line_no) leads with it
        SalesOrder, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order"), db_index=False
    )
    line_no = models.PositiveSmallIntegerField(_("line"))
    product = models.ForeignKey(  # the index: order_line_product (product, order) leads with it
        "catalog.Product",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("product"),
        db_index=False,
    )
    sku = models.CharField(_("SKU"), max_length=40)
    product_name = models.CharField(_("product name"), max_length=100)
    spec = models.CharField(_("specification"), max_length=100, blank=True)
    unit = models.CharField(_("unit"), max_length=10)
    tax_code = models.CharField(_("tax classification code"), max_length=19, blank=True)
    qty = models.DecimalField(_("quantity"), max_digits=18, decimal_places=6)
    unit_price = models.DecimalField(_("unit price"), max_digits=20, decimal_places=6)
    list_price = models.DecimalField(_("list price"), max_digits=20, decimal_places=6)
    floor_price = models.DecimalField(
        _("floor price"), max_digits=20, decimal_places=6, null=True, blank=True
    )
    price_source = models.CharField(_("price source"), max_length=20)
    price_list_id = models.PositiveIntegerField(_("price list"), null=True, blank=True)
    discount_rate = models.DecimalField(_("discount rate"), max_digits=6, decimal_places=4, default=ZERO)
    tax_rate = models.DecimalField(_("VAT rate"), max_digits=6, decimal_places=4)
    gross_amount = _money(_("amount before discount"))
    discount_amount = _money(_("line discount"))
    order_discount_share = _money(_("share of order discount"))
    amount = _money(_("amount (tax incl.)"))
    net_amount = _money(_("amount (tax excl.)"))
    tax_amount = _money(_("tax"))
    is_below_floor = models.BooleanField(_("below floor price"), default=False)
    warehouse = models.ForeignKey(
        "inventory.Warehouse",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("warehouse"),
    )
    reserved_qty = models.DecimalField(_("reserved"), max_digits=18, decimal_places=6, default=ZERO)
    shipped_qty = models.DecimalField(_("shipped"), max_digits=18, decimal_places=6, default=ZERO)
    invoiced_qty = models.DecimalField(_("invoiced"), max_digits=18, decimal_places=6, default=ZERO)
    is_closed = models.BooleanField(_("closed"), default=False)
    remark = models.CharField(_("remark"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order_id", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["order", "line_no"], name="uniq_order_line_no"),
            models.CheckConstraint(condition=models.Q(qty__gt=0), name="order_line_qty_positive"),
            models.CheckConstraint(
                condition=models.Q(shipped_qty__lte=models.F("qty")), name="order_line_shipped_le_qty"
            ),
            models.CheckConstraint(
                condition=models.Q(amount=Round(models.F("net_amount") + models.F("tax_amount"), 2)),
                name="order_line_amount_is_net_plus_tax",
            ),
        ]
        indexes = [models.Index(fields=["product", "order"], name="order_line_product")]

    def __str__(self) -> str:
        return f"{self.order_id}#{self.line_no} {self.sku}"


class OrderEvent(models.Model):
    """The order's timeline: append-only, written in the same transaction as the change it records."""

    # No database constraint (docs/architecture.md, "Rows written with their order"): events are written
    # in the same statement as the order or under its lock; the ORM still cascades a deletion.
    order = models.ForeignKey(  # the index: order_event_order (order, id) leads with it
        SalesOrder,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name=_("order"),
        db_index=False,
        db_constraint=False,
    )
    type = models.CharField(_("event"), max_length=40, choices=EventType.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
    )
    actor_name = models.CharField(_("by"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        ordering = ["id"]
        indexes = [models.Index(fields=["order", "id"], name="order_event_order")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.type}"


class ProductFirstSale(models.Model):
    """The first confirmed order a product was on: the "new product" approval rule (DOMAIN.md §4.4) looks
    here, so its cost does not grow with the number of orders. Written when an order is confirmed
    (the first confirmation of a product wins), never changed afterwards."""

    product = models.OneToOneField(
        "catalog.Product",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
        verbose_name=_("product"),
    )
    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="+", verbose_name=_("order"))
    confirmed_at = models.DateTimeField(_("confirmed at"))

    class Meta:
        verbose_name = _("first sale of a product")
        verbose_name_plural = _("first sales of products")

    def __str__(self) -> str:
        return f"{self.product_id} {self.order_id}"


class SavedFilter(models.Model):
    """A named set of order-list filters a user keeps (C14)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters", db_index=False
    )
    name = models.CharField(_("name"), max_length=50)
    query = models.CharField(_("filters"), max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("saved filter")
        verbose_name_plural = _("saved filters")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="uniq_saved_filter_name")]

    def __str__(self) -> str:
        return self.name
