from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from salesdesk.inventory import services
from salesdesk.inventory.models import StockLevel, StockMove, Warehouse
from salesdesk.inventory.tests.factories import make_product, make_warehouse

pytestmark = pytest.mark.django_db


@pytest.fixture
def keeper(user_factory: Any) -> Any:
    return user_factory("warehouse", username="wh_keeper", name="仓管小王")


def test_warehouse_create_then_listed(logged_in_client: Any, keeper: Any) -> None:
    client = logged_in_client(keeper)

    response = client.post(
        "/inventory/warehouses/new/", {"code": "gz01", "name": "广州仓", "address": "天河区"}
    )
    listing = client.get("/inventory/warehouses/")

    assert response.status_code == 302
    assert Warehouse.objects.get().code == "GZ01"
    assert "广州仓" in listing.content.decode()


def test_warehouse_create_invalid_answers_422_and_keeps_input(logged_in_client: Any, keeper: Any) -> None:
    make_warehouse(code="GZ01")

    response = logged_in_client(keeper).post(
        "/inventory/warehouses/new/", {"code": "GZ01", "name": "", "address": "天河区"}
    )

    html = response.content.decode()
    assert response.status_code == 422
    assert "已存在相同编码的仓库。" in html
    assert "请输入名称。" in html
    assert 'value="天河区"' in html
    assert Warehouse.objects.count() == 1


def test_warehouse_edit_deactivates(logged_in_client: Any, keeper: Any) -> None:
    warehouse = make_warehouse(code="GZ01", name="广州仓")

    response = logged_in_client(keeper).post(
        f"/inventory/warehouses/{warehouse.pk}/edit/", {"name": "广州一号仓", "address": ""}
    )

    warehouse.refresh_from_db()
    assert response.status_code == 302
    assert (warehouse.name, warehouse.is_active) == ("广州一号仓", False)


def test_salesperson_cannot_open_receipt_page(logged_in_client: Any, salesperson: Any) -> None:
    client = logged_in_client(salesperson)

    assert client.get("/inventory/stock/receipt/").status_code == 403
    assert client.get("/inventory/warehouses/new/").status_code == 403
    assert client.get("/inventory/stock/").status_code == 200


def test_receipt_page_books_lines_and_skips_empty_ones(logged_in_client: Any, keeper: Any) -> None:
    bolt = make_product(sku="LS-M8X30")
    nut = make_product(sku="LM-M8")
    warehouse = make_warehouse(code="SH01")

    response = logged_in_client(keeper).post(
        "/inventory/stock/receipt/",
        {
            "rows": "5",
            "warehouse": "SH01",
            "reference": "CGRK-0001",
            "line-0-product": "LS-M8X30",
            "line-0-qty": "30",
            "line-2-product": "LM-M8",
            "line-2-qty": "１２",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/inventory/stock/?warehouse=SH01"
    assert StockLevel.objects.get(product=bolt, warehouse=warehouse).on_hand_qty == Decimal("30")
    assert StockLevel.objects.get(product=nut, warehouse=warehouse).on_hand_qty == Decimal("12")
    assert list(StockMove.objects.values_list("reference", flat=True)) == ["CGRK-0001", "CGRK-0001"]


def test_receipt_page_shows_errors_next_to_the_right_line(logged_in_client: Any, keeper: Any) -> None:
    make_product(sku="LS-M8X30")
    make_warehouse(code="SH01")

    response = logged_in_client(keeper).post(
        "/inventory/stock/receipt/",
        {
            "rows": "5",
            "warehouse": "SH01",
            "line-0-product": "LS-M8X30",
            "line-0-qty": "3",
            "line-3-product": "LS-M8X30",
            "line-3-qty": "1.5",
        },
    )

    html = response.content.decode()
    assert response.status_code == 422
    assert html.count("is-invalid") == 1
    error_at = html.index("个的数量必须是整数。")
    assert html.rindex('id="line-3-qty"', 0, error_at) > html.rindex('id="line-2-qty"', 0, error_at)
    assert 'value="1.5"' in html
    assert StockMove.objects.count() == 0


def test_receipt_page_add_row_keeps_lines(logged_in_client: Any, keeper: Any) -> None:
    response = logged_in_client(keeper).post(
        "/inventory/stock/receipt/",
        {"rows": "5", "add_row": "1", "warehouse": "SH01", "line-0-product": "LS-M8X30", "line-0-qty": "3"},
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="line-5-qty"' in html
    assert 'value="LS-M8X30"' in html


def test_stock_list_shows_quantities_and_filters(logged_in_client: Any, keeper: Any) -> None:
    bolt = make_product(sku="LS-M8X30", name="不锈钢螺栓")
    make_product(sku="LM-M8", name="螺母")
    warehouse = make_warehouse(code="SH01")
    services.receive_stock(by=keeper, warehouse=warehouse, lines=[("LS-M8X30", "30"), ("LM-M8", "5")])
    services.reserve_stock(product=bolt, warehouse=warehouse, qty="25", reference="XSDD-1")
    services.set_safety_stock(by=keeper, product=bolt, warehouse=warehouse, qty="10")
    client = logged_in_client(keeper)

    by_pinyin = client.get("/inventory/stock/", {"q": "bxg"}).content.decode()
    low = client.get("/inventory/stock/", {"low": "1"}).content.decode()

    assert 'data-sku="LS-M8X30"' in by_pinyin
    assert 'data-sku="LM-M8"' not in by_pinyin
    assert '<td class="num" data-col="reserved">25</td>' in by_pinyin
    assert 'data-sku="LS-M8X30"' in low
    assert 'data-sku="LM-M8"' not in low


def test_stock_moves_page_filters_by_product(logged_in_client: Any, keeper: Any) -> None:
    make_product(sku="LS-M8X30")
    make_product(sku="LM-M8")
    warehouse = make_warehouse(code="SH01")
    services.receive_stock(
        by=keeper, warehouse=warehouse, lines=[("LS-M8X30", "30"), ("LM-M8", "5")], reference="RK-9"
    )

    html = logged_in_client(keeper).get("/inventory/moves/", {"product": "ls-m8x30"}).content.decode()

    assert html.count("RK-9") == 1
    assert "仓管小王" in html


@pytest.mark.parametrize("rows", [3, 30])
def test_list_pages_query_count(
    logged_in_client: Any, keeper: Any, django_assert_max_num_queries: Any, rows: int
) -> None:
    warehouse = make_warehouse(code="SH01")
    services.receive_stock(by=keeper, warehouse=warehouse, lines=[(make_product(), "5") for _ in range(rows)])
    client = logged_in_client(keeper)

    with django_assert_max_num_queries(12):
        stock = client.get("/inventory/stock/")
    with django_assert_max_num_queries(12):
        moves = client.get("/inventory/moves/")
    with django_assert_max_num_queries(12):
        warehouses = client.get("/inventory/warehouses/")

    assert stock.content.decode().count("data-sku=") == rows
    assert (moves.status_code, warehouses.status_code) == (200, 200)
