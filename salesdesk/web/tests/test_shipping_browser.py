from __future__ import annotations

from typing import Any

import pytest

from conftest import browser_login
from salesdesk.shipping.models import Shipment
from salesdesk.shipping.tests.factories import make_order, stocked

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_warehouse_user_ships_part_of_an_order_with_the_keyboard(
    page: Any, user_factory: Any, screenshot: Any
) -> None:
    seller = user_factory("salesperson", username="sales_browser", name="销售小王")
    user_factory("warehouse", username="wh_browser", name="仓管小李")
    product, wh = stocked(on_hand=20, sku="LS-M8X30", name="不锈钢六角螺栓", spec="M8×30")
    order = make_order(owner=seller, lines=[(product, 5)], warehouse=wh)
    browser_login(page, "wh_browser")

    page.goto(f"{page.base_url}/shipments/")
    page.focus(f'a[href="/orders/{order.pk}/ship/"]')
    page.keyboard.press("Enter")
    page.wait_for_url(f"{page.base_url}/orders/{order.pk}/ship/")
    line = order.lines.get()
    assert page.input_value(f"#line-{line.pk}-qty") == "5"

    page.keyboard.type("SF1234567890123")  # the tracking number has the focus
    page.wait_for_selector('#carrier-suggest [data-carrier="SF"]')
    assert "顺丰速运" in page.locator("#carrier-suggest").inner_text()
    page.keyboard.press("Tab")  # carrier: left to the suggestion
    page.keyboard.press("Tab")
    page.keyboard.press("Control+A")
    page.keyboard.type("3")
    screenshot(page, "shipping-create")
    page.keyboard.press("Enter")

    shipment = None
    page.wait_for_selector("#shipment-status")
    shipment = Shipment.objects.get()
    assert page.url == f"{page.base_url}/shipments/{shipment.pk}/"
    assert page.locator("#shipment-carrier").inner_text().strip() == "顺丰速运"
    assert page.locator("#order-shipping-status").inner_text().strip() == "部分发货"
    screenshot(page, "shipping-detail")

    page.goto(f"{page.base_url}/orders/{order.pk}/ship/")
    assert page.input_value(f"#line-{line.pk}-qty") == "2"
