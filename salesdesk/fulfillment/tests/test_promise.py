import datetime as dt
from decimal import Decimal

import pytest

from salesdesk.fulfillment.capacity import department_load, promise_date
from salesdesk.fulfillment.models import CapacityOverride

from .plans_factories import dept, make_product, make_warehouse, stock

pytestmark = pytest.mark.django_db
D = dt.date


def test_stock_available_skips_production(admin_user):
    product = make_product()
    stock(product, make_warehouse(), "10", by=admin_user)
    result = promise_date(lines=[(product, "4")], start=D(2026, 2, 12), requested_date=D(2026, 3, 1))
    # 备料 02-12, 质检 02-13, 发货 02-14 (make-up Saturday), 签收 02-24..25 after the Spring Festival
    assert (result.date, result.feasible_by_requested, result.stock_ok, result.reasons) == (
        D(2026, 2, 25),
        True,
        True,
        [],
    )


def test_stock_short_needs_production_and_says_why(admin_user):
    product = make_product(sku="SKU-001", name="螺丝")
    stock(product, make_warehouse(), "4", by=admin_user)
    result = promise_date(lines=[(product, "10")], start=D(2026, 2, 9), requested_date=D(2026, 2, 13))
    # 备料 02-09, 生产 02-10..12 (6 × 0.5 + 2 = 5 h), 质检 02-13, 发货 02-14, 签收 02-24..25
    assert result.date == D(2026, 2, 25)
    assert result.stock_ok is False
    assert result.feasible_by_requested is False
    assert result.reasons == [
        "库存不足：SKU-001 螺丝 可用 4 / 需 10，需生产 6",
        "春节假期（2026-02-15 至 2026-02-23）",
    ]


def test_capacity_full_pushes_production(admin_user):
    product = make_product()
    prod = dept("PROD")
    for day in (D(2026, 6, 2), D(2026, 6, 3)):
        CapacityOverride.objects.create(department=prod, day=day, per_day=Decimal("0"))
    result = promise_date(
        lines=[(product, "2")], start=D(2026, 6, 1), requested_date=D(2026, 6, 5), order_type="standard"
    )
    # 生产 would start 06-02; the department is full 06-02 and 06-03, so it starts 06-04 and lasts 3 days
    assert result.date == D(2026, 6, 12)
    assert "生产部产能已排满至 2026-06-03" in result.reasons
    rows = department_load(department=prod, date_from=D(2026, 6, 1), date_to=D(2026, 6, 2))
    assert [(r["day"], r["capacity"], r["load"]) for r in rows] == [
        (D(2026, 6, 1), Decimal("80.00"), Decimal("0")),
        (D(2026, 6, 2), Decimal("0.00"), Decimal("0")),
    ]
