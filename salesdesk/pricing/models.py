"""Price lists (C5): customer agreements, promotions, quantity tiers and grade prices (DOMAIN.md §3.1)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class PriceList(models.Model):
    """A set of prices of one kind, optionally bound to a customer or grade and a validity window."""

    class Kind(models.TextChoices):
        AGREEMENT = "agreement", _("Customer agreement price")
        PROMOTION = "promotion", _("Promotion price")
        TIER = "tier", _("Quantity tier price")
        GRADE = "grade", _("Grade price")

    class TierMode(models.TextChoices):
        ALL_UNITS = "all_units", _("All units at the tier reached")
        INCREMENTAL = "incremental", _("Each band priced separately")

    DEFAULT_PRIORITY = {Kind.AGREEMENT: 10, Kind.PROMOTION: 20, Kind.TIER: 30, Kind.GRADE: 40}

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="price_lists",
    )
    grade = models.CharField(_("customer grade"), max_length=1, blank=True, default="")
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    tier_mode = models.CharField(
        _("tier mode"), max_length=20, choices=TierMode.choices, default=TierMode.ALL_UNITS
    )
    is_active = models.BooleanField(_("active"), default=True)
    priority = models.PositiveIntegerField(_("priority"), default=100)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")
        ordering = ["kind", "priority", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_from__isnull=True)
                | models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="pricelist_validity_order",
            ),
            models.CheckConstraint(
                condition=models.Q(customer__isnull=True) | models.Q(kind="agreement"),
                name="pricelist_customer_only_agreement",
            ),
        ]
        indexes = [models.Index(fields=["kind", "is_active"], name="pricelist_kind_active")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class PriceListItem(models.Model):
    """One product's price (tax-inclusive per base unit) or discount rate in a price list."""

    price_list = models.ForeignKey(
        PriceList,
        verbose_name=_("price list"),
        on_delete=models.CASCADE,
        related_name="items",
        db_index=False,
    )
    product = models.ForeignKey(
        "catalog.Product",
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    unit_price = models.DecimalField(
        _("unit price (tax incl.)"), max_digits=20, decimal_places=6, null=True, blank=True
    )
    discount_rate = models.DecimalField(
        _("discount rate"), max_digits=6, decimal_places=4, null=True, blank=True
    )
    min_qty = models.DecimalField(_("minimum quantity"), max_digits=18, decimal_places=6, default=Decimal(0))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("price list item")
        verbose_name_plural = _("price list items")
        ordering = ["price_list", "product", "min_qty"]
        constraints = [
            models.UniqueConstraint(
                fields=["price_list", "product", "min_qty"], name="pricelistitem_unique_product_qty"
            ),
            models.CheckConstraint(
                condition=models.Q(unit_price__isnull=True) | models.Q(unit_price__gte=0),
                name="pricelistitem_unit_price_non_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(discount_rate__isnull=True)
                | (models.Q(discount_rate__gte=0) & models.Q(discount_rate__lte=1)),
                name="pricelistitem_discount_rate_range",
            ),
            models.CheckConstraint(
                condition=models.Q(min_qty__gte=0), name="pricelistitem_min_qty_non_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(unit_price__isnull=False) | models.Q(discount_rate__isnull=False),
                name="pricelistitem_price_or_discount",
            ),
        ]
        indexes = [models.Index(fields=["product", "price_list"], name="pricelistitem_product")]

    def __str__(self) -> str:
        return f"{self.price_list_id}/{self.product_id}≥{self.min_qty}"
