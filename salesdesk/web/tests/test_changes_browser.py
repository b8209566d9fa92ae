"""Browser: a manager opens a change request, sees its impact, approves it and sees the new version's diff."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from conftest import browser_login
from salesdesk.fulfillment import changes
from salesdesk.fulfillment.tests.changes_factories import (
    confirmed_with_plan,
    level,
    line,
    make_product,
    make_warehouse,
    stock,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_manager_approves_a_change_request_and_sees_the_diff(
    page: Any, salesperson: Any, manager: Any, screenshot: Any
) -> None:
    wh = make_warehouse(code="SH01", name="上海总仓")
    bolt = make_product(sku="LS-M8X30", name="不锈钢六角螺栓", list_price=Decimal("35.00"))
    nut = make_product(sku="LM-M8", name="六角螺母", list_price=Decimal("2.50"))
    stock(bolt, wh, "100")
    stock(nut, wh, "500")
    order = confirmed_with_plan(salesperson, manager, warehouse=wh, lines=[line(bolt, "10", warehouse=wh)])
    cr = changes.request_change(
        order=order,
        changes={"lines": [{"line_no": 1, "qty": "15"}, {"add": {"product": nut.pk, "qty": "40"}}]},
        reason="客户追加订货",
        by=salesperson,
    )

    browser_login(page, manager.username)
    page.goto(f"{page.base_url}/change-requests/{cr.pk}/")
    assert page.get_by_test_id("amount-difference").inner_text() == "¥275.00"  # 5 × 35 + 40 × 2.50
    page.fill("#id_comment", "同意追加")
    page.get_by_role("button", name="批准变更").click()
    page.wait_for_selector("[data-testid=new-version]")

    version = page.get_by_test_id("new-version")
    assert "V2" in version.inner_text()
    rows = version.locator("tbody tr")
    assert rows.nth(0).inner_text().split("\t") == ["数量", "1 · LS-M8X30", "10", "15"]
    assert "六角螺母 × 40 @ 2.5" in rows.nth(1).inner_text()
    assert page.get_by_test_id("cr-status").inner_text() == "已审批"
    assert level(bolt, wh) == (Decimal("100"), Decimal("15"))
    assert level(nut, wh) == (Decimal("500"), Decimal("40"))
    screenshot(page, "change-request-approved")
