"""API: GET /api/alerts, acknowledge, notifications inbox."""

from __future__ import annotations

import datetime as dt

import pytest

from salesdesk.fulfillment import notifications
from salesdesk.fulfillment.alerts import scan_alerts
from salesdesk.fulfillment.models import Alert, Notification
from salesdesk.fulfillment.tests.test_alerts_factories import NOW, TODAY, add_step, confirmed_order

pytestmark = pytest.mark.django_db
D = dt.timedelta


def _at_risk(owner, n: int = 1) -> list:
    orders = []
    for _ in range(n):
        order = confirmed_order(owner)
        add_step(order, start=TODAY - D(days=3), due=TODAY + D(days=2), status="in_progress")
        orders.append(order)
    scan_alerts(now=NOW)
    return orders


def test_list_my_alerts(api_client_for, salesperson, other_salesperson) -> None:
    [order] = _at_risk(salesperson)
    _at_risk(other_salesperson)

    body = api_client_for(salesperson).get("/api/alerts").json()

    assert body["count"] == 1
    [item] = body["items"]
    assert item["order_id"] == order.pk
    assert item["order_number"] == order.number
    assert item["rule"] == "step_at_risk"
    assert item["step_name"] == "生产"
    assert item["due_on"] == "2026-06-10"
    assert item["owner_id"] == salesperson.pk
    assert item["cleared_at"] is None


def test_team_scope_for_manager_refused_for_salesperson(
    api_client_for, salesperson, manager, other_salesperson
) -> None:
    _at_risk(salesperson)
    _at_risk(other_salesperson)

    assert api_client_for(manager).get("/api/alerts", {"scope": "team"}).json()["count"] == 1
    response = api_client_for(salesperson).get("/api/alerts", {"scope": "team"})
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert api_client_for(salesperson).get("/api/alerts", {"all": "1"}).status_code == 403


def test_all_for_admin_and_filters(api_client_for, salesperson, other_salesperson, admin_user) -> None:
    _at_risk(salesperson)
    _at_risk(other_salesperson)
    client = api_client_for(admin_user)

    assert client.get("/api/alerts", {"all": "1"}).json()["count"] == 2
    assert client.get("/api/alerts", {"all": "1", "rule": "stock_short"}).json()["count"] == 0
    Alert.objects.update(cleared_at=NOW)
    assert client.get("/api/alerts", {"all": "1"}).json()["count"] == 0
    assert client.get("/api/alerts", {"all": "1", "state": "cleared"}).json()["count"] == 2


def test_acknowledge(api_client_for, salesperson, other_salesperson) -> None:
    _at_risk(salesperson)
    alert = Alert.objects.get()

    refused = api_client_for(other_salesperson).post(f"/api/alerts/{alert.pk}/acknowledge")
    assert refused.status_code == 404
    alert.refresh_from_db()
    assert alert.acknowledged_at is None

    response = api_client_for(salesperson).post(f"/api/alerts/{alert.pk}/acknowledge")
    assert response.status_code == 200
    assert response.json()["acknowledged_at"] is not None


@pytest.mark.parametrize("n", [3, 30])
def test_alert_list_query_count(api_client_for, salesperson, django_assert_max_num_queries, n) -> None:
    _at_risk(salesperson, n)
    client = api_client_for(salesperson)
    with django_assert_max_num_queries(8):
        body = client.get("/api/alerts").json()
    assert body["count"] == n


def test_notifications_inbox_read_and_read_all(api_client_for, salesperson, other_salesperson) -> None:
    a = notifications.notify(recipient=salesperson, kind="mention", title="甲")
    notifications.notify(recipient=salesperson, kind="info", title="乙")
    theirs = notifications.notify(recipient=other_salesperson, kind="info", title="丙")
    client = api_client_for(salesperson)

    body = client.get("/api/notifications").json()
    assert (body["count"], body["unread"]) == (2, 2)
    assert [i["title"] for i in body["items"]] == ["乙", "甲"]

    assert client.post(f"/api/notifications/{theirs.pk}/read").status_code == 404
    read = client.post(f"/api/notifications/{a.pk}/read").json()
    assert read["read_at"] is not None
    assert client.get("/api/notifications", {"unread": "1"}).json()["count"] == 1

    assert client.post("/api/notifications/read-all").json() == {"updated": 1, "unread": 0}
    assert Notification.objects.get(pk=theirs.pk).read_at is None


@pytest.mark.parametrize("n", [3, 30])
def test_notification_list_query_count(api_client_for, salesperson, django_assert_max_num_queries, n) -> None:
    for i in range(n):
        notifications.notify(recipient=salesperson, kind="info", title=f"通知{i}")
    client = api_client_for(salesperson)
    with django_assert_max_num_queries(8):
        body = client.get("/api/notifications").json()
    assert body["count"] == n
