"""Alert rules (issue 4 item 5): raised before the date is missed, cleared when the cause is gone."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from salesdesk.core.errors import Forbidden
from salesdesk.core.parameters import set_parameter
from salesdesk.fulfillment.alerts import (
    acknowledge_alert,
    daily_digest,
    escalate_alerts,
    list_alerts,
    remaining_workdays,
    scan_alerts,
)
from salesdesk.fulfillment.models import Alert, Notification, PlanStep
from salesdesk.fulfillment.models.alerts import AlertRule
from salesdesk.fulfillment.tests.test_alerts_factories import NOW, TODAY, add_step, at, confirmed_order
from salesdesk.orders.models import SalesOrder
from salesdesk.orders.tests.factories import make_product, make_warehouse, stock

pytestmark = pytest.mark.django_db

D = dt.timedelta
MON, TUE, WED, THU, FRI = (TODAY + D(days=i) for i in range(5))  # 8–12 June 2026
PREV_FRI = TODAY - D(days=3)


def open_alerts(rule: str | None = None) -> list[Alert]:
    qs = Alert.objects.filter(cleared_at__isnull=True).order_by("id")
    return list(qs.filter(rule=rule) if rule else qs)


def test_remaining_workdays_rounds_up() -> None:
    assert remaining_workdays(3, 0) == 3
    assert remaining_workdays(3, 50) == 2
    assert remaining_workdays(3, 100) == 0
    assert remaining_workdays(0, 0) == 0


# --- STEP_AT_RISK ---------------------------------------------------------------------------------


def test_step_due_in_two_workdays_with_three_days_left_is_at_risk_today(salesperson) -> None:
    order = confirmed_order(salesperson)
    # Planned Fri 5 → Wed 10: three working days of work (Mon, Tue, Wed); from Monday two remain.
    step = add_step(order, start=PREV_FRI, due=WED, status="in_progress", progress=0)

    result = scan_alerts(now=NOW)

    [alert] = open_alerts("step_at_risk")
    assert alert.step_id == step.pk
    assert alert.order_id == order.pk
    assert alert.owner_id == salesperson.pk  # no step owner: the order's salesperson
    assert alert.due_on == WED
    assert alert.subject_key == f"step_at_risk:{order.pk}:{step.pk}"
    assert alert.data["remaining_days"] == 3
    assert alert.data["available_days"] == 2
    assert alert.data["projected_finish"] == THU.isoformat()
    assert order.number in alert.message
    assert "生产" in alert.message
    assert "2026-06-10" in alert.message
    assert alert.due_on > TODAY  # raised before the date is missed
    assert result.raised == 1
    assert result.by_rule == {"step_at_risk": 1}


def test_step_with_enough_time_is_not_at_risk(salesperson) -> None:
    order = confirmed_order(salesperson)
    add_step(order, start=PREV_FRI, due=WED, status="in_progress", progress=50)  # 2 days left, 2 available
    add_step(order, seq=2, start=WED, due=FRI)  # starts later: fits by construction

    result = scan_alerts(now=NOW)

    assert open_alerts() == []
    assert (result.raised, result.cleared, result.open) == (0, 0, 0)


def test_step_at_risk_clears_when_progress_catches_up(salesperson) -> None:
    order = confirmed_order(salesperson)
    step = add_step(order, start=PREV_FRI, due=WED, status="in_progress", progress=0)
    scan_alerts(now=NOW)
    PlanStep.objects.filter(pk=step.pk).update(progress=60)

    result = scan_alerts(now=NOW + D(minutes=5))

    assert open_alerts() == []
    cleared = Alert.objects.get(rule="step_at_risk")
    assert cleared.cleared_at == NOW + D(minutes=5)
    assert result.cleared == 1


def test_step_owner_gets_the_step_alert(salesperson, user_factory) -> None:
    planner = user_factory("planner", username="planner1")
    order = confirmed_order(salesperson)
    add_step(order, start=PREV_FRI, due=WED, status="in_progress", owner=planner)

    scan_alerts(now=NOW)

    [alert] = open_alerts("step_at_risk")
    assert alert.owner_id == planner.pk
    [note] = Notification.objects.filter(kind="alert")
    assert note.recipient_id == planner.pk
    assert note.order_id == order.pk
    assert note.body == alert.message


# --- STEP_NOT_STARTED -----------------------------------------------------------------------------


def test_pending_step_flagged_after_start_plus_grace_and_cleared_when_started(salesperson) -> None:
    order = confirmed_order(salesperson)
    step = add_step(order, start=MON, due=WED)  # 3-day window Mon..Wed, due Wed: 2 working days of work
    set_parameter(key="alerts.step_start_grace_hours", value=4, by=None)

    scan_alerts(now=at(MON, 3))  # 03:00: within the grace
    assert open_alerts() == []

    scan_alerts(now=at(MON, 5))  # 05:00: planned start 00:00 + 4 h has passed
    [alert] = open_alerts()
    assert (alert.rule, alert.step_id, alert.due_on) == ("step_not_started", step.pk, WED)
    assert "2026-06-08" in alert.message

    PlanStep.objects.filter(pk=step.pk).update(status="in_progress")
    result = scan_alerts(now=at(MON, 6))
    assert open_alerts() == []
    assert result.cleared == 1


def test_second_scan_makes_no_duplicates_and_notifies_once(salesperson) -> None:
    order = confirmed_order(salesperson)
    add_step(order, start=PREV_FRI, due=WED)  # pending and late: not started + at risk

    first = scan_alerts(now=NOW)
    second = scan_alerts(now=NOW + D(minutes=5))

    assert (first.raised, first.open) == (2, 2)
    assert (second.raised, second.cleared, second.open) == (0, 0, 2)
    assert Alert.objects.count() == 2
    assert Notification.objects.filter(kind="alert", recipient=salesperson).count() == 2


def test_cleared_alert_raises_a_new_one_when_the_cause_returns(salesperson) -> None:
    order = confirmed_order(salesperson)
    step = add_step(order, start=PREV_FRI, due=WED, status="in_progress")
    scan_alerts(now=NOW)
    PlanStep.objects.filter(pk=step.pk).update(progress=100)
    scan_alerts(now=NOW)
    PlanStep.objects.filter(pk=step.pk).update(progress=0)

    result = scan_alerts(now=NOW)

    assert result.raised == 1
    assert Alert.objects.filter(rule="step_at_risk").count() == 2
    assert len(open_alerts()) == 1


def test_steps_of_orders_on_hold_or_cancelled_are_ignored(salesperson) -> None:
    order = confirmed_order(salesperson)
    add_step(order, start=PREV_FRI, due=WED)
    SalesOrder.objects.filter(pk=order.pk).update(status="on_hold")

    assert scan_alerts(now=NOW).open == 0


# --- STOCK_SHORT ----------------------------------------------------------------------------------


def test_stock_short_raised_and_cleared_when_stock_is_received(salesperson) -> None:
    product = make_product(sku="BOLT-M8", name="螺栓")
    warehouse = make_warehouse()
    order = confirmed_order(salesperson, product=product, qty="10", reserved="4", promised=FRI)
    order.lines.update(warehouse=warehouse)
    stock(product, warehouse, "2")  # 6 still to reserve, 2 available

    scan_alerts(now=NOW)

    [alert] = open_alerts()
    line = order.lines.get()
    assert alert.rule == "stock_short"
    assert alert.subject_key == f"stock_short:{order.pk}:{line.pk}"
    assert alert.severity == "critical"
    assert alert.due_on == FRI
    assert alert.data == {"subject": line.pk, "line_no": 1, "need": "6", "available": "2"}
    assert order.number in alert.message
    assert "BOLT-M8" in alert.message

    stock(product, warehouse, "4")  # now 6 available: enough to reserve the rest
    result = scan_alerts(now=NOW)
    assert open_alerts() == []
    assert result.cleared == 1


def test_fully_reserved_or_non_reserving_orders_raise_no_stock_alert(salesperson) -> None:
    confirmed_order(salesperson, qty="5")  # fully reserved, no stock at all: fine
    preorder = confirmed_order(salesperson, qty="5", reserved="0")
    SalesOrder.objects.filter(pk=preorder.pk).update(order_type="preorder")  # pre-orders do not reserve

    assert scan_alerts(now=NOW).open == 0


# --- PROMISE_AT_RISK ------------------------------------------------------------------------------


def test_promise_at_risk_when_delivery_planned_after_promise_clears_when_moved(
    salesperson,
) -> None:
    order = confirmed_order(salesperson, promised=THU)
    add_step(order, seq=1, code="ship", name="发货", start=WED + D(days=7), due=FRI + D(days=7))

    scan_alerts(now=NOW)

    [alert] = open_alerts()
    assert (alert.rule, alert.step_id, alert.due_on) == ("promise_at_risk", None, THU)
    assert alert.subject_key == f"promise_at_risk:{order.pk}:-"
    assert alert.data["expected"] == "2026-06-19"
    assert order.number in alert.message
    assert "2026-06-11" in alert.message

    SalesOrder.objects.filter(pk=order.pk).update(promised_date=FRI + D(days=7))
    assert scan_alerts(now=NOW).cleared == 1
    assert open_alerts() == []


def test_promise_at_risk_raised_before_the_date_when_earlier_step_slips(salesperson) -> None:
    # Production Fri 5 → Tue 9 (2 days of work), not started; shipping Wed 10 → Thu 11; promise Thu 11.
    order = confirmed_order(salesperson, requested=THU)
    add_step(order, seq=1, start=PREV_FRI, due=TUE, status="in_progress", progress=0)
    add_step(order, seq=2, code="ship", name="发货", start=WED, due=THU)

    scan_alerts(now=NOW)

    rules = sorted(a.rule for a in open_alerts())
    assert rules == ["promise_at_risk", "step_at_risk"]
    promise = Alert.objects.get(rule="promise_at_risk")
    # Production will finish Wed 10 instead of Tue 9: shipping slips one working day to Fri 12.
    assert promise.data == {"subject": None, "expected": "2026-06-12", "target": "2026-06-11"}
    assert promise.due_on == THU
    assert promise.due_on > TODAY


def test_promise_kept_when_delivery_step_done_or_plan_fits(salesperson) -> None:
    on_time = confirmed_order(salesperson, promised=FRI)
    add_step(on_time, seq=1, code="ship", name="发货", start=WED, due=THU)
    delivered = confirmed_order(salesperson, promised=MON)
    add_step(delivered, seq=1, code="ship", name="发货", start=PREV_FRI, due=PREV_FRI, status="done")
    add_step(delivered, seq=2, code="invoice", name="开票", start=TUE, due=FRI + D(days=7))

    assert scan_alerts(now=NOW).open == 0


# --- NO_CUSTOMER_CONFIRMATION ---------------------------------------------------------------------


def _awaiting_customer(owner, *, sent_at: dt.datetime) -> SalesOrder:
    order = confirmed_order(owner, requested=FRI)
    SalesOrder.objects.filter(pk=order.pk).update(
        status="submitted", confirmation_status="pending", confirmation_sent_at=sent_at
    )
    return order


def test_no_customer_confirmation_after_wait_hours_then_cleared_when_confirmed(salesperson) -> None:
    set_parameter(key="alerts.confirmation_wait_hours", value=24, by=None)
    order = _awaiting_customer(salesperson, sent_at=NOW - D(hours=23))
    assert scan_alerts(now=NOW).open == 0

    result = scan_alerts(now=NOW + D(hours=2))  # 25 hours after sending

    [alert] = open_alerts()
    # due_on is the day the 24-hour wait ran out (sent Sun 11:00 + 24 h), not the requested date (FRI)
    assert (alert.rule, alert.owner_id, alert.due_on) == ("no_customer_confirmation", salesperson.pk, MON)
    assert order.number in alert.message
    assert "25" in alert.message
    assert result.raised == 1

    SalesOrder.objects.filter(pk=order.pk).update(
        confirmation_status="confirmed", customer_confirmed_at=NOW + D(hours=3)
    )
    assert scan_alerts(now=NOW + D(hours=3)).cleared == 1


# --- bulk: the query count does not grow with the number of orders -------------------------------


def _scenario(owner, n: int, start: int = 0) -> None:
    """Orders raising every rule: odd ones are short of stock, even ones miss their promise, and every
    tenth waits for its customer; all have a production step at risk."""
    product = make_product()
    for i in range(start, start + n):
        short = i % 2 == 1
        order = confirmed_order(
            owner, product=product, reserved="0" if short else None, promised=None if short else TUE
        )
        add_step(order, seq=1, start=PREV_FRI, due=WED, status="in_progress")
        add_step(order, seq=2, code="ship", name="发货", start=THU, due=FRI)
        if i % 10 == 0:
            _awaiting_customer(owner, sent_at=NOW - D(hours=48))


def _scan_queries() -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        result = scan_alerts(now=NOW)
    return len(ctx.captured_queries), result.raised


def test_scan_query_count_does_not_grow_with_orders(salesperson) -> None:
    _scenario(salesperson, 3)
    small, raised_small = _scan_queries()
    rescan_small, _ = _scan_queries()
    Alert.objects.all().delete()
    Notification.objects.all().delete()
    _scenario(salesperson, 27, start=3)  # 30 orders now
    large, raised_large = _scan_queries()
    rescan_large, _ = _scan_queries()

    # Per order: the step at risk, then the promise (even) or stock (odd); every tenth awaits its customer.
    assert raised_small == 3 * 2 + 1
    assert raised_large == 30 * 2 + 3
    assert small == large
    assert rescan_small == rescan_large


# --- acknowledge, escalate, digest ----------------------------------------------------------------


def test_acknowledge_by_owner_and_refused_for_a_stranger(salesperson, other_salesperson) -> None:
    order = confirmed_order(salesperson)
    add_step(order, start=PREV_FRI, due=WED, status="in_progress")
    scan_alerts(now=NOW)
    alert = open_alerts()[0]

    with pytest.raises(Forbidden):
        acknowledge_alert(alert=alert, by=other_salesperson)
    alert.refresh_from_db()
    assert alert.acknowledged_at is None

    acknowledge_alert(alert=alert, by=salesperson)
    alert.refresh_from_db()
    assert alert.acknowledged_at is not None


def test_escalation_notifies_the_team_manager_once(salesperson, manager) -> None:
    set_parameter(key="alerts.escalate_after_hours", value=24, by=None)
    order = confirmed_order(salesperson)
    add_step(order, start=PREV_FRI, due=WED, status="in_progress")
    scan_alerts(now=NOW)
    alert = open_alerts()[0]
    Alert.objects.filter(pk=alert.pk).update(raised_at=NOW - D(hours=23))

    assert escalate_alerts(now=NOW) == 0
    assert escalate_alerts(now=NOW + D(hours=2)) == 1
    assert escalate_alerts(now=NOW + D(hours=3)) == 0

    [note] = Notification.objects.filter(kind="escalation")
    assert note.recipient_id == manager.pk
    assert note.body == alert.message
    assert salesperson.display_name in note.title
    alert.refresh_from_db()
    assert alert.escalated_at == NOW + D(hours=2)


def test_acknowledged_alerts_are_not_escalated(salesperson, manager) -> None:
    order = confirmed_order(salesperson)
    add_step(order, start=PREV_FRI, due=WED, status="in_progress")
    scan_alerts(now=NOW)
    alert = open_alerts()[0]
    acknowledge_alert(alert=alert, by=salesperson)
    Alert.objects.filter(pk=alert.pk).update(raised_at=NOW - D(days=3))

    assert escalate_alerts(now=NOW) == 0
    assert not Notification.objects.filter(kind="escalation").exists()


def test_daily_digest_counts_by_rule_and_lists_the_most_urgent(salesperson, other_salesperson) -> None:
    for i in range(6):
        order = confirmed_order(salesperson, qty="3", reserved="1")  # stock short, no date
        add_step(order, start=PREV_FRI, due=WED + D(days=i), status="in_progress", progress=0)  # at risk
    scan_alerts(now=NOW)

    assert daily_digest(now=NOW) == 1

    [digest] = Notification.objects.filter(kind="digest")
    assert digest.recipient_id == salesperson.pk
    assert digest.url == reverse("web:alert_list")
    with translation.override(settings.LANGUAGE_CODE):
        expected_counts = [
            _("%(rule)s: %(count)s") % {"rule": AlertRule.STEP_AT_RISK.label, "count": 6},
            _("%(rule)s: %(count)s") % {"rule": AlertRule.STOCK_SHORT.label, "count": 6},
        ]
        assert digest.title == _("Daily digest %(day)s: %(count)s open alerts") % {
            "day": "2026-06-08",
            "count": 12,
        }
    lines = digest.body.splitlines()
    assert sorted(lines[:2]) == sorted(expected_counts)
    urgent = lines[-5:]
    assert [line[:2] for line in urgent] == ["1.", "2.", "3.", "4.", "5."]
    # The five with the earliest date at risk: the steps due 10, 11, 12, 13 and 14 June.
    for line, day in zip(
        urgent, ["2026-06-10", "2026-06-11", "2026-06-12", "2026-06-13", "2026-06-14"], strict=True
    ):
        assert day in line
    assert not Notification.objects.filter(kind="digest", recipient=other_salesperson).exists()


def test_list_alerts_scopes(salesperson, other_salesperson, manager, admin_user) -> None:
    mine = confirmed_order(salesperson)
    add_step(mine, start=PREV_FRI, due=WED, status="in_progress")
    theirs = confirmed_order(other_salesperson)
    add_step(theirs, start=PREV_FRI, due=WED, status="in_progress")
    scan_alerts(now=NOW)

    assert [a.order_id for a in list_alerts(user=salesperson)] == [mine.pk]
    assert [a.order_id for a in list_alerts(user=manager, scope="team")] == [mine.pk]
    assert sorted(a.order_id for a in list_alerts(user=admin_user, scope="all")) == sorted(
        [mine.pk, theirs.pk]
    )
    with pytest.raises(Forbidden):
        list_alerts(user=salesperson, scope="team")
    with pytest.raises(Forbidden):
        list_alerts(user=manager, scope="all")


def test_stock_quantities_compare_as_decimals(salesperson) -> None:
    product = make_product(unit_decimals=3)
    warehouse = make_warehouse()
    order = confirmed_order(salesperson, product=product, qty="2.5", reserved="1.25")
    order.lines.update(warehouse=warehouse)
    stock(product, warehouse, "1.25")  # exactly enough

    assert scan_alerts(now=NOW).open == 0
    assert order.lines.get().reserved_qty == Decimal("1.25")


# --- STEP_AT_RISK without a progress report: linear since the actual start -------------------------


def test_multi_day_step_running_on_schedule_without_a_report_is_not_at_risk(salesperson) -> None:
    order = confirmed_order(salesperson)
    # Planned Fri 5 → Wed 10 (3 working days of work), started on time Fri 5: 1 day elapsed by Mon, 2 left.
    step = add_step(order, start=PREV_FRI, due=WED, status="in_progress")
    PlanStep.objects.filter(pk=step.pk).update(actual_start=at(PREV_FRI, 9))

    assert scan_alerts(now=NOW).open == 0


def test_step_started_late_without_a_report_is_at_risk_and_says_so(salesperson) -> None:
    order = confirmed_order(salesperson)
    step = add_step(order, start=PREV_FRI, due=WED, status="in_progress")
    PlanStep.objects.filter(pk=step.pk).update(actual_start=at(MON, 9))  # started today: 0 elapsed

    scan_alerts(now=NOW)

    [alert] = open_alerts("step_at_risk")
    assert alert.data["basis"] == "linear"
    assert (alert.data["remaining_days"], alert.data["available_days"], alert.data["elapsed_days"]) == (
        3,
        2,
        0,
    )
    assert "未报告进度" in alert.message
    assert "按开工以来匀速推进估算" in alert.message


def test_reported_progress_wins_over_the_linear_estimate(salesperson) -> None:
    order = confirmed_order(salesperson)
    step = add_step(order, start=PREV_FRI, due=WED, status="in_progress", progress=10)
    PlanStep.objects.filter(pk=step.pk).update(actual_start=at(PREV_FRI, 9))  # linear alone would fit

    scan_alerts(now=NOW)

    [alert] = open_alerts("step_at_risk")
    assert (alert.data["basis"], alert.data["remaining_days"], alert.data["available_days"]) == (
        "reported",
        3,
        2,
    )
    assert "已报告进度 10%" in alert.message


def test_remaining_workdays_linear_without_a_report() -> None:
    assert remaining_workdays(5, 0, elapsed=2) == 3
    assert remaining_workdays(5, 0, elapsed=7) == 0
    assert remaining_workdays(5, 40, elapsed=5) == 3  # a report ignores the elapsed days


def test_no_customer_confirmation_due_on_is_the_local_day_the_wait_ran_out(salesperson) -> None:
    set_parameter(key="alerts.confirmation_wait_hours", value=48, by=None)
    _awaiting_customer(salesperson, sent_at=at(PREV_FRI, 22))  # Fri 22:00 + 48 h = Sun 22:00 Shanghai

    scan_alerts(now=NOW)

    [alert] = open_alerts("no_customer_confirmation")
    assert alert.due_on == dt.date(2026, 6, 7)
    assert "60" in alert.message  # hours since sending


def test_scan_counts_monday_to_friday_in_a_year_the_calendar_does_not_cover(salesperson) -> None:
    order = confirmed_order(salesperson)
    step = add_step(order, code="collect", name="收款", start=dt.date(2026, 12, 22), due=dt.date(2027, 2, 19))

    result = scan_alerts(now=at(dt.date(2026, 12, 31)))

    assert result.by_rule == {"step_not_started": 1, "step_at_risk": 1}
    alert = Alert.objects.get(rule="step_at_risk", step=step)
    assert (alert.data["remaining_days"], alert.data["available_days"]) == (43, 36)
