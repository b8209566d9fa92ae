"""The order-entry page shows the promise date for the lines being entered (issue 4, item 2)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from salesdesk.orders.tests.factories import make_product, make_warehouse, stock

pytestmark = pytest.mark.django_db


def test_entry_page_asks_for_the_promise_date(logged_in_client: Any, salesperson: Any) -> None:
    page = logged_in_client(salesperson).get(reverse("web:order_entry"))
    assert page.status_code == 200
    assert reverse("web:promise_date_partial") in page.content.decode()


def test_promise_partial_reads_the_entry_form_fields(
    logged_in_client: Any, salesperson: Any, admin_user: Any
) -> None:
    product = make_product(sku="PRM-1", list_price=Decimal("10"))
    stock(product, make_warehouse(code="SZ"), 50, admin_user)
    response = logged_in_client(salesperson).post(
        reverse("web:promise_date_partial"),
        {
            "lines-0-product": str(product.pk),
            "lines-0-qty": "5",
            "lines-1-product": "",
            "lines-1-qty": "",
            "order_type": "standard",
        },
    )
    assert response.status_code == 200
    assert "承诺交期" in response.content.decode()


def test_promise_partial_reports_a_bad_quantity(logged_in_client: Any, salesperson: Any) -> None:
    product = make_product(sku="PRM-2", list_price=Decimal("10"))
    response = logged_in_client(salesperson).post(
        reverse("web:promise_date_partial"), {"lines-0-product": str(product.pk), "lines-0-qty": "abc"}
    )
    assert response.status_code == 422
