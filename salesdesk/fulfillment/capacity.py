"""Capacity, loads and promise dates.

A step with a load (production) takes capacity day by day: it starts on the first working day its
department has free capacity (capacity per day, overrides applied, minus the loads of other open
steps) and keeps taking free capacity until its load is placed. The per-day placement is stored in
``StepLoad``, so the load of a department over a window is one aggregate query.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Count, F, OuterRef, Prefetch, Subquery, Sum
from django.utils.translation import gettext as _

from salesdesk.accounts.models import Department, User
from salesdesk.core import shared_cache
from salesdesk.core.audit import record_audit
from salesdesk.core.compiled import CompiledQuery
from salesdesk.core.errors import Conflict, Forbidden, InvalidInput
from salesdesk.core.numbering import business_date
from salesdesk.orders.choices import BEHAVIOUR, OrderType
from salesdesk.orders.quoting import stock_by_product

from .calendar import CalendarNotCovered, WorkCalendar
from .models import CapacityOverride, DepartmentCapacity, PlanStep, PlanTemplate, PlanTemplateStep
from .models.plans import CapacityUnit, StepLoad, StepStatus

ZERO = Decimal("0")
OPEN_STATUSES = (StepStatus.PENDING, StepStatus.IN_PROGRESS, StepStatus.BLOCKED)
WINDOW_DAYS = 120
MAX_WORKDAYS = 750  # about three years of working days: beyond that a load is refused, not looped on
DELIVERY_CODES = ("sign", "ship")
COLLECT_CODE = "collect"
DEFAULT_PAYMENT_TERM_DAYS = 30


class CapacityExhausted(Conflict):
    code = "capacity_exhausted"


class CapacityBook:
    """Free capacity per department and day, read in one aggregate query per window and updated in memory."""

    def __init__(self, *, exclude_order_id: int | None = None) -> None:
        self.exclude_order_id = exclude_order_id
        self.per_day: dict[int, Decimal] | None = None
        self.overrides: dict[tuple[int, dt.date], Decimal] = {}
        self.loads: dict[tuple[int, dt.date], Decimal] = defaultdict(lambda: ZERO)
        self.window: tuple[dt.date, dt.date] | None = None

    def _load_window(self, start: dt.date, end: dt.date) -> None:
        if self.per_day is None:
            self.per_day = dict(DepartmentCapacity.objects.values_list("department_id", "per_day"))
        for dep_id, day, per_day in CapacityOverride.objects.filter(day__range=(start, end)).values_list(
            "department_id", "day", "per_day"
        ):
            self.overrides[(dep_id, day)] = per_day
        loads = StepLoad.objects.filter(day__range=(start, end))
        if self.exclude_order_id is not None:
            loads = loads.exclude(step__order_id=self.exclude_order_id)
        for dep_id, day, total in (
            loads.values_list("department_id", "day").annotate(total=Sum("load")).order_by()
        ):
            self.loads[(dep_id, day)] += total
        if self.window is None:
            self.window = (start, end)
        else:
            self.window = (min(self.window[0], start), max(self.window[1], end))

    def ensure(self, day: dt.date) -> None:
        if self.window is None:
            self._load_window(day, day + dt.timedelta(days=WINDOW_DAYS))
        elif day > self.window[1]:
            first = self.window[1] + dt.timedelta(days=1)
            self._load_window(first, max(day, first) + dt.timedelta(days=WINDOW_DAYS))
        elif day < self.window[0]:
            last = self.window[0] - dt.timedelta(days=1)
            self._load_window(min(day, last) - dt.timedelta(days=WINDOW_DAYS), last)

    def capacity(self, department_id: int, day: dt.date) -> Decimal | None:
        """Capacity on ``day`` (None = the department has no capacity set: unlimited)."""
        self.ensure(day)
        assert self.per_day is not None
        if (department_id, day) in self.overrides:
            return self.overrides[(department_id, day)]
        return self.per_day.get(department_id)

    def free(self, department_id: int, day: dt.date) -> Decimal | None:
        cap = self.capacity(department_id, day)
        if cap is None:
            return None
        return max(ZERO, cap - self.loads[(department_id, day)])

    def take(self, department_id: int, day: dt.date, amount: Decimal) -> None:
        self.loads[(department_id, day)] += amount


@dataclass
class Placement:
    start: dt.date
    due: dt.date
    allocations: list[tuple[dt.date, Decimal]] = field(default_factory=list)
    full_until: dt.date | None = (
        None  # the last day the department was already full, if that delayed the start
    )
    skipped: bool = False


def place_load(
    *,
    book: CapacityBook,
    cal: WorkCalendar,
    department_id: int,
    earliest: dt.date,
    load: Decimal,
    duration_days: int,
) -> Placement:
    """Put ``load`` on the first working days from ``earliest`` with free capacity.

    The step still lasts at least its minimum duration.
    """
    day = cal.roll_forward(earliest)
    remaining = load
    first: dt.date | None = None
    full_until: dt.date | None = None
    allocations: list[tuple[dt.date, Decimal]] = []
    for _i in range(MAX_WORKDAYS):
        free = book.free(department_id, day)
        if free is None:
            allocations.append((day, remaining))
            first = first or day
            remaining = ZERO
        elif free > 0:
            amount = min(free, remaining)
            allocations.append((day, amount))
            book.take(department_id, day, amount)
            first = first or day
            remaining -= amount
        elif first is None:
            full_until = day
        if remaining <= 0:
            break
        day = cal.next_workday(day)
    else:
        raise CapacityExhausted(_("The department has no free capacity for this load within three years."))
    assert first is not None
    due = max(allocations[-1][0], cal.add_workdays(first, max(duration_days, 1) - 1))
    return Placement(start=first, due=due, allocations=allocations, full_until=full_until)


def schedule(
    *,
    steps: Sequence[PlanTemplateStep],
    start: dt.date,
    loads: dict[int, Decimal],
    book: CapacityBook,
    cal: WorkCalendar,
    payment_term_days: int | None = None,
) -> list[Placement]:
    """Schedule template steps one after another from ``start`` (loads by step seq; 0 load = skipped)."""
    out: list[Placement] = []
    cursor = cal.roll_forward(start)
    for step in steps:
        takes_load = step.load_per_unit > 0 or step.load_fixed > 0
        if takes_load:
            load = loads.get(step.seq, ZERO)
            if load <= 0:
                out.append(Placement(start=cursor, due=cursor, skipped=True))
                continue
            placement = place_load(
                book=book,
                cal=cal,
                department_id=step.department_id,
                earliest=cursor,
                load=load,
                duration_days=step.duration_days,
            )
        elif step.code == COLLECT_CODE:
            term = payment_term_days if payment_term_days is not None else DEFAULT_PAYMENT_TERM_DAYS
            due = cursor + dt.timedelta(days=term)
            # a payment due date is a calendar date; next year's holidays only move it a little
            with contextlib.suppress(CalendarNotCovered):
                due = cal.roll_forward(due)
            placement = Placement(start=cursor, due=due)
        else:
            placement = Placement(start=cursor, due=cal.add_workdays(cursor, max(step.duration_days, 1) - 1))
        out.append(placement)
        if len(out) < len(steps):
            cursor = cal.next_workday(placement.due)
    return out


def default_template(order_type: str) -> PlanTemplate:
    """The active default template of an order type, with its steps (in ``seq`` order, with their
    departments and default owners) prefetched: ``template.steps.all()`` reads nothing more."""
    steps = PlanTemplateStep.objects.select_related("department", "default_owner").order_by("seq")
    template = (
        PlanTemplate.objects.filter(order_type=order_type, is_active=True)
        .order_by("-is_default", "code")
        .prefetch_related(Prefetch("steps", queryset=steps))
        .first()
    )
    if template is None:
        raise Conflict(_("No plan template for this order type."), code="no_plan_template")
    return template


def _template_steps_q(p: Any) -> Any:
    chosen = (
        PlanTemplate.objects.filter(order_type=p.order_type, is_active=True)
        .order_by("-is_default", "code")
        .values("pk")[:1]
    )
    first_member = (
        User.objects.filter(department_id=OuterRef("department_id"), is_active=True)
        .order_by("id")
        .values("pk")[:1]
    )
    return (
        PlanTemplateStep.objects.filter(template=Subquery(chosen))
        .select_related("template", "department")
        .annotate(default_owner_active=F("default_owner__is_active"), first_member_id=Subquery(first_member))
        .order_by("seq")
    )


_TEMPLATE_STEPS = CompiledQuery(_template_steps_q)


def template_for_plan(order_type: str) -> tuple[PlanTemplate, list[PlanTemplateStep]]:
    """``default_template`` and its steps in one query, each step with its template and department
    and two annotations for choosing its owner: ``default_owner_active`` (the default owner is an
    active user) and ``first_member_id`` (the department's first active member, lowest id, or None)."""
    # kept per process on PostgreSQL until a template, a step, a department or a user changes anywhere
    # (core.shared_cache; the receivers are connected in FulfillmentConfig.ready): read-only objects
    steps: list[PlanTemplateStep] = list(
        shared_cache.cached(
            f"fulfillment.plan_template.{order_type}", lambda: _TEMPLATE_STEPS.all(order_type=order_type)
        )
    )
    if not steps:  # no template (Conflict) or one without steps: as default_template answers
        template = default_template(order_type)
        return template, list(template.steps.all())
    return steps[0].template, steps


def step_load(step: PlanTemplateStep, units: Decimal) -> Decimal:
    """The load a step takes for ``units`` to produce (0 when nothing has to be produced)."""
    if units <= 0:
        return ZERO
    return units * step.load_per_unit + step.load_fixed


def delivery_index(steps: Sequence[Any]) -> int:
    """Which step's finish is the promise: 签收, else 发货, else the last step."""
    codes = [s.code for s in steps]
    for code in DELIVERY_CODES:
        if code in codes:
            return codes.index(code)
    return len(codes) - 1


# --- loads --------------------------------------------------------------------------------------


def _days(date_from: dt.date, date_to: dt.date) -> list[dt.date]:
    return [date_from + dt.timedelta(days=i) for i in range((date_to - date_from).days + 1)]


def department_load(*, department: Department, date_from: dt.date, date_to: dt.date) -> list[dict[str, Any]]:
    """Per day: capacity, load, free, over (True when load exceeds capacity), is_workday."""
    if date_to < date_from:
        raise InvalidInput.single("date_to", _("The end date is before the start date."))
    cal = WorkCalendar()
    cap = DepartmentCapacity.objects.filter(department=department).values_list("per_day", flat=True).first()
    overrides = dict(
        CapacityOverride.objects.filter(department=department, day__range=(date_from, date_to)).values_list(
            "day", "per_day"
        )
    )
    loads = dict(
        StepLoad.objects.filter(department=department, day__range=(date_from, date_to))
        .values_list("day")
        .annotate(total=Sum("load"))
        .order_by()
    )
    rows = []
    for day in _days(date_from, date_to):
        workday = cal.is_workday(day)
        capacity = overrides.get(day, cap if workday else ZERO)
        load = loads.get(day, ZERO)
        rows.append(
            {
                "day": day,
                "is_workday": workday,
                "capacity": capacity,
                "load": load,
                "free": None if capacity is None else capacity - load,
                "over": capacity is not None and load > capacity,
            }
        )
    return rows


def person_load(
    *, department: Department | None = None, user: Any = None, date_from: dt.date, date_to: dt.date
) -> list[dict[str, Any]]:
    """Per person (owners of open steps in the department, or one user): per day load and open steps due."""
    steps = PlanStep.objects.filter(status__in=OPEN_STATUSES, owner__isnull=False)
    loads = StepLoad.objects.filter(day__range=(date_from, date_to), step__status__in=OPEN_STATUSES)
    if department is not None:
        steps = steps.filter(department=department)
        loads = loads.filter(department=department)
    if user is not None:
        steps = steps.filter(owner=user)
        loads = loads.filter(step__owner=user)
    load_map = {
        (owner, day): total
        for owner, day, total in loads.values_list("step__owner_id", "day")
        .annotate(total=Sum("load"))
        .order_by()
    }
    active = (
        steps.filter(planned_start__lte=date_to, planned_due__gte=date_from)
        .values_list("owner_id", "owner__name", "owner__username")
        .annotate(n=Count("id"))
        .order_by("owner__name", "owner__username")
    )
    spans = defaultdict(list)
    for owner_id, start, due in steps.filter(
        planned_start__lte=date_to, planned_due__gte=date_from
    ).values_list("owner_id", "planned_start", "planned_due"):
        spans[owner_id].append((start, due))
    days = _days(date_from, date_to)
    out = []
    for owner_id, name, username, n in active:
        out.append(
            {
                "user_id": owner_id,
                "name": name or username,
                "open_steps": n,
                "days": [
                    {
                        "day": day,
                        "load": load_map.get((owner_id, day), ZERO),
                        "steps": sum(1 for s, d in spans[owner_id] if s <= day <= d),
                    }
                    for day in days
                ],
            }
        )
    return out


# --- promise date -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PromiseResult:
    date: dt.date
    feasible_by_requested: bool
    reasons: list[str]
    stock_ok: bool
    shortages: list[dict[str, Any]] = field(default_factory=list)


def _qty_text(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def shortfall_units(
    lines: Iterable[tuple[Any, Decimal]], *, order_type: str
) -> tuple[Decimal, list[dict[str, Any]]]:
    """Units to produce for these lines: everything for make-to-order, else what stock can't cover."""
    lines = list(lines)
    if not BEHAVIOUR[order_type].reserves_stock:
        total = sum((qty for _p, qty in lines), ZERO)
        return total, []
    stock = stock_by_product([p.pk for p, _q in lines])
    best = {pid: (rows[0][1] if rows else ZERO) for pid, rows in stock.items()}
    used: dict[int, Decimal] = defaultdict(lambda: ZERO)
    units = ZERO
    shortages = []
    for product, qty in lines:
        available = max(ZERO, best.get(product.pk, ZERO) - used[product.pk])
        take = min(available, qty)
        used[product.pk] += take
        short = qty - take
        if short > 0:
            units += short
            shortages.append(
                {
                    "sku": product.sku,
                    "name": product.name,
                    "requested": qty,
                    "available": take,
                    "short": short,
                }
            )
    return units, shortages


def promise_date(
    *,
    lines: list[tuple[Any, Any]],
    requested_date: dt.date | None = None,
    order_type: str = OrderType.STANDARD,
    start: dt.date | None = None,
    payment_term_days: int | None = None,
) -> PromiseResult:
    """When the goods can be signed for: from available stock, the plan template and free capacity."""
    if order_type not in BEHAVIOUR:
        raise InvalidInput.single("order_type", _("Unknown order type."))
    parsed = [(product, Decimal(str(qty))) for product, qty in lines]
    cal = WorkCalendar()
    begin = start or business_date()
    template = default_template(order_type)
    steps = list(template.steps.all())
    units, shortages = shortfall_units(parsed, order_type=order_type)
    loads = {s.seq: step_load(s, units) for s in steps if s.load_per_unit > 0 or s.load_fixed > 0}
    book = CapacityBook()
    placements = schedule(
        steps=steps, start=begin, loads=loads, book=book, cal=cal, payment_term_days=payment_term_days
    )
    idx = delivery_index(steps)
    promise = placements[idx].due
    feasible = requested_date is None or promise <= requested_date
    reasons: list[str] = []
    for short in shortages:
        reasons.append(
            _(
                "Stock short: %(sku)s %(name)s has %(available)s of %(requested)s available, "
                "%(short)s to produce"
            )
            % {
                "sku": short["sku"],
                "name": short["name"],
                "available": _qty_text(short["available"]),
                "requested": _qty_text(short["requested"]),
                "short": _qty_text(short["short"]),
            }
        )
    if not feasible:
        for step, placement in zip(steps, placements[: idx + 1], strict=False):
            if placement.full_until is not None:
                reasons.append(
                    _("%(department)s capacity is fully booked until %(date)s")
                    % {"department": step.department.name, "date": placement.full_until.isoformat()}
                )
        for label, first, last in cal.holidays_between(cal.roll_forward(begin), promise):
            reasons.append(
                _("%(holiday)s holiday (%(first)s to %(last)s)")
                % {"holiday": label, "first": first.isoformat(), "last": last.isoformat()}
            )
        if len(reasons) == len(shortages) and not shortages:
            reasons.append(
                _("The plan needs %(days)d working days; the earliest delivery is %(date)s")
                % {"days": cal.workdays_between(begin, promise), "date": promise.isoformat()}
            )
    return PromiseResult(
        date=promise,
        feasible_by_requested=feasible,
        reasons=reasons,
        stock_ok=not shortages,
        shortages=shortages,
    )


@transaction.atomic
def set_capacity(
    *, department: Department, per_day: Any, by: Any, unit: str | None = None
) -> DepartmentCapacity:
    """Set a department's capacity per working day (planners)."""
    if not by.has_perm("fulfillment.change_capacity"):
        raise Forbidden()
    try:
        value = Decimal(str(per_day).strip())
    except (InvalidOperation, ValueError):
        value = Decimal("-1")
    if not value.is_finite() or value < 0:
        raise InvalidInput.single("per_day", _("Capacity must be a number of at least 0."))
    row, _created = DepartmentCapacity.objects.get_or_create(
        department=department, defaults={"per_day": value}
    )
    old = str(row.per_day)
    row.per_day = value
    if unit in CapacityUnit.values:
        row.unit = unit
    row.save()
    record_audit(action="capacity.set", by=by, obj=row, data={"old": old, "new": str(value)})
    return row


# What the plan-template read depends on: a user's activity and department (step owners), the
# templates, their steps, the departments. Saving a user only for other fields (the login time) keeps
# the copies.
_TEMPLATE_USER_FIELDS = frozenset({"is_active", "department", "department_id"})


def template_inputs_changed(sender: Any, update_fields: Any = None, **kwargs: Any) -> None:
    if sender is User and update_fields is not None and not _TEMPLATE_USER_FIELDS & set(update_fields):
        return
    shared_cache.changed()
