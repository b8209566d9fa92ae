"""Every read of inventory: warehouses, stock levels with their available quantity, and the ledger."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum

from salesdesk.catalog.models import Product
from salesdesk.core.text import to_halfwidth

from .models import QTY_DIGITS, QTY_PLACES, StockLevel, StockMove, Warehouse

_AVAILABLE = ExpressionWrapper(
    F("on_hand_qty") - F("reserved_qty"),
    output_field=DecimalField(max_digits=QTY_DIGITS, decimal_places=QTY_PLACES),
)

# Available below safety stock: on_hand − reserved < safety, written without the annotation.
_LOW = Q(on_hand_qty__lt=F("reserved_qty") + F("safety_qty"))


def list_warehouses(*, active_only: bool = False, q: str = "") -> QuerySet[Warehouse]:
    qs = Warehouse.objects.all()
    if active_only:
        qs = qs.filter(is_active=True)
    q = to_halfwidth(q).strip()
    if q:
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q))
    return qs.order_by("code")


def get_warehouse(*, pk: int) -> Warehouse:
    return Warehouse.objects.get(pk=pk)


def _levels() -> QuerySet[StockLevel]:
    return StockLevel.objects.select_related("product", "warehouse").annotate(available=_AVAILABLE)


def get_stock(*, product: Product | None = None, warehouse: Warehouse | None = None) -> QuerySet[StockLevel]:
    """Stock levels (each with ``on_hand_qty``, ``reserved_qty`` and ``available``), optionally filtered."""
    qs = _levels()
    if product is not None:
        qs = qs.filter(product=product)
    if warehouse is not None:
        qs = qs.filter(warehouse=warehouse)
    return qs.order_by("product__sku", "warehouse__code")


def list_stock(
    *, q: str = "", warehouse: Warehouse | None = None, low_only: bool = False
) -> QuerySet[StockLevel]:
    """Stock levels for the stock page: search by SKU, name, spec, barcode or pinyin; low stock only."""
    qs = get_stock(warehouse=warehouse)
    q = to_halfwidth(q).strip()
    if q:
        qs = qs.filter(
            Q(product__sku__icontains=q)
            | Q(product__name__icontains=q)
            | Q(product__spec__icontains=q)
            | Q(product__barcode=q)
            | Q(product__pinyin_initials__icontains=q.upper())
            | Q(product__pinyin_full__icontains=q.lower().replace(" ", ""))
        )
    if low_only:
        qs = qs.filter(_LOW)
    return qs


def list_low_stock(*, limit: int = 10) -> list[StockLevel]:
    """Levels whose available quantity is below the safety stock, the worst first (workbench)."""
    qs = _levels().filter(_LOW)
    return list(qs.order_by("available", "product__sku")[:limit])


def list_moves(
    *, product: Product | None = None, warehouse: Warehouse | None = None, reference: str = ""
) -> QuerySet[StockMove]:
    """The ledger, newest first."""
    qs = StockMove.objects.select_related("product", "warehouse", "created_by")
    if product is not None:
        qs = qs.filter(product=product)
    if warehouse is not None:
        qs = qs.filter(warehouse=warehouse)
    if reference:
        qs = qs.filter(reference=reference)
    return qs.order_by("-id")


def find_product(*, q: str) -> Product | None:
    """The product a filter names by SKU (exact, any case) or id."""
    text = to_halfwidth(q).strip()
    if not text:
        return None
    product = Product.objects.filter(sku__iexact=text).first()
    if product is None and text.isdecimal():
        product = Product.objects.filter(pk=int(text)).first()
    return product


def find_warehouse(*, q: str) -> Warehouse | None:
    """The warehouse a filter names by code (any case) or id."""
    text = to_halfwidth(q).strip()
    if not text:
        return None
    warehouse = Warehouse.objects.filter(code=text.upper()).first()
    if warehouse is None and text.isdecimal():
        warehouse = Warehouse.objects.filter(pk=int(text)).first()
    return warehouse


@dataclass(frozen=True)
class LedgerBalance:
    on_hand: Decimal
    reserved: Decimal


def ledger_balance(*, product: Product, warehouse: Warehouse) -> LedgerBalance:
    """The balance the ledger adds up to; it must equal the ``StockLevel`` row."""
    on_hand = reserved = Decimal(0)
    totals = (
        StockMove.objects.filter(product=product, warehouse=warehouse)
        .values("kind", "from_reservation")
        .annotate(total=Sum("qty"))
        .order_by()
    )
    for row in totals:
        total = Decimal(row["total"] or 0)
        kind = row["kind"]
        if kind in (StockMove.Kind.RECEIPT, StockMove.Kind.ADJUST):
            on_hand += total
        elif kind == StockMove.Kind.ISSUE:
            on_hand -= total
            if row["from_reservation"]:
                reserved -= total
        elif kind == StockMove.Kind.RESERVE:
            reserved += total
        elif kind == StockMove.Kind.RELEASE:
            reserved -= total
    return LedgerBalance(on_hand=on_hand, reserved=reserved)


def list_stock_filtered(
    *, product: str = "", warehouse: str = "", q: str = "", low_only: bool = False
) -> QuerySet[StockLevel]:
    """``list_stock`` with the product (SKU or id) and warehouse (code or id) given as text.

    A filter naming nothing that exists gives no rows.
    """
    wh = find_warehouse(q=warehouse)
    item = find_product(q=product)
    if (warehouse.strip() and wh is None) or (product.strip() and item is None):
        return StockLevel.objects.none()
    qs = list_stock(q=q, warehouse=wh, low_only=low_only)
    return qs.filter(product=item) if item is not None else qs


def list_moves_filtered(
    *, product: str = "", warehouse: str = "", reference: str = ""
) -> QuerySet[StockMove]:
    """``list_moves`` with the product and warehouse given as text (SKU / code or id)."""
    wh = find_warehouse(q=warehouse)
    item = find_product(q=product)
    if (warehouse.strip() and wh is None) or (product.strip() and item is None):
        return StockMove.objects.none()
    return list_moves(product=item, warehouse=wh, reference=to_halfwidth(reference).strip())
