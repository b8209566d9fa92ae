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
    return user_factory("warehouse", username="wh_keeper")


def test_create_and_list_warehouses(api_client_for: Any, keeper: Any) -> None:
    api = api_client_for(keeper)

    created = api.post("/api/warehouses", {"code": "sh01", "name": "上海总仓", "address": "浦东新区"})
    listed = api.get("/api/warehouses")

    assert created.status_code == 201
    body = created.json()
    assert body == {
        "id": body["id"],
        "code": "SH01",
        "name": "上海总仓",
        "address": "浦东新区",
        "is_active": True,
    }
    assert listed.json() == {"items": [body], "count": 1}


def test_create_warehouse_422_and_403(api_client_for: Any, keeper: Any, salesperson: Any) -> None:
    make_warehouse(code="SH01")

    bad = api_client_for(keeper).post("/api/warehouses", {"code": "SH01"})
    forbidden = api_client_for(salesperson).post("/api/warehouses", {"code": "SH02", "name": "二号仓"})

    assert bad.status_code == 422
    assert bad.json() == {
        "code": "validation_error",
        "message": "请更正以下错误。",
        "fields": {"code": ["已存在相同编码的仓库。"], "name": ["请输入名称。"]},
    }
    assert forbidden.status_code == 403
    assert forbidden.json()["code"] == "forbidden"
    assert Warehouse.objects.count() == 1


def test_receipt_201_then_stock_as_exact_strings(api_client_for: Any, keeper: Any) -> None:
    bolt = make_product(sku="LS-M8X30", name="六角螺栓")
    wire = make_product(sku="DX-2.5", name="电线", unit="米", unit_decimals=3)
    warehouse = make_warehouse(code="SH01")
    api = api_client_for(keeper)

    response = api.post(
        "/api/stock/receipts",
        {
            "warehouse": "SH01",
            "reference": "CGRK20261122-0001",
            "lines": [{"product": "LS-M8X30", "qty": "30"}, {"product": wire.pk, "qty": 2.5}],
        },
    )
    services.reserve_stock(product=bolt, warehouse=warehouse, qty="12", reference="XSDD20261122-0001")
    stock = api.get("/api/stock", {"warehouse": "SH01"})

    assert response.status_code == 201
    moves = response.json()["moves"]
    assert [(m["kind"], m["sku"], m["qty"], m["on_hand_after"], m["created_by"]) for m in moves] == [
        ("receipt", "LS-M8X30", "30", "30", "wh_keeper"),
        ("receipt", "DX-2.5", "2.500", "2.500", "wh_keeper"),
    ]
    assert stock.status_code == 200
    assert stock.json() == {
        "items": [
            {
                "product": wire.pk,
                "sku": "DX-2.5",
                "name": "电线",
                "unit": "米",
                "warehouse": "SH01",
                "on_hand": "2.500",
                "reserved": "0.000",
                "available": "2.500",
                "safety": "0.000",
            },
            {
                "product": bolt.pk,
                "sku": "LS-M8X30",
                "name": "六角螺栓",
                "unit": "个",
                "warehouse": "SH01",
                "on_hand": "30",
                "reserved": "12",
                "available": "18",
                "safety": "0",
            },
        ],
        "count": 2,
    }
    only_bolt = api.get("/api/stock", {"product": "LS-M8X30"}).json()
    assert [(i["sku"], i["available"]) for i in only_bolt["items"]] == [("LS-M8X30", "18")]
    assert api.get("/api/stock", {"product": "NOPE"}).json() == {"items": [], "count": 0}


def test_receipt_422_names_the_line(api_client_for: Any, keeper: Any) -> None:
    make_product(sku="LS-M8X30")
    make_warehouse(code="SH01")

    response = api_client_for(keeper).post(
        "/api/stock/receipts",
        {"warehouse": "SH01", "lines": [{"product": "LS-M8X30", "qty": "1.5"}, {"product": "LS-M8X30"}]},
    )

    assert response.status_code == 422
    assert response.json()["fields"] == {
        "lines.0.qty": ["个的数量必须是整数。"],
        "lines.1.qty": ["请填写数量。"],
    }
    assert (StockLevel.objects.count(), StockMove.objects.count()) == (0, 0)


def test_receipt_422_on_wrong_shape(api_client_for: Any, keeper: Any) -> None:
    response = api_client_for(keeper).post(
        "/api/stock/receipts", {"warehouse": "SH01", "lines": [{"qty": [1]}]}
    )

    assert response.status_code == 422
    assert response.json()["fields"] == {
        "warehouse": ["没有编码为 SH01 的仓库。"],
        "lines.0.product": ["请选择商品。"],
    }


def test_receipt_and_adjustment_403_for_salesperson(api_client_for: Any, salesperson: Any) -> None:
    make_product(sku="LS-M8X30")
    make_warehouse(code="SH01")
    api = api_client_for(salesperson)

    receipt = api.post(
        "/api/stock/receipts", {"warehouse": "SH01", "lines": [{"product": "LS-M8X30", "qty": "1"}]}
    )
    adjustment = api.post(
        "/api/stock/adjustments",
        {"warehouse": "SH01", "product": "LS-M8X30", "qty_delta": "1", "reason": "x"},
    )
    stock = api.get("/api/stock")

    assert (receipt.status_code, adjustment.status_code, stock.status_code) == (403, 403, 200)
    assert StockMove.objects.count() == 0


def test_adjustment_and_moves(api_client_for: Any, keeper: Any) -> None:
    product = make_product(sku="LS-M8X30")
    warehouse = make_warehouse(code="SH01")
    services.receive_stock(by=keeper, warehouse=warehouse, lines=[(product, "10")], reference="RK-1")
    api = api_client_for(keeper)

    adjusted = api.post(
        "/api/stock/adjustments",
        {"warehouse": "SH01", "product": "LS-M8X30", "counted_qty": "7", "reason": "盘点"},
    )
    refused = api.post(
        "/api/stock/adjustments",
        {"warehouse": "SH01", "product": "LS-M8X30", "qty_delta": "-8", "reason": "盘亏"},
    )
    moves = api.get("/api/stock/moves", {"product": "LS-M8X30"}).json()

    assert adjusted.status_code == 201
    assert (adjusted.json()["kind"], adjusted.json()["qty"], adjusted.json()["on_hand_after"]) == (
        "adjust",
        "-3",
        "7",
    )
    assert refused.status_code == 422
    assert refused.json()["fields"] == {"qty_delta": ["调整后现存量将为负数。"]}
    assert moves["count"] == 2
    assert [(m["kind"], m["qty"], m["reference"], m["note"]) for m in moves["items"]] == [
        ("adjust", "-3", "", "盘点"),
        ("receipt", "10", "RK-1", ""),
    ]
    assert StockLevel.objects.get().on_hand_qty == Decimal("7")


@pytest.mark.parametrize("rows", [3, 30])
def test_stock_list_query_count(
    api_client_for: Any, keeper: Any, django_assert_max_num_queries: Any, rows: int
) -> None:
    warehouse = make_warehouse(code="SH01")
    services.receive_stock(by=keeper, warehouse=warehouse, lines=[(make_product(), "5") for _ in range(rows)])
    api = api_client_for(keeper)

    with django_assert_max_num_queries(8):
        response = api.get("/api/stock", {"warehouse": "SH01"})
    with django_assert_max_num_queries(8):
        moves = api.get("/api/stock/moves")

    assert response.json()["count"] == rows
    assert moves.json()["count"] == rows
