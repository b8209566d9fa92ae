import io
from collections import Counter

import pytest
from django.core.management import call_command

from salesdesk.accounts.models import User
from salesdesk.fulfillment.models import Alert, Article, ChangeRequest, Comment, OrderPlan, PlanTemplateStep
from salesdesk.orders.models import SalesOrder
from salesdesk.orders.selectors import headline_status, list_orders
from salesdesk.pricing.models import PriceList
from salesdesk.shipping.models import Shipment, TrackingEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_env(settings, tmp_path, monkeypatch):
    settings.VAR_DIR = tmp_path
    monkeypatch.setenv("SALESDESK_DEMO_PASSWORD", "Demo-Pass-2026")
    return tmp_path


def _seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--customers", "10", "--products", "12", "--orders", "15", *args, stdout=out)
    return out.getvalue()


def test_demo_orders_cover_every_state(demo_env):
    _seed()

    orders = list(SalesOrder.objects.all())
    assert len(orders) == 15
    assert Counter(o.status for o in orders) == {
        "confirmed": 8,
        "submitted": 3,
        "draft": 1,
        "on_hold": 1,
        "cancelled": 1,
        "closed": 1,
    }
    assert Counter(str(headline_status(o)[0]) for o in orders if o.status == "submitted") == Counter(
        {"pending_approval": 1, "pending_customer": 1, "change_requested": 1}
    )
    assert Counter(o.shipping_status for o in orders) == {
        "not_shipped": 11,
        "partial": 2,
        "shipped": 1,
        "delivered": 1,
    }
    below_floor = SalesOrder.objects.get(approval_status="pending")
    assert [r["code"] for r in below_floor.approval_reasons if r["code"] == "price_floor"] == ["price_floor"]
    pending_link = SalesOrder.objects.get(status="submitted", confirmation_status="pending")
    assert pending_link.confirmation_expires_at is not None
    assert {o.owner.username for o in orders} == {"sales1", "sales2"}
    assert all((o.idempotency_key or "").startswith("seed-demo-") for o in orders)


def test_demo_plans_shipments_and_collaboration(demo_env):
    _seed()

    planned = SalesOrder.objects.filter(status__in=["confirmed", "on_hold", "closed"])
    assert planned.count() == 10
    assert OrderPlan.objects.filter(order__in=planned).count() == 10
    assert not OrderPlan.objects.exclude(order__in=planned).exists()
    assert SalesOrder.objects.get(plan_steps__status="blocked").order_type == "preorder"
    assert Alert.objects.filter(cleared_at__isnull=True).count() >= 1
    assert Alert.objects.filter(cleared_at__isnull=True, rule="step_not_started").exists()
    assert Shipment.objects.filter(status="delivered").count() >= 2
    assert TrackingEvent.objects.count() >= 8
    assert ChangeRequest.objects.filter(status="pending").count() == 1
    assert Comment.objects.filter(mentions__username="planner").count() == 2
    assert Article.objects.filter(source_exception__isnull=False).count() == 1
    assert sorted(PriceList.objects.values_list("kind", flat=True)) == ["agreement", "promotion", "tier"]
    owners = dict(
        PlanTemplateStep.objects.filter(template__code="STD").values_list("code", "default_owner__username")
    )
    assert owners == {
        "prepare": "planner",
        "produce": "planner",
        "inspect": "planner",
        "ship": "warehouse",
        "sign": None,
        "invoice": "finance",
        "collect": "finance",
    }
    departments = dict(
        User.objects.filter(username__in=["warehouse", "planner"]).values_list("username", "department__code")
    )
    assert departments == {"warehouse": "WH", "planner": "PLAN"}


def test_salesperson_sees_only_own_demo_orders(demo_env):
    _seed()
    sales1 = User.objects.get(username="sales1")
    manager = User.objects.get(username="manager")

    mine = list(list_orders(user=sales1))

    assert len(mine) == SalesOrder.objects.filter(owner=sales1).count() >= 7
    assert {o.owner_id for o in mine} == {sales1.pk}
    assert list_orders(user=manager).count() == 15


def test_second_run_adds_no_orders(demo_env):
    _seed()
    numbers = sorted(SalesOrder.objects.values_list("number", flat=True))
    alerts = Alert.objects.count()

    _seed()

    assert sorted(SalesOrder.objects.values_list("number", flat=True)) == numbers
    assert PriceList.objects.count() == 3
    assert Alert.objects.count() == alerts
