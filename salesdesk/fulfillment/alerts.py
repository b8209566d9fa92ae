"""Early warning (C8): alert rules evaluated from the data, raised before a date is missed.

``scan_alerts`` evaluates every rule with a fixed number of bulk queries (it never queries per order),
upserts the open alerts keyed by ``subject_key`` (``rule:order:step-or-line``), clears the open alerts
whose cause is gone and notifies the owners of the new ones. The background task in ``tasks.py`` runs it
every five minutes (``manage.py run_scheduler``).

Working-day arithmetic follows ``fulfillment.calendar`` (``workdays_between(a, b)`` counts working days
``a < day <= b``): a step planned from ``planned_start`` to ``planned_due`` holds
``duration = workdays_between(planned_start, planned_due)`` days of work, and
``workdays_between(today, planned_due)`` working days are left from today. The work left is
``duration × (1 − progress/100)`` (rounded up) once progress was reported (progress > 0); without a report
the step is assumed to progress linearly from its actual start: ``max(0, duration − working days elapsed
since actual_start)`` (the whole duration when it has not started). A step is at risk when the work left
exceeds the working days left: due in 2 working days with 3 days of work left is at risk today.

A scan never stops on a year the holiday calendar does not cover yet (a payment step due next year): it
counts Monday–Friday there (``WorkCalendar(fallback_weekdays=True)``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Count, F, IntegerField, Max, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from salesdesk.accounts.models import Team, User
from salesdesk.core.audit import record_audit
from salesdesk.core.errors import Forbidden, NotFound
from salesdesk.core.parameters import get_parameter
from salesdesk.inventory.models import StockLevel
from salesdesk.orders.choices import BEHAVIOUR, ConfirmationStatus, ShippingStatus, Status
from salesdesk.orders.models import SalesOrder, SalesOrderLine

from . import calendar as workcal
from . import notifications
from .models import Alert, Notification, PlanStep
from .models.alerts import AlertRule, Severity
from .models.collab import NotificationKind
from .models.plans import StepStatus

OPEN_STEP_STATUSES = (StepStatus.PENDING, StepStatus.IN_PROGRESS, StepStatus.BLOCKED)
# Step codes that mean "the goods reach the customer"; the promise is checked against that step.
DELIVERY_STEP_CODES = ("sign", "signoff", "delivery", "deliver", "receipt", "ship", "shipping")
BATCH = 2000
DIGEST_TOP = 5
MESSAGE_MAX = 300


@dataclass(frozen=True)
class ScanResult:
    raised: int
    cleared: int
    open: int
    by_rule: dict[str, int] = field(default_factory=dict)


@dataclass
class _Found:
    """One alert the rules want open right now."""

    rule: str
    severity: str
    order_id: int
    step_id: int | None
    owner_id: int | None
    message: str
    due_on: dt.date | None
    data: dict[str, Any]

    @property
    def subject_key(self) -> str:
        return subject_key(self.rule, self.order_id, self.data.get("subject"))


def subject_key(rule: str, order_id: int, subject: Any = None) -> str:
    """``rule:order:step-or-line`` — at most one open alert per key."""
    return f"{rule}:{order_id}:{subject if subject is not None else '-'}"


def _chunks(items: list[Any], size: int = BATCH) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class _Workdays:
    """Memoised working-day arithmetic: a scan sees few distinct dates but many steps."""

    def __init__(self) -> None:
        # a background scan must not stop on next year's calendar: Monday–Friday where it is not known yet
        self._calendar = workcal.WorkCalendar(fallback_weekdays=True)
        self._between: dict[tuple[dt.date, dt.date], int] = {}
        self._add: dict[tuple[dt.date, int], dt.date] = {}

    def between(self, a: dt.date, b: dt.date) -> int:
        key = (a, b)
        value = self._between.get(key)
        if value is None:
            value = self._calendar.workdays_between(a, b)
            self._between[key] = value
        return value

    def add(self, d: dt.date, n: int) -> dt.date:
        key = (d, n)
        value = self._add.get(key)
        if value is None:
            value = self._calendar.add_workdays(d, n)
            self._add[key] = value
        return value


def _local_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _fmt(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


def remaining_workdays(duration: int, progress: int, elapsed: int = 0) -> int:
    """Working days of work left.

    With reported progress (> 0): duration × (1 − progress/100), rounded up to whole days. Without a
    report: linear progress since the actual start, ``max(0, duration − elapsed)`` where ``elapsed`` is
    the working days since ``actual_start`` (0 when the step has not started).
    """
    progress = max(0, min(100, progress))
    if progress > 0:
        return math.ceil(duration * (100 - progress) / 100)
    return max(0, duration - max(0, elapsed))


# --- rules --------------------------------------------------------------------------------------------


def _open_step_rows(today: dt.date) -> list[dict[str, Any]]:
    """Open steps of confirmed orders that should have begun by today (one query).

    A step whose planned start is still ahead fits its window by construction, so only steps with
    ``planned_start <= today`` can be late or at risk.
    """
    return cast(
        list[dict[str, Any]],
        list(
            PlanStep.objects.filter(
                order__status=Status.CONFIRMED, status__in=OPEN_STEP_STATUSES, planned_start__lte=today
            )
            .order_by()
            .values(
                "id",
                "order_id",
                "seq",
                "code",
                "name",
                "status",
                "planned_start",
                "planned_due",
                "progress",
                "actual_start",
                "owner_id",
                "order__number",
                "order__owner_id",
            )
        ),
    )


def _step_rules(
    rows: list[dict[str, Any]], *, now: dt.datetime, today: dt.date, grace_hours: int, wd: _Workdays
) -> tuple[list[_Found], dict[int, dict[int, int]]]:
    """STEP_NOT_STARTED and STEP_AT_RISK; also how many working days each late step slips (promise rule)."""
    found: list[_Found] = []
    projected: dict[int, dict[int, int]] = defaultdict(dict)  # order_id → {seq: working days of slip}
    grace = dt.timedelta(hours=grace_hours)
    for row in rows:
        owner_id = row["owner_id"] or row["order__owner_id"]
        number, step_name = row["order__number"], row["name"]
        start, due = row["planned_start"], row["planned_due"]
        if row["status"] == StepStatus.PENDING and _local_start(start) + grace <= now:
            found.append(
                _Found(
                    rule=AlertRule.STEP_NOT_STARTED,
                    severity=Severity.WARNING,
                    order_id=row["order_id"],
                    step_id=row["id"],
                    owner_id=owner_id,
                    message=_(
                        "Order %(number)s: step %(step)s has not started; it was planned to start on "
                        "%(start)s and is due on %(due)s."
                    )
                    % {"number": number, "step": step_name, "start": _fmt(start), "due": _fmt(due)},
                    due_on=due,
                    data={"subject": row["id"], "planned_start": _fmt(start), "planned_due": _fmt(due)},
                )
            )
        duration = wd.between(start, due)
        progress = row["progress"] or 0
        started_on = timezone.localdate(row["actual_start"]) if row["actual_start"] else None
        elapsed = max(0, wd.between(started_on, today)) if started_on else 0
        remaining = remaining_workdays(duration, progress, elapsed)
        left = wd.between(max(today, start), due)  # negative once the due date has passed
        if remaining > left:
            finish = wd.add(today, remaining)
            projected[row["order_id"]][row["seq"]] = wd.between(due, finish) if finish > due else 0
            values = {
                "number": number,
                "step": step_name,
                "due": _fmt(due),
                "remaining": remaining,
                "duration": duration,
                "left": left,
                "finish": _fmt(finish),
                "progress": progress,
                "elapsed": elapsed,
            }
            if progress > 0:
                message = (
                    _(
                        "Order %(number)s: step %(step)s cannot finish by %(due)s: %(progress)s%% reported, "
                        "so %(remaining)s of %(duration)s working days of work are left and %(left)s are "
                        "available (expected %(finish)s)."
                    )
                    % values
                )
            else:
                message = (
                    _(
                        "Order %(number)s: step %(step)s cannot finish by %(due)s: no progress reported, "
                        "assuming linear progress since the start (%(elapsed)s working days elapsed), "
                        "%(remaining)s of %(duration)s working days of work are left and %(left)s are "
                        "available (expected %(finish)s)."
                    )
                    % values
                )
            found.append(
                _Found(
                    rule=AlertRule.STEP_AT_RISK,
                    severity=Severity.CRITICAL if due <= today else Severity.WARNING,
                    order_id=row["order_id"],
                    step_id=row["id"],
                    owner_id=owner_id,
                    message=message,
                    due_on=due,
                    data={
                        "subject": row["id"],
                        "remaining_days": remaining,
                        "available_days": left,
                        "projected_finish": _fmt(finish),
                        "basis": "reported" if progress > 0 else "linear",
                        "progress": progress,
                        "elapsed_days": elapsed,
                    },
                )
            )
    return found, projected


def _promise_rule(projected: dict[int, dict[int, int]], *, today: dt.date, wd: _Workdays) -> list[_Found]:
    """PROMISE_AT_RISK: the delivery step (or last open step) is planned or projected after the promise."""
    is_delivery = Q(plan_steps__code__in=DELIVERY_STEP_CODES)
    open_step = Q(plan_steps__status__in=OPEN_STEP_STATUSES)
    rows = (
        SalesOrder.objects.filter(status=Status.CONFIRMED)
        .annotate(target=Coalesce("promised_date", "requested_date"))
        .filter(target__isnull=False)
        .annotate(
            delivery_seq=Max("plan_steps__seq", filter=is_delivery),
            delivery_due=Max("plan_steps__planned_due", filter=is_delivery & open_step),
            last_open_seq=Max("plan_steps__seq", filter=open_step),
            last_open_due=Max("plan_steps__planned_due", filter=open_step),
        )
        .filter(last_open_seq__isnull=False)
        .order_by()
        .values(
            "id",
            "number",
            "owner_id",
            "target",
            "promised_date",
            "delivery_seq",
            "delivery_due",
            "last_open_seq",
            "last_open_due",
        )
    )
    found: list[_Found] = []
    for row in rows:
        if row["delivery_seq"] is not None:
            if row["delivery_due"] is None:  # the delivery step is done: the promise is kept
                continue
            seq, planned = row["delivery_seq"], row["delivery_due"]
        else:
            seq, planned = row["last_open_seq"], row["last_open_due"]
        # Work that slips in a step up to the delivery pushes the delivery back by as many working days.
        slip = max(
            (days for step_seq, days in projected.get(row["id"], {}).items() if step_seq <= seq), default=0
        )
        expected = wd.add(planned, slip) if slip else planned
        target = row["target"]
        if expected <= target:
            continue
        kind = _("promised") if row["promised_date"] else _("requested")
        found.append(
            _Found(
                rule=AlertRule.PROMISE_AT_RISK,
                severity=Severity.CRITICAL,
                order_id=row["id"],
                step_id=None,
                owner_id=row["owner_id"],
                message=_(
                    "Order %(number)s: delivery expected on %(expected)s, after the %(kind)s date %(date)s."
                )
                % {"number": row["number"], "expected": _fmt(expected), "kind": kind, "date": _fmt(target)},
                due_on=target,
                data={"subject": None, "expected": _fmt(expected), "target": _fmt(target)},
            )
        )
    return found


def _stock_rule() -> list[_Found]:
    """STOCK_SHORT: a confirmed line not fully reserved (or shipped) while stock can't cover the gap."""
    reserving = [code for code, b in BEHAVIOUR.items() if b.reserves_stock]
    lines = list(
        SalesOrderLine.objects.filter(
            order__status=Status.CONFIRMED,
            order__order_type__in=reserving,
            reserved_qty__lt=F("qty") - F("shipped_qty"),
        )
        .exclude(order__shipping_status__in=[ShippingStatus.SHIPPED, ShippingStatus.DELIVERED])
        .order_by()
        .values(
            "id",
            "order_id",
            "line_no",
            "sku",
            "product_name",
            "product_id",
            "warehouse_id",
            "qty",
            "reserved_qty",
            "shipped_qty",
            "order__number",
            "order__owner_id",
            "order__promised_date",
            "order__requested_date",
        )
    )
    if not lines:
        return []
    short_lines = SalesOrderLine.objects.filter(
        order__status=Status.CONFIRMED,
        order__order_type__in=reserving,
        reserved_qty__lt=F("qty") - F("shipped_qty"),
    ).values("product_id")
    per_wh: dict[tuple[int, int], Decimal] = {}
    per_product: dict[int, Decimal] = defaultdict(Decimal)
    for product_id, warehouse_id, available in (
        StockLevel.objects.filter(product_id__in=short_lines)
        .order_by()
        .values_list("product_id", "warehouse_id")
        .annotate(available=Sum(F("on_hand_qty") - F("reserved_qty")))
    ):
        per_wh[(product_id, warehouse_id)] = available
        per_product[product_id] += available
    found: list[_Found] = []
    for row in lines:
        need = row["qty"] - row["shipped_qty"] - row["reserved_qty"]
        if row["warehouse_id"]:
            available = per_wh.get((row["product_id"], row["warehouse_id"]), Decimal(0))
        else:
            available = per_product.get(row["product_id"], Decimal(0))
        if available >= need:
            continue
        due = row["order__promised_date"] or row["order__requested_date"]
        found.append(
            _Found(
                rule=AlertRule.STOCK_SHORT,
                severity=Severity.CRITICAL,
                order_id=row["order_id"],
                step_id=None,
                owner_id=row["order__owner_id"],
                message=_(
                    "Order %(number)s line %(line)s %(sku)s %(name)s: %(need)s still to reserve, only "
                    "%(available)s available; delivery date %(date)s."
                )
                % {
                    "number": row["order__number"],
                    "line": row["line_no"],
                    "sku": row["sku"],
                    "name": row["product_name"],
                    "need": _qty(need),
                    "available": _qty(max(available, Decimal(0))),
                    "date": _fmt(due) or "—",
                },
                due_on=due,
                data={
                    "subject": row["id"],
                    "line_no": row["line_no"],
                    "need": _qty(need),
                    "available": _qty(available),
                },
            )
        )
    return found


def _qty(value: Decimal) -> str:
    text = format(value.normalize(), "f") if value else "0"
    return text


def _confirmation_rule(*, now: dt.datetime, wait_hours: int) -> list[_Found]:
    """NO_CUSTOMER_CONFIRMATION: submitted, link sent more than N hours ago, still no answer.

    ``due_on`` is the local date the wait ran out (sent + N hours).
    """
    rows = (
        SalesOrder.objects.filter(
            status=Status.SUBMITTED,
            confirmation_status=ConfirmationStatus.PENDING,
            confirmation_sent_at__lte=now - dt.timedelta(hours=wait_hours),
        )
        .order_by()
        .values("id", "number", "owner_id", "confirmation_sent_at", "requested_date", "customer_name")
    )
    found = []
    wait = dt.timedelta(hours=wait_hours)
    for row in rows:
        sent_at = cast(dt.datetime, row["confirmation_sent_at"])
        sent = timezone.localtime(sent_at)
        hours = int((now - sent_at).total_seconds() // 3600)
        found.append(
            _Found(
                rule=AlertRule.NO_CUSTOMER_CONFIRMATION,
                severity=Severity.WARNING,
                order_id=row["id"],
                step_id=None,
                owner_id=row["owner_id"],
                message=_(
                    "Order %(number)s: %(customer)s has not confirmed the order %(hours)s hours after the "
                    "link was sent on %(sent)s."
                )
                % {
                    "number": row["number"],
                    "customer": row["customer_name"],
                    "hours": hours,
                    "sent": sent.strftime("%Y-%m-%d %H:%M"),
                },
                # the day the wait ran out, not the requested delivery date
                due_on=timezone.localdate(sent_at + wait),
                data={"subject": None, "sent_at": sent.isoformat()},
            )
        )
    return found


# --- the scan -----------------------------------------------------------------------------------------


def evaluate_rules(*, now: dt.datetime | None = None) -> list[_Found]:
    """Every alert the rules want open at ``now`` (five bulk queries, no writes)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    wd = _Workdays()
    with translation.override(settings.LANGUAGE_CODE):
        step_found, projected = _step_rules(
            _open_step_rows(today),
            now=now,
            today=today,
            grace_hours=int(get_parameter("alerts.step_start_grace_hours")),
            wd=wd,
        )
        found = step_found
        found += _promise_rule(projected, today=today, wd=wd)
        found += _stock_rule()
        found += _confirmation_rule(now=now, wait_hours=int(get_parameter("alerts.confirmation_wait_hours")))
    return found


def _order_url(order_id: int) -> str:
    try:
        return reverse("web:order_detail", args=[order_id])
    except NoReverseMatch:
        return ""


class _OrderUrls:
    """Order-detail links built from one reverse() (the scan may notify thousands of owners)."""

    MARK = 987654321

    def __init__(self) -> None:
        self._pattern = _order_url(self.MARK)

    def __call__(self, order_id: int) -> str:
        return self._pattern.replace(str(self.MARK), str(order_id)) if self._pattern else ""


@transaction.atomic
def scan_alerts(*, now: dt.datetime | None = None) -> ScanResult:
    """Evaluate every rule, upsert the open alerts, clear those whose cause is gone, notify new owners."""
    now = now or timezone.now()
    found = evaluate_rules(now=now)
    wanted: dict[str, _Found] = {}
    for item in found:
        wanted.setdefault(item.subject_key, item)

    existing = {
        key: (pk, owner_id, message, due_on, severity)
        for pk, key, owner_id, message, due_on, severity in Alert.objects.filter(
            cleared_at__isnull=True
        ).values_list("id", "subject_key", "owner_id", "message", "due_on", "severity")
    }

    gone = [pk for key, (pk, *_rest) in existing.items() if key not in wanted]
    for chunk in _chunks(gone):
        Alert.objects.filter(pk__in=chunk).update(cleared_at=now)

    changed: list[Alert] = []
    for key, item in wanted.items():
        current = existing.get(key)
        if current is None:
            continue
        pk, owner_id, message, due_on, severity = current
        msg = item.message[:MESSAGE_MAX]
        if (owner_id, message, due_on, severity) != (item.owner_id, msg, item.due_on, item.severity):
            changed.append(
                Alert(
                    pk=pk,
                    owner_id=item.owner_id,
                    message=msg,
                    due_on=item.due_on,
                    severity=item.severity,
                    data=item.data,
                    last_seen_at=now,
                )
            )
    if changed:
        Alert.objects.bulk_update(
            changed, ["owner_id", "message", "due_on", "severity", "data", "last_seen_at"], batch_size=BATCH
        )

    new = [item for key, item in wanted.items() if key not in existing]
    if new:
        Alert.objects.bulk_create(
            [
                Alert(
                    rule=item.rule,
                    severity=item.severity,
                    order_id=item.order_id,
                    step_id=item.step_id,
                    subject_key=item.subject_key,
                    owner_id=item.owner_id,
                    message=item.message[:MESSAGE_MAX],
                    due_on=item.due_on,
                    data=item.data,
                )
                for item in new
            ],
            batch_size=BATCH,
        )
        urls = _OrderUrls()
        with translation.override(settings.LANGUAGE_CODE):
            notifications.notify_many(
                notifications=[
                    Notification(
                        recipient_id=cast(int, item.owner_id),
                        kind=NotificationKind.ALERT,
                        title=_("Alert: %(rule)s") % {"rule": AlertRule(item.rule).label},
                        body=item.message,
                        url=urls(item.order_id),
                        order_id=item.order_id,
                    )
                    for item in new
                    if item.owner_id
                ]
            )
    return ScanResult(
        raised=len(new),
        cleared=len(gone),
        open=len(wanted),
        by_rule=dict(Counter(str(item.rule) for item in wanted.values())),
    )


# --- acknowledge, escalate, digest -------------------------------------------------------------------


def _can_handle(alert: Alert, user: User) -> bool:
    if alert.owner_id == user.pk or user.has_role("administrator") or user.is_superuser:
        return True
    owner = alert.owner
    return bool(owner and owner.team_id and Team.objects.filter(pk=owner.team_id, manager=user).exists())


@transaction.atomic
def acknowledge_alert(*, alert: Alert, by: User) -> Alert:
    """Mark an alert seen by its owner (or their manager): it stops counting for escalation."""
    alert = Alert.objects.select_for_update(of=("self",)).select_related("owner").get(pk=alert.pk)
    if not _can_handle(alert, by):
        raise Forbidden(_("Only the owner of the alert or their manager can acknowledge it."))
    if alert.acknowledged_at is None:
        alert.acknowledged_at = timezone.now()
        alert.save(update_fields=["acknowledged_at"])
        record_audit(action="alert.acknowledge", by=by, obj=alert, data={"rule": alert.rule})
    return alert


@transaction.atomic
def escalate_alerts(*, now: dt.datetime | None = None) -> int:
    """Tell the owner's team manager, once, about alerts open and unacknowledged for too long."""
    now = now or timezone.now()
    hours = int(get_parameter("alerts.escalate_after_hours"))
    alerts = list(
        Alert.objects.select_for_update(of=("self",))
        .filter(
            cleared_at__isnull=True,
            acknowledged_at__isnull=True,
            escalated_at__isnull=True,
            raised_at__lte=now - dt.timedelta(hours=hours),
            owner__team__manager__isnull=False,
        )
        .exclude(owner__team__manager=F("owner"))
        .select_related("owner__team", "order")
        .order_by("id")
    )
    if not alerts:
        return 0
    urls = _OrderUrls()
    with translation.override(settings.LANGUAGE_CODE):
        rows = [
            Notification(
                recipient_id=alert.owner.team.manager_id,  # type: ignore[union-attr,misc]
                kind=NotificationKind.ESCALATION,
                title=_("Escalated: %(owner)s has not handled an alert for %(hours)s hours")
                % {"owner": alert.owner.display_name, "hours": hours},  # type: ignore[union-attr]
                body=alert.message,
                url=urls(alert.order_id),
                order_id=alert.order_id,
            )
            for alert in alerts
        ]
    notifications.notify_many(notifications=rows)
    ids = [a.pk for a in alerts]
    for chunk in _chunks(ids):
        Alert.objects.filter(pk__in=chunk).update(escalated_at=now)
    return len(alerts)


def _urgency_key(alert: Alert) -> tuple[int, dt.date, int]:
    order: dict[str, int] = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}
    return (0 if alert.due_on else 1, alert.due_on or dt.date.max, order.get(alert.severity, 3))


@transaction.atomic
def daily_digest(*, now: dt.datetime | None = None) -> int:
    """One DIGEST notification per user with open alerts: counts by rule and the five most urgent."""
    now = now or timezone.now()
    per_owner: dict[int, list[Alert]] = defaultdict(list)
    for alert in (
        Alert.objects.filter(cleared_at__isnull=True, owner__isnull=False, owner__is_active=True)
        .only("id", "owner_id", "rule", "severity", "message", "due_on", "order_id")
        .order_by("owner_id", "due_on", "id")
    ):
        per_owner[alert.owner_id].append(alert)  # type: ignore[index]
    if not per_owner:
        return 0
    try:
        url = reverse("web:alert_list")
    except NoReverseMatch:
        url = ""
    rows = []
    with translation.override(settings.LANGUAGE_CODE):
        day = timezone.localdate(now).isoformat()
        for owner_id, alerts in per_owner.items():
            counts = Counter(a.rule for a in alerts)
            lines = [
                _("%(rule)s: %(count)s") % {"rule": AlertRule(rule).label, "count": n}
                for rule, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            ]
            urgent = sorted(alerts, key=_urgency_key)[:DIGEST_TOP]
            body = "\n".join(
                [*lines, "", _("Most urgent:"), *[f"{i}. {a.message}" for i, a in enumerate(urgent, 1)]]
            )
            rows.append(
                Notification(
                    recipient_id=owner_id,
                    kind=NotificationKind.DIGEST,
                    title=_("Daily digest %(day)s: %(count)s open alerts")
                    % {"day": day, "count": len(alerts)},
                    body=body,
                    url=url,
                )
            )
    notifications.notify_many(notifications=rows)
    return len(rows)


# --- reads ---------------------------------------------------------------------------------------------


def _base() -> QuerySet[Alert]:
    return Alert.objects.select_related("order", "step", "owner")


def list_alerts(
    *,
    user: User,
    scope: str = "mine",
    rule: str = "",
    state: str = "open",
) -> QuerySet[Alert]:
    """Alerts the user may see: ``mine`` (owned), ``team`` (their managed teams' members), ``all`` (admin).

    ``state`` is ``open``, ``cleared`` or ``all``; open alerts sort by the date at risk.
    """
    qs = _base()
    if scope == "all":
        if not (user.is_superuser or user.has_role("administrator")):
            raise Forbidden(_("Only administrators can see every alert."))
    elif scope == "team":
        teams = list(Team.objects.filter(manager=user).values_list("id", flat=True))
        if not teams:
            raise Forbidden(_("Only a team manager can see the team's alerts."))
        qs = qs.filter(Q(owner__team_id__in=teams) | Q(owner=user))
    else:
        qs = qs.filter(owner=user)
    if rule:
        qs = qs.filter(rule=rule)
    if state == "open":
        qs = qs.filter(cleared_at__isnull=True)
    elif state == "cleared":
        qs = qs.filter(cleared_at__isnull=False)
    return qs.order_by(
        Case(When(due_on__isnull=True, then=Value(1)), default=Value(0), output_field=IntegerField()),
        "due_on",
        "-id",
    )


def get_alert(*, user: User, pk: int) -> Alert:
    """One alert the user may act on (owner, their manager, or an administrator), else 404."""
    alert = _base().filter(pk=pk).first()
    if alert is None or not _can_handle(alert, user):
        raise NotFound()
    return alert


def order_alerts(*, order: SalesOrder) -> list[Alert]:
    """The open alerts of one order (for the order-detail fragment)."""
    return list(
        Alert.objects.filter(order=order, cleared_at__isnull=True)
        .select_related("step", "owner")
        .order_by("due_on", "id")
    )


def open_alert_counts(*, user: User) -> dict[str, int]:
    """Open alerts of the user by rule (one query)."""
    rows = (
        Alert.objects.filter(owner=user, cleared_at__isnull=True)
        .order_by()
        .values_list("rule")
        .annotate(n=Count("id"))
    )
    return dict(rows)


def iter_rules() -> Iterable[tuple[str, str]]:
    return [(r.value, str(r.label)) for r in AlertRule]
