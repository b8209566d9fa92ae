"""The planner's work queue and the capacity page in Chromium, driven by the keyboard."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from conftest import browser_login
from salesdesk.core.numbering import business_date
from salesdesk.fulfillment import plans
from salesdesk.fulfillment.models import PlanStep
from salesdesk.fulfillment.tests.plans_factories import (
    dept,
    line,
    make_product,
    make_warehouse,
    ready_order,
    stock,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_planner_starts_the_soonest_step_with_the_keyboard(
    page: Any, user_factory: Any, salesperson: Any, manager: Any, admin_user: Any, screenshot: Any
) -> None:
    user_factory("planner", department=dept("PLAN"), username="planner_b", name="计划员小周")
    product = make_product(sku="LS-M8X30", name="不锈钢六角螺栓")
    stock(product, make_warehouse(), "100", by=admin_user)
    orders = []
    for qty in ("5", "8"):
        order = ready_order(salesperson, manager, [line(product, qty)], acknowledge_duplicate=True)
        plans.confirm_order_with_plan(order=order, by=salesperson)
        orders.append(order)
    today = business_date()
    # the first order's 备料 is due later, so the second order's comes first in the queue
    PlanStep.objects.filter(order=orders[0], code="prepare").update(
        planned_start=today, planned_due=today + dt.timedelta(days=6)
    )
    soonest = PlanStep.objects.get(order=orders[1], code="prepare")
    browser_login(page, "planner_b")

    page.goto(f"{page.base_url}/queue/")
    assert page.locator("h1").inner_text() == "工作队列"
    rows = page.locator('[data-testid="queue-row"]')
    assert rows.count() == 2
    assert rows.nth(0).get_attribute("data-step") == str(soonest.pk)
    assert orders[1].number in rows.nth(0).inner_text()
    screenshot(page, "plans-queue")

    for _i in range(60):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "document.activeElement.closest('tr')?.dataset.step + ':' + document.activeElement.dataset.testid"
        )
        if focused == f"{soonest.pk}:step-start":
            break
    else:
        pytest.fail("the start button is not reachable with Tab")
    page.keyboard.press("Enter")

    first = page.locator(f"#step-{soonest.pk}")
    first.locator('[data-testid="step-status"]', has_text="进行中").wait_for()
    # htmx moves the focus (autofocus) when the swap settles, a moment after the new row shows
    page.wait_for_function("document.activeElement?.dataset.testid === 'step-finish'", timeout=5000)
    assert page.evaluate("document.activeElement.dataset.testid") == "step-finish"
    soonest.refresh_from_db()
    assert soonest.status == "in_progress"
    screenshot(page, "plans-queue-started")

    later = PlanStep.objects.get(order=orders[0], code="prepare")
    page.focus(f'#step-{later.pk} [data-testid="step-block-toggle"]')
    page.keyboard.press("Enter")
    page.wait_for_function(f"document.activeElement.id === 'reason-{later.pk}'")
    page.keyboard.type("等待客户确认图纸")
    page.keyboard.press("Enter")
    page.locator(f'#step-{later.pk} [data-testid="step-status"]', has_text="受阻").wait_for()
    assert "等待客户确认图纸" in page.locator(f"#step-{later.pk}").inner_text()
    later.refresh_from_db()
    assert (later.status, later.blocked_reason) == ("blocked", "等待客户确认图纸")

    page.goto(f"{page.base_url}/capacity/")
    assert page.locator('[data-testid="capacity-day"]').count() == 28
    assert page.locator('[data-testid="capacity-form"]').count() >= 7
    screenshot(page, "plans-capacity")

    page.goto(f"{page.base_url}/orders/{orders[1].pk}/plan/")
    assert page.locator('[data-testid="plan-segment"]').count() == 7
    assert page.locator('[data-testid="plan-segment"]').first.get_attribute("data-status") == "in_progress"
    screenshot(page, "plans-order-plan")
