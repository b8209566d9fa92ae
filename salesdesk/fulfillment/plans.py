"""Plan services: generate an order's plan at confirmation, move steps, re-assign, re-date and re-plan."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salesdesk.accounts.models import User
from salesdesk.core.compiled import insert
from salesdesk.core.errors import Conflict, Forbidden, InvalidInput
from salesdesk.core.numbering import business_date
from salesdesk.orders.choices import EventType
from salesdesk.orders.models import SalesOrder, SalesOrderLine
from salesdesk.orders.services import OrderStep, after_insert, confirm_order
from salesdesk.orders.timeline import record_order_event, record_promised_date

from .calendar import WorkCalendar
from .capacity import (
    ZERO,
    CapacityBook,
    Placement,
    delivery_index,
    schedule,
    step_load,
    template_for_plan,
)
from .models import OrderPlan, PlanStep, PlanTemplateStep
from .models.plans import StepLoad, StepStatus


class StepActionRefused(Conflict):
    code = "step_action_refused"


def _owner_id_for(step: PlanTemplateStep, order: SalesOrder) -> int | None:
    """Who owns a new step: the template's default owner when active, the salesperson for the sales
    department's steps, else the department's first active member, else the salesperson. ``step``
    comes from ``template_for_plan`` (its ``default_owner_active`` and ``first_member_id``)."""
    if step.default_owner_id and getattr(step, "default_owner_active", False):
        return step.default_owner_id
    if step.department.code == "SALES":
        return order.owner_id
    return getattr(step, "first_member_id", None) or order.owner_id


def _units_to_make(order: SalesOrder, lines: list[tuple[Any, Decimal, Decimal]]) -> Decimal:
    """Units to produce: what is not reserved from stock (make-to-order reserves nothing)."""
    return sum((max(ZERO, qty - reserved) for _p, qty, reserved in lines), ZERO)


def _order_lines(order: SalesOrder) -> list[tuple[Any, Decimal, Decimal]]:
    return [
        # shipping lowers reserved_qty by what it issues, so reserved_qty covers only the open quantity
        (line.product_id, line.qty - line.shipped_qty, line.reserved_qty)
        for line in order.lines.filter(is_closed=False).only(
            "order_id", "product_id", "qty", "reserved_qty", "shipped_qty"
        )
    ]


def _save_loads(step: PlanStep, placement: Placement) -> None:
    StepLoad.objects.bulk_create(
        [
            StepLoad(step=step, department_id=step.department_id, day=day, load=amount)
            for day, amount in placement.allocations
        ]
    )


def plan_step(order: SalesOrder, lines: list[SalesOrderLine], by: Any) -> OrderStep:
    """Plan an order being confirmed (``orders.services.OnConfirm``): the plan, its steps and their
    loads from the order type's template, scheduled on working days from the confirmation day; the
    promised date set on the order; the event and audit entry for the confirmation to save with it.

    ``lines`` are the order's lines as the confirmation reserved them; the order may not be saved yet
    (``create_order(advance=…)``): the rows are written once it is (``after_insert``). An order is
    confirmed once (the status table has no way back to "submitted"), so it has no plan yet; the
    plan's one-to-one key would refuse a second one.
    """
    template, steps = template_for_plan(order.order_type)
    start = business_date(order.confirmed_at) if order.confirmed_at else business_date()
    units = _units_to_make(
        order,
        [
            (line.product_id, line.qty - line.shipped_qty, line.reserved_qty)
            for line in lines
            if not line.is_closed
        ],
    )
    loads = {s.seq: step_load(s, units) for s in steps if s.load_per_unit > 0 or s.load_fixed > 0}
    placements = schedule(
        steps=steps,
        start=start,
        loads=loads,
        book=CapacityBook(exclude_order_id=order.pk),
        cal=WorkCalendar(),
        payment_term_days=order.payment_term_days,
    )

    def write() -> None:
        plan = OrderPlan(order=order, template=template, planned_finish=placements[-1].due)
        insert([plan])
        new_steps = insert(
            [
                PlanStep(
                    plan=plan,
                    order=order,
                    seq=tstep.seq,
                    code=tstep.code,
                    name=tstep.name,
                    department=tstep.department,
                    owner_id=_owner_id_for(tstep, order),
                    status=StepStatus.SKIPPED if placement.skipped else StepStatus.PENDING,
                    planned_start=placement.start,
                    planned_due=placement.due,
                    load=sum((a for _d, a in placement.allocations), ZERO),
                )
                for tstep, placement in zip(steps, placements, strict=True)
            ]
        )
        insert(
            [
                StepLoad(step=step, department_id=step.department_id, day=day, load=amount)
                for step, placement in zip(new_steps, placements, strict=True)
                for day, amount in placement.allocations
            ]
        )

    after_insert(order, write)  # at once, or right after a new order is inserted
    order.promised_date = placements[delivery_index(steps)].due
    return OrderStep(
        ["promised_date"],
        [
            (
                EventType.PLAN_GENERATED,
                {
                    "template": template.code,
                    "steps": len(steps),
                    "promised_date": order.promised_date.isoformat(),
                },
            )
        ],
        "plan.generate",
        audit_data={"template": template.code},
        new_version=False,
    )


def confirm_order_with_plan(*, order: SalesOrder, by: Any) -> SalesOrder:
    """Confirm the order (reserving stock) and generate its plan in one transaction."""
    return confirm_order(order=order, by=by, on_confirm=plan_step)


# --- step actions -------------------------------------------------------------------------------


def _lock(step: PlanStep) -> PlanStep:
    # lock the step row only: PostgreSQL refuses FOR UPDATE on the nullable side of the owner join
    qs = PlanStep.objects.select_for_update(of=("self",)).select_related("order", "department", "owner")
    return qs.get(pk=step.pk)


def _check_perm(by: Any, perm: str) -> None:
    if not by.has_perm(perm):
        raise Forbidden()


def _refuse(step: PlanStep, action: str) -> StepActionRefused:
    return StepActionRefused(
        _("The step %(name)s is %(status)s: it cannot be %(action)s.")
        % {"name": step.name, "status": step.get_status_display(), "action": action}
    )


def _step_data(step: PlanStep, **extra: Any) -> dict[str, Any]:
    return {"step": step.pk, "seq": step.seq, "name": step.name, **extra}


@transaction.atomic
def start_step(*, step: PlanStep, by: Any) -> PlanStep:
    """Start a pending (or blocked) step."""
    _check_perm(by, "fulfillment.change_planstep")
    locked = _lock(step)
    if locked.status not in (StepStatus.PENDING, StepStatus.BLOCKED):
        raise _refuse(locked, _("started"))
    locked.status = StepStatus.IN_PROGRESS
    locked.blocked_reason = ""
    locked.actual_start = locked.actual_start or timezone.now()
    locked.save(update_fields=["status", "blocked_reason", "actual_start", "updated_at"])
    record_order_event(order=locked.order, type=EventType.STEP_STARTED, by=by, data=_step_data(locked))
    return locked


@transaction.atomic
def finish_step(*, step: PlanStep, by: Any) -> PlanStep:
    """Finish a step in progress; its remaining capacity is freed."""
    _check_perm(by, "fulfillment.change_planstep")
    locked = _lock(step)
    if locked.status != StepStatus.IN_PROGRESS:
        raise _refuse(locked, _("finished"))
    locked.status = StepStatus.DONE
    locked.progress = 100
    locked.actual_finish = timezone.now()
    locked.save(update_fields=["status", "progress", "actual_finish", "updated_at"])
    StepLoad.objects.filter(step=locked).delete()
    record_order_event(order=locked.order, type=EventType.STEP_FINISHED, by=by, data=_step_data(locked))
    return locked


@transaction.atomic
def block_step(*, step: PlanStep, by: Any, reason: str) -> PlanStep:
    """Mark a pending or running step blocked, with the reason."""
    _check_perm(by, "fulfillment.change_planstep")
    text = str(reason or "").strip()
    if not text:
        raise InvalidInput.single("reason", _("Please give a reason."))
    if len(text) > 200:
        raise InvalidInput.single("reason", _("At most %(n)d characters.") % {"n": 200})
    locked = _lock(step)
    if locked.status not in (StepStatus.PENDING, StepStatus.IN_PROGRESS):
        raise _refuse(locked, _("blocked"))
    locked.status = StepStatus.BLOCKED
    locked.blocked_reason = text
    locked.save(update_fields=["status", "blocked_reason", "updated_at"])
    record_order_event(
        order=locked.order, type=EventType.STEP_BLOCKED, by=by, data=_step_data(locked, reason=text)
    )
    return locked


@transaction.atomic
def unblock_step(*, step: PlanStep, by: Any) -> PlanStep:
    """Clear the block: back to in progress if it had started, else pending."""
    _check_perm(by, "fulfillment.change_planstep")
    locked = _lock(step)
    if locked.status != StepStatus.BLOCKED:
        raise _refuse(locked, _("unblocked"))
    locked.status = StepStatus.IN_PROGRESS if locked.actual_start else StepStatus.PENDING
    locked.blocked_reason = ""
    locked.save(update_fields=["status", "blocked_reason", "updated_at"])
    record_order_event(order=locked.order, type=EventType.STEP_UNBLOCKED, by=by, data=_step_data(locked))
    return locked


def _progress_value(value: Any) -> int:
    text = str(value if value is not None else "").strip()
    try:
        number = int(text)
    except ValueError:
        number = -1
    if not 0 <= number <= 100:
        raise InvalidInput.single("progress", _("Enter a whole number from 0 to 100."))
    return number


@transaction.atomic
def report_progress(*, step: PlanStep, by: Any, progress: Any, note: str = "") -> PlanStep:
    """Record how far a running (or blocked) step is, 0–100 %; the at-risk alert uses it."""
    _check_perm(by, "fulfillment.change_planstep")
    value = _progress_value(progress)
    text = str(note or "").strip()
    if len(text) > 200:
        raise InvalidInput.single("note", _("At most %(n)d characters.") % {"n": 200})
    locked = _lock(step)
    if locked.status not in (StepStatus.IN_PROGRESS, StepStatus.BLOCKED):
        raise _refuse(locked, _("given progress"))
    old = locked.progress
    locked.progress = value
    locked.save(update_fields=["progress", "updated_at"])
    record_order_event(
        order=locked.order,
        type=EventType.STEP_PROGRESS,
        by=by,
        data=_step_data(locked, old=old, new=value, note=text),
    )
    return locked


def _open(step: PlanStep, action: str) -> None:
    if step.status in (StepStatus.DONE, StepStatus.SKIPPED):
        raise _refuse(step, action)


@transaction.atomic
def reassign_step(*, step: PlanStep, by: Any, owner: Any) -> PlanStep:
    """Give an open step to another active user (planners and managers)."""
    _check_perm(by, "fulfillment.reassign_planstep")
    user = (
        owner
        if isinstance(owner, User)
        else User.objects.filter(pk=_int(owner, "owner"), is_active=True).first()
    )
    if user is None or not user.is_active:
        raise InvalidInput.single("owner", _("Choose an active user."))
    locked = _lock(step)
    _open(locked, _("re-assigned"))
    old = locked.owner
    locked.owner = user
    locked.save(update_fields=["owner", "updated_at"])
    record_order_event(
        order=locked.order,
        type=EventType.STEP_REASSIGNED,
        by=by,
        data=_step_data(locked, old=str(old) if old else "", new=str(user)),
    )
    return locked


def _int(value: Any, field: str) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise InvalidInput.single(field, _("Choose an active user.")) from None


def _date(value: Any, field: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise InvalidInput.single(field, _("Enter a date as YYYY-MM-DD.")) from None


@transaction.atomic
def redate_step(*, step: PlanStep, by: Any, planned_start: Any, planned_due: Any) -> PlanStep:
    """Move an open step's planned dates (working days only); its capacity moves with it."""
    _check_perm(by, "fulfillment.reassign_planstep")
    start = _date(planned_start, "planned_start")
    due = _date(planned_due, "planned_due")
    if due < start:
        raise InvalidInput.single("planned_due", _("The due date is before the start date."))
    cal = WorkCalendar()
    if not cal.is_workday(start):
        raise InvalidInput.single(
            "planned_start", _("%(date)s is not a working day.") % {"date": start.isoformat()}
        )
    if not cal.is_workday(due):
        raise InvalidInput.single(
            "planned_due", _("%(date)s is not a working day.") % {"date": due.isoformat()}
        )
    locked = _lock(step)
    _open(locked, _("re-dated"))
    old = {"planned_start": locked.planned_start.isoformat(), "planned_due": locked.planned_due.isoformat()}
    locked.planned_start, locked.planned_due = start, due
    locked.save(update_fields=["planned_start", "planned_due", "updated_at"])
    _spread_load(locked, cal)
    record_order_event(
        order=locked.order,
        type=EventType.STEP_REDATED,
        by=by,
        data=_step_data(
            locked, old=old, new={"planned_start": start.isoformat(), "planned_due": due.isoformat()}
        ),
    )
    return locked


def _spread_load(step: PlanStep, cal: WorkCalendar) -> None:
    """Put a step's load evenly on the working days of its planned span (used after a manual re-date)."""
    StepLoad.objects.filter(step=step).delete()
    if step.load <= 0:
        return
    days = []
    day = step.planned_start
    while day <= step.planned_due:
        if cal.is_workday(day):
            days.append(day)
        day += dt.timedelta(days=1)
    days = days or [step.planned_start]
    share = (step.load / len(days)).quantize(Decimal("0.0001"))
    rows = [StepLoad(step=step, department_id=step.department_id, day=d, load=share) for d in days]
    rows[-1].load = step.load - share * (len(days) - 1)
    StepLoad.objects.bulk_create(rows)


# --- re-planning --------------------------------------------------------------------------------


def _replan(order: SalesOrder, lines: list[tuple[Any, Decimal, Decimal]]) -> list[tuple[PlanStep, Placement]]:
    plan = OrderPlan.objects.filter(order=order).first()
    if plan is None:
        raise Conflict(_("This order has no plan yet."), code="no_plan")
    steps = list(plan.steps.select_related("department").order_by("seq"))
    open_steps = [
        s for s in steps if s.status in (StepStatus.PENDING, StepStatus.BLOCKED, StepStatus.IN_PROGRESS)
    ]
    if not open_steps:
        return []
    templates = {
        t.seq: t
        for t in PlanTemplateStep.objects.filter(template_id=plan.template_id).select_related("department")
    }
    cal = WorkCalendar()
    started = [s for s in open_steps if s.status == StepStatus.IN_PROGRESS]
    begin = max(business_date(), open_steps[0].planned_start) if not started else open_steps[0].planned_start
    units = _units_to_make(order, lines)
    pending = [s for s in open_steps if s.status != StepStatus.IN_PROGRESS]
    tsteps = [templates.get(s.seq) or _as_template(s) for s in pending]
    loads = {t.seq: step_load(t, units) for t in tsteps if t.load_per_unit > 0 or t.load_fixed > 0}
    cursor = cal.next_workday(max((s.planned_due for s in started), default=begin - dt.timedelta(days=1)))
    placements = schedule(
        steps=tsteps,
        start=max(cursor, cal.roll_forward(begin)),
        loads=loads,
        book=CapacityBook(exclude_order_id=order.pk),
        cal=cal,
        payment_term_days=order.payment_term_days,
    )
    return list(zip(pending, placements, strict=True))


def _as_template(step: PlanStep) -> PlanTemplateStep:
    days = max(1, WorkCalendar().workdays_between(step.planned_start, step.planned_due) + 1)
    return PlanTemplateStep(
        seq=step.seq, code=step.code, name=step.name, department=step.department, duration_days=days
    )


def _shape(pairs: list[tuple[PlanStep, Placement]]) -> list[dict[str, Any]]:
    return [
        {
            "step": step,
            "old": {
                "planned_start": step.planned_start,
                "planned_due": step.planned_due,
                "status": step.status,
            },
            "new": {
                "planned_start": p.start,
                "planned_due": p.due,
                "status": StepStatus.SKIPPED
                if p.skipped
                else (step.status if step.status != StepStatus.SKIPPED else StepStatus.PENDING),
            },
        }
        for step, p in pairs
    ]


def preview_replan(*, order: SalesOrder, new_lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What re-planning would do for these lines (dicts with product, qty, reserved_qty?), without saving."""
    lines = [
        (
            line.get("product"),
            Decimal(str(line.get("qty", "0"))) - Decimal(str(line.get("shipped_qty", "0"))),
            Decimal(str(line.get("reserved_qty", "0"))),
        )
        for line in new_lines
    ]
    return _shape(_replan(order, lines))


@transaction.atomic
def replan_order(*, order: SalesOrder, by: Any, reason: str) -> list[dict[str, Any]]:
    """Re-date the open steps after a change of quantities or dates; returns each step's old and new dates."""
    pairs = _replan(order, _order_lines(order))
    changes = _shape(pairs)
    moved = []
    for change, (_s, placement) in zip(changes, pairs, strict=True):
        step: PlanStep = change["step"]
        new = change["new"]
        step.planned_start, step.planned_due, step.status = (
            new["planned_start"],
            new["planned_due"],
            new["status"],
        )
        step.load = sum((a for _d, a in placement.allocations), ZERO)
        step.save(update_fields=["planned_start", "planned_due", "status", "load", "updated_at"])
        StepLoad.objects.filter(step=step).delete()
        _save_loads(step, placement)
        if (
            change["old"]["planned_due"] != new["planned_due"]
            or change["old"]["planned_start"] != new["planned_start"]
        ):
            moved.append(
                {
                    "seq": step.seq,
                    "name": step.name,
                    "old": change["old"]["planned_due"].isoformat(),
                    "new": new["planned_due"].isoformat(),
                }
            )
    plan = OrderPlan.objects.get(order=order)
    steps = list(plan.steps.order_by("seq"))
    plan.planned_finish = steps[-1].planned_due
    plan.save(update_fields=["planned_finish"])
    record_promised_date(order=order, promised_date=steps[delivery_index(steps)].planned_due)
    record_order_event(
        order=order, type=EventType.PLAN_REPLANNED, by=by, data={"reason": reason, "moved": moved}
    )
    return changes
