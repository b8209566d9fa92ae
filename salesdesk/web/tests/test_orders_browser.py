"""Browser journeys for orders: keyboard-only entry → review → submit → customer confirms → confirm;
a manager approves a below-floor order; the printed PDF."""

from __future__ import annotations

import re
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from conftest import ARTIFACTS, browser_login
from salesdesk.inventory.models import StockLevel
from salesdesk.orders import services
from salesdesk.orders.choices import ApprovalStatus, Status
from salesdesk.orders.models import SalesOrder
from salesdesk.orders.tests.factories import (
    line,
    make_customer,
    make_order,
    make_product,
    make_warehouse,
    stock,
)
from salesdesk.pricing.calc import amount_in_words_rmb
from salesdesk.web.pdf import document_text, render_document, render_pdf
from salesdesk.web.views.orders import pdf_context

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PRODUCTS = [
    ("LS-M8X30", "不锈钢六角螺栓", "M8×30", "1.20", "200"),
    ("LM-M8", "六角螺母", "M8", "0.35", "500"),
    ("DP-M8", "平垫圈", "M8", "0.10", "500"),
    ("TH-2", "弹簧垫圈", "M8", "0.12", "300"),
    ("ZG-6", "自攻螺钉", "ST4.2×16", "0.25", "1000"),
]
QTYS = ["100", "100", "200", "50", "300"]


def _label(value: Any) -> str:
    with translation.override("zh-hans"):
        return str(value)


def _world(user_factory: Any, team: Any) -> dict[str, Any]:
    sales = user_factory("salesperson", username="sales1", name="王小明", team=team)
    manager = user_factory("manager", username="manager1", name="李经理", team=team)
    team.manager = manager
    team.save()
    warehouse = make_warehouse(code="SZ01", name="深圳仓")
    customer = make_customer(sales, name="深圳市华强电子有限公司", short_name="华强电子")
    products = []
    for sku, name, spec, price, qty in PRODUCTS:
        product = make_product(sku=sku, name=name, spec=spec, list_price=Decimal(price))
        stock(product, warehouse, qty)
        products.append(product)
    # an earlier, confirmed order: the customer and products are known, the sidebar has history
    earlier = make_order(sales, customer, [line(p, 10) for p in products], idempotency_key="earlier")
    earlier = services.submit_order(order=earlier, by=sales)
    if earlier.approval_status == ApprovalStatus.PENDING:
        earlier = services.approve_order(order=earlier, by=manager)
    earlier = services.record_customer_confirmation(order=earlier, by=sales, note="电话确认")
    services.confirm_order(order=earlier, by=sales)
    return {"sales": sales, "manager": manager, "customer": customer, "products": products, "wh": warehouse}


def test_salesperson_enters_a_five_line_order_with_the_keyboard_and_the_customer_confirms(
    page: Any, browser: Any, user_factory: Any, team: Any, screenshot: Any
) -> None:
    world = _world(user_factory, team)
    browser_login(page, "sales1")
    page.goto(f"{page.base_url}/orders/new/")

    # customer: the search box has the focus
    page.keyboard.type("华强")
    page.locator("#customer-options [role=option]").first.wait_for()
    page.keyboard.press("Enter")
    page.locator("#sidebar [data-add-product]").first.wait_for()

    index = 0
    for (sku, *_rest), qty in zip(PRODUCTS, QTYS, strict=True):
        field = page.locator(f"#lines-{index}-product_label")
        assert field.evaluate("el => el === document.activeElement")
        page.keyboard.type(sku)
        page.locator(f"#lines-{index}-options [role=option]").first.wait_for()
        page.wait_for_function(
            "([i, sku]) => { const o = document.querySelector(`#lines-${i}-options [role=option]`);"
            " return o && o.dataset.label.startsWith(sku); }",
            arg=[index, sku],
        )
        page.keyboard.press("Enter")
        page.keyboard.type(qty)
        page.keyboard.press("Enter")
        index = int(page.evaluate("document.activeElement.id").split("-")[1])

    total = sum((Decimal(p[3]) * Decimal(q) for p, q in zip(PRODUCTS, QTYS, strict=True)), Decimal(0))
    expected = f"¥{total:.2f}"  # ¥256.00
    page.wait_for_function(
        "t => document.querySelector('#order-total')?.textContent.trim() === t", arg=expected
    )
    page.wait_for_function(
        "() => document.querySelector('#lines-4-unit_price, [id$=-unit_price]').value !== ''"
    )
    sources = page.locator("[data-testid=price-source]")
    assert sources.count() == 5
    screenshot(page, "order-entry-filled")

    page.keyboard.press("Control+Enter")
    page.locator("[data-testid=submit-order]").wait_for()
    assert page.locator("[data-testid=review-total]").inner_text() == expected
    assert page.locator("[data-testid=review-words]").inner_text().startswith("人民币")
    assert page.locator("[data-testid=review-lines] tbody tr").count() == 5
    screenshot(page, "order-review")
    page.keyboard.press("Enter")  # the submit button has the focus

    page.wait_for_url(re.compile(r"/orders/\d+/$"))
    order = SalesOrder.objects.exclude(idempotency_key="earlier").get()
    assert order.status == Status.SUBMITTED
    assert order.lines.count() == 5
    assert f"¥{order.total_amount}" == expected

    page.locator("[data-action=send_confirmation]").press("Enter")
    page.locator("#confirmation-url").wait_for()
    link = page.input_value("#confirmation-url")

    customer_context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    phone = customer_context.new_page()
    phone.goto(link)
    assert phone.locator("[data-testid=order-number]").inner_text() == order.number
    assert "华强" not in phone.locator("[data-testid=company]").inner_text()
    screenshot(phone, "order-customer-confirmation")
    phone.locator("[data-testid=customer-confirm]").press("Enter")
    phone.locator("[data-testid=customer-done]").wait_for()
    customer_context.close()

    page.reload()
    page.locator("[data-action=confirm]").press("Enter")
    page.wait_for_selector("[data-testid=status]")
    assert _label(Status.CONFIRMED.label) in page.locator("[data-testid=status]").inner_text()
    screenshot(page, "order-detail-confirmed")
    order.refresh_from_db()
    assert order.status == Status.CONFIRMED
    level = StockLevel.objects.get(product=world["products"][0], warehouse=world["wh"])
    assert level.reserved_qty == Decimal("110")  # 10 on the earlier order + 100 now


def test_customer_agreed_on_the_phone_submit_and_confirm_with_the_keyboard(
    page: Any, user_factory: Any, team: Any, screenshot: Any
) -> None:
    world = _world(user_factory, team)
    browser_login(page, "sales1")
    page.goto(f"{page.base_url}/orders/new/")
    page.keyboard.type("华强")
    page.locator("#customer-options [role=option]").first.wait_for()
    page.keyboard.press("Enter")
    page.locator("#sidebar [data-add-product]").first.wait_for()
    page.keyboard.type("LS-M8X30")
    page.wait_for_function(
        "() => { const o = document.querySelector('#lines-0-options [role=option]');"
        " return o && o.dataset.label.startsWith('LS-M8X30'); }"
    )
    page.keyboard.press("Enter")
    page.keyboard.type("20")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#order-total')?.textContent.trim() === '¥24.00'")
    page.keyboard.press("Control+Enter")
    page.locator("[data-testid=submit-and-confirm]").wait_for()

    # from the focused "Submit" button back to the note field, then Enter with nothing said: refused
    for _ in range(3):
        page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.id") == "id_customer_confirmation"
    page.keyboard.press("Enter")
    page.locator("#id_customer_confirmation_error").wait_for()
    assert "请说明客户是如何确认的" in page.locator("#id_customer_confirmation_error").inner_text()
    assert page.evaluate("document.activeElement.id") == "id_customer_confirmation"
    assert not SalesOrder.objects.exclude(idempotency_key="earlier").exists()
    screenshot(page, "order-review-confirm-needs-note")

    page.keyboard.type("电话确认")
    screenshot(page, "order-review-confirm-now")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/orders/\d+/$"))
    page.wait_for_selector("[data-testid=status]")
    assert _label(Status.CONFIRMED.label) in page.locator("[data-testid=status]").inner_text()
    assert "已提交并确认" in page.locator(".alert-success").inner_text()
    screenshot(page, "order-submitted-and-confirmed")
    order = SalesOrder.objects.exclude(idempotency_key="earlier").get()
    assert (order.status, order.confirmation_status) == (Status.CONFIRMED, "confirmed")
    level = StockLevel.objects.get(product=world["products"][0], warehouse=world["wh"])
    assert level.reserved_qty == Decimal("30")  # 10 on the earlier order + 20 now


def test_manager_approves_an_order_priced_below_the_floor(
    page: Any, user_factory: Any, team: Any, screenshot: Any
) -> None:
    world = _world(user_factory, team)
    floor = make_product(sku="FL-100", name="限价商品", list_price=Decimal("100"), floor_price=Decimal("90"))
    stock(floor, world["wh"], 10)
    order = make_order(world["sales"], world["customer"], [line(floor, 1, unit_price=Decimal("80"))])
    order = services.submit_order(order=order, by=world["sales"])
    assert order.approval_status == ApprovalStatus.PENDING

    browser_login(page, "manager1")
    page.goto(f"{page.base_url}/orders/{order.pk}/")
    screenshot(page, "order-awaiting-approval")
    assert page.locator("[data-testid=below-floor]").count() == 1
    page.locator("[data-action=approve]").press("Enter")
    page.wait_for_load_state()
    page.locator("[data-testid=headline-status]").wait_for()
    screenshot(page, "order-approved-by-manager")
    order.refresh_from_db()
    assert order.approval_status == ApprovalStatus.APPROVED
    assert order.approved_by == world["manager"]


def test_order_pdf_is_rendered_to_the_artifacts(user_factory: Any, team: Any) -> None:
    world = _world(user_factory, team)
    order = SalesOrder.objects.get(idempotency_key="earlier")
    context = pdf_context(order, printed_by=world["sales"])
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / "order.pdf"
    target.write_bytes(render_pdf("orders/confirmation_pdf.html", context))
    assert target.read_bytes().startswith(b"%PDF")
    text = "".join(document_text(render_document("orders/confirmation_pdf.html", context)))
    assert order.number in text
    assert "合计金额（大写）：" + amount_in_words_rmb(order.total_amount) in text
    assert "第 1 页 / 共 1 页" in text
    assert context["watermark"] in text  # 王小明 于 … 打印 (the printer and time)
    assert "供方（签字盖章）" in text
    if Path("/usr/bin/pdftoppm").exists():
        subprocess.run(
            ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", str(target), str(ARTIFACTS / "order")],
            check=True,
        )
        assert any(ARTIFACTS.glob("order-*1.png"))
