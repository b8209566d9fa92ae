"""Every read of the catalogue: lists, search for pickers, one product with its units and history."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Q, QuerySet

from salesdesk.core.text import to_halfwidth

from .errors import CategoryNotFound, ProductNotFound
from .models import Category, Product

_PINYIN_RE = re.compile(r"^[A-Za-z0-9]+$")


def _product_search_q(q: str) -> Q:
    """SKU prefix, name or spec contains, exact barcode, pinyin initials or full pinyin contains."""
    condition = Q(sku__istartswith=q) | Q(name__icontains=q) | Q(spec__icontains=q)
    if q.isdecimal():
        condition |= Q(barcode=q) | Q(units__barcode=q)
    if _PINYIN_RE.match(q):
        condition |= Q(pinyin_initials__contains=q.upper()) | Q(pinyin_full__contains=q.lower())
    return condition


def _clean_query(q: str | None) -> str:
    return re.sub(r"\s+", "", to_halfwidth(q or ""))


def list_products(
    *, q: str = "", category: Category | int | None = None, active: bool | None = True
) -> QuerySet[Product]:
    """Products matching ``q`` (see ``_product_search_q``), optionally in a category or its children.

    ``active=True`` lists products on sale, ``False`` the discontinued ones, ``None`` both.
    """
    qs = Product.objects.select_related("category")
    if active is not None:
        qs = qs.filter(is_active=active)
    if category is not None:
        category_id = category.pk if isinstance(category, Category) else category
        qs = qs.filter(Q(category_id=category_id) | Q(category__parent_id=category_id))
    query = _clean_query(q)
    if query:
        condition = _product_search_q(query)
        if query.isdecimal():
            # a unit barcode joins the units table; keep each product once
            qs = qs.filter(pk__in=Product.objects.filter(condition).values("pk"))
        else:
            qs = qs.filter(condition)
    return qs.order_by("sku")


def search_products(q: str, limit: int = 20) -> list[Product]:
    """Active products for quick pickers (order entry, stock receipts): the first ``limit`` matches by SKU."""
    query = _clean_query(q)
    if not query:
        return []
    return list(list_products(q=query).prefetch_related("units")[: max(1, min(limit, 100))])


def get_product(*, pk: int | str) -> Product:
    """One product with its category and units, or ``ProductNotFound``."""
    try:
        return Product.objects.select_related("category").prefetch_related("units").get(pk=int(pk))
    except (Product.DoesNotExist, ValueError, TypeError):
        raise ProductNotFound() from None


def get_product_by_sku(*, sku: str) -> Product:
    """The product with this SKU (case-insensitive), or ``ProductNotFound``."""
    product = Product.objects.select_related("category").filter(sku__iexact=sku.strip()).first()
    if product is None:
        raise ProductNotFound()
    return product


def product_price_history(*, product: Product, limit: int = 50) -> list[dict[str, Any]]:
    """The product's recorded versions, newest first, with who changed the prices and when."""
    records = list(
        product.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1]
    )
    rows: list[dict[str, Any]] = []
    for index, record in enumerate(records[:limit]):
        previous = records[index + 1] if index + 1 < len(records) else None
        rows.append(
            {
                "at": record.history_date,
                "by": record.history_user,
                "type": record.history_type,
                "list_price": record.list_price,
                "floor_price": record.floor_price,
                "tax_rate": record.tax_rate,
                "price_changed": previous is None
                or previous.list_price != record.list_price
                or previous.floor_price != record.floor_price,
            }
        )
    return rows


def list_categories() -> QuerySet[Category]:
    """Every category by code, with its parent."""
    return Category.objects.select_related("parent").order_by("code")


def get_category(*, pk: int | str) -> Category:
    try:
        return Category.objects.select_related("parent").get(pk=int(pk))
    except (Category.DoesNotExist, ValueError, TypeError):
        raise CategoryNotFound() from None
