"""API for shipping (C10): shipments, tracking events (one by one or from Excel), sign-off, carriers.

Quantities are decimal strings with the product unit's decimals ("3", "2.500").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from salesdesk.inventory.formatting import qty_str
from salesdesk.orders import selectors as order_selectors
from salesdesk.shipping import selectors, services
from salesdesk.shipping.carriers import carrier_name, suggest_carrier
from salesdesk.shipping.models import Shipment, TrackingEvent

from .common import clamp_page, error_responses, require_perm

router = Router(tags=["shipping"])

Loose = Any


class ShipmentLineIn(Schema):
    order_line: int | str | None = None
    line_no: int | str | None = None
    qty: Loose = None


class ShipmentIn(Schema):
    order: int | str | None = None
    warehouse: int | str | None = None
    lines: list[ShipmentLineIn] = []
    carrier: str | None = None
    tracking_number: str | None = None


class CarrierOut(Schema):
    code: str
    name: str


class ShipmentLineOut(Schema):
    order_line: int
    line_no: int
    sku: str
    name: str
    unit: str
    qty: str


class TrackingEventOut(Schema):
    id: int
    occurred_at: dt.datetime
    location: str
    description: str
    source: str


class ShipmentOut(Schema):
    id: int
    number: str
    order: int
    order_number: str
    warehouse: str
    status: str
    status_label: str
    carrier: str
    carrier_name: str
    tracking_number: str
    suggested_carriers: list[CarrierOut]
    ship_to: str
    receiver: str
    shipped_at: dt.datetime | None
    signed_by_name: str
    signed_at: dt.datetime | None
    lines: list[ShipmentLineOut]
    tracking_events: list[TrackingEventOut]


class ShipmentRowOut(Schema):
    id: int
    number: str
    order: int
    order_number: str
    customer_name: str
    warehouse: str
    status: str
    carrier: str
    tracking_number: str
    shipped_at: dt.datetime | None
    signed_at: dt.datetime | None


class ShipmentListOut(Schema):
    items: list[ShipmentRowOut]
    count: int


class TrackingEventIn(Schema):
    occurred_at: str | None = None
    description: str | None = None
    location: str | None = None


class TrackingEventCreatedOut(TrackingEventOut):
    created: bool


class SignIn(Schema):
    signed_by_name: str | None = None
    signed_at: str | None = None
    note: str | None = None


class ImportErrorOut(Schema):
    row: int
    errors: list[str]


class ImportReportOut(Schema):
    rows: int
    created: int
    duplicates: int
    errors: list[ImportErrorOut]


class SuggestOut(Schema):
    number: str
    carriers: list[CarrierOut]
    warning: str


def _carriers(number: str) -> list[dict[str, str]]:
    return [{"code": code, "name": name} for code, name in suggest_carrier(number)]


def _event_out(event: TrackingEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "occurred_at": event.occurred_at,
        "location": event.location,
        "description": event.description,
        "source": event.source,
    }


def _shipment_out(shipment: Shipment, user: Any) -> dict[str, Any]:
    return {
        "id": shipment.pk,
        "number": shipment.number,
        "order": shipment.order_id,
        "order_number": shipment.order.number,
        "warehouse": shipment.warehouse.code,
        "status": shipment.status,
        "status_label": shipment.get_status_display(),
        "carrier": shipment.carrier,
        "carrier_name": carrier_name(shipment.carrier),
        "tracking_number": shipment.tracking_number,
        "suggested_carriers": _carriers(shipment.tracking_number),
        **selectors.receiver_view(user=user, shipment=shipment),
        "shipped_at": shipment.shipped_at,
        "signed_by_name": shipment.signed_by_name,
        "signed_at": shipment.signed_at,
        "lines": [
            {
                "order_line": row.order_line_id,
                "line_no": row.order_line.line_no,
                "sku": row.order_line.sku,
                "name": row.order_line.product_name,
                "unit": row.order_line.unit,
                "qty": qty_str(row.qty, row.order_line.product.unit_decimals),
            }
            for row in shipment.lines.all()
        ],
        "tracking_events": [_event_out(e) for e in shipment.tracking_events.all()],
    }


def _row_out(shipment: Shipment) -> dict[str, Any]:
    return {
        "id": shipment.pk,
        "number": shipment.number,
        "order": shipment.order_id,
        "order_number": shipment.order.number,
        "customer_name": shipment.order.customer_name,
        "warehouse": shipment.warehouse.code,
        "status": shipment.status,
        "carrier": shipment.carrier,
        "tracking_number": shipment.tracking_number,
        "shipped_at": shipment.shipped_at,
        "signed_at": shipment.signed_at,
    }


@router.post("/shipments", response={201: ShipmentOut, **error_responses(403, 404, 409, 422)})
def create_shipment(request: HttpRequest, payload: ShipmentIn) -> Status[dict[str, Any]]:
    require_perm(request, "shipping.add_shipment")
    order = order_selectors.get_order(user=request.user, pk=payload.order)
    shipment = services.create_shipment(
        order=order,
        warehouse=payload.warehouse,
        lines=[line.dict() for line in payload.lines],
        carrier=payload.carrier or "",
        tracking_number=payload.tracking_number or "",
        by=request.user,
    )
    return Status(201, _shipment_out(selectors.get_shipment(user=request.user, pk=shipment.pk), request.user))


@router.get("/shipments", response={200: ShipmentListOut, **error_responses(403)})
def list_shipments(
    request: HttpRequest, q: str = "", order: str = "", status: str = "", limit: int = 50, offset: int = 0
) -> dict[str, Any]:
    require_perm(request, "shipping.view_shipment")
    limit, offset = clamp_page(limit, offset)
    qs = selectors.list_shipments(user=request.user, q=q, status=status, order=order or None)
    return {"items": [_row_out(s) for s in qs[offset : offset + limit]], "count": qs.count()}


@router.post("/shipments/tracking-import", response={200: ImportReportOut, **error_responses(403, 422)})
def import_tracking(request: HttpRequest, file: File[UploadedFile]) -> dict[str, Any]:
    require_perm(request, "shipping.add_trackingevent")
    return services.import_tracking_events(file=file, by=request.user).as_dict()


@router.get("/shipments/{shipment_id}", response={200: ShipmentOut, **error_responses(403, 404)})
def get_shipment(request: HttpRequest, shipment_id: int) -> dict[str, Any]:
    require_perm(request, "shipping.view_shipment")
    return _shipment_out(selectors.get_shipment(user=request.user, pk=shipment_id), request.user)


@router.post(
    "/shipments/{shipment_id}/tracking-events",
    response={
        200: TrackingEventCreatedOut,
        201: TrackingEventCreatedOut,
        **error_responses(403, 404, 409, 422),
    },
)
def add_tracking_event(
    request: HttpRequest, shipment_id: int, payload: TrackingEventIn
) -> Status[dict[str, Any]]:
    require_perm(request, "shipping.add_trackingevent")
    shipment = selectors.get_shipment(user=request.user, pk=shipment_id)
    event, created = services.add_tracking_event(
        shipment=shipment,
        occurred_at=payload.occurred_at,
        description=payload.description,
        location=payload.location or "",
        source="api",
        by=request.user,
    )
    return Status(201 if created else 200, {**_event_out(event), "created": created})


@router.post(
    "/shipments/{shipment_id}/sign", response={200: ShipmentOut, **error_responses(403, 404, 409, 422)}
)
def sign_shipment(request: HttpRequest, shipment_id: int, payload: SignIn) -> dict[str, Any]:
    require_perm(request, "shipping.change_shipment")
    shipment = selectors.get_shipment(user=request.user, pk=shipment_id)
    services.sign_shipment(
        shipment=shipment,
        signed_by_name=payload.signed_by_name,
        signed_at=payload.signed_at,
        note=payload.note or "",
        by=request.user,
    )
    return _shipment_out(selectors.get_shipment(user=request.user, pk=shipment_id), request.user)


@router.get("/carriers/suggest", response={200: SuggestOut})
def suggest(request: HttpRequest, number: str = "") -> dict[str, Any]:
    carriers = _carriers(number)
    warning = (
        ""
        if carriers or not number.strip()
        else _("No carrier recognises this number; it is kept as entered.")
    )
    return {"number": number.strip().upper(), "carriers": carriers, "warning": warning}
