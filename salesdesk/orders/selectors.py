"""Every read of orders: scoped lists, keyset pages, one order with its lines and timeline, the sidebar."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, Max, OuterRef, Prefetch, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from salesdesk.accounts.scope import owner_scope_q
from salesdesk.core.compiled import CompiledQuery
from salesdesk.core.errors import NotFound
from salesdesk.core.masking import mask_address, mask_mobile, mask_name, mask_phone
from salesdesk.core.text import to_halfwidth

from .choices import BillingStatus, PaymentStatus, ShippingStatus, Status
from .models import OrderEvent, ProductFirstSale, SalesOrder, SalesOrderLine, SavedFilter

# Orders that hold the customer's credit: accepted but not fully shipped yet.
CREDIT_STATUSES = (Status.SUBMITTED, Status.CONFIRMED, Status.ON_HOLD)
# Orders whose prices count as "what the customer paid".
SOLD_STATUSES = (Status.SUBMITTED, Status.CONFIRMED, Status.ON_HOLD, Status.COMPLETED, Status.CLOSED)


def _scoped(user: Any) -> QuerySet[SalesOrder]:
    return SalesOrder.objects.filter(owner_scope_q(user, "owner"))


def _as_date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def list_orders(
    *,
    user: Any,
    q: str = "",
    status: str = "",
    customer: Any = None,
    salesperson: Any = None,
    product: Any = None,
    phone: str = "",
    date_from: Any = None,
    date_to: Any = None,
) -> QuerySet[SalesOrder]:
    """The orders the user may see, newest first, filtered.

    ``q`` matches an order number prefix, the customer name, the customer PO number or a phone number.
    """
    qs = _scoped(user)
    text = to_halfwidth(q or "").strip()
    if text:
        cond = Q(number__startswith=text.upper()) | Q(customer_name__icontains=text) | Q(customer_po=text)
        digits = re.sub(r"[\s\-()]", "", text)
        if digits.isdecimal() and len(digits) >= 4:
            cond |= Q(contact_phone__contains=digits) | Q(ship_mobile__contains=digits)
        qs = qs.filter(cond)
    if status:
        statuses = [s for s in str(status).split(",") if s in Status.values]
        qs = qs.filter(status__in=statuses) if statuses else qs.none()
    if customer not in (None, ""):
        qs = qs.filter(customer_id=getattr(customer, "pk", customer))
    if salesperson not in (None, ""):
        qs = qs.filter(owner_id=getattr(salesperson, "pk", salesperson))
    if product not in (None, ""):
        # EXISTS instead of a join + DISTINCT: keeps "newest first, first 50" on the id index and
        # probes the (product, order) line index per candidate order.
        pid = getattr(product, "pk", product)
        qs = qs.filter(Exists(SalesOrderLine.objects.filter(order_id=OuterRef("pk"), product_id=pid)))
    phone_digits = re.sub(r"\D", "", to_halfwidth(phone or ""))
    if phone_digits:
        qs = qs.filter(Q(contact_phone__contains=phone_digits) | Q(ship_mobile__contains=phone_digits))
    start, end = _as_date(date_from), _as_date(date_to)
    if start:
        qs = qs.filter(order_date__gte=start)
    if end:
        qs = qs.filter(order_date__lte=end)
    return qs.select_related("owner").order_by("-id")


def page_orders(
    *, user: Any, after: int | None = None, limit: int = 50, **filters: Any
) -> tuple[list[SalesOrder], int | None]:
    """One page of ``list_orders`` by keyset on id (descending); ``next_after`` is None on the last page."""
    limit = max(1, min(int(limit), 200))
    qs = list_orders(user=user, **filters)
    if after:
        qs = qs.filter(id__lt=after)
    rows = list(qs[: limit + 1])
    next_after = rows[limit - 1].pk if len(rows) > limit else None
    return rows[:limit], next_after


# Beyond this many matching orders a list says "10,000+" instead of counting a million rows.
COUNT_CAP = 10_000


def count_orders(*, user: Any, cap: int = COUNT_CAP, **filters: Any) -> tuple[int, bool]:
    """How many orders ``list_orders`` would give, counted up to ``cap``: (count, capped).

    ``capped`` is True when there are more than ``cap``; then ``count`` is ``cap``. Counting stops at
    ``cap + 1`` rows (``SELECT COUNT(*) FROM (… LIMIT cap + 1)``), so the cost does not grow with the table.
    """
    counted = list_orders(user=user, **filters).select_related(None).order_by()[: cap + 1].count()
    return (cap, True) if counted > cap else (counted, False)


def get_order(*, user: Any, pk: Any, with_events: bool = True) -> SalesOrder:
    """One order with its lines (and their products and warehouses) and its timeline; 404 outside scope.

    ``with_events=False`` leaves the timeline out (one query less, for answers that do not show it).
    """
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    prefetch: list[Any] = [
        Prefetch("lines", queryset=SalesOrderLine.objects.select_related("product", "warehouse"))
    ]
    if with_events:
        prefetch.append(Prefetch("events", queryset=OrderEvent.objects.select_related("actor")))
    order = (
        _scoped(user)
        .select_related("owner", "created_by", "customer", "approved_by", "address")
        .prefetch_related(*prefetch)
        .filter(pk=pk)
        .first()
    )
    if order is None:
        raise NotFound()
    return order


def attach_lines(order: SalesOrder) -> SalesOrder:
    """Put the order's lines (with their warehouses) on ``order`` in one query and return it.

    For answers built from an order already in hand — the row a service has just locked and saved —
    instead of reading the whole order again with ``get_order``. Scope is the caller's business: the
    order was found through ``get_order_header``/``get_order`` or created by the caller. The lines the
    service has just saved with the order (``saved_lines``: ``create_order``, ``advance_draft``) are
    used as they are, without reading them again.
    """
    lines = getattr(order, "saved_lines", None)
    if lines is None:
        lines = list(
            SalesOrderLine.objects.filter(order_id=order.pk).select_related("warehouse").order_by("line_no")
        )
    for line in lines:
        line.order = order
    cache = getattr(order, "_prefetched_objects_cache", None) or {}
    order._prefetched_objects_cache = {**cache, "lines": lines}  # type: ignore[attr-defined]
    return order


def get_order_header(*, user: Any, pk: Any) -> SalesOrder:
    """Just the order row (no lines, no timeline), for actions that lock and re-read it; 404 outside scope."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    order = _scoped(user).filter(pk=pk).first()
    if order is None:
        raise NotFound()
    return order


def order_events(*, order: SalesOrder) -> QuerySet[OrderEvent]:
    """The order's timeline, oldest first."""
    return OrderEvent.objects.filter(order=order).select_related("actor").order_by("id")


def headline_status(order: SalesOrder) -> tuple[str, str]:
    """The one status a list shows (DOMAIN.md §4.3): cancelled → closed → completed → shipping → document."""
    from .choices import ApprovalStatus, ConfirmationStatus

    if order.status == Status.CANCELLED:
        return "cancelled", _("Cancelled")
    if order.status == Status.CLOSED:
        return "closed", _("Closed")
    done = order.shipping_status in (ShippingStatus.SHIPPED, ShippingStatus.DELIVERED)
    if order.status == Status.COMPLETED or (
        done and order.billing_status == BillingStatus.BILLED and order.payment_status == PaymentStatus.PAID
    ):
        return "completed", _("Completed")
    if order.shipping_status != ShippingStatus.NOT_SHIPPED:
        return str(order.shipping_status), str(ShippingStatus(order.shipping_status).label)
    if order.status == Status.ON_HOLD:
        return "on_hold", _("On hold")
    if order.status == Status.CONFIRMED:
        return "to_ship", _("To be shipped")
    if order.status == Status.SUBMITTED:
        if order.approval_status == ApprovalStatus.PENDING:
            return "pending_approval", _("Awaiting approval")
        if order.confirmation_status in (ConfirmationStatus.NOT_SENT, ConfirmationStatus.PENDING):
            return "pending_customer", _("Awaiting customer confirmation")
        if order.confirmation_status == ConfirmationStatus.CHANGE_REQUESTED:
            return "change_requested", _("Customer asked for a change")
        return "approved", _("Approved")
    if order.approval_status == ApprovalStatus.REJECTED:
        return "rejected", _("Rejected")
    return "draft", _("Draft")


def credit_used(*, customer: Any, exclude_order: Any = None) -> Decimal:
    """Credit the customer uses now.

    credit_used = Σ total_amount (tax incl.) of this customer's orders that are submitted, confirmed or on
    hold and not fully shipped. There are no invoices or receipts yet, so open receivables and advance
    payments (DOMAIN.md §1.7) are not part of the formula until billing exists.
    """
    qs = SalesOrder.objects.filter(customer=customer, status__in=CREDIT_STATUSES).exclude(
        shipping_status__in=[ShippingStatus.SHIPPED, ShippingStatus.DELIVERED]
    )
    if exclude_order is not None:
        qs = qs.exclude(pk=getattr(exclude_order, "pk", exclude_order))
    return qs.aggregate(total=Sum("total_amount"))["total"] or Decimal("0.00")


def overdue_amount(*, customer: Any, days: int = 0) -> Decimal:
    """Receivables of the customer overdue by more than ``days`` days.

    Always 0.00 until billing exists (no receivables are recorded yet); the approval rule and its
    parameter ("finance.overdue_block_days") are wired to this function so they start working then.
    """
    return Decimal("0.00")


def has_confirmed_order(*, customer: Any, exclude_order: Any = None) -> bool:
    """Whether the customer has an earlier order that was confirmed (then it is not a new customer)."""
    qs = SalesOrder.objects.filter(customer=customer, confirmed_at__isnull=False)
    if exclude_order is not None:
        qs = qs.exclude(pk=getattr(exclude_order, "pk", exclude_order))
    return qs.exists()


_SOLD_BEFORE = CompiledQuery(
    lambda p, n: ProductFirstSale.objects.filter(product_id__in=p.many("products", n)).values_list("pk")
)


def products_sold_before(*, product_ids: list[int]) -> set[int]:
    """Of these products, the ones that were on a confirmed order before (one primary-key lookup in
    ``ProductFirstSale``, whatever the number of orders)."""
    wanted = sorted(set(product_ids))
    if not wanted:
        return set()
    return {pk for (pk,) in _SOLD_BEFORE.all(len(wanted), products=wanted)}


def sold_before_annotation() -> Exists:
    """``products_sold_before`` as an annotation of a product read (``.annotate(sold_before=…)``), so a
    read that needs the products anyway answers it too."""
    return Exists(ProductFirstSale.objects.filter(product_id=OuterRef("pk")))


def sold_before(products: list[Any]) -> set[int]:
    """``products_sold_before`` for product objects: those read with ``sold_before_annotation`` answer
    without a query, the others are looked up together."""
    known = {p.pk: p.sold_before for p in products if hasattr(p, "sold_before")}
    rest = [p.pk for p in products if p.pk not in known]
    return {pk for pk, sold in known.items() if sold} | products_sold_before(product_ids=rest)


def last_price(*, customer: Any, product: Any) -> Decimal | None:
    """The unit price this customer paid for the product on their latest order (not drafts/cancelled)."""
    return (
        SalesOrderLine.objects.filter(
            order__customer=customer, order__status__in=SOLD_STATUSES, product=product
        )
        .order_by("-order_id", "-line_no")
        .values_list("unit_price", flat=True)
        .first()
    )


def customer_sidebar(*, user: Any, customer: Any) -> dict[str, Any]:
    """Beside the entry form: recent orders, frequently bought products with last prices, credit."""
    recent = list(
        SalesOrder.objects.filter(customer=customer)
        .exclude(status=Status.DRAFT)
        .only("id", "number", "order_date", "status", "total_amount", "approval_status")
        .order_by("-id")[:5]
    )
    top = list(
        SalesOrderLine.objects.filter(order__customer=customer, order__status__in=SOLD_STATUSES)
        .values("product_id")
        .annotate(times=Count("id"), last_line=Max("id"))
        .order_by("-times", "-last_line")[:8]
    )
    last_lines = {
        line.pk: line
        for line in SalesOrderLine.objects.filter(pk__in=[t["last_line"] for t in top]).select_related(
            "product"
        )
    }
    frequent = [
        (last_lines[t["last_line"]].product, last_lines[t["last_line"]].unit_price, t["times"]) for t in top
    ]
    limit = customer.credit_limit
    used = credit_used(customer=customer)
    return {
        "recent_orders": recent,
        "frequent_products": frequent,
        "credit_limit": limit,
        "credit_used": used,
        "credit_available": None if limit is None else limit - used,
        "overdue_amount": overdue_amount(customer=customer),
    }


def list_saved_filters(*, user: Any) -> QuerySet[SavedFilter]:
    return SavedFilter.objects.filter(user=user).order_by("name")


def sees_full_contacts(user: Any, order: SalesOrder) -> bool:
    """The order's own salesperson sees the full contacts; everyone else sees them masked (§9.3)."""
    return order.owner_id == getattr(user, "pk", None)


def export_rows(*, user: Any, filters: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
    """Rows for the Excel/CSV export: scoped like the list, contacts masked unless the user owns the order."""
    qs = list_orders(user=user, **(filters or {}))
    for order in qs.iterator(chunk_size=500):
        full = sees_full_contacts(user, order)
        _code, label = headline_status(order)
        yield {
            "number": order.number,
            "order_date": order.order_date,
            "order_type": order.get_order_type_display(),
            "status": label,
            "customer_code": order.customer_code,
            "customer_name": order.customer_name,
            "customer_po": order.customer_po,
            "contact_name": order.contact_name if full else mask_name(order.contact_name),
            "contact_phone": order.contact_phone if full else _mask_any_phone(order.contact_phone),
            "ship_receiver": order.ship_receiver if full else mask_name(order.ship_receiver),
            "ship_mobile": order.ship_mobile if full else _mask_any_phone(order.ship_mobile),
            "ship_address": (
                f"{order.ship_region_text}{order.ship_address_detail}"
                if full
                else mask_address(order.ship_region_text, order.ship_address_detail)
            ),
            "salesperson": order.owner.display_name if order.owner_id else "",
            "total_amount": order.total_amount,
            "net_amount": order.net_amount,
            "tax_amount": order.tax_amount,
            "discount_amount": order.discount_amount,
        }


def _mask_any_phone(value: str) -> str:
    if not value:
        return ""
    return mask_mobile(value) if value.isdecimal() and len(value) == 11 else mask_phone(value)
