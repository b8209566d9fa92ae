from __future__ import annotations

from typing import Any

import pytest

from conftest import browser_login
from salesdesk.inventory.tests.factories import make_product, make_warehouse

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_warehouse_user_books_a_receipt_with_the_keyboard(
    page: Any, user_factory: Any, screenshot: Any
) -> None:
    user_factory("warehouse", username="wh_browser", name="仓管小李")
    make_warehouse(code="SH01", name="上海总仓")
    make_product(sku="LS-M8X30", name="不锈钢六角螺栓", spec="M8×30")
    make_product(sku="LM-M8", name="六角螺母", spec="M8")
    browser_login(page, "wh_browser")

    page.goto(f"{page.base_url}/inventory/stock/receipt/")
    # the warehouse select is autofocused; wait until the browser has applied that before typing
    page.wait_for_function("document.activeElement && document.activeElement.id === 'id_warehouse'")
    page.keyboard.press("ArrowDown")  # pick SH01
    page.keyboard.press("Tab")
    page.keyboard.type("CGRK20261122-0001")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.type("LS-M8X30")
    page.keyboard.press("Tab")
    page.keyboard.type("1.5")
    page.keyboard.press("Tab")
    page.keyboard.type("LM-M8")
    page.keyboard.press("Tab")
    page.keyboard.type("200")
    page.keyboard.press("Enter")

    page.wait_for_selector(".invalid-feedback")
    assert page.locator("#line-0-qty + .invalid-feedback").inner_text() == "个的数量必须是整数。"
    assert page.input_value("#line-1-product") == "LM-M8"
    screenshot(page, "inventory-receipt-error")

    page.focus("#line-0-qty")
    page.keyboard.press("Control+A")
    page.keyboard.type("30")
    page.keyboard.press("Enter")

    page.wait_for_url(f"{page.base_url}/inventory/stock/?warehouse=SH01")
    assert page.locator('tr[data-sku="LS-M8X30"] [data-col="on_hand"]').inner_text() == "30"
    assert page.locator('tr[data-sku="LM-M8"] [data-col="available"]').inner_text() == "200"
    screenshot(page, "inventory-stock-list")
