"""Test data for shipping: a confirmed order whose lines hold stock reserved the way orders reserve it.

The order rows are written here directly (tests only) so shipping's tests don't depend on the whole
approval and confirmation flow; the reservation goes through inventory with the order number as the
reference, exactly as ``orders.services.confirm_order`` does.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

from salesdesk.catalog.models import Product
from salesdesk.customers.models import Customer
from salesdesk.customers.tests.factories import CustomerFactory
from salesdesk.inventory import services as inventory
from salesdesk.inventory.models import Warehouse
from salesdesk.inventory.tests.factories import make_product, make_warehouse
from salesdesk.orders.choices import Status
from salesdesk.orders.models import SalesOrder, SalesOrderLine

_counter = {"n": 0}


def make_order(
    *,
    owner: Any,
    lines: list[tuple[Product, Any]],
    warehouse: Warehouse | None = None,
    status: str = Status.CONFIRMED,
    reserve: bool = True,
) -> SalesOrder:
    """An order of ``owner`` with the given (product, qty) lines; reserved in ``warehouse`` if asked."""
    _counter["n"] += 1
    customer: Customer = CustomerFactory.create()
    order = SalesOrder.objects.create(
        number=f"XSDD20261122-{_counter['n']:04d}",
        status=status,
        customer=customer,
        customer_code=customer.code,
        customer_name=customer.name,
        ship_region_text="广东省深圳市南山区",
        ship_address_detail="粤海街道科技园路1号",
        ship_receiver="李娜",
        ship_mobile="13800138000",
        owner=owner,
        created_by=owner,
        order_date=dt.date(2026, 11, 22),
    )
    for no, (product, qty) in enumerate(lines, start=1):
        line = SalesOrderLine.objects.create(
            order=order,
            line_no=no,
            product=product,
            sku=product.sku,
            product_name=product.name,
            spec=product.spec,
            unit=product.unit,
            qty=Decimal(str(qty)),
            unit_price=Decimal("35"),
            list_price=Decimal("35"),
            price_source="list",
            tax_rate=Decimal("0.13"),
            warehouse=warehouse,
        )
        if reserve and warehouse is not None and status == Status.CONFIRMED:
            inventory.reserve_stock(
                product=product, warehouse=warehouse, qty=line.qty, reference=order.number
            )
            line.reserved_qty = line.qty
            line.save(update_fields=["reserved_qty"])
    return order


def stocked(
    warehouse: Warehouse | None = None, *, on_hand: Any = 10, **product_kw: Any
) -> tuple[Product, Warehouse]:
    """A product with ``on_hand`` units received into a warehouse."""
    wh = warehouse or make_warehouse()
    product = make_product(**product_kw)
    if Decimal(str(on_hand)) > 0:
        inventory.receive_stock(by=None, warehouse=wh, lines=[(product, on_hand)], reference="RK-TEST")
    return product, wh


def tracking_workbook(rows: list[tuple[Any, ...]]) -> io.BytesIO:
    """An .xlsx with the import columns 运单号 / 时间 / 地点 / 描述 and the given rows."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["运单号", "时间", "地点", "描述"])
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = "tracking.xlsx"
    return buffer
