from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesdesk.core.errors import InvalidInput
from salesdesk.core.models import AuditLog, Parameter
from salesdesk.core.parameters import set_parameter
from salesdesk.inventory import services
from salesdesk.inventory.errors import InsufficientReservation, InsufficientStock
from salesdesk.inventory.models import StockLevel, StockMove, Warehouse
from salesdesk.inventory.selectors import ledger_balance

from .factories import make_product, make_warehouse

pytestmark = pytest.mark.django_db


def _snapshot(product: Any, warehouse: Any) -> tuple[Any, ...]:
    level = StockLevel.objects.filter(product=product, warehouse=warehouse).values_list(
        "on_hand_qty", "reserved_qty", "safety_qty"
    )
    moves = StockMove.objects.order_by("id").values_list("id", "kind", "qty", "reference")
    return (list(level), list(moves), AuditLog.objects.count())


def _level(product: Any, warehouse: Any) -> StockLevel:
    return StockLevel.objects.get(product=product, warehouse=warehouse)


@pytest.fixture
def stocked(admin_user: Any) -> tuple[Any, Any]:
    product = make_product(sku="LS-M8X30", name="六角螺栓")
    warehouse = make_warehouse(code="SH01", name="上海总仓")
    services.receive_stock(by=admin_user, warehouse=warehouse, lines=[(product, "30")], reference="RK-1")
    return product, warehouse


def test_create_warehouse_normalises_code_and_audits(admin_user: Any) -> None:
    warehouse = services.create_warehouse(
        by=admin_user, code=" ｓｈ０２ ", name="上海二号仓", address="嘉定区"
    )

    assert (warehouse.code, warehouse.name, warehouse.address, warehouse.is_active) == (
        "SH02",
        "上海二号仓",
        "嘉定区",
        True,
    )
    assert AuditLog.objects.get().action == "warehouse.create"
    assert warehouse.history.count() == 1


def test_create_warehouse_refuses_duplicate_code_and_blank_name(admin_user: Any) -> None:
    make_warehouse(code="SH01")

    with pytest.raises(InvalidInput) as exc:
        services.create_warehouse(by=admin_user, code="sh01", name=" ")

    assert exc.value.fields == {"code": ["已存在相同编码的仓库。"], "name": ["请输入名称。"]}
    assert Warehouse.objects.count() == 1


def test_update_warehouse_keeps_code_and_records_history(admin_user: Any) -> None:
    warehouse = make_warehouse(code="SH01", name="旧名")

    services.update_warehouse(by=admin_user, warehouse=warehouse, name="新名", address="", is_active=False)

    warehouse.refresh_from_db()
    assert (warehouse.code, warehouse.name, warehouse.is_active) == ("SH01", "新名", False)
    assert AuditLog.objects.get().data == {
        "name": ["旧名", "新名"],
        "address": ["上海市浦东新区张江路1号", ""],
        "is_active": [True, False],
    }


def test_receive_stock_books_one_move_per_line_and_audits(admin_user: Any) -> None:
    bolt = make_product(sku="A-1")
    wire = make_product(sku="B-2", unit="米", unit_decimals=3)
    warehouse = make_warehouse(code="SH01")

    moves = services.receive_stock(
        by=admin_user,
        warehouse="sh01",
        lines=[{"product": "A-1", "qty": "10"}, {"product": wire, "qty": "2.5"}, (bolt, 5)],
        reference="CGRK-0001",
    )

    assert [(m.kind, m.qty, m.on_hand_after, m.reserved_after) for m in moves] == [
        ("receipt", Decimal("10"), Decimal("10"), Decimal("0")),
        ("receipt", Decimal("2.5"), Decimal("2.5"), Decimal("0")),
        ("receipt", Decimal("5"), Decimal("15"), Decimal("0")),
    ]
    assert _level(bolt, warehouse).on_hand_qty == Decimal("15")
    assert _level(wire, warehouse).on_hand_qty == Decimal("2.5")
    audit = AuditLog.objects.get()
    assert (audit.action, audit.data["lines"]) == (
        "stock.receipt",
        [{"sku": "A-1", "qty": "10"}, {"sku": "B-2", "qty": "2.500"}, {"sku": "A-1", "qty": "5"}],
    )


def test_receive_stock_refuses_bad_lines_and_books_nothing(admin_user: Any) -> None:
    make_product(sku="A-1")
    make_warehouse(code="SH01")

    with pytest.raises(InvalidInput) as exc:
        services.receive_stock(
            by=admin_user,
            warehouse="SH01",
            lines=[
                {"product": "A-1", "qty": "1.5"},
                {"product": "NOPE", "qty": "1"},
                {"product": "A-1", "qty": "-2"},
            ],
        )

    assert exc.value.fields == {
        "lines.0.qty": ["个的数量必须是整数。"],
        "lines.1.product": ["没有 SKU 为 NOPE 的商品。"],
        "lines.2.qty": ["数量必须大于零。"],
    }
    assert (StockLevel.objects.count(), StockMove.objects.count(), AuditLog.objects.count()) == (0, 0, 0)


def test_receive_stock_refuses_unknown_warehouse_and_empty_lines(admin_user: Any) -> None:
    with pytest.raises(InvalidInput) as exc:
        services.receive_stock(by=admin_user, warehouse="XX", lines=[])

    assert exc.value.fields == {"warehouse": ["没有编码为 XX 的仓库。"], "lines": ["请至少添加一行。"]}


def test_adjust_stock_by_delta_and_by_count(admin_user: Any, stocked: tuple[Any, Any]) -> None:
    product, warehouse = stocked

    services.adjust_stock(by=admin_user, warehouse=warehouse, product=product, qty_delta="-2", reason="破损")
    move = services.adjust_stock(
        by=admin_user, warehouse=warehouse, product=product, counted_qty="25", reason="盘点"
    )

    assert (move.kind, move.qty, move.on_hand_after) == ("adjust", Decimal("-3"), Decimal("25"))
    assert _level(product, warehouse).on_hand_qty == Decimal("25")
    assert AuditLog.objects.filter(action="stock.adjust").count() == 2


def test_adjust_stock_refuses_negative_unless_allowed(admin_user: Any, stocked: tuple[Any, Any]) -> None:
    product, warehouse = stocked
    before = _snapshot(product, warehouse)

    with pytest.raises(InvalidInput) as exc:
        services.adjust_stock(
            by=admin_user, warehouse=warehouse, product=product, qty_delta="-31", reason="盘亏"
        )

    assert exc.value.fields == {"qty_delta": ["调整后现存量将为负数。"]}
    assert _snapshot(product, warehouse) == before

    set_parameter(key="stock.allow_negative", value=True, by=admin_user)
    move = services.adjust_stock(
        by=admin_user, warehouse=warehouse, product=product, qty_delta="-31", reason="盘亏"
    )
    assert move.on_hand_after == Decimal("-1")


def test_adjust_stock_refuses_falling_below_reserved(admin_user: Any, stocked: tuple[Any, Any]) -> None:
    product, warehouse = stocked
    services.reserve_stock(product=product, warehouse=warehouse, qty="20", reference="XSDD20261122-0001")
    before = _snapshot(product, warehouse)

    with pytest.raises(InvalidInput) as exc:
        services.adjust_stock(
            by=admin_user, warehouse=warehouse, product=product, counted_qty="19", reason="盘点"
        )

    assert exc.value.fields == {"counted_qty": ["调整后现存量将低于已预占的 20 个，请先释放预占。"]}
    assert _snapshot(product, warehouse) == before


def test_adjust_stock_needs_reason_and_one_quantity(admin_user: Any, stocked: tuple[Any, Any]) -> None:
    product, warehouse = stocked

    with pytest.raises(InvalidInput) as no_reason:
        services.adjust_stock(by=admin_user, warehouse=warehouse, product=product, qty_delta="1", reason="")
    with pytest.raises(InvalidInput) as both:
        services.adjust_stock(
            by=admin_user, warehouse=warehouse, product=product, qty_delta="1", counted_qty="3", reason="x"
        )

    assert no_reason.value.fields == {"reason": ["请填写调整原因。"]}
    assert both.value.fields == {"qty_delta": ["请填写变动数量或盘点数量（二选一）。"]}


def test_reserve_within_available(stocked: tuple[Any, Any], admin_user: Any) -> None:
    product, warehouse = stocked

    move = services.reserve_stock(
        product=product, warehouse=warehouse, qty="30", reference="XSDD20261122-0001", by=admin_user
    )

    assert (move.kind, move.qty, move.on_hand_after, move.reserved_after, move.created_by) == (
        "reserve",
        Decimal("30"),
        Decimal("30"),
        Decimal("30"),
        admin_user,
    )
    level = _level(product, warehouse)
    assert (level.on_hand_qty, level.reserved_qty, level.available_qty) == (
        Decimal(30),
        Decimal(30),
        Decimal(0),
    )


def test_reserve_beyond_available_is_refused_and_changes_nothing(stocked: tuple[Any, Any]) -> None:
    product, warehouse = stocked
    services.reserve_stock(product=product, warehouse=warehouse, qty="25", reference="XSDD20261122-0001")
    before = _snapshot(product, warehouse)

    with pytest.raises(InsufficientStock) as exc:
        services.reserve_stock(product=product, warehouse=warehouse, qty="6", reference="XSDD20261122-0002")

    assert (exc.value.code, exc.value.status) == ("insufficient_stock", 409)
    assert exc.value.message == "LS-M8X30 库存不足：需要 6 个，可用仅 5 个。"
    assert exc.value.available == Decimal("5")
    assert _snapshot(product, warehouse) == before


def test_reserve_without_any_stock_level(admin_user: Any) -> None:
    product = make_product(sku="NEW-1")
    warehouse = make_warehouse(code="SH09")

    with pytest.raises(InsufficientStock) as exc:
        services.reserve_stock(product=product, warehouse=warehouse, qty="1", reference="R")

    assert exc.value.message == "NEW-1 库存不足：需要 1 个，可用仅 0 个。"
    assert StockLevel.objects.count() == 0


def test_reserve_protects_safety_stock_when_parameter_on(admin_user: Any, stocked: tuple[Any, Any]) -> None:
    product, warehouse = stocked
    services.set_safety_stock(by=admin_user, product=product, warehouse=warehouse, qty="10")
    set_parameter(key="stock.available_excludes_safety", value=True, by=admin_user)

    with pytest.raises(InsufficientStock) as exc:
        services.reserve_stock(product=product, warehouse=warehouse, qty="21", reference="R-1")
    move = services.reserve_stock(product=product, warehouse=warehouse, qty="20", reference="R-1")

    assert exc.value.available == Decimal("20")
    assert move.reserved_after == Decimal("20")


def test_reserve_refuses_fractions_of_whole_units_and_missing_reference(stocked: tuple[Any, Any]) -> None:
    product, warehouse = stocked

    with pytest.raises(InvalidInput) as fraction:
        services.reserve_stock(product=product, warehouse=warehouse, qty="1.5", reference="R")
    with pytest.raises(InvalidInput) as no_ref:
        services.reserve_stock(product=product, warehouse=warehouse, qty="1", reference=" ")

    assert fraction.value.fields == {"qty": ["个的数量必须是整数。"]}
    assert no_ref.value.fields == {"reference": ["请填写单据编号。"]}
    assert StockMove.objects.filter(kind="reserve").count() == 0


def test_kg_products_accept_their_decimals_only(admin_user: Any) -> None:
    steel = make_product(sku="GC-1", unit="千克", unit_decimals=3)
    warehouse = make_warehouse(code="SH01")
    services.receive_stock(by=admin_user, warehouse=warehouse, lines=[(steel, "10.125")])

    with pytest.raises(InvalidInput) as exc:
        services.reserve_stock(product=steel, warehouse=warehouse, qty="0.0005", reference="R")
    move = services.reserve_stock(product=steel, warehouse=warehouse, qty="10.125", reference="R")

    assert exc.value.fields == {"qty": ["千克最多保留 3 位小数。"]}
    assert move.reserved_after == Decimal("10.125")


def test_release_up_to_what_the_reference_holds(stocked: tuple[Any, Any]) -> None:
    product, warehouse = stocked
    services.reserve_stock(product=product, warehouse=warehouse, qty="10", reference="XSDD-A")
    services.reserve_stock(product=product, warehouse=warehouse, qty="5", reference="XSDD-B")

    move = services.release_stock(product=product, warehouse=warehouse, qty="4", reference="XSDD-A")
    before = _snapshot(product, warehouse)
    with pytest.raises(InsufficientReservation) as exc:
        services.release_stock(product=product, warehouse=warehouse, qty="7", reference="XSDD-A")

    assert (move.kind, move.reserved_after) == ("release", Decimal("11"))
    assert exc.value.message == "XSDD-A 在该仓库只预占了 LS-M8X30 6 个。"
    assert _snapshot(product, warehouse) == before


def test_issue_from_reservation_lowers_both(stocked: tuple[Any, Any]) -> None:
    product, warehouse = stocked
    services.reserve_stock(product=product, warehouse=warehouse, qty="10", reference="XSDD-A")

    move = services.issue_stock(product=product, warehouse=warehouse, qty="8", reference="XSDD-A")
    with pytest.raises(InsufficientReservation):
        services.issue_stock(product=product, warehouse=warehouse, qty="3", reference="XSDD-A")

    assert (move.kind, move.from_reservation, move.on_hand_after, move.reserved_after) == (
        "issue",
        True,
        Decimal("22"),
        Decimal("2"),
    )


def test_issue_without_reservation_needs_available_stock(admin_user: Any, stocked: tuple[Any, Any]) -> None:
    product, warehouse = stocked
    services.reserve_stock(product=product, warehouse=warehouse, qty="25", reference="XSDD-A")
    before = _snapshot(product, warehouse)

    with pytest.raises(InsufficientStock) as exc:
        services.issue_stock(
            product=product, warehouse=warehouse, qty="6", reference="LS-1", from_reservation=False
        )
    move = services.issue_stock(
        product=product, warehouse=warehouse, qty="5", reference="LS-1", from_reservation=False
    )

    assert exc.value.available == Decimal("5")
    assert before[0] == [(Decimal(30), Decimal(25), Decimal(0))]
    assert (move.on_hand_after, move.reserved_after) == (Decimal("25"), Decimal("25"))


def test_safety_stock_change_is_in_field_history(admin_user: Any, stocked: tuple[Any, Any]) -> None:
    product, warehouse = stocked

    services.set_safety_stock(by=admin_user, product=product, warehouse=warehouse, qty="12")

    level = _level(product, warehouse)
    latest = level.history.first()
    assert (latest.safety_qty, latest.history_user, latest.history_change_reason) == (
        Decimal("12"),
        admin_user,
        "set_safety_stock",
    )


OPS = st.lists(
    st.tuples(
        st.sampled_from(["receipt", "reserve", "release", "issue", "issue_free", "adjust"]),
        st.integers(min_value=1, max_value=20),
        st.sampled_from(["XSDD-1", "XSDD-2", "XSDD-3"]),
    ),
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_levels_always_equal_the_ledger(admin_user: Any, ops: list[tuple[str, int, str]]) -> None:
    StockMove.objects.all().delete()
    StockLevel.objects.all().delete()
    Parameter.objects.all().delete()
    product = make_product()
    warehouse = make_warehouse(code="PROP")
    for kind, n, ref in ops:
        before = _snapshot(product, warehouse)
        try:
            if kind == "receipt":
                services.receive_stock(by=admin_user, warehouse=warehouse, lines=[(product, n)])
            elif kind == "reserve":
                services.reserve_stock(product=product, warehouse=warehouse, qty=n, reference=ref)
            elif kind == "release":
                services.release_stock(product=product, warehouse=warehouse, qty=n, reference=ref)
            elif kind == "issue":
                services.issue_stock(product=product, warehouse=warehouse, qty=n, reference=ref)
            elif kind == "issue_free":
                services.issue_stock(
                    product=product, warehouse=warehouse, qty=n, reference=ref, from_reservation=False
                )
            else:
                services.adjust_stock(
                    by=admin_user, warehouse=warehouse, product=product, qty_delta=-n, reason="盘亏"
                )
        except (InsufficientStock, InsufficientReservation, InvalidInput):
            assert _snapshot(product, warehouse) == before
        level = StockLevel.objects.filter(product=product, warehouse=warehouse).first()
        if level is None:
            continue
        balance = ledger_balance(product=product, warehouse=warehouse)
        assert (level.on_hand_qty, level.reserved_qty) == (balance.on_hand, balance.reserved)
        assert Decimal(0) <= level.reserved_qty <= level.on_hand_qty
        held = sum(
            services.reserved_for_reference(product=product, warehouse=warehouse, reference=r)
            for r in ("XSDD-1", "XSDD-2", "XSDD-3")
        )
        assert held == level.reserved_qty
