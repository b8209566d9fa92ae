"""Change a confirmed order (变更, DOMAIN.md §4.5): quantities, prices, dates, address, added/removed lines.

One computation (``_plan``) serves the preview shown before approval and the change applied on approval,
so they can't disagree. Amounts go through ``pricing.calc`` like order entry; reservations follow the
quantity difference per line through the inventory services (reference = order number). Nothing here
knows about change requests: fulfillment calls ``apply_order_change`` when a request is approved.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from salesdesk.catalog.models import Product
from salesdesk.core.audit import record_audit
from salesdesk.core.errors import InvalidInput
from salesdesk.customers.models import Address
from salesdesk.inventory.models import Warehouse
from salesdesk.inventory.services import release_stock, reserve_stock
from salesdesk.pricing import calc
from salesdesk.pricing.resolve import resolve_prices, round_price

from .choices import BEHAVIOUR, Status
from .errors import StaleOrder
from .models import SalesOrder, SalesOrderLine
from .quoting import stock_by_product
from .selectors import CREDIT_STATUSES, credit_used
from .timeline import record_order_event

# Timeline event written by an applied change (its label lives in EventType once the lead adds it).
CHANGED_EVENT = "changed"
# Orders a change request may be made against.
CHANGEABLE_STATUSES = (Status.CONFIRMED, Status.ON_HOLD)
HEADER_FIELDS = ("requested_date", "promised_date", "remark")


def _dec(value: Decimal | None) -> str | None:
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return text


def _money(value: Decimal) -> str:
    return str(calc.round2(value))


@dataclass
class _Line:
    """A line as it will be after the change (existing or added)."""

    line: SalesOrderLine | None  # None for an added line
    product: Product
    line_no: int
    qty: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    discount_rate: Decimal
    price_source: str
    price_list_id: int | None
    warehouse: Warehouse | None
    old_qty: Decimal = Decimal(0)
    removed: bool = False
    amounts: calc.LineAmounts | None = None
    reserved_after: Decimal = Decimal(0)
    path: str = "lines"  # where input errors about this line go

    @property
    def reserved(self) -> Decimal:
        return self.line.reserved_qty if self.line is not None else Decimal(0)


@dataclass
class ChangePlan:
    """What a change would do: the new lines and header, the stock moves, the amounts and the diff."""

    order: SalesOrder
    lines: list[_Line]
    removed: list[_Line]
    header: dict[str, Any]
    address: Address | None
    stock: list[dict[str, Any]] = field(default_factory=list)
    diff: list[dict[str, Any]] = field(default_factory=list)
    totals: calc.OrderTotals | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def amount_before(self) -> Decimal:
        return self.order.total_amount

    @property
    def amount_after(self) -> Decimal:
        return self.totals.amount if self.totals is not None else self.order.total_amount


def _parse_decimal(raw: Any, path: str, errors: dict[str, list[str]]) -> Decimal | None:
    text = "" if raw is None else str(raw).strip().replace(",", "").replace("，", "")
    if not text:
        errors[path] = [_("This field is required.")]
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        errors[path] = [_("Enter a number.")]
        return None
    if not value.is_finite():
        errors[path] = [_("Enter a number.")]
        return None
    return value


def _parse_date(raw: Any, path: str, errors: dict[str, list[str]]) -> dt.date | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw).strip())
    except ValueError:
        errors[path] = [_("Enter a valid date (YYYY-MM-DD).")]
        return None


def _check_qty(product: Product, qty: Decimal, path: str, errors: dict[str, list[str]]) -> bool:
    if qty <= 0:
        errors[path] = [_("The quantity must be greater than zero.")]
        return False
    exponent = qty.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > product.unit_decimals:
        errors[path] = [_("At most %(n)d decimal places for this unit.") % {"n": product.unit_decimals}]
        return False
    return True


def _plan(order: SalesOrder, changes: dict[str, Any]) -> ChangePlan:
    """Work out the change without saving; errors are collected with "lines.N.field" paths."""
    errors: dict[str, list[str]] = {}
    if not isinstance(changes, dict):
        raise InvalidInput.single("changes", _("Describe the change."))
    existing = {line.line_no: line for line in order.lines.select_related("product", "warehouse")}
    planned: dict[int, _Line] = {
        no: _Line(
            line=line,
            product=line.product,
            line_no=no,
            qty=line.qty,
            unit_price=line.unit_price,
            tax_rate=line.tax_rate,
            discount_rate=line.discount_rate,
            price_source=line.price_source,
            price_list_id=line.price_list_id,
            warehouse=line.warehouse,
            old_qty=line.qty,
        )
        for no, line in existing.items()
    }
    added: list[tuple[int, _Line]] = []
    raw_lines = changes.get("lines") or []
    if not isinstance(raw_lines, list):
        raw_lines = []
        errors["lines"] = [_("Describe the line changes as a list.")]
    add_refs = [
        e["add"].get("product") for e in raw_lines if isinstance(e, dict) and isinstance(e.get("add"), dict)
    ]
    products = {
        str(p.pk): p
        for p in Product.objects.filter(pk__in=[int(r) for r in add_refs if str(r or "").strip().isdecimal()])
    }
    next_no = max(existing, default=0) + 1
    touched: set[int] = set()
    for n, entry in enumerate(raw_lines):
        path = f"lines.{n}"
        if not isinstance(entry, dict):
            errors[path] = [_("Describe the line change.")]
            continue
        if "remove" in entry:
            try:
                no = int(entry["remove"])
            except (TypeError, ValueError):
                no = -1
            target = planned.get(no)
            if target is None:
                errors[f"{path}.remove"] = [_("There is no such line on the order.")]
            elif target.line is not None and target.line.shipped_qty > 0:
                errors[f"{path}.remove"] = [_("Part of this line was shipped; it can't be removed.")]
            elif target.line is not None and target.line.invoiced_qty > 0:
                errors[f"{path}.remove"] = [_("Part of this line was invoiced; it can't be removed.")]
            else:
                target.removed = True
                touched.add(no)
            continue
        if "add" in entry:
            spec = entry["add"] if isinstance(entry["add"], dict) else {}
            ref = str(spec.get("product") or "").strip()
            product = products.get(ref)
            if product is None:
                errors[f"{path}.product"] = [_("Choose a product.") if not ref else _("Unknown product.")]
            elif not product.is_active:
                errors[f"{path}.product"] = [_("This product is no longer sold.")]
                product = None
            qty = _parse_decimal(spec.get("qty"), f"{path}.qty", errors)
            price = None
            if spec.get("unit_price") not in (None, ""):
                price = _parse_decimal(spec.get("unit_price"), f"{path}.unit_price", errors)
                if price is not None and price < 0:
                    errors[f"{path}.unit_price"] = [_("The price must not be negative.")]
                    price = None
            if product is not None and qty is not None and _check_qty(product, qty, f"{path}.qty", errors):
                new = _Line(
                    line=None,
                    product=product,
                    line_no=next_no,
                    qty=qty,
                    unit_price=price if price is not None else Decimal(-1),
                    tax_rate=product.tax_rate,
                    discount_rate=Decimal(0),
                    price_source="manual" if price is not None else "",
                    price_list_id=None,
                    warehouse=None,
                )
                new.path = path
                added.append((n, new))
                next_no += 1
            continue
        try:
            no = int(entry.get("line_no"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            no = -1
        target = planned.get(no)
        if target is None or target.line is None:
            errors[f"{path}.line_no"] = [_("There is no such line on the order.")]
            continue
        if no in touched:
            errors[f"{path}.line_no"] = [_("This line is changed twice.")]
            continue
        touched.add(no)
        target.path = path
        line = target.line
        if "qty" in entry:
            qty = _parse_decimal(entry.get("qty"), f"{path}.qty", errors)
            if qty is not None and _check_qty(target.product, qty, f"{path}.qty", errors):
                if qty < line.shipped_qty:
                    errors[f"{path}.qty"] = [
                        _("The quantity can't go below the %(shipped)s already shipped.")
                        % {"shipped": _dec(line.shipped_qty)}
                    ]
                elif qty < line.invoiced_qty:
                    errors[f"{path}.qty"] = [
                        _("The quantity can't go below the %(invoiced)s already invoiced.")
                        % {"invoiced": _dec(line.invoiced_qty)}
                    ]
                else:
                    target.qty = qty
        if "unit_price" in entry:
            price = _parse_decimal(entry.get("unit_price"), f"{path}.unit_price", errors)
            if price is not None:
                if price < 0:
                    errors[f"{path}.unit_price"] = [_("The price must not be negative.")]
                elif round_price(price) != line.unit_price and line.invoiced_qty > 0:
                    errors[f"{path}.unit_price"] = [
                        _("Part of this line was invoiced: reverse the invoice before changing the price.")
                    ]
                elif round_price(price) != line.unit_price:
                    target.unit_price = round_price(price)
                    target.price_source = "manual"
                    target.price_list_id = None

    header: dict[str, Any] = {}
    for name in ("requested_date", "promised_date"):
        if name in changes:
            value = _parse_date(changes.get(name), name, errors)
            if name not in errors and value != getattr(order, name):
                header[name] = value
    if "remark" in changes:
        remark = str(changes.get("remark") or "").strip()
        if len(remark) > 2000:
            errors["remark"] = [_("At most %(n)d characters.") % {"n": 2000}]
        elif remark != order.remark:
            header["remark"] = remark
    address = None
    if changes.get("address") not in (None, ""):
        try:
            address = (
                Address.objects.select_related("region__parent__parent")
                .filter(customer_id=order.customer_id, pk=int(changes["address"]))
                .first()
            )
        except (TypeError, ValueError):
            address = None
        if address is None:
            errors["address"] = [_("Choose one of the customer's addresses.")]
        elif address.pk == order.address_id:
            address = None

    kept = [p for p in planned.values() if not p.removed]
    plan = ChangePlan(
        order=order,
        lines=[],
        removed=[p for p in planned.values() if p.removed],
        header=header,
        address=address,
        errors=errors,
    )
    if not kept and not added:
        errors["lines"] = [_("The order must keep at least one line.")]
    if errors:
        return plan

    # Prices for added lines without a typed price: the same resolution as order entry.
    to_resolve = [a for _n, a in added if a.unit_price < 0]
    if to_resolve:
        quotes = resolve_prices(
            products_qty=[(a.product, a.qty) for a in to_resolve], customer=order.customer
        )
        for a, quote in zip(to_resolve, quotes, strict=True):
            a.unit_price = (
                quote.unit_price
                if order.price_mode == calc.TAX_INCLUDED
                else round_price(quote.unit_price / (1 + a.product.tax_rate))
            )
            a.price_source, a.price_list_id = quote.source, quote.price_list_id
    plan.lines = [*kept, *(a for _n, a in added)]
    specs = [
        {"qty": p.qty, "unit_price": p.unit_price, "tax_rate": p.tax_rate, "discount_rate": p.discount_rate}
        for p in plan.lines
    ]
    try:
        amounts = calc.apply_order_discount(
            specs, order.order_discount_amount + order.round_off_amount, order.price_mode
        )
    except ValueError:
        errors["lines"] = [_("The order discount is larger than the amount left after the change.")]
        return plan
    for planned_line, line_amounts in zip(plan.lines, amounts, strict=True):
        planned_line.amounts = line_amounts
    plan.totals = calc.totals(amounts)

    _plan_stock(plan, planned, added)
    _plan_diff(plan, planned)
    return plan


def _reserves(order: SalesOrder) -> bool:
    return BEHAVIOUR[order.order_type].reserves_stock and order.status in CHANGEABLE_STATUSES


def _plan_stock(plan: ChangePlan, planned: dict[int, _Line], added: list[tuple[int, _Line]]) -> None:
    """Per line: how much to reserve or release, and what the warehouse has available now."""
    order = plan.order
    if not _reserves(order):
        return
    everything = [*planned.values(), *(a for _n, a in added)]
    available = stock_by_product([p.product.pk for p in everything])
    for p in everything:
        target = Decimal(0) if p.removed else p.qty
        delta = target - p.old_qty
        if delta == 0:
            continue
        if p.warehouse is None:
            options = available.get(p.product.pk, [])
            p.warehouse = options[0][0] if options else None
        avail = next(
            (a for w, a in available.get(p.product.pk, []) if p.warehouse and w.pk == p.warehouse.pk), None
        )
        reserve = delta if delta > 0 else Decimal(0)
        release = min(-delta, p.reserved) if delta < 0 else Decimal(0)
        plan.stock.append(
            {
                "line_no": p.line_no,
                "sku": p.product.sku,
                "warehouse": p.warehouse.code if p.warehouse else "",
                "reserve": _dec(reserve),
                "release": _dec(release),
                "available": _dec(avail if avail is not None else Decimal(0)),
            }
        )
        if reserve > (avail or Decimal(0)):
            plan.errors[f"{p.path}.qty"] = [
                _("Only %(available)s available in the warehouse, %(requested)s more needed.")
                % {"available": _dec(avail or Decimal(0)), "requested": _dec(reserve)}
            ]


def _plan_diff(plan: ChangePlan, planned: dict[int, _Line]) -> None:
    """The readable list of what changes: [{field, line_no?, sku?, before, after}]."""
    diff = plan.diff
    for p in planned.values():
        line = p.line
        assert line is not None
        if p.removed:
            diff.append(
                {
                    "field": "line_removed",
                    "line_no": p.line_no,
                    "sku": p.product.sku,
                    "before": _dec(line.qty),
                    "after": None,
                }
            )
            continue
        if p.qty != line.qty:
            diff.append(
                {
                    "field": "qty",
                    "line_no": p.line_no,
                    "sku": p.product.sku,
                    "before": _dec(line.qty),
                    "after": _dec(p.qty),
                }
            )
        if p.unit_price != line.unit_price:
            diff.append(
                {
                    "field": "unit_price",
                    "line_no": p.line_no,
                    "sku": p.product.sku,
                    "before": _dec(line.unit_price),
                    "after": _dec(p.unit_price),
                }
            )
    for p in plan.lines:
        if p.line is None:
            diff.append(
                {
                    "field": "line_added",
                    "line_no": p.line_no,
                    "sku": p.product.sku,
                    "before": None,
                    "after": f"{p.product.name} × {_dec(p.qty)} @ {_dec(p.unit_price)}",
                }
            )
    order = plan.order
    for name, value in plan.header.items():
        before = getattr(order, name)
        diff.append(
            {
                "field": name,
                "before": before.isoformat() if isinstance(before, dt.date) else (before or None),
                "after": value.isoformat() if isinstance(value, dt.date) else (value or None),
            }
        )
    if plan.address is not None:
        diff.append(
            {
                "field": "address",
                "before": f"{order.ship_region_text}{order.ship_address_detail}" or None,
                "after": plan.address.full_text,
            }
        )
    if plan.totals is not None and plan.totals.amount != order.total_amount:
        diff.append(
            {
                "field": "total_amount",
                "before": _money(order.total_amount),
                "after": _money(plan.totals.amount),
            }
        )


def preview_order_change(*, order: SalesOrder, changes: dict[str, Any]) -> dict[str, Any]:
    """What the change would do, without saving: stock, amounts, credit, the diff and any errors."""
    plan = _plan(order, changes)
    return _preview_dict(plan)


def _preview_dict(plan: ChangePlan) -> dict[str, Any]:
    order = plan.order
    difference = plan.amount_after - plan.amount_before
    limit = order.customer.credit_limit
    used = credit_used(customer=order.customer)
    counts = order.status in CREDIT_STATUSES
    return {
        "stock": plan.stock,
        "amount_before": _money(plan.amount_before),
        "amount_after": _money(plan.amount_after),
        "amount_difference": _money(difference),
        "credit": {
            "limit": None if limit is None else _money(limit),
            "used": _money(used),
            "after": _money(used + difference if counts else used),
            "exceeded": limit is not None and counts and difference > 0 and used + difference > limit,
        },
        "lines_diff": plan.diff,
        "new_lines": [
            {
                "line_no": p.line_no,
                "product_id": p.product.pk,
                "qty": _dec(p.qty),
                "shipped_qty": _dec(p.line.shipped_qty if p.line is not None else Decimal(0)),
                "reserved_qty": _dec(p.reserved + (p.qty - p.old_qty if _reserves(order) else Decimal(0))),
            }
            for p in plan.lines
        ],
        "errors": plan.errors,
    }


def order_snapshot(order: SalesOrder) -> dict[str, Any]:
    """A JSON picture of the order as it stands (for order versions)."""
    lines = list(order.lines.all().order_by("line_no"))
    return {
        "number": order.number,
        "version": order.version,
        "status": order.status,
        "requested_date": order.requested_date.isoformat() if order.requested_date else None,
        "promised_date": order.promised_date.isoformat() if order.promised_date else None,
        "address": f"{order.ship_region_text}{order.ship_address_detail}",
        "receiver": order.ship_receiver,
        "remark": order.remark,
        "total_amount": _money(order.total_amount),
        "net_amount": _money(order.net_amount),
        "tax_amount": _money(order.tax_amount),
        "lines": [
            {
                "line_no": line.line_no,
                "sku": line.sku,
                "product_name": line.product_name,
                "qty": _dec(line.qty),
                "unit_price": _dec(line.unit_price),
                "amount": _money(line.amount),
                "shipped_qty": _dec(line.shipped_qty),
            }
            for line in lines
        ],
    }


@transaction.atomic
def apply_order_change(
    *,
    order: SalesOrder,
    changes: dict[str, Any],
    by: Any,
    reason: str = "",
    change_request_number: str = "",
    expected_version: int | None = None,
) -> list[dict[str, Any]]:
    """Apply a change to a confirmed or on-hold order and return the readable diff.

    Refuses quantities below what was shipped (InvalidInput with "lines.N.qty") and changes nothing then.
    Re-reserves the stock difference per line, recomputes every amount, re-snapshots the address,
    raises the version by one and writes a "changed" event on the timeline.
    """
    locked = SalesOrder.objects.select_for_update(of=("self",)).select_related("customer").get(pk=order.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleOrder()
    if locked.status not in CHANGEABLE_STATUSES:
        raise InvalidInput.single("order", _("Only confirmed or on-hold orders can be changed."))
    plan = _plan(locked, changes)
    if plan.errors:
        raise InvalidInput(fields=plan.errors)
    if not plan.diff:
        raise InvalidInput.single("changes", _("Nothing would change."))
    reference = locked.number
    reserving = _reserves(locked)
    for p in [*plan.removed, *plan.lines]:
        target = Decimal(0) if p.removed else p.qty
        delta = target - p.old_qty
        p.reserved_after = p.reserved
        if reserving and delta > 0 and p.warehouse is not None:
            reserve_stock(product=p.product, warehouse=p.warehouse, qty=delta, reference=reference, by=by)
            p.reserved_after = p.reserved + delta
        elif reserving and delta < 0 and min(-delta, p.reserved) > 0 and p.warehouse is not None:
            amount = min(-delta, p.reserved)
            release_stock(product=p.product, warehouse=p.warehouse, qty=amount, reference=reference, by=by)
            p.reserved_after = p.reserved - amount
    for p in plan.removed:
        assert p.line is not None
        p.line.delete()
    for p in plan.lines:
        a = p.amounts
        assert a is not None
        base = calc.line_amounts(
            qty=p.qty,
            unit_price=p.unit_price,
            tax_rate=p.tax_rate,
            mode=locked.price_mode,
            discount_rate=p.discount_rate,
        )
        net_unit = a.amount / p.qty
        floor = p.product.floor_price
        values = {
            "qty": p.qty,
            "unit_price": p.unit_price,
            "price_source": p.price_source,
            "price_list_id": p.price_list_id,
            "gross_amount": a.gross_amount,
            "discount_amount": base.discount_amount,
            "order_discount_share": a.discount_amount - base.discount_amount,
            "amount": a.amount,
            "net_amount": a.net_amount,
            "tax_amount": a.tax_amount,
            "is_below_floor": floor is not None and net_unit < floor,
            "warehouse": p.warehouse,
            "reserved_qty": p.reserved_after,
        }
        if p.line is None:
            SalesOrderLine.objects.create(
                order=locked,
                line_no=p.line_no,
                product=p.product,
                sku=p.product.sku,
                product_name=p.product.name,
                spec=p.product.spec,
                unit=p.product.unit,
                tax_code=p.product.tax_code,
                list_price=p.product.list_price,
                floor_price=floor,
                discount_rate=p.discount_rate,
                tax_rate=p.tax_rate,
                **values,
            )
        else:
            for key, value in values.items():
                setattr(p.line, key, value)
            p.line.save(update_fields=list(values))
    totals = plan.totals
    assert totals is not None
    fields = [
        "version",
        "gross_amount",
        "discount_amount",
        "total_amount",
        "net_amount",
        "tax_amount",
        "updated_at",
    ]
    locked.version += 1
    locked.gross_amount, locked.discount_amount = totals.gross_amount, totals.discount_amount
    locked.total_amount, locked.net_amount, locked.tax_amount = (
        totals.amount,
        totals.net_amount,
        totals.tax_amount,
    )
    for name, value in plan.header.items():
        setattr(locked, name, value)
        fields.append(name)
    if plan.address is not None:
        address = plan.address
        locked.address = address
        locked.ship_region_code = address.region_id
        locked.ship_region_text = address.region_text
        locked.ship_address_detail = address.detail
        locked.ship_receiver = address.receiver
        locked.ship_mobile = address.mobile
        fields += [
            "address",
            "ship_region_code",
            "ship_region_text",
            "ship_address_detail",
            "ship_receiver",
            "ship_mobile",
        ]
    locked.save(update_fields=fields)
    record_order_event(
        order=locked,
        type=CHANGED_EVENT,
        by=by,
        data={
            "version": locked.version,
            "reason": reason,
            "change_request": change_request_number,
            "diff": plan.diff,
            "amount_difference": _money(totals.amount - plan.amount_before),
        },
    )
    record_audit(
        action="order.changed",
        by=by,
        obj=locked,
        data={"version": locked.version, "change_request": change_request_number, "diff": plan.diff},
    )
    # Callers hold the order object they passed in; bring it up to date.
    for name in [*fields, "address_id"]:
        if name != "address":
            setattr(order, name, getattr(locked, name))
    return plan.diff


__all__ = [
    "CHANGEABLE_STATUSES",
    "CHANGED_EVENT",
    "HEADER_FIELDS",
    "apply_order_change",
    "order_snapshot",
    "preview_order_change",
]
