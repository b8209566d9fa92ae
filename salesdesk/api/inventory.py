"""API for inventory: warehouses, stock levels, receipts, adjustments and the stock ledger (C4).

Quantities are decimal strings with the product unit's decimals ("30" 个, "2.500" 千克).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from salesdesk.inventory import selectors, services
from salesdesk.inventory.formatting import qty_str
from salesdesk.inventory.models import StockLevel, StockMove, Warehouse

from .common import clamp_page, error_responses, require_perm

router = Router(tags=["inventory"])

# Quantities: a decimal string ("2.5") or a number; anything else gets the service's Chinese message.
Loose = Any


class WarehouseIn(Schema):
    code: str | None = None
    name: str | None = None
    address: str | None = None


class WarehouseChangeIn(Schema):
    name: str | None = None
    address: str | None = None
    is_active: bool | None = None


class WarehouseOut(Schema):
    id: int
    code: str
    name: str
    address: str
    is_active: bool


class WarehouseListOut(Schema):
    items: list[WarehouseOut]
    count: int


class ReceiptLineIn(Schema):
    product: str | int | None = None
    qty: Loose = None


class ReceiptIn(Schema):
    warehouse: str | int | None = None
    lines: list[ReceiptLineIn] = []
    reference: str | None = None
    note: str | None = None


class AdjustmentIn(Schema):
    warehouse: str | int | None = None
    product: str | int | None = None
    qty_delta: Loose = None
    counted_qty: Loose = None
    reason: str | None = None


class MoveOut(Schema):
    id: int
    created_at: dt.datetime
    kind: str
    product: int
    sku: str
    warehouse: str
    qty: str
    from_reservation: bool
    on_hand_after: str
    reserved_after: str
    reference: str
    note: str
    created_by: str | None


class MoveListOut(Schema):
    items: list[MoveOut]
    count: int


class ReceiptOut(Schema):
    moves: list[MoveOut]


class StockOut(Schema):
    product: int
    sku: str
    name: str
    unit: str
    warehouse: str
    on_hand: str
    reserved: str
    available: str
    safety: str


class StockListOut(Schema):
    items: list[StockOut]
    count: int


class StockFilter(Schema):
    product: str = ""
    warehouse: str = ""
    q: str = ""
    low_only: bool = False
    limit: int = 50
    offset: int = 0


class MoveFilter(Schema):
    product: str = ""
    warehouse: str = ""
    reference: str = ""
    limit: int = 50
    offset: int = 0


def _warehouse_out(warehouse: Warehouse) -> dict[str, Any]:
    return {
        "id": warehouse.pk,
        "code": warehouse.code,
        "name": warehouse.name,
        "address": warehouse.address,
        "is_active": warehouse.is_active,
    }


def _move_out(move: StockMove) -> dict[str, Any]:
    places = move.product.unit_decimals
    return {
        "id": move.pk,
        "created_at": move.created_at,
        "kind": move.kind,
        "product": move.product_id,
        "sku": move.product.sku,
        "warehouse": move.warehouse.code,
        "qty": qty_str(move.qty, places),
        "from_reservation": move.from_reservation,
        "on_hand_after": qty_str(move.on_hand_after, places),
        "reserved_after": qty_str(move.reserved_after, places),
        "reference": move.reference,
        "note": move.note,
        "created_by": move.created_by.username if move.created_by else None,
    }


def _stock_out(level: StockLevel) -> dict[str, Any]:
    places = level.product.unit_decimals
    return {
        "product": level.product_id,
        "sku": level.product.sku,
        "name": level.product.name,
        "unit": level.product.unit,
        "warehouse": level.warehouse.code,
        "on_hand": qty_str(level.on_hand_qty, places),
        "reserved": qty_str(level.reserved_qty, places),
        "available": qty_str(level.available_qty, places),
        "safety": qty_str(level.safety_qty, places),
    }


@router.post("/warehouses", response={201: WarehouseOut, **error_responses(403, 422)})
def create_warehouse(request: HttpRequest, payload: WarehouseIn) -> Status[dict[str, Any]]:
    require_perm(request, "inventory.add_warehouse")
    warehouse = services.create_warehouse(
        by=request.user, code=payload.code or "", name=payload.name or "", address=payload.address or ""
    )
    return Status(201, _warehouse_out(warehouse))


@router.get("/warehouses", response={200: WarehouseListOut, **error_responses(403)})
def list_warehouses(
    request: HttpRequest, q: str = "", active_only: bool = False, limit: int = 50, offset: int = 0
) -> dict[str, Any]:
    require_perm(request, "inventory.view_warehouse")
    limit, offset = clamp_page(limit, offset)
    qs = selectors.list_warehouses(q=q, active_only=active_only)
    return {"items": [_warehouse_out(w) for w in qs[offset : offset + limit]], "count": qs.count()}


@router.patch("/warehouses/{warehouse_id}", response={200: WarehouseOut, **error_responses(403, 404, 422)})
def change_warehouse(request: HttpRequest, warehouse_id: int, payload: WarehouseChangeIn) -> dict[str, Any]:
    require_perm(request, "inventory.change_warehouse")
    warehouse = selectors.get_warehouse(pk=warehouse_id)
    updated = services.update_warehouse(
        by=request.user,
        warehouse=warehouse,
        name=payload.name if payload.name is not None else warehouse.name,
        address=payload.address if payload.address is not None else warehouse.address,
        is_active=payload.is_active if payload.is_active is not None else warehouse.is_active,
    )
    return _warehouse_out(updated)


@router.get("/stock", response={200: StockListOut, **error_responses(403)})
def list_stock(request: HttpRequest, filters: Query[StockFilter]) -> dict[str, Any]:
    require_perm(request, "inventory.view_stocklevel")
    limit, offset = clamp_page(filters.limit, filters.offset)
    qs = selectors.list_stock_filtered(
        product=filters.product, warehouse=filters.warehouse, q=filters.q, low_only=filters.low_only
    )
    return {"items": [_stock_out(level) for level in qs[offset : offset + limit]], "count": qs.count()}


@router.post("/stock/receipts", response={201: ReceiptOut, **error_responses(403, 422)})
def create_receipt(request: HttpRequest, payload: ReceiptIn) -> Status[dict[str, Any]]:
    require_perm(request, "inventory.add_stockmove")
    moves = services.receive_stock(
        by=request.user,
        warehouse=payload.warehouse if payload.warehouse is not None else "",
        lines=[{"product": line.product, "qty": line.qty} for line in payload.lines],
        reference=payload.reference or "",
        note=payload.note or "",
    )
    return Status(201, {"moves": [_move_out(m) for m in moves]})


@router.post("/stock/adjustments", response={201: MoveOut, **error_responses(403, 422)})
def create_adjustment(request: HttpRequest, payload: AdjustmentIn) -> Status[dict[str, Any]]:
    require_perm(request, "inventory.adjust_stock")
    move = services.adjust_stock(
        by=request.user,
        warehouse=payload.warehouse if payload.warehouse is not None else "",
        product=payload.product if payload.product is not None else "",
        qty_delta=payload.qty_delta,
        counted_qty=payload.counted_qty,
        reason=payload.reason or "",
    )
    return Status(201, _move_out(move))


@router.get("/stock/moves", response={200: MoveListOut, **error_responses(403)})
def list_moves(request: HttpRequest, filters: Query[MoveFilter]) -> dict[str, Any]:
    require_perm(request, "inventory.view_stocklevel")
    limit, offset = clamp_page(filters.limit, filters.offset)
    qs = selectors.list_moves_filtered(
        product=filters.product, warehouse=filters.warehouse, reference=filters.reference
    )
    return {"items": [_move_out(m) for m in qs[offset : offset + limit]], "count": qs.count()}
