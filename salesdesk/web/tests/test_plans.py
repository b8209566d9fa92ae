"""Pages for plans: the work queue, step actions, the order plan, capacity and the promise date."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from salesdesk.accounts.models import Department
from salesdesk.core.numbering import business_date
from salesdesk.fulfillment import capacity, plans
from salesdesk.fulfillment.calendar import WorkCalendar
from salesdesk.fulfillment.models import DepartmentCapacity, PlanStep
from salesdesk.fulfillment.models.plans import StepLoad
from salesdesk.fulfillment.tests.plans_factories import (
    dept,
    line,
    make_product,
    make_warehouse,
    ready_order,
    stock,
)
from salesdesk.orders.models import OrderEvent
from salesdesk.web.views.plans import _holiday_names

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}


def _planned(owner, manager, admin_user, qty="2"):
    product = make_product()
    stock(product, make_warehouse(), "10", by=admin_user)
    order = ready_order(owner, manager, [line(product, qty)], acknowledge_duplicate=True)
    plans.confirm_order_with_plan(order=order, by=owner)
    return order


@pytest.fixture
def planner(user_factory):
    return user_factory("planner", department=dept("PLAN"), username="planner1", name="计划员甲")


@pytest.fixture
def planned(salesperson, manager, admin_user):
    return _planned(salesperson, manager, admin_user)


def _row_ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'data-testid="queue-row"\s+data-step="(\d+)"', html)]


def _open_steps(order):
    return list(
        PlanStep.objects.filter(order=order, status__in=capacity.OPEN_STATUSES).order_by(
            "planned_due", "order_id", "seq"
        )
    )


# --- queue ---------------------------------------------------------------------------------------


def test_my_queue_is_sorted_by_due_and_highlights_overdue(logged_in_client, salesperson, planned):
    steps = _open_steps(planned)
    today = business_date()
    yesterday = today - dt.timedelta(days=1)
    PlanStep.objects.filter(pk=steps[0].pk).update(planned_start=yesterday, planned_due=yesterday)
    PlanStep.objects.filter(pk=steps[1].pk).update(planned_start=today, planned_due=today)

    response = logged_in_client(salesperson).get(reverse("web:queue"))

    assert response.status_code == 200
    html = response.content.decode()
    assert _row_ids(html) == [s.pk for s in _open_steps(planned)]
    assert _row_ids(html)[:2] == [steps[0].pk, steps[1].pk]
    first = html.split(f'id="step-{steps[0].pk}"')[1].split("</tr>")[0]
    second = html.split(f'id="step-{steps[1].pk}"')[1].split("</tr>")[0]
    assert 'class="table-danger"' in html.split(f'id="step-{steps[0].pk}"')[1][:200]
    assert "逾期" in first
    assert "今天到期" in second
    assert reverse("web:order_detail", args=[planned.pk]) in html
    assert planned.customer_name in html
    assert "我的任务" in html
    assert "部门任务" in html


def test_department_queue_shows_only_own_orders_to_a_salesperson(
    logged_in_client, user_factory, team, manager, admin_user
):
    mine_user = user_factory("salesperson", team=team, department=dept("SALES"), username="s_mine")
    other = user_factory("salesperson", team=team, department=dept("SALES"), username="s_other")
    mine = _planned(mine_user, manager, admin_user)
    theirs = _planned(other, manager, admin_user)

    response = logged_in_client(mine_user).get(reverse("web:queue"), {"tab": "department"})

    ids = _row_ids(response.content.decode())
    sales_steps = PlanStep.objects.filter(department__code="SALES", status__in=capacity.OPEN_STATUSES)
    assert ids == [s.pk for s in sales_steps.filter(order=mine)]
    assert not set(ids) & set(sales_steps.filter(order=theirs).values_list("pk", flat=True))
    # a salesperson cannot pick another department
    again = logged_in_client(mine_user).get(reverse("web:queue"), {"tab": "department", "department": "FIN"})
    assert _row_ids(again.content.decode()) == ids


def test_planner_picks_a_department(logged_in_client, planner, planned):
    response = logged_in_client(planner).get(reverse("web:queue"), {"tab": "department", "department": "FIN"})

    fin = PlanStep.objects.filter(order=planned, department__code="FIN").order_by("planned_due", "seq")
    assert _row_ids(response.content.decode()) == [s.pk for s in fin]
    assert 'id="queue-department"' in response.content.decode()


@pytest.mark.parametrize("n", [3, 30])
def test_queue_query_count(
    n, logged_in_client, salesperson, manager, admin_user, django_assert_max_num_queries
):
    product = make_product()
    stock(product, make_warehouse(), str(n * 2), by=admin_user)
    for _i in range(n):
        order = ready_order(salesperson, manager, [line(product, "1")], acknowledge_duplicate=True)
        plans.confirm_order_with_plan(order=order, by=salesperson)
    client = logged_in_client(salesperson)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("web:queue"))
    assert len(_row_ids(response.content.decode())) == min(n * 6, 200)


def test_start_step_rerenders_the_row(logged_in_client, salesperson, planned):
    step = _open_steps(planned)[0]
    events = OrderEvent.objects.filter(order=planned).count()

    response = logged_in_client(salesperson).post(
        reverse("web:plan_step_action", args=[step.pk, "start"]), headers=HX
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert html.strip().startswith(f'<tr id="step-{step.pk}"')
    assert "进行中" in html
    assert 'data-testid="step-finish"' in html
    assert "autofocus" in html
    step.refresh_from_db()
    assert step.status == "in_progress"
    assert OrderEvent.objects.filter(order=planned).count() == events + 1


def test_refused_action_shows_the_message_and_changes_nothing(logged_in_client, salesperson, planned):
    step = _open_steps(planned)[0]
    events = OrderEvent.objects.filter(order=planned).count()

    response = logged_in_client(salesperson).post(
        reverse("web:plan_step_action", args=[step.pk, "finish"]), headers=HX
    )

    assert response.status_code == 409
    html = response.content.decode()
    assert 'data-testid="step-error"' in html
    assert "不能" in html
    step.refresh_from_db()
    assert step.status == "pending"
    assert OrderEvent.objects.filter(order=planned).count() == events


def test_block_needs_a_reason_then_blocks_and_unblocks(logged_in_client, salesperson, planned):
    step = _open_steps(planned)[0]
    client = logged_in_client(salesperson)
    url = reverse("web:plan_step_action", args=[step.pk, "block"])

    refused = client.post(url, {"reason": "  "}, headers=HX)
    assert refused.status_code == 422
    assert "is-invalid" in refused.content.decode()
    step.refresh_from_db()
    assert (step.status, step.blocked_reason) == ("pending", "")

    blocked = client.post(url, {"reason": "缺少原材料"}, headers=HX)
    assert blocked.status_code == 200
    assert "缺少原材料" in blocked.content.decode()
    step.refresh_from_db()
    assert (step.status, step.blocked_reason) == ("blocked", "缺少原材料")

    unblocked = client.post(reverse("web:plan_step_action", args=[step.pk, "unblock"]), headers=HX)
    assert unblocked.status_code == 200
    step.refresh_from_db()
    assert (step.status, step.blocked_reason) == ("pending", "")


def test_step_of_another_salespersons_order_is_404(logged_in_client, other_salesperson, planned):
    step = _open_steps(planned)[0]
    response = logged_in_client(other_salesperson).post(
        reverse("web:plan_step_action", args=[step.pk, "start"]), headers=HX
    )
    assert response.status_code == 404
    step.refresh_from_db()
    assert step.status == "pending"


def test_action_without_htmx_redirects_to_the_queue(logged_in_client, salesperson, planned):
    step = _open_steps(planned)[0]
    response = logged_in_client(salesperson).post(reverse("web:plan_step_action", args=[step.pk, "start"]))
    assert response.status_code == 302
    assert response["Location"] == reverse("web:queue")


# --- order plan ----------------------------------------------------------------------------------


def test_order_plan_page_for_planner_and_salesperson(logged_in_client, planner, salesperson, planned):
    as_planner = logged_in_client(planner).get(reverse("web:order_plan", args=[planned.pk]))
    assert as_planner.status_code == 200
    html = as_planner.content.decode()
    assert html.count('data-testid="plan-step"') == 7
    assert html.count('data-testid="plan-segment"') == 7
    assert 'data-testid="plan-reassign"' in html
    assert planned.number in html

    as_owner = logged_in_client(salesperson).get(reverse("web:order_plan", args=[planned.pk]))
    assert as_owner.status_code == 200
    assert 'data-testid="plan-reassign"' not in as_owner.content.decode()


def test_order_plan_is_404_outside_scope(logged_in_client, other_salesperson, planned):
    assert (
        logged_in_client(other_salesperson).get(reverse("web:order_plan", args=[planned.pk])).status_code
        == 404
    )


def test_order_plan_before_confirmation(logged_in_client, salesperson, manager):
    order = ready_order(salesperson, manager, [line(make_product(), "1")])
    response = logged_in_client(salesperson).get(reverse("web:order_plan", args=[order.pk]))
    assert response.status_code == 200
    assert 'data-testid="plan-step"' not in response.content.decode()


def test_order_plan_query_count_does_not_grow(
    logged_in_client, planner, planned, user_factory, django_assert_max_num_queries
):
    client = logged_in_client(planner)
    client.get(reverse("web:order_plan", args=[planned.pk]))
    with django_assert_max_num_queries(14):
        client.get(reverse("web:order_plan", args=[planned.pk]))
    for i in range(20):
        user_factory("warehouse", username=f"wh{i}")
    with django_assert_max_num_queries(14):
        client.get(reverse("web:order_plan", args=[planned.pk]))


def test_planner_reassigns_a_step(logged_in_client, planner, user_factory, planned):
    target = user_factory("warehouse", department=dept("WH"), username="wh_b", name="仓管乙")
    step = PlanStep.objects.get(order=planned, code="ship")
    events = OrderEvent.objects.filter(order=planned).count()

    response = logged_in_client(planner).post(
        reverse("web:plan_step_action", args=[step.pk, "reassign"]),
        {"owner": str(target.pk), "view": "plan"},
        headers=HX,
    )

    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<section id="order-plan"')
    assert response["HX-Trigger"] == "plan-changed"
    step.refresh_from_db()
    assert step.owner_id == target.pk
    assert OrderEvent.objects.filter(order=planned).count() == events + 1


def test_salesperson_cannot_reassign(logged_in_client, salesperson, other_salesperson, planned):
    step = PlanStep.objects.get(order=planned, code="ship")
    owner = step.owner_id

    response = logged_in_client(salesperson).post(
        reverse("web:plan_step_action", args=[step.pk, "reassign"]),
        {"owner": str(other_salesperson.pk), "view": "plan"},
        headers=HX,
    )

    assert response.status_code == 403
    assert 'data-testid="plan-error"' in response.content.decode()
    step.refresh_from_db()
    assert step.owner_id == owner


def test_planner_redates_a_step_and_a_holiday_is_refused(logged_in_client, planner, planned):
    step = PlanStep.objects.get(order=planned, code="invoice")
    old = (step.planned_start, step.planned_due)
    client = logged_in_client(planner)
    url = reverse("web:plan_step_action", args=[step.pk, "redate"])
    cal = WorkCalendar()
    rest = cal.roll_forward(step.planned_start + dt.timedelta(days=1))
    while cal.is_workday(rest):
        rest += dt.timedelta(days=1)

    refused = client.post(
        url, {"planned_start": rest.isoformat(), "planned_due": rest.isoformat(), "view": "plan"}, headers=HX
    )
    assert refused.status_code == 422
    html = refused.content.decode()
    assert f'id="start-{step.pk}"' in html
    assert "is-invalid" in html
    assert f'value="{rest.isoformat()}"' in html
    step.refresh_from_db()
    assert (step.planned_start, step.planned_due) == old

    start = cal.next_workday(old[1])
    due = cal.next_workday(start)
    ok = client.post(
        url, {"planned_start": start.isoformat(), "planned_due": due.isoformat(), "view": "plan"}, headers=HX
    )
    assert ok.status_code == 200
    step.refresh_from_db()
    assert (step.planned_start, step.planned_due) == (start, due)


# --- capacity ------------------------------------------------------------------------------------


def test_capacity_page_shows_load_and_over_capacity(logged_in_client, planner, planned):
    cal = WorkCalendar()
    day = cal.roll_forward(business_date())
    qc = dept("QC")
    step = PlanStep.objects.get(order=planned, code="inspect")
    StepLoad.objects.create(step=step, department=qc, day=day, load=Decimal("30"))

    response = logged_in_client(planner).get(reverse("web:capacity"))

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="capacity-day"') == 28
    assert html.count('data-testid="over"') >= 1
    row = html.split(f'data-day="{day.isoformat()}"')[1].split("</tr>")[0]
    assert 'data-testid="over"' in row
    assert ">-6<" in row  # QC: 24 capacity, 30 load → -6 free
    assert html.count('data-testid="capacity-form"') == Department.objects.filter(is_active=True).count()


def test_capacity_page_read_only_for_salesperson(logged_in_client, salesperson):
    response = logged_in_client(salesperson).get(reverse("web:capacity"))
    assert response.status_code == 200
    assert 'data-testid="capacity-form"' not in response.content.decode()


def test_capacity_query_count(
    logged_in_client, planner, salesperson, manager, admin_user, django_assert_max_num_queries
):
    client = logged_in_client(planner)
    client.get(reverse("web:capacity"))
    with django_assert_max_num_queries(60) as ctx:
        client.get(reverse("web:capacity"))
    before = len(ctx.captured_queries)
    for _i in range(3):
        _planned(salesperson, manager, admin_user)
    with django_assert_max_num_queries(before):
        client.get(reverse("web:capacity"))


def test_holiday_names_come_from_the_calendar():
    names = _holiday_names(dt.date(2026, 9, 30), dt.date(2026, 10, 9))
    assert names[dt.date(2026, 10, 1)] == "国庆节"
    assert dt.date(2026, 9, 30) not in names


def test_planner_sets_capacity(logged_in_client, planner):
    client = logged_in_client(planner)
    url = reverse("web:capacity_set", args=["PROD"])

    response = client.post(url, {"per_day": "96"}, headers=HX)

    assert response.status_code == 204
    assert response["HX-Refresh"] == "true"
    assert DepartmentCapacity.objects.get(department__code="PROD").per_day == Decimal("96")


def test_invalid_capacity_is_422_and_keeps_input(logged_in_client, planner):
    response = logged_in_client(planner).post(
        reverse("web:capacity_set", args=["PROD"]), {"per_day": "-5"}, headers=HX
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "is-invalid" in html
    assert 'value="-5"' in html
    assert "产能" in html
    assert DepartmentCapacity.objects.get(department__code="PROD").per_day == Decimal("80")


def test_salesperson_cannot_set_capacity(logged_in_client, salesperson):
    response = logged_in_client(salesperson).post(
        reverse("web:capacity_set", args=["PROD"]), {"per_day": "1"}
    )
    assert response.status_code == 403
    assert DepartmentCapacity.objects.get(department__code="PROD").per_day == Decimal("80")


# --- promise date --------------------------------------------------------------------------------


def test_promise_date_partial(logged_in_client, salesperson, admin_user):
    product = make_product()
    stock(product, make_warehouse(), "4", by=admin_user)
    expected = capacity.promise_date(lines=[(product, Decimal("10"))])

    response = logged_in_client(salesperson).post(
        reverse("web:promise_date_partial"),
        {"product": [product.sku, ""], "qty": ["10", ""], "requested_date": business_date().isoformat()},
        headers=HX,
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert f"承诺交期 {expected.date.isoformat()}" in html
    assert "库存不足" in html
    assert product.sku in html


def test_promise_date_by_product_id_in_stock(logged_in_client, salesperson, admin_user):
    product = make_product()
    stock(product, make_warehouse(), "10", by=admin_user)
    expected = capacity.promise_date(lines=[(product, Decimal("2"))])

    response = logged_in_client(salesperson).post(
        reverse("web:promise_date_partial"), {"product": str(product.pk), "qty": "2"}
    )

    assert response.status_code == 200
    assert f"承诺交期 {expected.date.isoformat()}" in response.content.decode()
    assert "alert-success" in response.content.decode()


def test_promise_date_bad_input_is_422(logged_in_client, salesperson):
    product = make_product()
    response = logged_in_client(salesperson).post(
        reverse("web:promise_date_partial"),
        {"product": ["NOPE-1", product.sku], "qty": ["1", "abc"], "requested_date": "2026-13-01"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'data-field="lines.0.product"' in html
    assert 'data-field="lines.1.qty"' in html
    assert 'data-field="requested_date"' in html


def test_report_progress_in_the_queue_row_and_the_bar_shows_it(logged_in_client, salesperson, planned):
    step = _open_steps(planned)[0]
    client = logged_in_client(salesperson)
    client.post(reverse("web:plan_step_action", args=[step.pk, "start"]), headers=HX)
    queue_html = client.get(reverse("web:queue")).content.decode()
    assert 'data-estimated="1"' in queue_html  # no report yet: the linear estimate, greyed
    assert 'title="估算"' in queue_html

    response = client.post(
        reverse("web:plan_step_action", args=[step.pk, "progress"]), {"progress": "40"}, headers=HX
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert html.strip().startswith(f'<tr id="step-{step.pk}"')
    assert 'aria-valuenow="40"' in html
    assert 'data-estimated="0"' in html
    assert "更新进度" in html
    step.refresh_from_db()
    assert step.progress == 40
    assert OrderEvent.objects.filter(order=planned, type="step_progress").count() == 1


def test_invalid_progress_is_422_beside_the_field_and_changes_nothing(logged_in_client, salesperson, planned):
    step = _open_steps(planned)[0]
    client = logged_in_client(salesperson)
    client.post(reverse("web:plan_step_action", args=[step.pk, "start"]), headers=HX)
    events = OrderEvent.objects.filter(order=planned).count()

    response = client.post(
        reverse("web:plan_step_action", args=[step.pk, "progress"]), {"progress": "150"}, headers=HX
    )

    assert response.status_code == 422
    html = response.content.decode()
    assert 'value="150"' in html
    assert "is-invalid" in html
    assert "请输入 0 到 100 之间的整数。" in html
    step.refresh_from_db()
    assert step.progress == 0
    assert OrderEvent.objects.filter(order=planned).count() == events


def test_report_progress_from_the_order_plan_fragment(logged_in_client, salesperson, planned):
    step = _open_steps(planned)[0]
    client = logged_in_client(salesperson)
    plans.start_step(step=step, by=salesperson)
    page = client.get(reverse("web:order_plan", args=[planned.pk])).content.decode()
    assert 'data-testid="step-progress-form"' in page
    assert "进度 0% (估算)" in page  # started today: no working day elapsed yet

    response = client.post(
        reverse("web:plan_step_action", args=[step.pk, "progress"]),
        {"progress": "70", "view": "plan"},
        headers=HX,
    )

    assert response.status_code == 200
    assert response["HX-Trigger"] == "plan-changed"
    html = response.content.decode()
    assert 'id="order-plan"' in html
    assert "进度 70%\n" in html  # reported: no "估算"
    step.refresh_from_db()
    assert step.progress == 70
