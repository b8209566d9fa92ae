"""Reads for price lists."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from salesdesk.core.errors import NotFound

from .models import PriceList


def list_price_lists(*, kind: str = "", q: str = "") -> QuerySet[PriceList]:
    """Price lists with their customer and item count, optionally filtered by kind or code/name."""
    qs = PriceList.objects.select_related("customer").annotate(item_count=Count("items"))
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(code__icontains=q) | qs.filter(name__icontains=q)
    return qs.order_by("kind", "priority", "code")


def get_price_list(*, pk: int) -> PriceList:
    """One price list with its items and their products."""
    pl = (
        PriceList.objects.select_related("customer", "created_by")
        .prefetch_related("items__product")
        .filter(pk=pk)
        .first()
    )
    if pl is None:
        raise NotFound()
    return pl
