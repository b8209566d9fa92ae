"""Change requests: impact, approval moving stock, amounts and plan in one transaction, refusals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from salesdesk.core.errors import Conflict, Forbidden, InvalidInput
from salesdesk.fulfillment import changes
from salesdesk.fulfillment.changes import StaleChangeRequest
from salesdesk.fulfillment.models import ChangeRequest, Notification, OrderVersion, PlanStep
from salesdesk.fulfillment.models.changes import ChangeStatus
from salesdesk.orders.changes import preview_order_change
from salesdesk.orders.models import OrderEvent, SalesOrder, SalesOrderLine
from salesdesk.orders.shipping_facts import record_shipment

from .changes_factories import confirmed_with_plan, level, line, make_product, make_warehouse, stock

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def setup(salesperson: Any, manager: Any) -> dict[str, Any]:
    wh = make_warehouse(code="WH1")
    a = make_product(sku="A-1", name="螺丝", list_price=D("35.00"))
    b = make_product(sku="B-1", name="螺母", list_price=D("20.00"))
    c = make_product(sku="C-1", name="垫片", list_price=D("10.00"))
    for p in (a, b, c):
        stock(p, wh, "100")
    order = confirmed_with_plan(
        salesperson, manager, warehouse=wh, lines=[line(a, "10", warehouse=wh), line(b, "5", warehouse=wh)]
    )
    return {"wh": wh, "a": a, "b": b, "c": c, "order": order}


def _state(order: SalesOrder) -> dict[str, Any]:
    """Everything a refused change must leave alone."""
    order.refresh_from_db()
    return {
        "order": (order.version, order.total_amount, order.requested_date, order.ship_address_detail),
        "lines": list(
            SalesOrderLine.objects.filter(order=order).values_list(
                "line_no", "qty", "unit_price", "amount", "reserved_qty"
            )
        ),
        "plan": list(
            PlanStep.objects.filter(order=order).values_list("seq", "planned_start", "planned_due", "status")
        ),
        "versions": OrderVersion.objects.filter(order=order).count(),
        "events": OrderEvent.objects.filter(order=order).count(),
    }


CHANGE = {
    "lines": [
        {"line_no": 1, "qty": "15"},
        {"line_no": 2, "unit_price": "18.50"},
        {"add": {"product": None, "qty": "3"}},
    ],
    "requested_date": "2026-12-20",
}


def _change(c: Any) -> dict[str, Any]:
    return {**CHANGE, "lines": [*CHANGE["lines"][:2], {"add": {"product": c.pk, "qty": "3"}}]}


def test_request_records_impact_and_notifies_the_manager(
    setup: dict[str, Any], salesperson: Any, manager: Any
) -> None:
    order = setup["order"]
    cr = changes.request_change(order=order, changes=_change(setup["c"]), reason="客户加量", by=salesperson)
    cr.refresh_from_db()

    assert cr.number.startswith("BGD")
    assert cr.number.endswith("-0001")
    assert cr.status == ChangeStatus.PENDING
    assert cr.base_version == order.version
    assert cr.amount_difference == D("197.50")  # 15×35 + 5×18.50 + 3×10 − (10×35 + 5×20)
    assert cr.impact["amount_before"] == "450.00"
    assert cr.impact["amount_after"] == "647.50"
    assert cr.impact["stock"] == [
        {"line_no": 1, "sku": "A-1", "warehouse": "WH1", "reserve": "5", "release": "0", "available": "90"},
        {"line_no": 3, "sku": "C-1", "warehouse": "WH1", "reserve": "3", "release": "0", "available": "100"},
    ]
    assert cr.impact["lines_diff"] == [
        {"field": "qty", "line_no": 1, "sku": "A-1", "before": "10", "after": "15"},
        {"field": "unit_price", "line_no": 2, "sku": "B-1", "before": "20", "after": "18.5"},
        {"field": "line_added", "line_no": 3, "sku": "C-1", "before": None, "after": "垫片 × 3 @ 10"},
        {"field": "requested_date", "before": None, "after": "2026-12-20"},
        {"field": "total_amount", "before": "450.00", "after": "647.50"},
    ]
    assert cr.impact["credit"]["after"] == str(D(cr.impact["credit"]["used"]) + D("197.50"))
    note = Notification.objects.get(recipient=manager)
    assert note.kind == "change_request"
    assert cr.number in note.title
    # nothing on the order changed yet
    assert _state(order)["lines"][0][1] == D("10")


def test_approval_moves_stock_amounts_and_keeps_versions(
    setup: dict[str, Any], salesperson: Any, manager: Any
) -> None:
    order, wh, a, b, c = setup["order"], setup["wh"], setup["a"], setup["b"], setup["c"]
    version_before = order.version
    cr = changes.request_change(order=order, changes=_change(c), reason="客户加量", by=salesperson)
    impact = cr.impact

    changes.approve_change(change_request=cr, by=manager, comment="同意")

    order.refresh_from_db()
    assert order.version == version_before + 1
    assert order.total_amount == D("647.50")
    assert order.requested_date == dt.date(2026, 12, 20)
    assert order.total_amount == order.net_amount + order.tax_amount
    lines = list(
        order.lines.order_by("line_no").values_list(
            "line_no", "sku", "qty", "unit_price", "amount", "reserved_qty"
        )
    )
    assert lines == [
        (1, "A-1", D("15"), D("35"), D("525.00"), D("15")),
        (2, "B-1", D("5"), D("18.5"), D("92.50"), D("5")),
        (3, "C-1", D("3"), D("10"), D("30.00"), D("3")),
    ]
    assert level(a, wh) == (D("100"), D("15"))
    assert level(b, wh) == (D("100"), D("5"))
    assert level(c, wh) == (D("100"), D("3"))
    # preview == what approval did
    assert impact["amount_after"] == str(order.total_amount)
    versions = list(OrderVersion.objects.filter(order=order).order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].snapshot["total_amount"] == "450.00"
    assert versions[0].diff == []
    assert versions[1].snapshot["total_amount"] == "647.50"
    assert versions[1].diff == impact["lines_diff"]
    assert versions[1].change_request_id == cr.pk
    cr.refresh_from_db()
    assert cr.status == ChangeStatus.APPROVED
    assert cr.decided_by == manager
    assert cr.decision_comment == "同意"
    event = OrderEvent.objects.filter(order=order, type="changed").get()
    assert event.data["change_request"] == cr.number
    assert event.data["diff"] == impact["lines_diff"]
    assert Notification.objects.filter(recipient=salesperson, kind="change_request").count() == 1


def test_approval_re_dates_the_plan_as_previewed(salesperson: Any, manager: Any, monkeypatch: Any) -> None:
    # Plan from a fixed Monday so the schedule stays inside a year the holiday calendar knows.
    monkeypatch.setattr("salesdesk.fulfillment.plans.business_date", lambda *a: dt.date(2026, 3, 2))
    wh = make_warehouse(code="WH2")
    p = make_product(sku="P-1", list_price=D("10.00"))
    order = confirmed_with_plan(
        salesperson, manager, warehouse=wh, lines=[line(p, "10", warehouse=wh)], order_type="preorder"
    )
    before = {s.seq: s.planned_due for s in PlanStep.objects.filter(order=order)}
    cr = changes.request_change(
        order=order, changes={"lines": [{"line_no": 1, "qty": "2000"}]}, reason="加量", by=salesperson
    )
    moves = cr.impact["plan"]
    # 0.5 h × 2000 + 4 h = 1004 h at 80 h a day: 13 working days instead of 10
    assert moves[0] == {
        "step": "生产",
        "seq": 2,
        "old_start": "2026-03-04",
        "old_due": "2026-03-17",
        "new_start": "2026-03-04",
        "new_due": "2026-03-20",
    }
    assert [m["seq"] for m in moves] == [2, 3, 4, 5, 6, 7]
    assert cr.impact["stock"] == []  # make-to-order reserves nothing

    changes.approve_change(change_request=cr, by=manager)

    after = {s.seq: s.planned_due for s in PlanStep.objects.filter(order=order)}
    moved = {m["seq"]: m for m in moves}
    for seq, due in after.items():
        if seq in moved:
            assert before[seq].isoformat() == moved[seq]["old_due"]
            assert due.isoformat() == moved[seq]["new_due"]
        else:
            assert due == before[seq]
    assert max(after.values()) > max(before.values())


def test_below_shipped_quantity_is_refused_when_requested(setup: dict[str, Any], salesperson: Any) -> None:
    order = setup["order"]
    first = order.lines.get(line_no=1)
    record_shipment(order=order, quantities={first.pk: D("4")}, by=salesperson, reference="FHD-TEST")
    state = _state(order)

    with pytest.raises(InvalidInput) as err:
        changes.request_change(
            order=order, changes={"lines": [{"line_no": 1, "qty": "3"}]}, reason="减量", by=salesperson
        )

    assert err.value.fields == {"lines.0.qty": ["数量不能低于已发货的 4。"]}
    assert ChangeRequest.objects.count() == 0
    assert _state(order) == state


def test_removing_a_shipped_line_is_refused(setup: dict[str, Any], salesperson: Any) -> None:
    order = setup["order"]
    first = order.lines.get(line_no=1)
    record_shipment(order=order, quantities={first.pk: D("4")}, by=salesperson, reference="FHD-TEST")
    with pytest.raises(InvalidInput) as err:
        changes.request_change(order=order, changes={"lines": [{"remove": 1}]}, reason="删行", by=salesperson)
    assert list(err.value.fields) == ["lines.0.remove"]


def test_shipment_after_request_makes_approval_refuse_with_nothing_changed(
    setup: dict[str, Any], salesperson: Any, manager: Any
) -> None:
    order, wh, a = setup["order"], setup["wh"], setup["a"]
    cr = changes.request_change(
        order=order, changes={"lines": [{"line_no": 1, "qty": "3"}]}, reason="减量", by=salesperson
    )
    first = order.lines.get(line_no=1)
    record_shipment(order=order, quantities={first.pk: D("4")}, by=salesperson, reference="FHD-TEST")
    state, stock_before = _state(order), level(a, wh)

    with pytest.raises(InvalidInput) as err:
        changes.approve_change(change_request=cr, by=manager)

    assert list(err.value.fields) == ["lines.0.qty"]
    assert _state(order) == state
    assert level(a, wh) == stock_before
    cr.refresh_from_db()
    assert cr.status == ChangeStatus.PENDING


def test_stale_base_version_is_refused_with_nothing_changed(
    setup: dict[str, Any], salesperson: Any, manager: Any
) -> None:
    order, wh, a = setup["order"], setup["wh"], setup["a"]
    first = changes.request_change(
        order=order, changes={"lines": [{"line_no": 1, "qty": "12"}]}, reason="一", by=salesperson
    )
    second = changes.request_change(
        order=order, changes={"lines": [{"line_no": 1, "qty": "20"}]}, reason="二", by=salesperson
    )
    changes.approve_change(change_request=first, by=manager)
    state, stock_before = _state(order), level(a, wh)

    with pytest.raises(StaleChangeRequest) as err:
        changes.approve_change(change_request=second, by=manager)

    assert err.value.status == 409
    assert err.value.code == "stale_version"
    assert _state(order) == state
    assert level(a, wh) == stock_before == (D("100"), D("12"))


def test_rejection_changes_nothing_on_the_order(
    setup: dict[str, Any], salesperson: Any, manager: Any
) -> None:
    order = setup["order"]
    cr = changes.request_change(order=order, changes=_change(setup["c"]), reason="客户加量", by=salesperson)
    state = _state(order)

    changes.reject_change(change_request=cr, by=manager, reason="库存紧张")

    cr.refresh_from_db()
    assert cr.status == ChangeStatus.REJECTED
    assert cr.decision_comment == "库存紧张"
    after = _state(order)
    assert after["order"] == state["order"]
    assert after["lines"] == state["lines"]
    assert after["plan"] == state["plan"]
    assert after["versions"] == 0
    with pytest.raises(Conflict):
        changes.approve_change(change_request=cr, by=manager)


def test_requester_cannot_approve_and_salesperson_lacks_permission(
    setup: dict[str, Any], salesperson: Any, manager: Any, user_factory: Any
) -> None:
    order = setup["order"]
    cr = changes.request_change(
        order=order, changes={"lines": [{"line_no": 1, "qty": "12"}]}, reason="一", by=manager
    )
    with pytest.raises(Forbidden):
        changes.approve_change(change_request=cr, by=manager)
    with pytest.raises(Forbidden):
        changes.approve_change(change_request=cr, by=salesperson)
    admin = user_factory("administrator", username="boss")
    own = changes.request_change(
        order=order, changes={"lines": [{"line_no": 2, "qty": "6"}]}, reason="二", by=admin
    )
    changes.withdraw_change(change_request=cr, by=manager)
    changes.approve_change(change_request=own, by=admin)
    own.refresh_from_db()
    assert own.status == ChangeStatus.APPROVED


def test_bad_input_saves_nothing(setup: dict[str, Any], salesperson: Any) -> None:
    order = setup["order"]
    with pytest.raises(InvalidInput) as err:
        changes.request_change(
            order=order,
            changes={
                "lines": [{"line_no": 9, "qty": "1"}, {"line_no": 1, "qty": "abc"}],
                "requested_date": "明天",
            },
            reason="",
            by=salesperson,
        )
    assert list(err.value.fields) == ["reason"]
    with pytest.raises(InvalidInput) as err:
        changes.request_change(
            order=order,
            changes={
                "lines": [{"line_no": 9, "qty": "1"}, {"line_no": 1, "qty": "abc"}],
                "requested_date": "明天",
            },
            reason="改",
            by=salesperson,
        )
    assert sorted(err.value.fields) == ["lines.0.line_no", "lines.1.qty", "requested_date"]
    with pytest.raises(InvalidInput) as err:
        changes.request_change(
            order=order, changes={"lines": [{"line_no": 1, "qty": "500"}]}, reason="改", by=salesperson
        )
    assert list(err.value.fields) == ["lines.0.qty"]
    assert ChangeRequest.objects.count() == 0


def test_preview_is_read_only(setup: dict[str, Any], django_assert_max_num_queries: Any) -> None:
    order = setup["order"]
    state = _state(order)
    with django_assert_max_num_queries(12):
        preview = preview_order_change(order=order, changes=_change(setup["c"]))
    assert preview["errors"] == {}
    assert preview["amount_difference"] == "197.50"
    assert _state(order) == state


def test_change_only_for_confirmed_orders(salesperson: Any, manager: Any) -> None:
    from salesdesk.fulfillment.tests.plans_factories import ready_order

    p = make_product(sku="Q-1")
    order = ready_order(salesperson, manager, [line(p, "1")])
    with pytest.raises(InvalidInput) as err:
        changes.request_change(
            order=order, changes={"lines": [{"line_no": 1, "qty": "2"}]}, reason="改", by=salesperson
        )
    assert list(err.value.fields) == ["order"]
