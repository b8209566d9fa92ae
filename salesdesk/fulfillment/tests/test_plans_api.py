import datetime as dt
from decimal import Decimal

import pytest

from salesdesk.fulfillment import plans
from salesdesk.fulfillment.models import DepartmentCapacity, PlanStep
from salesdesk.orders.models import OrderEvent

from .plans_factories import dept, line, make_product, make_warehouse, ready_order, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def planned(salesperson, manager, admin_user):
    product = make_product()
    stock(product, make_warehouse(), "10", by=admin_user)
    order = ready_order(salesperson, manager, [line(product, "2")])
    plans.confirm_order_with_plan(order=order, by=salesperson)
    return order


def test_plan_and_step_actions(api_client_for, planned, salesperson, other_salesperson):
    api = api_client_for(salesperson)
    body = api.get(f"/api/orders/{planned.pk}/plan").json()
    assert [s["name"] for s in body["steps"]] == ["备料", "生产", "质检", "发货", "签收", "开票", "收款"]
    step_id = body["steps"][0]["id"]
    assert api.post(f"/api/plan-steps/{step_id}/start").json()["status"] == "in_progress"
    events = OrderEvent.objects.filter(order=planned).count()
    refused = api.post(f"/api/plan-steps/{step_id}/start")
    assert refused.status_code == 409
    assert refused.json()["code"] == "step_action_refused"
    assert PlanStep.objects.get(pk=step_id).status == "in_progress"
    assert OrderEvent.objects.filter(order=planned).count() == events
    assert api_client_for(other_salesperson).get(f"/api/orders/{planned.pk}/plan").status_code == 404


def _orders(n, salesperson, manager, admin_user):
    product = make_product()
    stock(product, make_warehouse(), str(n * 2), by=admin_user)
    customer = None
    for _i in range(n):
        order = ready_order(salesperson, manager, [line(product, "1")], acknowledge_duplicate=True)
        plans.confirm_order_with_plan(order=order, by=salesperson)
        customer = customer or order.customer


@pytest.mark.parametrize("n", [3, 30])
def test_queue_query_count(
    n, api_client_for, salesperson, manager, admin_user, django_assert_max_num_queries
):
    _orders(n, salesperson, manager, admin_user)
    api = api_client_for(salesperson)
    with django_assert_max_num_queries(8):
        response = api.get("/api/plan-steps", {"mine": 1})
    # no department has members here, so the salesperson owns all six open steps of each order
    assert len(response.json()) == min(n * 6, 100)


# --- capacity and promise date ----------------------------------------------------------------


def test_get_capacity_rows(api_client_for, salesperson, planned):
    from salesdesk.fulfillment.calendar import WorkCalendar
    from salesdesk.fulfillment.models.plans import StepLoad

    cal = WorkCalendar()
    day = cal.roll_forward(dt.date(2026, 12, 1))
    rest = day + dt.timedelta(days=1)
    while cal.is_workday(rest):
        rest += dt.timedelta(days=1)
    step = PlanStep.objects.get(order=planned, code="inspect")
    StepLoad.objects.create(step=step, department=dept("QC"), day=day, load=Decimal("30"))

    response = api_client_for(salesperson).get(
        "/api/capacity", {"department": "qc", "date_from": day.isoformat(), "date_to": rest.isoformat()}
    )

    assert response.status_code == 200
    rows = {r["day"]: r for r in response.json()}
    row = rows[day.isoformat()]
    assert (row["is_workday"], row["over"]) == (True, True)
    assert (row["capacity"], row["load"], row["free"]) == ("24.00", "30.00", "-6.00")
    assert rows[rest.isoformat()]["is_workday"] is False
    assert rows[rest.isoformat()]["capacity"] == "0.00"
    assert rows[rest.isoformat()]["over"] is False


def test_get_capacity_bad_window_and_unknown_department(api_client_for, salesperson):
    api = api_client_for(salesperson)
    bad = api.get("/api/capacity", {"department": "QC", "date_from": "2026-12-09", "date_to": "2026-12-01"})
    assert bad.status_code == 422
    assert list(bad.json()["fields"]) == ["date_to"]
    missing = api.get(
        "/api/capacity", {"department": "NOPE", "date_from": "2026-12-01", "date_to": "2026-12-02"}
    )
    assert missing.status_code == 404


def test_put_capacity_by_planner(api_client_for, user_factory):
    planner = user_factory("planner", department=dept("PLAN"), username="planner_api")
    api = api_client_for(planner)

    response = api._call("put", "/api/capacity/PROD", {"per_day": "96.5", "unit": "units"})

    assert response.status_code == 200
    assert response.json() == {"department": "PROD", "per_day": "96.5", "unit": "units"}
    row = DepartmentCapacity.objects.get(department__code="PROD")
    assert (row.per_day, row.unit) == (Decimal("96.50"), "units")


def test_put_capacity_refused(api_client_for, user_factory, salesperson):
    planner = user_factory("planner", department=dept("PLAN"), username="planner_api")
    invalid = api_client_for(planner)._call("put", "/api/capacity/PROD", {"per_day": "-1"})
    assert invalid.status_code == 422
    assert list(invalid.json()["fields"]) == ["per_day"]
    forbidden = api_client_for(salesperson)._call("put", "/api/capacity/PROD", {"per_day": "1"})
    assert forbidden.status_code == 403
    row = DepartmentCapacity.objects.get(department__code="PROD")
    assert (row.per_day, row.unit) == (Decimal("80.00"), "hours")


def test_post_promise_date(api_client_for, salesperson, admin_user):
    from salesdesk.fulfillment import capacity

    product = make_product()
    stock(product, make_warehouse(), "4", by=admin_user)
    expected = capacity.promise_date(lines=[(product, Decimal("10"))], requested_date=dt.date(2026, 11, 23))

    response = api_client_for(salesperson).post(
        "/api/promise-date",
        {"lines": [{"product": product.sku, "qty": "10"}], "requested_date": "2026-11-23"},
    )

    assert response.status_code == 200
    body = response.json()
    assert body["promise_date"] == expected.date.isoformat()
    assert body["feasible"] is False
    assert body["stock_ok"] is False
    assert body["reasons"] == expected.reasons
    assert body["reasons"][0].startswith("库存不足")


def test_post_promise_date_unknown_product(api_client_for, salesperson):
    response = api_client_for(salesperson).post(
        "/api/promise-date", {"lines": [{"product": "NOPE-1", "qty": "1"}]}
    )
    assert response.status_code == 422
    assert list(response.json()["fields"]) == ["lines.0.product"]


def test_promise_date_bad_quantity_is_422_not_500(api_client_for, salesperson):
    from salesdesk.catalog.tests.factories import ProductFactory

    product = ProductFactory.create(sku="PD-BAD")
    response = api_client_for(salesperson).post(
        "/api/promise-date", {"lines": [{"product": "PD-BAD", "qty": "abc"}]}
    )
    assert response.status_code == 422
    assert list(response.json()["fields"]) == ["lines.0.qty"]
    assert product.pk


def test_report_progress_endpoint(api_client_for, planned, salesperson):
    api = api_client_for(salesperson)
    step = PlanStep.objects.get(order=planned, seq=1)
    refused = api.post(f"/api/plan-steps/{step.pk}/progress", {"progress": 30})
    assert refused.status_code == 409  # not started
    api.post(f"/api/plan-steps/{step.pk}/start")

    bad = api.post(f"/api/plan-steps/{step.pk}/progress", {"progress": 101})
    assert bad.status_code == 422
    assert bad.json()["fields"] == {"progress": ["请输入 0 到 100 之间的整数。"]}
    step.refresh_from_db()
    assert step.progress == 0

    ok = api.post(f"/api/plan-steps/{step.pk}/progress", {"progress": 30})
    assert ok.status_code == 200
    assert ok.json()["progress"] == 30
    assert OrderEvent.objects.filter(order=planned, type="step_progress").count() == 1
