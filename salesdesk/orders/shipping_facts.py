"""Facts the shipping app pushes down to the order: quantities shipped and deliveries signed (C10).

Shipping sits above orders, so it calls these functions instead of writing order rows; nothing here
imports shipping. The order's ``shipping_status`` is derived from its lines and never set by hand.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesdesk.core.errors import Conflict, InvalidInput

from .choices import EventType, ShippingStatus, Status
from .models import SalesOrder, SalesOrderLine
from .timeline import record_order_event

ZERO = Decimal(0)


class OrderNotShippable(Conflict):
    """Only confirmed orders can ship."""

    code = "order_not_shippable"
    default_message = gettext_lazy("Only confirmed orders can be shipped.")


def _lock(order: SalesOrder) -> SalesOrder:
    return SalesOrder.objects.select_for_update().get(pk=order.pk)


def derive_shipping_status(lines: list[SalesOrderLine], *, all_signed: bool) -> str:
    """Not shipped / partially / fully shipped from the lines; delivered once shipped and all signed."""
    if not any(line.shipped_qty > 0 for line in lines):
        return ShippingStatus.NOT_SHIPPED
    fully = all(line.is_closed or line.shipped_qty >= line.qty for line in lines)
    if not fully:
        return ShippingStatus.PARTIAL
    return ShippingStatus.DELIVERED if all_signed else ShippingStatus.SHIPPED


def _as_qty(value: Any) -> Decimal | None:
    try:
        qty = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return qty if qty.is_finite() else None


def _event(order: SalesOrder, kind: str, by: Any, data: dict[str, Any]) -> None:
    record_order_event(order=order, type=kind, by=by, data=data)


@transaction.atomic
def record_shipment(
    *,
    order: SalesOrder,
    quantities: dict[int, Decimal],
    by: Any,
    reference: str,
    from_reservation: dict[int, Decimal] | None = None,
) -> SalesOrder:
    """Add shipped quantities to the order's lines and recompute its shipping status.

    ``quantities`` maps line ids to the quantity that left; ``from_reservation`` maps line ids to the
    part of it that was issued from the line's reservation (lowering ``reserved_qty``; default: as much
    as the line holds). Refuses (nothing changed) more than ``qty − shipped_qty`` or another order's
    lines, with field paths ``lines.N.qty`` in the order the quantities were given.
    """
    locked = _lock(order)
    if locked.status != Status.CONFIRMED:
        raise OrderNotShippable()
    lines = {line.pk: line for line in SalesOrderLine.objects.select_for_update().filter(order=locked)}
    issued = from_reservation or {}
    errors: dict[str, list[str]] = {}
    changes: list[tuple[SalesOrderLine, Decimal, Decimal]] = []
    for index, (line_id, raw) in enumerate(quantities.items()):
        key = f"lines.{index}.qty"
        line = lines.get(int(line_id))
        if line is None:
            errors[f"lines.{index}.order_line"] = [_("This line does not belong to the order.")]
            continue
        qty = _as_qty(raw)
        if qty is None or qty <= 0:
            errors[key] = [_("Enter a quantity greater than zero.")]
            continue
        remaining = line.qty - line.shipped_qty
        if qty > remaining:
            errors[key] = [
                _("Only %(remaining)s %(unit)s of line %(line)s are left to ship.")
                % {"remaining": _plain(remaining), "unit": line.unit, "line": line.line_no}
            ]
            continue
        from_res = issued.get(line.pk)
        release = (
            min(qty, line.reserved_qty) if from_res is None else min(Decimal(from_res), line.reserved_qty)
        )
        changes.append((line, qty, release))
    if errors:
        raise InvalidInput(fields=errors)
    if not changes:
        raise InvalidInput(fields={"lines": [_("Ship at least one line.")]})
    for line, qty, release in changes:
        line.shipped_qty += qty
        line.reserved_qty -= release
        line.save(update_fields=["shipped_qty", "reserved_qty"])
    locked.shipping_status = derive_shipping_status(list(lines.values()), all_signed=False)
    locked.save(update_fields=["shipping_status", "updated_at"])
    _event(
        locked,
        EventType.SHIPPED,
        by,
        {
            "reference": reference,
            "lines": [
                {"line_no": line.line_no, "sku": line.sku, "qty": _plain(qty)} for line, qty, _r in changes
            ],
            "shipping_status": locked.shipping_status,
        },
    )
    order.shipping_status = locked.shipping_status
    return locked


@transaction.atomic
def record_delivery(*, order: SalesOrder, all_signed: bool, by: Any, reference: str = "") -> SalesOrder:
    """Record that a shipment was signed for; the order is delivered once fully shipped and all signed."""
    locked = _lock(order)
    lines = list(SalesOrderLine.objects.filter(order=locked))
    locked.shipping_status = derive_shipping_status(lines, all_signed=all_signed)
    locked.save(update_fields=["shipping_status", "updated_at"])
    _event(
        locked,
        EventType.DELIVERED,
        by,
        {"reference": reference, "all_signed": all_signed, "shipping_status": locked.shipping_status},
    )
    order.shipping_status = locked.shipping_status
    return locked


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")
