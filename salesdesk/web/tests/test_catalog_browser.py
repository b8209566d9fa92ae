from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from conftest import browser_login, open_menu
from salesdesk.catalog.tests.factories import CategoryFactory, ProductFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_salesperson_finds_product_by_pinyin_initials(page: Any, salesperson: Any, screenshot: Any) -> None:
    fasteners = CategoryFactory.create(code="01", name="紧固件")
    bolt = ProductFactory.create(
        sku="LS-M8X30-304",
        name="不锈钢六角螺栓",
        spec="M8×30",
        category=fasteners,
        list_price=Decimal("1.25"),
    )
    ProductFactory.create(sku="BS-200", name="活动扳手", spec="200mm")
    ProductFactory.create(sku="QZ-1", name="铁钳")

    browser_login(page, salesperson.username)
    open_menu(page, "商品与库存", "商品")
    page.wait_for_url(f"{page.base_url}/products/")
    page.evaluate("window.__marker = 'same page'")
    rows = page.locator("#product-results tbody tr")
    assert rows.count() == 3

    search = page.get_by_label("搜索")
    search.click()
    search.press_sequentially("bxg", delay=50)
    page.wait_for_function("document.querySelectorAll('#product-results tbody tr').length === 1")
    assert page.locator("#product-results tbody tr").first.inner_text().startswith("LS-M8X30-304")
    assert page.evaluate("window.__marker") == "same page"  # htmx swapped the results, no reload
    assert "/products/?q=bxg" in page.url  # the address follows the search
    screenshot(page, "catalog-search-pinyin")

    # the result is an ordinary link: focused, Enter opens it
    page.locator("#product-results a", has_text="LS-M8X30-304").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{page.base_url}/products/{bolt.pk}/")
    assert page.get_by_test_id("product-sku").inner_text() == "LS-M8X30-304"
    assert page.get_by_role("heading", level=1).inner_text().startswith("不锈钢六角螺栓")
    screenshot(page, "catalog-product-detail")
