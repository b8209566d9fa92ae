"""Browser: a salesperson sees a step at risk on the workbench before its due date, then acknowledges it."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from conftest import browser_login
from salesdesk.fulfillment.alerts import scan_alerts
from salesdesk.fulfillment.calendar import add_workdays
from salesdesk.fulfillment.tests.test_alerts_factories import add_step, confirmed_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_salesperson_sees_the_alert_on_the_workbench_before_the_due_date(
    page: Any, user_factory: Any, screenshot: Any
) -> None:
    seller = user_factory("salesperson", username="sales_alert", name="销售小王")
    today = timezone.localdate()
    due = add_workdays(today, 2)
    order = confirmed_order(seller)
    # Four working days of production planned, two days ago, nothing done yet: two working days left.
    add_step(order, start=add_workdays(today, -2), due=due, status="in_progress", progress=0)
    result = scan_alerts()
    assert result.by_rule == {"step_at_risk": 1}
    assert due > today

    browser_login(page, "sales_alert")
    page.goto(f"{page.base_url}/")
    card = page.locator('[data-testid="my-alerts"]')
    card.wait_for()
    assert card.locator('[data-testid="my-alert-count"]').inner_text() == "1"
    text = card.inner_text()
    assert order.number in text
    assert due.isoformat() in text
    assert "生产" in text
    screenshot(page, "alerts-workbench")

    page.goto(f"{page.base_url}/alerts/")
    row = page.locator('[data-testid="alert-row"]')
    assert order.number in row.inner_text()
    row.get_by_role("button", name="确认").click()
    row.get_by_text("已确认").wait_for()
    screenshot(page, "alerts-centre-acknowledged")
