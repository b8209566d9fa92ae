"""Pages for plans (issue 4): the work queue, department capacity, an order's plan, the promise date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from salesdesk.catalog import selectors as catalog
from salesdesk.catalog.errors import ProductNotFound
from salesdesk.core.errors import DomainError, InvalidInput, NotFound
from salesdesk.core.numbering import business_date
from salesdesk.fulfillment import capacity, plans, selectors
from salesdesk.fulfillment.calendar import CalendarNotCovered, WorkCalendar
from salesdesk.fulfillment.models import PlanStep
from salesdesk.fulfillment.models.plans import StepStatus
from salesdesk.orders.choices import BEHAVIOUR, OrderType

QUEUE_LIMIT = 200
WEEKS = 4
STEP_ACTIONS = ("start", "finish", "block", "unblock", "reassign", "redate", "progress")


# --- work queue ----------------------------------------------------------------------------------


def _row(step: PlanStep, today: dt.date, cal: WorkCalendar | None = None, **extra: Any) -> dict[str, Any]:
    open_ = step.status in capacity.OPEN_STATUSES
    percent, estimated = selectors.shown_progress(
        step, today=today, cal=cal or WorkCalendar(fallback_weekdays=True)
    )
    return {
        "step": step,
        "overdue": open_ and step.planned_due < today,
        "due_today": open_ and step.planned_due == today,
        "progress": percent,
        "estimated": estimated,
        "can_report": step.status in (StepStatus.IN_PROGRESS, StepStatus.BLOCKED),
        "errors": {},
        "error": "",
        "reason": "",
        "progress_input": "",
        **extra,
    }


@login_required
@permission_required("fulfillment.view_planstep", raise_exception=True)
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """我的任务 / 部门任务, due soonest first; planners and managers may pick the department."""
    user: Any = request.user
    tab = "department" if request.GET.get("tab") == "department" else "mine"
    can_pick = user.has_perm("fulfillment.reassign_planstep")
    departments = list(selectors.list_departments()) if can_pick else []
    department = None
    if tab == "department":
        code = request.GET.get("department", "").strip().upper() if can_pick else ""
        department = next((d for d in departments if d.code == code), None) or user.department
    steps = selectors.my_steps(user) if tab == "mine" else selectors.department_steps(department, user)
    today = business_date()
    cal = WorkCalendar(fallback_weekdays=True)
    rows = [_row(s, today, cal) for s in steps[:QUEUE_LIMIT]]
    return render(
        request,
        "plans/queue.html",
        {
            "tab": tab,
            "rows": rows,
            "department": department,
            "departments": departments,
            "can_pick": can_pick,
            "can_act": user.has_perm("fulfillment.change_planstep"),
            "limit": QUEUE_LIMIT,
            "today": today,
            "dept_query": urlencode({"tab": "department"}),
        },
    )


def _run_step_action(step: PlanStep, action: str, by: Any, data: Any) -> PlanStep:
    calls: dict[str, Callable[[], PlanStep]] = {
        "start": lambda: plans.start_step(step=step, by=by),
        "finish": lambda: plans.finish_step(step=step, by=by),
        "block": lambda: plans.block_step(step=step, by=by, reason=data.get("reason", "")),
        "unblock": lambda: plans.unblock_step(step=step, by=by),
        "reassign": lambda: plans.reassign_step(step=step, by=by, owner=data.get("owner", "")),
        "redate": lambda: plans.redate_step(
            step=step,
            by=by,
            planned_start=data.get("planned_start", ""),
            planned_due=data.get("planned_due", ""),
        ),
        "progress": lambda: plans.report_progress(step=step, by=by, progress=data.get("progress", "")),
    }
    return calls[action]()


@login_required
@permission_required("fulfillment.view_planstep", raise_exception=True)
@require_POST
def step_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Start / finish / block / unblock / re-assign / re-date / report progress of one step, then re-render.

    ``view=plan`` (the order-plan fragment) re-renders the whole fragment, otherwise the queue row.
    A refusal answers with its status (409, 403) and the message inline; bad input 422 beside the field.
    """
    user: Any = request.user
    if action not in STEP_ACTIONS:
        raise Http404
    try:
        step = selectors.get_step(user=user, pk=pk)
    except NotFound:
        raise Http404 from None
    fields = ("reason", "owner", "planned_start", "planned_due", "progress")
    data = {k: request.POST.get(k, "").strip() for k in fields}
    status, error, errors = 200, "", {}
    try:
        step = _run_step_action(step, action, user, data)
    except InvalidInput as exc:
        status, errors = 422, exc.fields
        error = "" if exc.fields else exc.message
    except DomainError as exc:
        status, error = exc.status, exc.message
    if request.POST.get("view") == "plan":
        return _render_plan_fragment(
            request, step.order_id, status=status, step_id=step.pk, error=error, errors=errors, data=data
        )
    if not request.headers.get("HX-Request"):
        return HttpResponseRedirect(reverse("web:queue"))
    fresh = selectors.get_step(user=user, pk=pk)
    row = _row(
        fresh,
        business_date(),
        errors=errors,
        error=error,
        reason=data["reason"],
        progress_input=data["progress"] if errors.get("progress") else "",
        action=action,
    )
    return render(
        request,
        "plans/queue.html#step_row",
        {"row": row, "can_act": user.has_perm("fulfillment.change_planstep")},
        status=status,
    )


# --- order plan ----------------------------------------------------------------------------------


def _render_plan_fragment(
    request: HttpRequest,
    order_id: int,
    *,
    status: int = 200,
    step_id: int | None = None,
    error: str = "",
    errors: dict[str, list[str]] | None = None,
    data: dict[str, str] | None = None,
) -> HttpResponse:
    user: Any = request.user
    try:
        order = selectors.get_scoped_order(user=user, pk=order_id)
    except NotFound:
        raise Http404 from None
    context = selectors.order_plan_context(order, user)
    context |= {"plan_error_step": step_id, "plan_error": error, "plan_errors": errors or {}}
    context["plan_form"] = data or {}
    response = render(request, "plans/_order_plan.html", context, status=status)
    if status == 200 and step_id is not None:
        response["HX-Trigger"] = "plan-changed"
    return response


@login_required
@permission_required("fulfillment.view_planstep", raise_exception=True)
@require_GET
def order_plan(request: HttpRequest, pk: int) -> HttpResponse:
    """The order's plan on its own page (the same fragment the order detail page includes)."""
    user: Any = request.user
    try:
        order = selectors.get_scoped_order(user=user, pk=pk)
    except NotFound:
        raise Http404 from None
    context = selectors.order_plan_context(order, user)
    context |= {"plan_error_step": None, "plan_error": "", "plan_errors": {}, "plan_form": {}}
    return render(request, "plans/order_plan.html", context)


# --- capacity ------------------------------------------------------------------------------------


def _holiday_names(start: dt.date, end: dt.date) -> dict[dt.date, str]:
    try:
        spans = WorkCalendar().holidays_between(start, end)
    except CalendarNotCovered:
        return {}
    names: dict[dt.date, str] = {}
    for label, first, last in spans:
        day = first
        while day <= last:
            names[day] = label
            day += dt.timedelta(days=1)
    return names


def _capacity_context(user: Any, request: HttpRequest) -> dict[str, Any]:
    date_from, date_to = selectors.queue_window()
    departments = list(selectors.list_departments())
    loads = {
        d.pk: capacity.department_load(department=d, date_from=date_from, date_to=date_to)
        for d in departments
    }
    holidays = _holiday_names(date_from, date_to)
    days = []
    for i in range((date_to - date_from).days + 1):
        day = date_from + dt.timedelta(days=i)
        days.append(
            {
                "day": day,
                "holiday": holidays.get(day, ""),
                "is_workday": loads[departments[0].pk][i]["is_workday"] if departments else True,
                "cells": [loads[d.pk][i] for d in departments],
            }
        )
    code = request.GET.get("department", "").strip().upper()
    person_dept = next((d for d in departments if d.code == code), None) or (
        user.department if user.department_id else (departments[0] if departments else None)
    )
    people = []
    if person_dept is not None:
        for person in capacity.person_load(department=person_dept, date_from=date_from, date_to=date_to):
            weeks = [
                {
                    "start": date_from + dt.timedelta(days=7 * w),
                    "load": sum((d["load"] for d in person["days"][7 * w : 7 * w + 7]), Decimal("0")),
                }
                for w in range(WEEKS)
            ]
            people.append({**person, "weeks": weeks})
    return {
        "date_from": date_from,
        "date_to": date_to,
        "departments": departments,
        "days": days,
        "people": people,
        "person_dept": person_dept,
        "week_starts": [date_from + dt.timedelta(days=7 * w) for w in range(WEEKS)],
        "settings": [
            {"department": d, "capacity": selectors.department_capacity(d), "value": "", "errors": {}}
            for d in departments
        ],
        "can_edit": user.has_perm("fulfillment.change_capacity"),
    }


@login_required
@permission_required("fulfillment.view_capacity", raise_exception=True)
@require_GET
def capacity_view(request: HttpRequest) -> HttpResponse:
    """Capacity / load / free per department and day for the next four weeks, and load per person."""
    return render(request, "plans/capacity.html", _capacity_context(request.user, request))


@login_required
@permission_required("fulfillment.change_capacity", raise_exception=True)
@require_POST
def capacity_set(request: HttpRequest, code: str) -> HttpResponse:
    """Set one department's capacity per working day; 422 with the error beside the field."""
    try:
        department = selectors.get_department(code=code)
    except NotFound:
        raise Http404 from None
    value = request.POST.get("per_day", "")
    try:
        capacity.set_capacity(
            department=department, per_day=value, unit=request.POST.get("unit"), by=request.user
        )
    except InvalidInput as exc:
        setting = {
            "department": department,
            "capacity": selectors.department_capacity(department),
            "value": value,
            "errors": exc.fields,
        }
        return render(request, "plans/capacity.html#capacity_form", {"setting": setting}, status=422)
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return HttpResponseRedirect(reverse("web:capacity"))


# --- promise date --------------------------------------------------------------------------------


def _find_product(text: str) -> Any:
    if text.isdecimal():
        try:
            return catalog.get_product(pk=text)
        except ProductNotFound:
            pass
    return catalog.get_product_by_sku(sku=text)


def _promise_lines(request: HttpRequest) -> tuple[list[tuple[Any, Decimal]], dict[str, list[str]]]:
    products = request.POST.getlist("product")
    qtys = request.POST.getlist("qty")
    if not products and not qtys:
        # the order-entry form names its line fields lines-N-product / lines-N-qty
        indexes = sorted(
            {
                int(k.split("-")[1])
                for k in request.POST
                if k.startswith("lines-") and k.split("-")[1].isdecimal()
            }
        )
        products = [request.POST.get(f"lines-{i}-product", "") for i in indexes]
        qtys = [request.POST.get(f"lines-{i}-qty", "") for i in indexes]
    lines: list[tuple[Any, Decimal]] = []
    errors: dict[str, list[str]] = {}
    for i in range(max(len(products), len(qtys))):
        product_text = (products[i] if i < len(products) else "").strip()
        qty_text = (qtys[i] if i < len(qtys) else "").strip()
        if not product_text and not qty_text:
            continue
        try:
            product = _find_product(product_text)
        except ProductNotFound:
            errors[f"lines.{i}.product"] = [_("Product not found.")]
            continue
        try:
            qty = Decimal(qty_text)
        except InvalidOperation:
            qty = Decimal("-1")
        if not qty.is_finite() or qty <= 0:
            errors[f"lines.{i}.qty"] = [_("Enter a quantity greater than 0.")]
            continue
        lines.append((product, qty))
    return lines, errors


@login_required
@permission_required("orders.view_salesorder", raise_exception=True)
@require_POST
def promise_date_partial(request: HttpRequest) -> HttpResponse:
    """The promise date for the lines being entered, with the reasons it is late, as a small alert block.

    Form fields (the order-entry page hx-posts them):
    - ``product`` (repeated): a product id or SKU, one per line;
    - ``qty`` (repeated, same order as ``product``): the quantity in base units; a line with both
      fields empty is ignored;
    - ``requested_date`` (optional): YYYY-MM-DD, the customer's requested delivery date;
    - ``order_type`` (optional): standard / preorder / sample / return, default standard.
    Answers 200 with "承诺交期 YYYY-MM-DD" (+ reasons), or 422 with the input errors in the block.
    """
    lines, errors = _promise_lines(request)
    requested: dt.date | None = None
    requested_text = request.POST.get("requested_date", "").strip()
    if requested_text:
        try:
            requested = dt.date.fromisoformat(requested_text)
        except ValueError:
            errors["requested_date"] = [_("Enter a date as YYYY-MM-DD.")]
    order_type = request.POST.get("order_type", "").strip() or OrderType.STANDARD
    if order_type not in BEHAVIOUR:
        errors["order_type"] = [_("Unknown order type.")]
    context: dict[str, Any] = {"errors": errors, "result": None, "requested": requested, "error": ""}
    if errors:
        return render(request, "plans/_promise_date.html", context, status=422)
    if not lines:
        return render(request, "plans/_promise_date.html", context)
    try:
        context["result"] = capacity.promise_date(
            lines=lines, requested_date=requested, order_type=order_type
        )
    except DomainError as exc:
        context["error"] = exc.message
        return render(request, "plans/_promise_date.html", context, status=exc.status)
    return render(request, "plans/_promise_date.html", context)


urlpatterns: list[URLPattern] = [
    path("queue/", queue, name="queue"),
    path("plan-steps/<int:pk>/<str:action>/", step_action, name="plan_step_action"),
    path("orders/<int:pk>/plan/", order_plan, name="order_plan"),
    path("capacity/", capacity_view, name="capacity"),
    path("capacity/<str:code>/", capacity_set, name="capacity_set"),
    path("orders/promise-date/", promise_date_partial, name="promise_date_partial"),
]
