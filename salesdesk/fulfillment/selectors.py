"""Reads for plans, queues and capacity; scoping (a salesperson sees only their own orders' plans)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from salesdesk.accounts.models import Department, User
from salesdesk.accounts.scope import owner_scope_q
from salesdesk.core.errors import NotFound
from salesdesk.core.numbering import business_date
from salesdesk.orders.models import SalesOrder

from .calendar import WorkCalendar
from .capacity import OPEN_STATUSES
from .models import DepartmentCapacity, OrderPlan, PlanStep
from .models.plans import StepStatus


def _steps() -> QuerySet[PlanStep]:
    return PlanStep.objects.select_related("order", "department", "owner").order_by(
        "planned_due", "order_id", "seq"
    )


def scoped_steps(user: Any) -> QuerySet[PlanStep]:
    """Steps of the orders the user may see."""
    return _steps().filter(owner_scope_q(user, "order__owner"))


def my_steps(user: Any) -> QuerySet[PlanStep]:
    """The user's open steps, due soonest first."""
    return _steps().filter(owner=user, status__in=OPEN_STATUSES)


def department_steps(department: Department | None, user: Any = None) -> QuerySet[PlanStep]:
    """A department's open steps, due soonest first (scoped to the user's orders when a user is given)."""
    if department is None:
        return PlanStep.objects.none()
    qs = _steps().filter(department=department, status__in=OPEN_STATUSES)
    if user is not None:
        qs = qs.filter(owner_scope_q(user, "order__owner"))
    return qs


def get_step(*, user: Any, pk: Any) -> PlanStep:
    try:
        return scoped_steps(user).get(pk=int(pk))
    except (PlanStep.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def get_scoped_order(*, user: Any, pk: Any) -> SalesOrder:
    try:
        return SalesOrder.objects.filter(owner_scope_q(user, "owner")).get(pk=int(pk))
    except (SalesOrder.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None


def order_plan(order: SalesOrder) -> OrderPlan | None:
    """The order's plan with its steps (owner, department) prefetched, or None before confirmation."""
    plan = OrderPlan.objects.filter(order=order).first()
    if plan is None:
        return None
    plan.ordered_steps = list(  # type: ignore[attr-defined]
        plan.steps.select_related("department", "owner").order_by("seq")
    )
    return plan


def shown_progress(step: PlanStep, *, today: dt.date, cal: WorkCalendar) -> tuple[int, bool]:
    """(percent, estimated) for a step's progress bar.

    Done or skipped: 100. Reported progress (> 0) as reported. Otherwise the linear estimate the
    at-risk alert assumes: working days elapsed since ``actual_start`` over the planned working days
    (0 before the step starts), marked estimated. ``cal`` should be lenient (``fallback_weekdays``).
    """
    if step.status in (StepStatus.DONE, StepStatus.SKIPPED):
        return 100, False
    if step.progress > 0:
        return step.progress, False
    if step.actual_start is None:
        return 0, True
    duration = cal.workdays_between(step.planned_start, step.planned_due)
    elapsed = max(0, cal.workdays_between(timezone.localdate(step.actual_start), today))
    if duration <= 0:
        return (100 if elapsed else 0), True
    return min(100, elapsed * 100 // duration), True


def step_progress(order: SalesOrder, steps: list[PlanStep] | None = None) -> tuple[int, int, int]:
    """(done, total, percent) counting skipped steps as done."""
    if steps is None:
        steps = list(PlanStep.objects.filter(order=order).only("status"))
    total = len(steps)
    done = sum(1 for s in steps if s.status in (StepStatus.DONE, StepStatus.SKIPPED))
    return done, total, (done * 100 // total if total else 0)


def order_plan_context(order: SalesOrder, user: Any) -> dict[str, Any]:
    """Everything ``plans/_order_plan.html`` needs."""
    plan = order_plan(order)
    steps: list[PlanStep] = plan.ordered_steps if plan else []  # type: ignore[attr-defined]
    done, total, percent = step_progress(order, steps)
    today = business_date()
    can_plan = user.has_perm("fulfillment.reassign_planstep")
    cal = WorkCalendar(fallback_weekdays=True)
    rows = []
    for s in steps:
        percent, estimated = shown_progress(s, today=today, cal=cal)
        rows.append(
            {
                "step": s,
                "overdue": s.status in OPEN_STATUSES and s.planned_due < today,
                "progress": percent,
                "estimated": estimated,
                "can_report": s.status in (StepStatus.IN_PROGRESS, StepStatus.BLOCKED),
            }
        )
    return {
        "plan_order": order,
        "plan": plan,
        "plan_steps": rows,
        "plan_done": done,
        "plan_total": total,
        "plan_percent": percent,
        "can_plan": can_plan,
        "can_act": user.has_perm("fulfillment.change_planstep"),
        "plan_users": list(User.objects.filter(is_active=True).order_by("name", "username"))
        if can_plan
        else [],
    }


def list_departments() -> QuerySet[Department]:
    return Department.objects.filter(is_active=True).order_by("code")


def get_department(*, code: str) -> Department:
    department = Department.objects.filter(code=str(code).strip().upper()).first()
    if department is None:
        raise NotFound()
    return department


def department_capacity(department: Department) -> DepartmentCapacity | None:
    return DepartmentCapacity.objects.filter(department=department).first()


def queue_window(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    start = today or business_date()
    return start, start + dt.timedelta(days=27)


def steps_filter(user: Any, *, mine: bool, department: str | None) -> QuerySet[PlanStep]:
    """The queue: my open steps, or a department's (by code), scoped; both due soonest first."""
    if mine:
        return my_steps(user).filter(owner_scope_q(user, "order__owner") | Q(owner=user))
    if department:
        return department_steps(get_department(code=department), user)
    return department_steps(user.department, user)
