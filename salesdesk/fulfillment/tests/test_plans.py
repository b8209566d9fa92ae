import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from salesdesk.accounts.models import User
from salesdesk.core.errors import Forbidden, InvalidInput
from salesdesk.core.models import AuditLog
from salesdesk.fulfillment import plans
from salesdesk.fulfillment.models import OrderPlan, PlanStep, PlanTemplate, PlanTemplateStep
from salesdesk.fulfillment.models.plans import StepLoad
from salesdesk.orders.errors import StockShort
from salesdesk.orders.models import OrderEvent, SalesOrder

from .plans_factories import dept, line, make_product, make_warehouse, ready_order, stock

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def planner(user_factory):
    return user_factory("planner", username="planner1", department=dept("PLAN"))


def on(monkeypatch, day):
    monkeypatch.setattr(plans, "business_date", lambda *args: day)


def test_confirm_with_plan_schedules_standard_steps_across_spring_festival(
    monkeypatch, salesperson, manager, admin_user
):
    on(monkeypatch, D(2026, 2, 12))
    product = make_product()
    stock(product, make_warehouse(), "10", by=admin_user)
    order = ready_order(salesperson, manager, [line(product, "4")])

    plans.confirm_order_with_plan(order=order, by=salesperson)

    steps = list(PlanStep.objects.filter(order=order).order_by("seq"))
    got = [(s.name, s.status, s.planned_start, s.planned_due) for s in steps]
    assert got == [
        ("备料", "pending", D(2026, 2, 12), D(2026, 2, 12)),
        ("生产", "skipped", D(2026, 2, 13), D(2026, 2, 13)),  # stock reserved: nothing to produce
        ("质检", "pending", D(2026, 2, 13), D(2026, 2, 13)),
        ("发货", "pending", D(2026, 2, 14), D(2026, 2, 14)),  # the make-up Saturday
        ("签收", "pending", D(2026, 2, 24), D(2026, 2, 25)),
        ("开票", "pending", D(2026, 2, 26), D(2026, 2, 26)),
        ("收款", "pending", D(2026, 2, 27), D(2026, 3, 30)),  # 30 days after, rolled to a working day
    ]
    assert steps[4].owner == salesperson  # 签收 belongs to the salesperson
    order.refresh_from_db()
    assert order.status == "confirmed"
    assert order.promised_date == D(2026, 2, 25)
    assert OrderEvent.objects.filter(order=order, type="plan_generated").count() == 1


def test_preorder_production_takes_capacity_and_first_member_owns(
    monkeypatch, salesperson, manager, user_factory
):
    on(monkeypatch, D(2026, 3, 2))
    worker = user_factory("planner", username="prod1", department=dept("PROD"))
    order = ready_order(salesperson, manager, [line(make_product(), "100")], order_type="preorder")

    plans.confirm_order_with_plan(order=order, by=salesperson)

    produce = PlanStep.objects.get(order=order, code="produce")
    assert produce.owner == worker
    assert produce.load == Decimal("54.0000")  # 100 × 0.5 + 4
    assert produce.planned_start == D(2026, 3, 4)  # after 2 days of 备料 (2026-03-02, 03-03)
    assert produce.planned_due == D(2026, 3, 17)  # at least 10 working days
    assert list(StepLoad.objects.filter(step=produce).values_list("day", "load")) == [
        (D(2026, 3, 4), Decimal("54.0000"))
    ]


def test_refused_confirm_creates_no_plan(salesperson, manager, admin_user):
    product = make_product()
    stock(product, make_warehouse(), "1", by=admin_user)
    order = ready_order(salesperson, manager, [line(product, "5")])
    events = OrderEvent.objects.filter(order=order).count()

    with pytest.raises(StockShort):
        plans.confirm_order_with_plan(order=order, by=salesperson)

    order.refresh_from_db()
    assert order.status == "submitted"
    assert OrderPlan.objects.filter(order=order).count() == 0
    assert OrderEvent.objects.filter(order=order).count() == events


def test_confirmation_and_plan_are_saved_together(salesperson, manager, admin_user):
    """The plan's promised date goes into the confirmation's one UPDATE (no version of its own), its
    event and audit entry into the confirmation's INSERTs; no savepoint or "has it a plan?" read of
    its own."""
    product = make_product()
    stock(product, make_warehouse(), "10", by=admin_user)
    order = ready_order(salesperson, manager, [line(product, "2")])
    version = order.version
    before = AuditLog.objects.order_by("-id").values_list("id", flat=True).first() or 0

    with CaptureQueriesContext(connection) as queries:
        plans.confirm_order_with_plan(order=order, by=salesperson)

    sql = [q["sql"] for q in queries.captured_queries]
    assert sum(s.startswith('UPDATE "orders_salesorder"') for s in sql) == 1
    assert sum(s.startswith('INSERT INTO "orders_orderevent"') for s in sql) == 1
    assert sum(s.startswith('INSERT INTO "core_auditlog"') for s in sql) == 1
    # inside the test's transaction confirm_order's block is a savepoint; nothing else is
    assert len([s for s in sql if s.startswith("SAVEPOINT")]) == 1
    assert not [s for s in sql if 'FROM "fulfillment_orderplan"' in s]
    stored = SalesOrder.objects.get(pk=order.pk)
    plan_due = PlanStep.objects.get(order=order, code="sign").planned_due
    assert (stored.status, stored.version, stored.promised_date) == ("confirmed", version + 1, plan_due)
    entries = list(AuditLog.objects.filter(id__gt=before).order_by("id").values_list("action", "data"))
    assert entries == [("order.confirm", {}), ("plan.generate", {"template": "STD"})]
    event = OrderEvent.objects.get(order=order, type="plan_generated")
    assert event.data == {"template": "STD", "steps": 7, "promised_date": plan_due.isoformat()}


def test_step_owners_default_owner_then_salesperson_then_first_member(
    monkeypatch, salesperson, manager, admin_user, user_factory
):
    """Each step's owner: the template's default owner while active; the salesperson for the sales
    department's steps; the department's first active member; else the salesperson."""
    on(monkeypatch, D(2026, 6, 1))
    first_shipper = user_factory("planner", username="ship1", department=dept("WH"))
    user_factory("planner", username="ship2", department=dept("WH"))
    retired = user_factory("planner", username="qc-old", department=dept("QC"))
    chosen = user_factory("planner", username="prep1", department=dept("PROD"))
    steps = PlanTemplateStep.objects.filter(template=PlanTemplate.objects.get(code="STD"))
    steps.filter(code="prepare").update(default_owner=chosen)
    steps.filter(code="inspect").update(default_owner=retired)
    User.objects.filter(department=dept("QC")).update(is_active=False)
    product = make_product()
    stock(product, make_warehouse(), "10", by=admin_user)
    order = ready_order(salesperson, manager, [line(product, "2")])

    plans.confirm_order_with_plan(order=order, by=salesperson)

    owners = dict(PlanStep.objects.filter(order=order).values_list("code", "owner_id"))
    assert owners["prepare"] == chosen.pk  # default owner, active
    assert owners["inspect"] == salesperson.pk  # default owner retired, nobody active in QC
    assert owners["ship"] == first_shipper.pk  # first active member (lowest id)
    assert owners["sign"] == salesperson.pk  # the sales department's step


@pytest.fixture
def planned(monkeypatch, salesperson, manager, admin_user):
    on(monkeypatch, D(2026, 6, 1))
    product = make_product()
    stock(product, make_warehouse(), "10", by=admin_user)
    order = ready_order(salesperson, manager, [line(product, "2")])
    plans.confirm_order_with_plan(order=order, by=salesperson)
    return order


def test_deleting_an_order_through_the_orm_takes_its_timeline_and_plan_with_it(planned):
    """The timeline, the plan and its steps carry no database constraint on their order or plan
    (docs/architecture.md, "Rows written with their order"); the ORM's cascade still removes them with
    the order, so nothing is left pointing at a deleted order."""
    plan_id = planned.plan.pk
    assert OrderEvent.objects.filter(order=planned).count() > 0
    assert PlanStep.objects.filter(plan_id=plan_id).count() == 7

    planned.delete()

    assert not OrderEvent.objects.filter(order_id=planned.pk).exists()
    assert not OrderPlan.objects.filter(pk=plan_id).exists()
    assert not PlanStep.objects.filter(plan_id=plan_id).exists()
    assert not PlanStep.objects.filter(order_id=planned.pk).exists()


def _state(step):
    step.refresh_from_db()
    return (step.status, step.actual_start, step.actual_finish, step.blocked_reason, step.owner_id)


def test_step_actions_allowed(planned, salesperson):
    step = PlanStep.objects.get(order=planned, seq=1)
    plans.start_step(step=step, by=salesperson)
    plans.block_step(step=step, by=salesperson, reason="缺料")
    step.refresh_from_db()
    assert (step.status, step.blocked_reason) == ("blocked", "缺料")
    plans.unblock_step(step=step, by=salesperson)
    plans.finish_step(step=step, by=salesperson)
    step.refresh_from_db()
    assert step.status == "done"
    assert step.actual_finish is not None
    types = list(
        OrderEvent.objects.filter(order=planned, type__startswith="step_").values_list("type", flat=True)
    )
    assert types == ["step_started", "step_blocked", "step_unblocked", "step_finished"]


def test_refused_step_actions_change_nothing(planned, salesperson):
    step = PlanStep.objects.get(order=planned, seq=1)
    before = _state(step)
    events = OrderEvent.objects.filter(order=planned).count()
    with pytest.raises(plans.StepActionRefused) as exc:
        plans.finish_step(step=step, by=salesperson)  # not started yet
    assert exc.value.status == 409
    with pytest.raises(plans.StepActionRefused):
        plans.unblock_step(step=step, by=salesperson)
    plans.start_step(step=step, by=salesperson)
    with pytest.raises(plans.StepActionRefused):
        plans.start_step(step=step, by=salesperson)  # already running
    assert _state(step)[0] == "in_progress"
    assert before[0] == "pending"
    assert OrderEvent.objects.filter(order=planned).count() == events + 1


def test_reassign_and_redate_need_the_planner_permission(planned, salesperson, planner):
    step = PlanStep.objects.get(order=planned, seq=3)
    before = _state(step), step.planned_start, step.planned_due
    with pytest.raises(Forbidden):
        plans.reassign_step(step=step, by=salesperson, owner=planner.pk)
    with pytest.raises(Forbidden):
        plans.redate_step(step=step, by=salesperson, planned_start="2026-12-01", planned_due="2026-12-02")
    step.refresh_from_db()
    assert (_state(step), step.planned_start, step.planned_due) == before

    plans.reassign_step(step=step, by=planner, owner=planner.pk)
    plans.redate_step(step=step, by=planner, planned_start="2026-12-01", planned_due="2026-12-02")
    step.refresh_from_db()
    assert (step.owner_id, step.planned_start, step.planned_due) == (
        planner.pk,
        D(2026, 12, 1),
        D(2026, 12, 2),
    )
    assert OrderEvent.objects.filter(order=planned, type="step_reassigned").count() == 1
    assert OrderEvent.objects.get(order=planned, type="step_redated").data["new"] == {
        "planned_start": "2026-12-01",
        "planned_due": "2026-12-02",
    }


def test_redate_refuses_a_holiday(planned, planner):
    step = PlanStep.objects.get(order=planned, seq=3)
    with pytest.raises(InvalidInput) as exc:
        plans.redate_step(step=step, by=planner, planned_start="2026-10-01", planned_due="2026-10-08")
    assert list(exc.value.fields) == ["planned_start"]


def test_replan_moves_open_steps(monkeypatch, planned, planner):
    on(monkeypatch, D(2026, 6, 3))  # two working days later than the plan began
    changes = plans.replan_order(order=planned, by=planner, reason="客户改期")
    assert [c["step"].seq for c in changes] == [1, 3, 4, 5, 6, 7]  # the skipped 生产 stays skipped
    assert [(c["old"]["planned_start"], c["new"]["planned_start"]) for c in changes[:2]] == [
        (D(2026, 6, 1), D(2026, 6, 3)),
        (D(2026, 6, 2), D(2026, 6, 4)),
    ]
    assert PlanStep.objects.get(order=planned, seq=1).planned_due == D(2026, 6, 3)
    planned.refresh_from_db()
    assert planned.promised_date == D(2026, 6, 9)  # 签收 2026-06-08..09
    assert OrderEvent.objects.filter(order=planned, type="plan_replanned").count() == 1


# --- a plan reaching a year the holiday calendar does not cover (2027) ----------------------------


@pytest.mark.parametrize(
    ("term", "collect_due", "work", "left"), [(60, D(2027, 2, 20), 43, 36), (90, D(2027, 3, 22), 64, 57)]
)
def test_confirm_in_december_with_a_long_payment_term_and_scan_it(
    monkeypatch, salesperson, manager, admin_user, term, collect_due, work, left
):
    from salesdesk.fulfillment.alerts import scan_alerts
    from salesdesk.fulfillment.models import Alert
    from salesdesk.fulfillment.tests.test_alerts_factories import at
    from salesdesk.orders.models import SalesOrder

    on(monkeypatch, D(2026, 12, 14))
    product = make_product()
    stock(product, make_warehouse(), "10", by=admin_user)
    order = ready_order(salesperson, manager, [line(product, "4")])
    SalesOrder.objects.filter(pk=order.pk).update(payment_term_days=term)
    order.refresh_from_db()

    plans.confirm_order_with_plan(order=order, by=salesperson)

    collect = PlanStep.objects.get(order=order, code="collect")
    assert (collect.planned_start, collect.planned_due) == (D(2026, 12, 22), collect_due)
    # 31 Dec: every open step has begun; the 收款 step runs into 2027, counted Monday–Friday there
    result = scan_alerts(now=at(D(2026, 12, 31)))
    # nothing started: six steps (生产 is skipped) not started and at risk, so the promise is at risk too
    assert result.by_rule == {"step_not_started": 6, "step_at_risk": 6, "promise_at_risk": 1}
    alert = Alert.objects.get(rule="step_at_risk", step=collect)
    # 7 working days 23–31 Dec 2026 (Chinese calendar) + Monday–Friday in 2027 up to the due date
    assert (alert.data["remaining_days"], alert.data["available_days"]) == (work, left)
    assert alert.due_on == collect_due


def test_redate_onto_an_uncovered_year_fails_loudly_and_changes_nothing(planned, planner):
    from salesdesk.fulfillment.calendar import CalendarNotCovered

    step = PlanStep.objects.get(order=planned, seq=3)
    before = (step.planned_start, step.planned_due)
    events = OrderEvent.objects.filter(order=planned).count()
    with pytest.raises(CalendarNotCovered) as exc:
        plans.redate_step(step=step, by=planner, planned_start="2027-03-01", planned_due="2027-03-02")
    assert exc.value.status == 409
    assert "2027" in exc.value.message
    step.refresh_from_db()
    assert (step.planned_start, step.planned_due) == before
    assert OrderEvent.objects.filter(order=planned).count() == events


# --- progress -------------------------------------------------------------------------------------


def test_report_progress_on_a_running_step(planned, salesperson):
    step = PlanStep.objects.get(order=planned, seq=1)
    plans.start_step(step=step, by=salesperson)

    plans.report_progress(step=step, by=salesperson, progress="40", note="一半物料已到")

    step.refresh_from_db()
    assert step.progress == 40
    event = OrderEvent.objects.get(order=planned, type="step_progress")
    assert event.data == {
        "step": step.pk,
        "seq": 1,
        "name": "备料",
        "old": 0,
        "new": 40,
        "note": "一半物料已到",
    }


@pytest.mark.parametrize("value", ["101", "-1", "abc", "", "40.5", None])
def test_report_progress_refuses_bad_values_and_changes_nothing(planned, salesperson, value):
    step = PlanStep.objects.get(order=planned, seq=1)
    plans.start_step(step=step, by=salesperson)
    events = OrderEvent.objects.filter(order=planned).count()
    with pytest.raises(InvalidInput) as exc:
        plans.report_progress(step=step, by=salesperson, progress=value)
    assert exc.value.fields == {"progress": ["请输入 0 到 100 之间的整数。"]}
    step.refresh_from_db()
    assert step.progress == 0
    assert OrderEvent.objects.filter(order=planned).count() == events


def test_report_progress_refused_on_a_pending_step_and_without_permission(planned, salesperson, user_factory):
    step = PlanStep.objects.get(order=planned, seq=1)
    events = OrderEvent.objects.filter(order=planned).count()
    with pytest.raises(plans.StepActionRefused) as exc:
        plans.report_progress(step=step, by=salesperson, progress=30)
    assert exc.value.status == 409
    plans.start_step(step=step, by=salesperson)
    viewer = user_factory(username="norole1")  # no role: no fulfillment.change_planstep
    with pytest.raises(Forbidden):
        plans.report_progress(step=step, by=viewer, progress=30)
    step.refresh_from_db()
    assert step.progress == 0
    assert OrderEvent.objects.filter(order=planned).count() == events + 1  # only the start
