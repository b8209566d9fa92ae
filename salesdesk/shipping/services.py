"""Every write of shipping: shipments (issue of stock, facts pushed to the order), tracking, sign-off.

A shipment leaves from one warehouse and may carry part of an order; what is left stays on the order
as a backorder. Posting a shipment, in one transaction: turn the line's reservation into an issue (a
release of the order's reservation plus an issue under the shipment number, so the ledger shows both
documents) or issue from free stock, then tell the order through ``orders.shipping_facts``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from salesdesk.core.audit import record_audit
from salesdesk.core.errors import InvalidInput
from salesdesk.core.numbering import next_number
from salesdesk.inventory import services as inventory
from salesdesk.inventory.errors import InsufficientStock
from salesdesk.inventory.formatting import qty_str
from salesdesk.inventory.models import Warehouse
from salesdesk.orders.choices import Status as OrderStatus
from salesdesk.orders.models import SalesOrder, SalesOrderLine
from salesdesk.orders.shipping_facts import OrderNotShippable, record_delivery, record_shipment

from .carriers import normalize_carrier, normalize_tracking_number, suggest_carrier
from .errors import ShipmentNotEditable, ShipmentNotSignable, ShipmentNotTrackable
from .models import Shipment, ShipmentLine, ShipmentStatus, TrackingEvent

NUMBER_PREFIX = "FHD"
SHIPPED_STATES = (ShipmentStatus.SHIPPED, ShipmentStatus.IN_TRANSIT)
IMPORT_COLUMNS = {
    "运单号": "tracking_number",
    "时间": "occurred_at",
    "地点": "location",
    "描述": "description",
}
MAX_IMPORT_ROWS = 5000


def reservation_reference(order: SalesOrder) -> str:
    """The reference under which the order's reservations are held in the stock ledger."""
    return order.number


# --- creating and posting shipments -----------------------------------------------------------------


def _resolve_line(order: SalesOrder, lines_by_id: dict[int, SalesOrderLine], raw: Mapping[str, Any]) -> Any:
    value = raw.get("order_line")
    if isinstance(value, SalesOrderLine):
        return lines_by_id.get(value.pk)
    if value is not None and value != "":
        try:
            return lines_by_id.get(int(value))
        except (TypeError, ValueError):
            return None
    line_no = raw.get("line_no")
    if line_no is not None and line_no != "":
        try:
            number = int(line_no)
        except (TypeError, ValueError):
            return None
        return next((line for line in lines_by_id.values() if line.line_no == number), None)
    return None


def _clean_lines(
    order: SalesOrder, lines: Iterable[Mapping[str, Any]]
) -> list[tuple[int, SalesOrderLine, Decimal]]:
    """(index, order line, qty) for every entry with a quantity; blank or zero quantities are skipped."""
    lines_by_id = {line.pk: line for line in order.lines.select_related("product").all()}
    errors: dict[str, list[str]] = {}
    cleaned: list[tuple[int, SalesOrderLine, Decimal]] = []
    seen: set[int] = set()
    for index, raw in enumerate(lines):
        qty_raw = raw.get("qty")
        if qty_raw is None or str(qty_raw).strip() in ("", "0"):
            continue
        line = _resolve_line(order, lines_by_id, raw)
        if line is None:
            errors[f"lines.{index}.order_line"] = [_("Choose a line of this order.")]
            continue
        if line.pk in seen:
            errors[f"lines.{index}.order_line"] = [_("This line is listed twice.")]
            continue
        seen.add(line.pk)
        try:
            qty = inventory.clean_qty(line.product, qty_raw, f"lines.{index}.qty", allow_zero=True)
        except InvalidInput as exc:
            errors.update(exc.fields)
            continue
        if qty == 0:
            continue
        remaining = line.qty - line.shipped_qty
        if qty > remaining:
            errors[f"lines.{index}.qty"] = [
                _("Only %(remaining)s %(unit)s of line %(line)s are left to ship.")
                % {
                    "remaining": qty_str(remaining, line.product.unit_decimals),
                    "unit": line.unit,
                    "line": line.line_no,
                }
            ]
            continue
        cleaned.append((index, line, qty))
    if errors:
        raise InvalidInput(fields=errors)
    if not cleaned:
        raise InvalidInput(fields={"lines": [_("Enter a quantity for at least one line.")]})
    return cleaned


def _clean_warehouse(warehouse: Any) -> Warehouse:
    resolved = inventory.resolve_warehouse(warehouse, "warehouse")
    if not resolved.is_active:
        raise InvalidInput.single("warehouse", _("This warehouse is inactive."))
    return resolved


def _ensure_shippable(order: SalesOrder) -> None:
    if order.status != OrderStatus.CONFIRMED:
        raise OrderNotShippable()


@transaction.atomic
def create_shipment(
    *,
    order: SalesOrder,
    warehouse: Warehouse | str | int | None,
    lines: list[dict[str, Any]],
    carrier: str = "",
    tracking_number: str = "",
    by: Any,
    draft: bool = False,
) -> Shipment:
    """Ship some or all of a confirmed order's remaining quantities from one warehouse (发货单).

    Lines are ``{"order_line": line or id (or "line_no"), "qty": ...}``; blank quantities are skipped
    and what is not shipped stays as a backorder. Without a carrier, the one suggested by the tracking
    number is taken. ``draft=True`` saves the shipment without touching stock or the order.
    """
    order = SalesOrder.objects.select_for_update().get(pk=order.pk)
    _ensure_shippable(order)
    errors: dict[str, list[str]] = {}
    wh: Warehouse | None = None
    try:
        wh = _clean_warehouse(warehouse)
    except InvalidInput as exc:
        errors.update(exc.fields)
    try:
        number_text = normalize_tracking_number(tracking_number)
    except InvalidInput as exc:
        errors.update(exc.fields)
        number_text = ""
    try:
        cleaned = _clean_lines(order, lines)
    except InvalidInput as exc:
        errors.update(exc.fields)
    if errors or wh is None:
        raise InvalidInput(fields=errors)
    carrier_code = normalize_carrier(carrier)
    if not carrier_code and number_text:
        suggestions = suggest_carrier(number_text)
        carrier_code = suggestions[0][0] if suggestions else ""
    shipment = Shipment.objects.create(
        number=next_number(NUMBER_PREFIX),
        order=order,
        warehouse=wh,
        status=ShipmentStatus.DRAFT,
        carrier=carrier_code,
        tracking_number=number_text,
        ship_to=" ".join(p for p in (order.ship_region_text, order.ship_address_detail) if p)[:300],
        receiver=order.ship_receiver,
        receiver_mobile=order.ship_mobile,
        created_by=by,
    )
    ShipmentLine.objects.bulk_create(
        [ShipmentLine(shipment=shipment, order_line=line, qty=qty) for _i, line, qty in cleaned]
    )
    record_audit(
        action="shipment.create",
        by=by,
        obj=shipment,
        data={"order": order.number, "warehouse": wh.code, "lines": len(cleaned), "draft": draft},
    )
    if not draft:
        _post(shipment, order, cleaned, by)
    return shipment


def _post(
    shipment: Shipment, order: SalesOrder, cleaned: list[tuple[int, SalesOrderLine, Decimal]], by: Any
) -> None:
    """Issue the stock line by line (reservation first, then free stock) and record it on the order."""
    reference = reservation_reference(order)
    warehouse = shipment.warehouse
    pools: dict[int, Decimal] = {}
    errors: dict[str, list[str]] = {}
    issued_from_reservation: dict[int, Decimal] = {}
    for index, line, qty in cleaned:
        product = line.product
        from_reservation = Decimal(0)
        if line.warehouse_id == warehouse.pk and line.reserved_qty > 0:
            if product.pk not in pools:
                pools[product.pk] = inventory.reserved_for_reference(
                    product=product, warehouse=warehouse, reference=reference
                )
            from_reservation = min(qty, line.reserved_qty, max(pools[product.pk], Decimal(0)))
        try:
            with transaction.atomic():
                if from_reservation > 0:
                    inventory.release_stock(
                        product=product, warehouse=warehouse, qty=from_reservation, reference=reference, by=by
                    )
                inventory.issue_stock(
                    product=product,
                    warehouse=warehouse,
                    qty=qty,
                    reference=shipment.number,
                    by=by,
                    from_reservation=False,
                )
        except InsufficientStock as exc:
            errors[f"lines.{index}.qty"] = [
                _("Only %(available)s %(unit)s of %(sku)s can be shipped from %(warehouse)s.")
                % {
                    "available": qty_str(exc.available, product.unit_decimals),
                    "unit": line.unit,
                    "sku": line.sku,
                    "warehouse": warehouse.name,
                }
            ]
            continue
        if from_reservation > 0:
            pools[product.pk] -= from_reservation
        issued_from_reservation[line.pk] = from_reservation
    if errors:
        raise InvalidInput(fields=errors)
    record_shipment(
        order=order,
        quantities={line.pk: qty for _i, line, qty in cleaned},
        by=by,
        reference=shipment.number,
        from_reservation=issued_from_reservation,
    )
    shipment.status = ShipmentStatus.SHIPPED
    shipment.shipped_at = timezone.now()
    shipment.shipped_by = by if getattr(by, "pk", None) else None
    shipment.save(update_fields=["status", "shipped_at", "shipped_by"])
    record_audit(action="shipment.post", by=by, obj=shipment, data={"order": order.number})


@transaction.atomic
def post_shipment(*, shipment: Shipment, by: Any) -> Shipment:
    """Ship a draft shipment: issue its stock and record the quantities on the order."""
    shipment = Shipment.objects.select_for_update().select_related("warehouse").get(pk=shipment.pk)
    if shipment.status != ShipmentStatus.DRAFT:
        raise ShipmentNotEditable()
    order = SalesOrder.objects.select_for_update().get(pk=shipment.order_id)
    _ensure_shippable(order)
    rows = list(shipment.lines.select_related("order_line__product").order_by("id"))
    cleaned = _clean_lines(order, [{"order_line": row.order_line_id, "qty": row.qty} for row in rows])
    _post(shipment, order, cleaned, by)
    return shipment


@transaction.atomic
def cancel_shipment(*, shipment: Shipment, by: Any, reason: str = "") -> Shipment:
    """Cancel a draft shipment (a shipped one is reversed by a return, not cancelled)."""
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    if shipment.status != ShipmentStatus.DRAFT:
        raise ShipmentNotEditable()
    shipment.status = ShipmentStatus.CANCELLED
    shipment.save(update_fields=["status"])
    record_audit(action="shipment.cancel", by=by, obj=shipment, data={"reason": str(reason or "")[:200]})
    return shipment


# --- tracking --------------------------------------------------------------------------------------


def _as_moment(value: Any, field_name: str) -> dt.datetime:
    moment: dt.datetime | None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    else:
        text = str(value or "").strip().replace("/", "-")
        try:
            moment = parse_datetime(text) or (
                dt.datetime.combine(dt.date.fromisoformat(text), dt.time()) if text else None
            )
        except ValueError:
            moment = None
    if moment is None:
        raise InvalidInput.single(field_name, _("Enter a date and time such as 2026-11-22 14:30."))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if moment > timezone.now() + dt.timedelta(minutes=10):
        raise InvalidInput.single(field_name, _("The time lies in the future."))
    return moment


@transaction.atomic
def add_tracking_event(
    *,
    shipment: Shipment,
    occurred_at: Any,
    description: Any,
    location: Any = "",
    source: str = "api",
    by: Any = None,
) -> tuple[TrackingEvent, bool]:
    """Add a carrier event; the same (time, description) again returns the existing one (created=False).

    An event such as "已签收" does not sign the shipment off: sign-off is explicit (``sign_shipment``).
    """
    errors: dict[str, list[str]] = {}
    text = str(description or "").strip()
    if not text:
        errors["description"] = [_("Enter what happened.")]
    elif len(text) > 300:
        errors["description"] = [_("Use at most 300 characters.")]
    place = str(location or "").strip()
    if len(place) > 100:
        errors["location"] = [_("Use at most 100 characters.")]
    moment: dt.datetime | None = None
    try:
        moment = _as_moment(occurred_at, "occurred_at")
    except InvalidInput as exc:
        errors.update(exc.fields)
    if errors or moment is None:
        raise InvalidInput(fields=errors)
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    if shipment.status not in (*SHIPPED_STATES, ShipmentStatus.DELIVERED):
        raise ShipmentNotTrackable()
    event, created = TrackingEvent.objects.get_or_create(
        shipment=shipment,
        occurred_at=moment,
        description=text,
        defaults={"location": place, "source": source[:20]},
    )
    if created and shipment.status == ShipmentStatus.SHIPPED:
        shipment.status = ShipmentStatus.IN_TRANSIT
        shipment.save(update_fields=["status"])
    if created:
        record_audit(
            action="shipment.tracking", by=by, obj=shipment, data={"description": text, "source": source}
        )
    return event, created


@dataclass
class ImportReport:
    """What a tracking import did: counts, and the rows it could not take with the reasons."""

    created: int = 0
    duplicates: int = 0
    rows: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "duplicates": self.duplicates,
            "errors": self.errors,
        }


def _cell(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def import_tracking_events(*, file: IO[bytes] | Any, by: Any) -> ImportReport:
    """Import carrier events from an Excel sheet with the columns 运单号 / 时间 / 地点 / 描述.

    Each good row is saved on its own (a bad row does not stop the others); unknown tracking numbers
    and bad rows are reported with their row number as in Excel.
    """
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except (InvalidFileException, OSError, KeyError, ValueError) as exc:
        raise InvalidInput.single("file", _("This is not an Excel (.xlsx) file.")) from exc
    sheet = workbook.active
    rows = sheet.iter_rows(values_only=True) if sheet is not None else iter(())
    header = next(rows, None) or ()
    columns = {
        IMPORT_COLUMNS[str(name).strip()]: i
        for i, name in enumerate(header)
        if str(name).strip() in IMPORT_COLUMNS
    }
    missing = [name for name, key in IMPORT_COLUMNS.items() if key != "location" and key not in columns]
    if missing:
        raise InvalidInput.single(
            "file", _("The first row must name the columns: %(columns)s.") % {"columns": "、".join(missing)}
        )
    report = ImportReport()
    for row_no, values in enumerate(rows, start=2):
        if row_no - 1 > MAX_IMPORT_ROWS:
            report.errors.append(
                {"row": row_no, "errors": [_("Too many rows; import at most 5000 at once.")]}
            )
            break
        data = {key: _cell(values[i]) if i < len(values) else None for key, i in columns.items()}
        if all(v in (None, "") for v in data.values()):
            continue
        report.rows += 1
        _import_row(report, row_no, data, by)
    workbook.close()
    return report


def _import_row(report: ImportReport, row_no: int, data: dict[str, Any], by: Any) -> None:
    try:
        number = normalize_tracking_number(data.get("tracking_number"))
    except InvalidInput as exc:
        report.errors.append({"row": row_no, "errors": [m for msgs in exc.fields.values() for m in msgs]})
        return
    if not number:
        report.errors.append({"row": row_no, "errors": [_("Enter the tracking number.")]})
        return
    shipment = (
        Shipment.objects.filter(tracking_number=number)
        .filter(Q(status__in=SHIPPED_STATES) | Q(status=ShipmentStatus.DELIVERED))
        .order_by("-id")
        .first()
    )
    if shipment is None:
        report.errors.append(
            {
                "row": row_no,
                "errors": [_("No shipment has the tracking number %(number)s.") % {"number": number}],
            }
        )
        return
    try:
        _event, created = add_tracking_event(
            shipment=shipment,
            occurred_at=data.get("occurred_at"),
            description=data.get("description"),
            location=data.get("location") or "",
            source="import",
            by=by,
        )
    except InvalidInput as exc:
        report.errors.append({"row": row_no, "errors": [m for msgs in exc.fields.values() for m in msgs]})
        return
    if created:
        report.created += 1
    else:
        report.duplicates += 1


# --- sign-off --------------------------------------------------------------------------------------


@transaction.atomic
def sign_shipment(
    *, shipment: Shipment, signed_by_name: Any, signed_at: Any = None, note: Any = "", by: Any
) -> Shipment:
    """Record who signed for the goods and when (签收); the order is delivered when all are signed."""
    errors: dict[str, list[str]] = {}
    name = str(signed_by_name or "").strip()
    if not name:
        errors["signed_by_name"] = [_("Enter who signed for the goods.")]
    elif len(name) > 50:
        errors["signed_by_name"] = [_("Use at most 50 characters.")]
    text = str(note or "").strip()
    if len(text) > 200:
        errors["note"] = [_("Use at most 200 characters.")]
    moment = timezone.now()
    if signed_at not in (None, ""):
        try:
            moment = _as_moment(signed_at, "signed_at")
        except InvalidInput as exc:
            errors.update(exc.fields)
    if errors:
        raise InvalidInput(fields=errors)
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    if shipment.status not in SHIPPED_STATES:
        raise ShipmentNotSignable()
    if shipment.shipped_at and moment < shipment.shipped_at - dt.timedelta(minutes=1):
        raise InvalidInput.single("signed_at", _("The goods cannot be signed for before they were shipped."))
    shipment.status = ShipmentStatus.DELIVERED
    shipment.signed_by_name, shipment.signed_at, shipment.sign_note = name, moment, text
    shipment.save(update_fields=["status", "signed_by_name", "signed_at", "sign_note"])
    record_audit(action="shipment.sign", by=by, obj=shipment, data={"signed_by": name})
    others = Shipment.objects.filter(order_id=shipment.order_id).exclude(
        status__in=(ShipmentStatus.CANCELLED, ShipmentStatus.DRAFT)
    )
    all_signed = not others.exclude(status=ShipmentStatus.DELIVERED).exists()
    order = SalesOrder.objects.get(pk=shipment.order_id)
    record_delivery(order=order, all_signed=all_signed, by=by, reference=shipment.number)
    return shipment
