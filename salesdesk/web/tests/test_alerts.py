"""Pages: the alert centre, the inbox, the workbench card, the order-detail fragment."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from salesdesk.fulfillment import notifications
from salesdesk.fulfillment.alerts import scan_alerts
from salesdesk.fulfillment.models import Alert
from salesdesk.fulfillment.tests.test_alerts_factories import NOW, TODAY, add_step, confirmed_order
from salesdesk.web.views.alerts import notification_badge, order_alerts_context

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


def test_alert_centre_lists_my_open_alerts(logged_in_client, salesperson, other_salesperson) -> None:
    [order] = _at_risk(salesperson)
    [theirs] = _at_risk(other_salesperson)

    response = logged_in_client(salesperson).get(reverse("web:alert_list"))

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('data-testid="alert-row"') == 1
    assert order.number in html
    assert theirs.number not in html
    assert "2026-06-10" in html


def test_manager_sees_the_team_tab(logged_in_client, salesperson, manager, other_salesperson) -> None:
    [order] = _at_risk(salesperson)
    [theirs] = _at_risk(other_salesperson)

    html = logged_in_client(manager).get(reverse("web:alert_list"), {"scope": "team"}).content.decode()

    assert order.number in html
    assert theirs.number not in html
    # a salesperson asking for the team view gets their own alerts
    own = (
        logged_in_client(other_salesperson).get(reverse("web:alert_list"), {"scope": "team"}).content.decode()
    )
    assert theirs.number in own
    assert order.number not in own


def test_acknowledge_with_htmx_returns_the_row(logged_in_client, salesperson, other_salesperson) -> None:
    _at_risk(salesperson)
    alert = Alert.objects.get()
    url = reverse("web:alert_acknowledge", args=[alert.pk])

    assert logged_in_client(other_salesperson).post(url, HTTP_HX_REQUEST="true").status_code == 404
    alert.refresh_from_db()
    assert alert.acknowledged_at is None

    response = logged_in_client(salesperson).post(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Trigger"] == "alert-acknowledged"
    assert f'id="alert-{alert.pk}"' in response.content.decode()
    alert.refresh_from_db()
    assert alert.acknowledged_at is not None


@pytest.mark.parametrize("n", [3, 30])
def test_alert_centre_query_count(logged_in_client, salesperson, django_assert_max_num_queries, n) -> None:
    _at_risk(salesperson, n)
    client = logged_in_client(salesperson)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("web:alert_list"))
    assert response.content.decode().count('data-testid="alert-row"') == n


def test_inbox_unread_first_mark_read_and_all(logged_in_client, salesperson) -> None:
    first = notifications.notify(recipient=salesperson, kind="info", title="第一条")
    notifications.notify(recipient=salesperson, kind="mention", title="第二条")
    notifications.mark_read(notification=first, by=salesperson)
    notifications.notify(recipient=salesperson, kind="alert", title="第三条")
    client = logged_in_client(salesperson)

    html = client.get(reverse("web:notification_list")).content.decode()
    assert html.index("第三条") < html.index("第二条") < html.index("第一条")
    assert 'data-testid="unread-count">2<' in html

    second = salesperson.notifications.get(title="第二条")
    response = client.post(reverse("web:notification_read", args=[second.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert notifications.unread_count(salesperson) == 1

    client.post(reverse("web:notification_read_all"))
    assert notifications.unread_count(salesperson) == 0


@pytest.mark.parametrize("n", [3, 30])
def test_inbox_query_count(logged_in_client, salesperson, django_assert_max_num_queries, n) -> None:
    for i in range(n):
        notifications.notify(recipient=salesperson, kind="info", title=f"通知{i}")
    client = logged_in_client(salesperson)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("web:notification_list"))
    assert response.content.decode().count('data-testid="notification"') == n


def test_workbench_shows_my_alerts_and_unread_count(logged_in_client, salesperson) -> None:
    [order] = _at_risk(salesperson)

    html = logged_in_client(salesperson).get(reverse("web:home")).content.decode()

    assert 'data-testid="my-alerts"' in html
    assert 'data-testid="my-alert-count">1<' in html
    assert order.number in html
    assert notifications.unread_count(salesperson) == 1  # the alert notification
    assert 'data-testid="unread-notifications"' in html


def test_order_fragment_and_badge(rf, salesperson) -> None:
    [order] = _at_risk(salesperson)
    html = render_to_string("alerts/_order_alerts.html", order_alerts_context(order, salesperson))
    assert "2026-06-10" in html
    assert 'data-testid="order-alerts"' in html

    request = rf.get("/")
    request.user = salesperson
    assert notification_badge(request)["unread_notifications"]() == 1


def test_default_tab_is_the_team_for_a_manager_and_all_for_an_administrator(
    logged_in_client, salesperson, manager, other_salesperson, admin_user
) -> None:
    [order] = _at_risk(salesperson)
    [theirs] = _at_risk(other_salesperson)

    html = logged_in_client(manager).get(reverse("web:alert_list")).content.decode()
    assert order.number in html  # the team's alert, without asking for ?scope=team
    assert theirs.number not in html
    assert 'aria-current="page"\n             href="?scope=team' in html
    mine = logged_in_client(manager).get(reverse("web:alert_list"), {"scope": "mine"}).content.decode()
    assert order.number not in mine  # the tab still switches

    admin = logged_in_client(admin_user).get(reverse("web:alert_list")).content.decode()
    assert order.number in admin
    assert theirs.number in admin
    assert "全部预警" in admin

    own = logged_in_client(salesperson).get(reverse("web:alert_list")).content.decode()
    assert order.number in own
    assert theirs.number not in own
    assert "全部预警" not in own
