from __future__ import annotations

from typing import Any

import pytest

from conftest import browser_login, open_menu
from salesdesk.customers.models import Customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _pick_with_keyboard(page: Any, selector: str, value: str) -> None:
    """Focus a select and press ArrowDown until it holds ``value`` (no mouse)."""
    page.wait_for_function(
        "([sel, v]) => [...document.querySelector(sel).options].some(o => o.value === v)",
        arg=[selector, value],
    )
    page.focus(selector)
    for _ in range(60):
        if page.input_value(selector) == value:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"{value} not reached in {selector}")


def test_create_customer_with_wrong_then_correct_uscc(page: Any, user_factory: Any, screenshot: Any) -> None:
    user_factory("salesperson", username="sales_browser", name="王销售")
    browser_login(page, "sales_browser")

    open_menu(page, "销售", "客户")
    page.get_by_role("link", name="新建客户").click()
    page.get_by_label("客户全称（发票抬头）").fill("福州示例电子科技有限公司")
    page.get_by_label("统一社会信用代码").fill("91350100M000100Y4Z")
    page.fill("#contacts-0-name", "张伟")
    page.fill("#contacts-0-mobile", "１３８ ００１３ ８０００")
    page.get_by_role("button", name="保存").click()

    uscc = page.locator("#id_uscc")
    error = page.locator("#err_uscc")
    assert error.inner_text() == "统一社会信用代码校验位错误，请核对。"
    assert "is-invalid" in (uscc.get_attribute("class") or "")
    assert uscc.input_value() == "91350100M000100Y4Z"
    assert page.locator("#contacts-0-name").input_value() == "张伟"
    screenshot(page, "customer_create_uscc_error")
    assert Customer.objects.count() == 0

    uscc.fill("91350100M000100Y43")
    _pick_with_keyboard(page, "#addresses-0-province", "350000")
    _pick_with_keyboard(page, "#addresses-0-city", "350100")
    _pick_with_keyboard(page, "#addresses-0-district", "350102")
    page.fill("#addresses-0-detail", "五四路100号")
    page.focus("#addresses-0-detail")
    page.keyboard.press("Enter")

    page.wait_for_url("**/customers/*/")
    assert page.get_by_test_id("customer-code").inner_text() == "KH000001"
    assert page.get_by_text("福建省福州市鼓楼区").is_visible()
    assert page.get_by_text("13800138000").is_visible()
    screenshot(page, "customer_detail")
    customer = Customer.objects.get()
    assert (customer.uscc, customer.addresses.get().region_id) == ("91350100M000100Y43", "350102")
