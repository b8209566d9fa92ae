"""The catalogue: categories, products (SKU) and their unit conversions (C3, DOMAIN.md §2)."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Category(models.Model):
    """A product category; ``code`` prefixes SKUs in many companies (01.02.0001)."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=50)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent"),
    )

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """One sellable SKU. Prices are tax-inclusive per base unit; the SKU never changes once used."""

    sku = models.CharField(_("SKU"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    spec = models.CharField(_("specification"), max_length=100, blank=True)
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="products",
        verbose_name=_("category"),
    )
    brand = models.CharField(_("brand"), max_length=50, blank=True)
    unit = models.CharField(_("base unit"), max_length=10)
    unit_decimals = models.PositiveSmallIntegerField(_("quantity decimals"), default=0)
    tax_rate = models.DecimalField(_("VAT rate"), max_digits=6, decimal_places=4, default=Decimal("0.1300"))
    tax_code = models.CharField(_("tax classification code"), max_length=19, blank=True)
    list_price = models.DecimalField(_("list price (tax incl.)"), max_digits=20, decimal_places=6)
    floor_price = models.DecimalField(
        _("floor price (tax incl.)"), max_digits=20, decimal_places=6, null=True, blank=True
    )
    barcode = models.CharField(_("barcode"), max_length=14, blank=True, db_index=True)
    is_active = models.BooleanField(_("active"), default=True)
    pinyin_initials = models.CharField(_("pinyin initials"), max_length=100, blank=True, db_index=True)
    pinyin_full = models.CharField(_("pinyin"), max_length=400, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["pinyin_initials", "pinyin_full", "updated_at"])

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["sku"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(list_price__gte=0), name="product_list_price_non_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(floor_price__isnull=True) | models.Q(floor_price__gte=0),
                name="product_floor_price_non_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(tax_rate__gte=0) & models.Q(tax_rate__lt=1), name="product_tax_rate_range"
            ),
        ]
        indexes = [models.Index(fields=["is_active", "name"])]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class ProductUnit(models.Model):
    """Another unit of a product with its fixed rate to the base unit: 1 箱 = 12 个."""

    product = models.ForeignKey(
        Product,
        on_delete=models.CASCADE,
        related_name="units",
        verbose_name=_("product"),
        db_index=False,
    )
    unit = models.CharField(_("unit"), max_length=10)
    rate_to_base = models.DecimalField(_("rate to base unit"), max_digits=18, decimal_places=6)
    barcode = models.CharField(_("barcode"), max_length=14, blank=True)

    class Meta:
        verbose_name = _("product unit")
        verbose_name_plural = _("product units")
        constraints = [
            models.UniqueConstraint(fields=["product", "unit"], name="uniq_product_unit"),
            models.CheckConstraint(condition=models.Q(rate_to_base__gt=0), name="product_unit_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"1{self.unit}={self.rate_to_base.normalize()}{self.product.unit}"
