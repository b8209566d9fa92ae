"""Every read of shipping, scoped like orders: a salesperson sees the shipments of their own orders."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import F, Prefetch, Q, QuerySet

from salesdesk.accounts.scope import owner_scope_q
from salesdesk.core.errors import NotFound
from salesdesk.core.masking import mask_address, mask_name
from salesdesk.core.text import to_halfwidth
from salesdesk.inventory.formatting import qty_str
from salesdesk.orders.choices import ShippingStatus
from salesdesk.orders.choices import Status as OrderStatus
from salesdesk.orders.models import SalesOrder, SalesOrderLine

from .carriers import carrier_name
from .models import Shipment, ShipmentLine, ShipmentStatus, TrackingEvent


def _scoped(user: Any) -> QuerySet[Shipment]:
    return Shipment.objects.filter(owner_scope_q(user, "order__owner"))


def list_shipments(*, user: Any, q: str = "", status: str = "", order: Any = None) -> QuerySet[Shipment]:
    """Shipments the user may see, newest first; ``q`` matches the shipment or order number prefix,
    the tracking number or the customer name."""
    qs = _scoped(user)
    text = to_halfwidth(q or "").strip()
    if text:
        upper = text.upper()
        qs = qs.filter(
            Q(number__startswith=upper)
            | Q(tracking_number=upper.replace(" ", ""))
            | Q(order__number__startswith=upper)
            | Q(order__customer_name__icontains=text)
        )
    if status:
        statuses = [s for s in str(status).split(",") if s in ShipmentStatus.values]
        qs = qs.filter(status__in=statuses) if statuses else qs.none()
    if order not in (None, ""):
        qs = qs.filter(order_id=getattr(order, "pk", order))
    return qs.select_related("order", "warehouse", "shipped_by").order_by("-id")


def get_shipment(*, user: Any, pk: Any) -> Shipment:
    """One shipment with its lines and tracking events; 404 outside the user's scope."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    shipment = (
        _scoped(user)
        .select_related("order", "order__owner", "warehouse", "shipped_by", "created_by")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=ShipmentLine.objects.select_related("order_line__product").order_by(
                    "order_line__line_no"
                ),
            ),
            Prefetch("tracking_events", queryset=TrackingEvent.objects.order_by("-occurred_at", "-id")),
        )
        .filter(pk=pk)
        .first()
    )
    if shipment is None:
        raise NotFound()
    return shipment


def order_shipments(*, order: SalesOrder) -> QuerySet[Shipment]:
    """The order's shipments, oldest first, with their lines."""
    return (
        Shipment.objects.filter(order=order)
        .select_related("warehouse")
        .prefetch_related(
            Prefetch("lines", queryset=ShipmentLine.objects.select_related("order_line").order_by("id"))
        )
        .order_by("id")
    )


@dataclass(frozen=True)
class Backorder:
    """What an order line still has to ship."""

    line: SalesOrderLine
    remaining: Decimal

    @property
    def remaining_text(self) -> str:
        return qty_str(self.remaining, self.line.product.unit_decimals)


def backorder_lines(*, order: SalesOrder) -> list[Backorder]:
    """The order's open lines with a quantity left to ship (qty − shipped), in line order."""
    lines = (
        SalesOrderLine.objects.filter(order=order, is_closed=False, shipped_qty__lt=F("qty"))
        .select_related("product", "warehouse")
        .order_by("line_no")
    )
    return [Backorder(line=line, remaining=line.qty - line.shipped_qty) for line in lines]


def shipping_queue(*, user: Any) -> QuerySet[SalesOrder]:
    """Confirmed orders with something left to ship, oldest requested date first (the warehouse queue)."""
    return (
        SalesOrder.objects.filter(owner_scope_q(user, "owner"))
        .filter(
            status=OrderStatus.CONFIRMED,
            shipping_status__in=(ShippingStatus.NOT_SHIPPED, ShippingStatus.PARTIAL),
        )
        .select_related("owner")
        .order_by(F("requested_date").asc(nulls_last=True), "id")
    )


def order_shipments_context(*, order: SalesOrder, user: Any) -> dict[str, Any]:
    """Context of the fragment ``shipping/_order_shipments.html`` on the order page."""
    can_ship = (
        user.has_perm("shipping.add_shipment")
        and order.status == OrderStatus.CONFIRMED
        and order.shipping_status in (ShippingStatus.NOT_SHIPPED, ShippingStatus.PARTIAL)
    )
    return {
        "order": order,
        "shipments": list(order_shipments(order=order)),
        "backorders": backorder_lines(order=order),
        "can_ship": can_ship,
    }


def shipment_carrier_name(shipment: Shipment) -> str:
    return carrier_name(shipment.carrier)


def sees_full_receiver(*, user: Any, shipment: Shipment) -> bool:
    """Who may see the receiver unmasked: the order's salesperson, people who ship, and holders of
    customers.view_full_contact (DOMAIN.md §9.3); everyone else sees 李* and 省市区****."""
    return (
        shipment.order.owner_id == getattr(user, "pk", None)
        or user.has_perm("shipping.add_shipment")
        or user.has_perm("customers.view_full_contact")
    )


def receiver_view(*, user: Any, shipment: Shipment) -> dict[str, str]:
    """Receiver and address as this user may see them."""
    if sees_full_receiver(user=user, shipment=shipment):
        return {"receiver": shipment.receiver, "ship_to": shipment.ship_to}
    region = shipment.order.ship_region_text
    return {
        "receiver": mask_name(shipment.receiver) if shipment.receiver else "",
        "ship_to": mask_address(region, shipment.ship_to) if shipment.ship_to else "",
    }
