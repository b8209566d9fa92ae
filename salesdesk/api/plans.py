"""API for plans, steps, the work queue, capacity and promise dates (issue 4)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext
from ninja import Router, Schema

from salesdesk.api.common import error_responses, require_perm
from salesdesk.catalog.models import Product
from salesdesk.core.errors import InvalidInput
from salesdesk.core.validators import parse_decimal
from salesdesk.fulfillment import capacity, plans, selectors

router = Router(tags=["plans"])


class StepOut(Schema):
    id: int
    order_id: int
    order_number: str
    seq: int
    code: str
    name: str
    department: str
    owner: str | None
    owner_id: int | None
    status: str
    planned_start: dt.date
    planned_due: dt.date
    actual_start: dt.datetime | None
    actual_finish: dt.datetime | None
    load: str
    blocked_reason: str
    progress: int


class PlanOut(Schema):
    order_id: int
    planned_finish: dt.date | None
    done: int
    total: int
    percent: int
    steps: list[StepOut]


class StepActionIn(Schema):
    reason: str | None = None
    owner: str | None = None
    planned_start: str | None = None
    planned_due: str | None = None
    progress: int | str | None = None
    note: str | None = None


class CapacityDayOut(Schema):
    day: dt.date
    is_workday: bool
    capacity: str | None
    load: str
    free: str | None
    over: bool


class CapacityIn(Schema):
    per_day: str
    unit: str | None = None


class CapacityOut(Schema):
    department: str
    per_day: str
    unit: str


class PromiseLineIn(Schema):
    product: str
    qty: str


class PromiseIn(Schema):
    lines: list[PromiseLineIn]
    requested_date: dt.date | None = None
    order_type: str = "standard"


class PromiseOut(Schema):
    promise_date: dt.date
    feasible: bool
    stock_ok: bool
    reasons: list[str]


def _step(s: Any) -> dict[str, Any]:
    return {
        "id": s.pk,
        "order_id": s.order_id,
        "order_number": s.order.number,
        "seq": s.seq,
        "code": s.code,
        "name": s.name,
        "department": s.department.code,
        "owner": str(s.owner) if s.owner else None,
        "owner_id": s.owner_id,
        "status": s.status,
        "planned_start": s.planned_start,
        "planned_due": s.planned_due,
        "actual_start": s.actual_start,
        "actual_finish": s.actual_finish,
        "load": str(s.load),
        "blocked_reason": s.blocked_reason,
        "progress": s.progress,
    }


@router.get("/orders/{order_id}/plan", response={200: PlanOut, **error_responses(403, 404)})
def get_plan(request: HttpRequest, order_id: int) -> Any:
    require_perm(request, "fulfillment.view_planstep")
    ctx = selectors.order_plan_context(
        selectors.get_scoped_order(user=request.user, pk=order_id), request.user
    )
    return {
        "order_id": order_id,
        "planned_finish": ctx["plan"].planned_finish if ctx["plan"] else None,
        "done": ctx["plan_done"],
        "total": ctx["plan_total"],
        "percent": ctx["plan_percent"],
        "steps": [_step(row["step"]) for row in ctx["plan_steps"]],
    }


ACTIONS = {"start", "finish", "block", "unblock", "reassign", "redate", "progress"}


@router.post("/plan-steps/{step_id}/{action}", response={200: StepOut, **error_responses(403, 404, 409, 422)})
def step_action(request: HttpRequest, step_id: int, action: str, payload: StepActionIn | None = None) -> Any:
    require_perm(request, "fulfillment.view_planstep")
    body = payload or StepActionIn()
    step = selectors.get_step(user=request.user, pk=step_id)
    if action not in ACTIONS:
        raise InvalidInput.single("action", "start|finish|block|unblock|reassign|redate|progress")
    by = request.user
    if action == "start":
        step = plans.start_step(step=step, by=by)
    elif action == "finish":
        step = plans.finish_step(step=step, by=by)
    elif action == "block":
        step = plans.block_step(step=step, by=by, reason=body.reason or "")
    elif action == "unblock":
        step = plans.unblock_step(step=step, by=by)
    elif action == "reassign":
        step = plans.reassign_step(step=step, by=by, owner=body.owner)
    elif action == "progress":
        step = plans.report_progress(step=step, by=by, progress=body.progress, note=body.note or "")
    else:
        step = plans.redate_step(
            step=step, by=by, planned_start=body.planned_start, planned_due=body.planned_due
        )
    return _step(step)


@router.get("/plan-steps", response={200: list[StepOut], **error_responses(403, 404)})
def queue(request: HttpRequest, mine: int = 0, department: str = "", limit: int = 100) -> Any:
    require_perm(request, "fulfillment.view_planstep")
    rows = selectors.steps_filter(request.user, mine=bool(mine), department=department or None)
    return [_step(s) for s in rows[: max(1, min(limit, 500))]]


def _two(value: Any) -> str:
    """Capacity figures with two decimals, the same on SQLite and PostgreSQL."""
    return str(Decimal(str(value)).quantize(Decimal("0.01")))


@router.get("/capacity", response={200: list[CapacityDayOut], **error_responses(403, 404, 422)})
def get_capacity(request: HttpRequest, department: str, date_from: dt.date, date_to: dt.date) -> Any:
    require_perm(request, "fulfillment.view_capacity")
    rows = capacity.department_load(
        department=selectors.get_department(code=department), date_from=date_from, date_to=date_to
    )
    return [
        {
            **r,
            "capacity": None if r["capacity"] is None else _two(r["capacity"]),
            "load": _two(r["load"]),
            "free": None if r["free"] is None else _two(r["free"]),
        }
        for r in rows
    ]


@router.put("/capacity/{department_code}", response={200: CapacityOut, **error_responses(403, 404, 422)})
def put_capacity(request: HttpRequest, department_code: str, payload: CapacityIn) -> Any:
    row = capacity.set_capacity(
        department=selectors.get_department(code=department_code),
        per_day=payload.per_day,
        unit=payload.unit,
        by=request.user,
    )
    return {"department": row.department.code, "per_day": str(row.per_day), "unit": row.unit}


@router.post("/promise-date", response={200: PromiseOut, **error_responses(403, 422)})
def post_promise(request: HttpRequest, payload: PromiseIn) -> Any:
    require_perm(request, "orders.view_salesorder")
    products = {p.sku: p for p in Product.objects.filter(sku__in=[line.product for line in payload.lines])}
    by_pk = {
        str(p.pk): p
        for p in Product.objects.filter(pk__in=[x.product for x in payload.lines if x.product.isdecimal()])
    }
    lines = []
    for i, line in enumerate(payload.lines):
        product = products.get(line.product) or by_pk.get(line.product)
        if product is None:
            raise InvalidInput.single(f"lines.{i}.product", gettext("Product not found."))
        try:
            qty = parse_decimal(line.qty, places=6, minimum=Decimal("0.000001"))
        except ValidationError as exc:
            raise InvalidInput.single(f"lines.{i}.qty", exc.messages[0]) from None
        lines.append((product, qty))
    result = capacity.promise_date(
        lines=lines, requested_date=payload.requested_date, order_type=payload.order_type
    )
    return {
        "promise_date": result.date,
        "feasible": result.feasible_by_requested,
        "stock_ok": result.stock_ok,
        "reasons": result.reasons,
    }
