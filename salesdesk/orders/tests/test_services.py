"""Order services: pricing on the order, approval rules, numbering, idempotency, every transition."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core import signing
from django.utils import timezone

from salesdesk.core.errors import InvalidInput
from salesdesk.core.parameters import set_parameter
from salesdesk.customers.tests.factories import ContactFactory
from salesdesk.inventory.models import StockLevel, StockMove
from salesdesk.orders import confirmation, selectors, services
from salesdesk.orders.errors import (
    ConfirmationLinkExpired,
    ConfirmationLinkInvalid,
    PossibleDuplicate,
    StaleOrder,
    StockShort,
)
from salesdesk.orders.models import OrderEvent, SalesOrder
from salesdesk.orders.transitions import TransitionNotAllowed
from salesdesk.pricing.tests.factories import PriceListFactory, PriceListItemFactory

from .factories import line, make_customer, make_product, make_warehouse, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(salesperson: Any) -> Any:
    return make_customer(salesperson)


@pytest.fixture
def product() -> Any:
    return make_product(sku="P-999", list_price=Decimal("9.99"))


@pytest.fixture
def warehouse(admin_user: Any, product: Any) -> Any:
    wh = make_warehouse(code="SZ")
    stock(product, wh, 10, admin_user)
    return wh


def snapshot(order: SalesOrder) -> tuple[Any, ...]:
    order.refresh_from_db()
    levels = tuple(StockLevel.objects.order_by("pk").values_list("on_hand_qty", "reserved_qty"))
    return (
        order.status,
        order.approval_status,
        order.confirmation_status,
        order.version,
        OrderEvent.objects.filter(order=order).count(),
        levels,
        StockMove.objects.count(),
    )


def approved(order: SalesOrder, by: Any, manager: Any) -> SalesOrder:
    order = services.submit_order(order=order, by=by)
    if order.approval_status == "pending":
        order = services.approve_order(order=order, by=manager)
    return order


def ready_to_confirm(order: SalesOrder, by: Any, manager: Any) -> SalesOrder:
    order = approved(order, by, manager)
    return services.record_customer_confirmation(order=order, by=by, note="电话确认")


# --- amounts ----------------------------------------------------------------------------------


def test_create_prices_line_per_domain_vector(salesperson: Any, customer: Any, product: Any) -> None:
    order = services.create_order(by=salesperson, customer=customer, lines=[line(product, 3)])
    ln = order.lines.get()
    assert (ln.unit_price, ln.price_source, ln.amount, ln.net_amount, ln.tax_amount) == (
        Decimal("9.99"),
        "list",
        Decimal("29.97"),
        Decimal("26.52"),
        Decimal("3.45"),
    )
    assert (order.total_amount, order.net_amount, order.tax_amount) == (
        Decimal("29.97"),
        Decimal("26.52"),
        Decimal("3.45"),
    )
    assert order.number == f"XSDD{timezone.localdate():%Y%m%d}-0001"
    assert order.status == "draft"
    assert order.version == 1
    assert list(order.events.values_list("type", flat=True)) == ["created"]


def test_tax_exclusive_vector(salesperson: Any, customer: Any) -> None:
    p = make_product(list_price=Decimal("35.00"))
    order = services.create_order(
        by=salesperson,
        customer=customer,
        lines=[line(p, 12, unit_price="30.97")],
        price_mode="tax_excluded",
    )
    ln = order.lines.get()
    assert (ln.amount, ln.net_amount, ln.tax_amount, ln.price_source) == (
        Decimal("419.95"),
        Decimal("371.64"),
        Decimal("48.31"),
        "manual",
    )


def test_order_discount_allocated_largest_remainder(salesperson: Any, customer: Any) -> None:
    a = make_product(list_price=Decimal("9.99"))
    b = make_product(list_price=Decimal("87.50"))
    c = make_product(list_price=Decimal("100.00"))
    order = services.create_order(
        by=salesperson,
        customer=customer,
        lines=[line(a, 3), line(b, 1), line(c, 1)],
        order_discount_amount="10.00",
    )
    shares = list(order.lines.values_list("order_discount_share", flat=True))
    assert shares == [Decimal("1.38"), Decimal("4.02"), Decimal("4.60")]
    assert order.total_amount == Decimal("207.47")
    assert order.discount_amount == Decimal("10.00")


def test_typed_price_equal_to_resolved_keeps_source(salesperson: Any, customer: Any, product: Any) -> None:
    pl = PriceListFactory(kind="promotion")
    PriceListItemFactory(price_list=pl, product=product, unit_price=Decimal("8.80"))
    order = services.create_order(
        by=salesperson,
        customer=customer,
        lines=[line(product, 1, unit_price="8.80"), line(product, 1), line(product, 1, unit_price="9.00")],
        acknowledge_duplicate=True,
    )
    assert list(order.lines.values_list("price_source", "unit_price")) == [
        ("promotion", Decimal("8.800000")),
        ("promotion", Decimal("8.800000")),
        ("manual", Decimal("9.000000")),
    ]


def test_bad_input_names_fields(salesperson: Any, customer: Any, product: Any) -> None:
    with pytest.raises(InvalidInput) as exc:
        services.create_order(
            by=salesperson,
            customer=customer,
            lines=[{"product": product, "qty": "0"}, {"product": "NOPE", "qty": "x"}],
        )
    assert set(exc.value.fields) == {"lines.0.qty", "lines.1.product", "lines.1.qty"}
    assert SalesOrder.objects.count() == 0


def test_customer_outside_scope_is_refused(other_salesperson: Any, customer: Any, product: Any) -> None:
    with pytest.raises(InvalidInput) as exc:
        services.create_order(by=other_salesperson, customer=customer, lines=[line(product)])
    assert "customer" in exc.value.fields


def test_snapshot_survives_master_data_change(salesperson: Any, customer: Any, product: Any) -> None:
    order = services.create_order(by=salesperson, customer=customer, lines=[line(product)])
    name = customer.name
    customer.name = "改名后的公司"
    customer.save()
    product.name = "改名商品"
    product.save()
    order.refresh_from_db()
    assert order.customer_name == name
    assert order.lines.get().product_name != "改名商品"
    assert order.ship_receiver == "李娜"
    assert order.ship_region_text
    assert order.contact_name == "王芳"


def test_the_contact_snapshot_is_the_primary_contact_mobile_else_landline(
    salesperson: Any, customer: Any, product: Any
) -> None:
    """The order's contact: the primary one, else the first; the mobile, else the landline; none: blank."""

    def contact_of_new_order(po: str) -> tuple[str, str]:
        order = services.create_order(
            by=salesperson,
            customer=customer,
            lines=[line(product)],
            customer_po=po,
            acknowledge_duplicate=True,
        )
        stored = SalesOrder.objects.get(pk=order.pk)
        return stored.contact_name, stored.contact_phone

    customer.contacts.all().delete()
    assert contact_of_new_order("C-0") == ("", "")
    ContactFactory.create(customer=customer, name="赵一", mobile="13800000001", is_primary=False)
    ContactFactory.create(customer=customer, name="钱二", mobile="", phone="0755-1234567", is_primary=True)
    assert contact_of_new_order("C-1") == ("钱二", "0755-1234567")
    customer.contacts.update(is_primary=False)
    assert contact_of_new_order("C-2") == ("赵一", "13800000001")


# --- approval rules ---------------------------------------------------------------------------


def reasons(order: SalesOrder) -> list[str]:
    return [r["code"] for r in order.approval_reasons]


@pytest.fixture
def known(salesperson: Any, manager: Any, customer: Any, product: Any, warehouse: Any) -> Any:
    """The customer and product have a confirmed order already: no new-customer/new-product rules."""
    order = services.create_order(by=salesperson, customer=customer, lines=[line(product, 1)])
    order = ready_to_confirm(order, salesperson, manager)
    services.confirm_order(order=order, by=salesperson)
    SalesOrder.objects.filter(pk=order.pk).update(created_at=timezone.now() - dt.timedelta(minutes=11))
    return customer


def test_no_reason_for_known_customer_and_product(salesperson: Any, known: Any, product: Any) -> None:
    order = services.create_order(by=salesperson, customer=known, lines=[line(product, 2)])
    order = services.submit_order(order=order, by=salesperson)
    assert (order.approval_status, reasons(order)) == ("not_required", [])


def test_new_customer_and_new_product(salesperson: Any, customer: Any, product: Any) -> None:
    order = services.create_order(by=salesperson, customer=customer, lines=[line(product)])
    order = services.submit_order(order=order, by=salesperson)
    assert order.approval_status == "pending"
    assert reasons(order) == ["new_customer", "new_product"]
    assert list(order.events.values_list("type", flat=True)) == ["created", "submitted", "approval_requested"]


def test_products_sold_before_are_those_on_a_confirmed_order(
    salesperson: Any, known: Any, product: Any, django_assert_num_queries: Any
) -> None:
    on_draft = make_product(sku="P-DRAFT")
    never = make_product(sku="P-NEVER")
    services.create_order(by=salesperson, customer=known, lines=[line(on_draft), line(product, 3)])
    ids = [product.pk, on_draft.pk, never.pk]
    with django_assert_num_queries(1):
        assert selectors.products_sold_before(product_ids=ids) == {product.pk}


def test_price_below_floor(salesperson: Any, known: Any, product: Any) -> None:
    product.floor_price = Decimal("9.50")
    product.save()
    order = services.create_order(by=salesperson, customer=known, lines=[line(product, 1, unit_price="9.40")])
    assert order.lines.get().is_below_floor
    assert reasons(services.submit_order(order=order, by=salesperson)) == ["price_floor"]


def test_floor_uses_net_price_after_order_discount(salesperson: Any, known: Any, product: Any) -> None:
    product.floor_price = Decimal("9.50")
    product.save()
    order = services.create_order(
        by=salesperson, customer=known, lines=[line(product, 1)], order_discount_amount="0.50"
    )
    assert order.lines.get().is_below_floor
    assert reasons(order) == ["price_floor"]


def test_discount_beyond_limit(salesperson: Any, known: Any, product: Any) -> None:
    order = services.create_order(
        by=salesperson, customer=known, lines=[line(product, 1, discount_rate="0.15")]
    )
    assert reasons(order) == ["discount_limit"]
    within = services.create_order(
        by=salesperson, customer=known, lines=[line(product, 3, discount_rate="0.10")]
    )
    assert reasons(within) == []


def test_credit_limit(salesperson: Any, known: Any, product: Any) -> None:
    known.credit_limit = Decimal("20.00")
    known.save()
    # the confirmed order from ``known`` (9.99) already uses credit: 9.99 + 19.98 > 20
    order = services.create_order(by=salesperson, customer=known, lines=[line(product, 2)])
    assert reasons(order) == ["credit_limit"]
    assert order.approval_reasons[0]["detail"]["used"] == "9.99"


def test_cash_customer_always_needs_credit_approval(salesperson: Any, known: Any, product: Any) -> None:
    known.credit_limit = Decimal("0")
    known.save()
    order = services.create_order(by=salesperson, customer=known, lines=[line(product, 1)])
    assert reasons(order) == ["credit_limit"]


def test_amount_threshold(salesperson: Any, known: Any, product: Any) -> None:
    set_parameter(key="approval.manager_amount", value="50", by=None)
    order = services.create_order(by=salesperson, customer=known, lines=[line(product, 6)])
    assert reasons(order) == ["amount"]


def test_sample_and_return_always_need_approval(salesperson: Any, known: Any, product: Any) -> None:
    sample = services.create_order(
        by=salesperson, customer=known, lines=[line(product, 1)], order_type="sample"
    )
    ret = services.create_order(by=salesperson, customer=known, lines=[line(product, 2)], order_type="return")
    assert reasons(sample) == ["sample"]
    assert reasons(ret) == ["return"]
    assert ret.number.startswith("XSTH")
    assert sample.confirmation_status == "not_required"


# --- idempotency, duplicates, versions --------------------------------------------------------


def test_idempotency_key_returns_same_order(salesperson: Any, customer: Any, product: Any) -> None:
    first = services.create_order(
        by=salesperson, customer=customer, lines=[line(product)], idempotency_key="k1"
    )
    again = services.create_order(
        by=salesperson, customer=customer, lines=[line(product)], idempotency_key="k1"
    )
    assert again.pk == first.pk
    assert SalesOrder.objects.count() == 1


def test_a_retry_with_other_lines_meets_the_key_constraint_and_keeps_nothing(
    salesperson: Any, customer: Any, product: Any
) -> None:
    """A used key is not looked up before the creation: the retry is priced and numbered, its insert
    meets the unique key, and the whole attempt rolls back — the number is not used up."""
    first = services.create_order(
        by=salesperson, customer=customer, lines=[line(product)], idempotency_key="k2"
    )
    other = make_product(sku="P-OTHER")
    again = services.create_order(
        by=salesperson, customer=customer, lines=[line(other, 3)], idempotency_key="k2"
    )
    assert again.pk == first.pk
    assert again.replayed is True  # type: ignore[attr-defined]
    assert [ln.product_id for ln in again.lines.all()] == [product.pk]
    assert SalesOrder.objects.count() == 1
    following = services.create_order(by=salesperson, customer=customer, lines=[line(other, 2)])
    assert int(following.number[-4:]) == int(first.number[-4:]) + 1  # gapless: the retry's number rolled back


def test_a_retry_the_rules_would_now_refuse_still_answers_with_the_first_order(
    salesperson: Any, customer: Any, product: Any
) -> None:
    first = services.create_order(
        by=salesperson, customer=customer, lines=[line(product)], idempotency_key="k3"
    )
    customer.status = customer.Status.DISABLED
    customer.save(update_fields=["status"])
    again = services.create_order(
        by=salesperson, customer=customer, lines=[line(product)], idempotency_key="k3"
    )
    assert again.pk == first.pk
    with pytest.raises(InvalidInput):  # without the key the same input is refused
        services.create_order(by=salesperson, customer=customer, lines=[line(product)])
    with pytest.raises(InvalidInput):  # and with a new key
        services.create_order(by=salesperson, customer=customer, lines=[line(product)], idempotency_key="k4")
    assert SalesOrder.objects.count() == 1


def test_duplicate_po_warns_until_acknowledged(salesperson: Any, customer: Any, product: Any) -> None:
    first = services.create_order(
        by=salesperson, customer=customer, lines=[line(product)], customer_po="PO-1"
    )
    other = make_product()
    with pytest.raises(PossibleDuplicate) as exc:
        services.create_order(by=salesperson, customer=customer, lines=[line(other)], customer_po="PO-1")
    assert exc.value.duplicates == [first.number]
    assert exc.value.code == "possible_duplicate"
    second = services.create_order(
        by=salesperson, customer=customer, lines=[line(other)], customer_po="PO-1", acknowledge_duplicate=True
    )
    assert "duplicate_acknowledged" in set(second.events.values_list("type", flat=True))


def test_same_lines_within_ten_minutes_warn(salesperson: Any, customer: Any, product: Any) -> None:
    first = services.create_order(by=salesperson, customer=customer, lines=[line(product, 2)])
    with pytest.raises(PossibleDuplicate):
        services.create_order(by=salesperson, customer=customer, lines=[line(product, 2)])
    SalesOrder.objects.filter(pk=first.pk).update(created_at=timezone.now() - dt.timedelta(minutes=11))
    services.create_order(by=salesperson, customer=customer, lines=[line(product, 2)])


def test_update_draft_and_stale_version(salesperson: Any, customer: Any, product: Any) -> None:
    order = services.create_order(by=salesperson, customer=customer, lines=[line(product, 1)])
    updated = services.update_order(order=order, by=salesperson, version=1, lines=[line(product, 3)])
    assert (updated.version, updated.total_amount) == (2, Decimal("29.97"))
    before = snapshot(order)
    with pytest.raises(StaleOrder) as exc:
        services.update_order(order=order, by=salesperson, version=1, lines=[line(product, 5)])
    assert exc.value.code == "stale_version"
    assert snapshot(order) == before
    assert order.total_amount == Decimal("29.97")


# --- transitions: one allowed and one refused each --------------------------------------------


def test_submit_allowed_and_refused(salesperson: Any, customer: Any, product: Any) -> None:
    order = services.create_order(by=salesperson, customer=customer, lines=[line(product)])
    order = services.submit_order(order=order, by=salesperson)
    assert (order.status, order.version) == ("submitted", 2)
    before = snapshot(order)
    with pytest.raises(TransitionNotAllowed):
        services.submit_order(order=order, by=salesperson)
    assert snapshot(order) == before


def test_withdraw_allowed_and_refused(salesperson: Any, customer: Any, product: Any) -> None:
    order = services.create_order(by=salesperson, customer=customer, lines=[line(product)])
    before = snapshot(order)
    with pytest.raises(TransitionNotAllowed):
        services.withdraw_order(order=order, by=salesperson)
    assert snapshot(order) == before
    services.submit_order(order=order, by=salesperson)
    order = services.withdraw_order(order=order, by=salesperson)
    assert (order.status, order.approval_status) == ("draft", "not_required")


def test_approve_allowed_and_refused(salesperson: Any, manager: Any, customer: Any, product: Any) -> None:
    order = services.submit_order(
        order=services.create_order(by=salesperson, customer=customer, lines=[line(product)]), by=salesperson
    )
    order = services.approve_order(order=order, by=manager, comment="同意")
    assert (order.approval_status, order.approved_by) == ("approved", manager)
    before = snapshot(order)
    with pytest.raises(TransitionNotAllowed):
        services.approve_order(order=order, by=manager)
    assert snapshot(order) == before


def test_salesperson_may_not_approve(salesperson: Any, customer: Any, product: Any) -> None:
    from salesdesk.core.errors import Forbidden

    order = services.submit_order(
        order=services.create_order(by=salesperson, customer=customer, lines=[line(product)]), by=salesperson
    )
    before = snapshot(order)
    with pytest.raises(Forbidden):
        services.approve_order(order=order, by=salesperson)
    assert snapshot(order) == before


def test_reject_allowed_and_refused(salesperson: Any, manager: Any, customer: Any, product: Any) -> None:
    order = services.submit_order(
        order=services.create_order(by=salesperson, customer=customer, lines=[line(product)]), by=salesperson
    )
    before = snapshot(order)
    with pytest.raises(InvalidInput):
        services.reject_order(order=order, by=manager, reason="  ")
    assert snapshot(order) == before
    order = services.reject_order(order=order, by=manager, reason="价格太低")
    assert (order.status, order.approval_status) == ("draft", "rejected")
    before = snapshot(order)
    with pytest.raises(TransitionNotAllowed):
        services.reject_order(order=order, by=manager, reason="再次")
    assert snapshot(order) == before


def test_send_confirmation_allowed_and_refused(
    salesperson: Any, manager: Any, customer: Any, product: Any
) -> None:
    order = services.submit_order(
        order=services.create_order(by=salesperson, customer=customer, lines=[line(product)]), by=salesperson
    )
    before = snapshot(order)
    with pytest.raises(TransitionNotAllowed):  # still awaiting approval
        services.send_confirmation(order=order, by=salesperson)
    assert snapshot(order) == before
    services.approve_order(order=order, by=manager)
    path = services.send_confirmation(order=order, by=salesperson)
    assert path.startswith("/c/")
    assert path.endswith("/")
    order.refresh_from_db()
    assert order.confirmation_status == "pending"


def test_confirmation_link_valid_replaced_expired(
    salesperson: Any, manager: Any, customer: Any, product: Any, settings: Any
) -> None:
    order = approved(
        services.create_order(by=salesperson, customer=customer, lines=[line(product)]), salesperson, manager
    )
    old = services.send_confirmation(order=order, by=salesperson).split("/")[2]
    new = services.send_confirmation(order=order, by=salesperson).split("/")[2]
    with pytest.raises(ConfirmationLinkInvalid):
        services.get_order_for_customer(token=old)
    with pytest.raises(ConfirmationLinkInvalid):
        services.get_order_for_customer(token=new + "x")
    assert services.get_order_for_customer(token=new, ip="10.0.0.9").pk == order.pk
    services.get_order_for_customer(token=new, ip="10.0.0.9")
    viewed = order.events.filter(type="customer_viewed")
    assert viewed.count() == 1
    assert viewed.get().ip == "10.0.0.9"
    expired = signing.TimestampSigner(salt=confirmation.SALT)
    order.refresh_from_db()
    stale_token = signing.dumps({"o": order.pk, "n": order.confirmation_nonce}, salt=confirmation.SALT)
    assert expired  # the signer class in use
    from unittest import mock

    later = timezone.now().timestamp() + 73 * 3600
    with mock.patch("time.time", return_value=later), pytest.raises(ConfirmationLinkExpired):
        services.get_order_for_customer(token=stale_token)
    services.customer_confirm(token=new, ip="10.0.0.9")
    order.refresh_from_db()
    assert order.confirmation_status == "confirmed"
    event = order.events.get(type="customer_confirmed")
    assert (event.ip, event.actor) == ("10.0.0.9", None)


def test_customer_request_change_and_back_to_draft_kills_link(
    salesperson: Any, manager: Any, customer: Any, product: Any
) -> None:
    order = approved(
        services.create_order(by=salesperson, customer=customer, lines=[line(product)]), salesperson, manager
    )
    token = services.send_confirmation(order=order, by=salesperson).split("/")[2]
    services.customer_request_change(token=token, message="数量改成5", ip="10.0.0.1")
    order.refresh_from_db()
    assert (order.confirmation_status, order.customer_feedback) == ("change_requested", "数量改成5")
    services.withdraw_order(order=order, by=salesperson)
    with pytest.raises(ConfirmationLinkInvalid):
        services.get_order_for_customer(token=token)


def test_record_customer_confirmation_allowed_and_refused(
    salesperson: Any, manager: Any, customer: Any, product: Any
) -> None:
    order = services.create_order(by=salesperson, customer=customer, lines=[line(product)])
    before = snapshot(order)
    with pytest.raises(TransitionNotAllowed):
        services.record_customer_confirmation(order=order, by=salesperson, note="电话")
    assert snapshot(order) == before
    order = ready_to_confirm(order, salesperson, manager)
    assert order.confirmation_status == "confirmed"


def test_confirm_reserves_every_line(
    salesperson: Any, manager: Any, customer: Any, product: Any, warehouse: Any, admin_user: Any
) -> None:
    other = make_product()
    big = make_warehouse(code="BJ")
    stock(other, warehouse, 2, admin_user)
    stock(other, big, 8, admin_user)
    order = ready_to_confirm(
        services.create_order(by=salesperson, customer=customer, lines=[line(product, 4), line(other, 5)]),
        salesperson,
        manager,
    )
    order = services.confirm_order(order=order, by=salesperson)
    assert order.status == "confirmed"
    assert list(order.lines.values_list("reserved_qty", "warehouse__code")) == [
        (Decimal(4), "SZ"),
        (Decimal(5), "BJ"),
    ]
    assert StockLevel.objects.get(product=other, warehouse=big).reserved_qty == Decimal(5)
    assert set(StockMove.objects.filter(kind="reserve").values_list("reference", flat=True)) == {order.number}


def test_confirm_short_reserves_nothing(
    salesperson: Any, manager: Any, customer: Any, product: Any, warehouse: Any
) -> None:
    none_in_stock = make_product(sku="NONE-1")
    order = ready_to_confirm(
        services.create_order(
            by=salesperson,
            customer=customer,
            lines=[line(product, 4), line(product, 7), line(none_in_stock, 1)],
        ),
        salesperson,
        manager,
    )
    before = snapshot(order)
    with pytest.raises(StockShort) as exc:
        services.confirm_order(order=order, by=salesperson)
    assert exc.value.shortages == [
        {"line_no": 2, "sku": "P-999", "requested": "7", "available": "6"},
        {"line_no": 3, "sku": "NONE-1", "requested": "1", "available": "0"},
    ]
    assert set(exc.value.fields) == {"lines.1.qty", "lines.2.qty"}
    assert snapshot(order) == before
    assert list(order.lines.values_list("reserved_qty", flat=True)) == [Decimal(0)] * 3


def test_confirm_refused_before_customer_confirms(
    salesperson: Any, manager: Any, customer: Any, product: Any, warehouse: Any
) -> None:
    order = approved(
        services.create_order(by=salesperson, customer=customer, lines=[line(product)]), salesperson, manager
    )
    before = snapshot(order)
    with pytest.raises(TransitionNotAllowed):
        services.confirm_order(order=order, by=salesperson)
    assert snapshot(order) == before


def test_preorder_confirms_without_stock(salesperson: Any, manager: Any, customer: Any) -> None:
    p = make_product()
    order = ready_to_confirm(
        services.create_order(by=salesperson, customer=customer, lines=[line(p, 50)], order_type="preorder"),
        salesperson,
        manager,
    )
    order = services.confirm_order(order=order, by=salesperson)
    assert order.status == "confirmed"
    assert StockMove.objects.count() == 0


@pytest.fixture
def confirmed(salesperson: Any, manager: Any, customer: Any, product: Any, warehouse: Any) -> SalesOrder:
    order = ready_to_confirm(
        services.create_order(by=salesperson, customer=customer, lines=[line(product, 3)]),
        salesperson,
        manager,
    )
    return services.confirm_order(order=order, by=salesperson)


def test_hold_and_resume(salesperson: Any, confirmed: SalesOrder) -> None:
    before = snapshot(confirmed)
    with pytest.raises(TransitionNotAllowed):
        services.resume_order(order=confirmed, by=salesperson)
    assert snapshot(confirmed) == before
    order = services.hold_order(order=confirmed, by=salesperson, reason="等客户付款")
    assert (order.status, order.hold_reason) == ("on_hold", "等客户付款")
    before = snapshot(order)
    with pytest.raises(TransitionNotAllowed):
        services.hold_order(order=order, by=salesperson, reason="again")
    assert snapshot(order) == before
    assert services.resume_order(order=order, by=salesperson).status == "confirmed"


def test_cancel_releases_reservation(
    salesperson: Any, confirmed: SalesOrder, product: Any, warehouse: Any
) -> None:
    level = StockLevel.objects.get(product=product, warehouse=warehouse)
    assert level.reserved_qty == Decimal(3)
    order = services.cancel_order(order=confirmed, by=salesperson, reason="客户取消")
    level.refresh_from_db()
    assert (order.status, level.reserved_qty, level.on_hand_qty) == ("cancelled", Decimal(0), Decimal(10))
    assert order.lines.get().reserved_qty == Decimal(0)
    before = snapshot(order)
    with pytest.raises(TransitionNotAllowed):
        services.cancel_order(order=order, by=salesperson, reason="again")
    assert snapshot(order) == before


def test_close_releases_what_is_left(
    salesperson: Any, confirmed: SalesOrder, product: Any, warehouse: Any
) -> None:
    order = services.close_order(order=confirmed, by=salesperson, reason="剩余不发")
    assert order.status == "closed"
    assert StockLevel.objects.get(product=product, warehouse=warehouse).reserved_qty == Decimal(0)
    draft = services.create_order(
        by=salesperson, customer=order.customer, lines=[line(product, 1)], acknowledge_duplicate=True
    )
    before = snapshot(draft)
    with pytest.raises(TransitionNotAllowed):
        services.close_order(order=draft, by=salesperson, reason="x")
    assert snapshot(draft) == before


def test_copy_order_is_new_draft_at_current_prices(
    salesperson: Any, confirmed: SalesOrder, product: Any
) -> None:
    product.list_price = Decimal("11.00")
    product.save()
    copy = services.copy_order(order=confirmed, by=salesperson)
    assert (copy.status, copy.copied_from_id) == ("draft", confirmed.pk)
    assert copy.number != confirmed.number
    assert copy.lines.get().unit_price == Decimal("11.00")
    assert confirmed.events.filter(type="copied").count() == 1


def test_run_action_dispatches_and_refuses(salesperson: Any, customer: Any, product: Any) -> None:
    order = services.create_order(by=salesperson, customer=customer, lines=[line(product)])
    order = services.run_action(order=order, action="submit", by=salesperson, data={})
    assert order.status == "submitted"
    with pytest.raises(TransitionNotAllowed):
        services.run_action(order=order, action="explode", by=salesperson, data={})


def test_saved_filters(salesperson: Any) -> None:
    saved = services.save_filter(by=salesperson, name="待审核", query="status=submitted")
    services.save_filter(by=salesperson, name="待审核", query="status=draft")
    saved.refresh_from_db()
    assert saved.query == "status=draft"
    services.delete_filter(by=salesperson, pk=saved.pk)
    from salesdesk.orders.selectors import list_saved_filters

    assert list(list_saved_filters(user=salesperson)) == []


def test_confirming_records_each_products_first_sale_once(
    salesperson: Any, manager: Any, known: Any, product: Any, warehouse: Any
) -> None:
    from salesdesk.orders.models import ProductFirstSale

    first = ProductFirstSale.objects.get(product=product)  # the known fixture confirmed one order
    other = make_product(sku="P-NEW")
    stock(other, warehouse, 5)
    order = services.create_order(by=salesperson, customer=known, lines=[line(product), line(other)])
    assert selectors.products_sold_before(product_ids=[product.pk, other.pk]) == {product.pk}
    order = ready_to_confirm(order, salesperson, manager)
    services.confirm_order(order=order, by=salesperson)
    assert selectors.products_sold_before(product_ids=[product.pk, other.pk]) == {product.pk, other.pk}
    again = ProductFirstSale.objects.get(product=product)
    assert (again.order_id, again.confirmed_at) == (first.order_id, first.confirmed_at)  # unchanged
    assert ProductFirstSale.objects.get(product=other).order_id == order.pk


def test_an_order_of_known_products_writes_no_first_sale_rows(
    salesperson: Any, known: Any, product: Any
) -> None:
    """Created and confirmed at once, the products come from the quote's read with ``sold_before``: known
    ones are left out of the first-sale INSERT, and with only known ones there is no such INSERT (new
    products: ``test_confirming_records_each_products_first_sale_once``)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from salesdesk.orders.models import ProductFirstSale

    first = ProductFirstSale.objects.values_list("order_id", "confirmed_at").get(product=product)

    with CaptureQueriesContext(connection) as queries:
        order = services.create_order(
            by=salesperson,
            customer=known,
            lines=[{"product": product.sku, "qty": "1"}],  # as the API and the entry page send it
            advance=services.Advance(note="电话确认", confirm=True),
        )

    assert order.status == "confirmed"
    assert not [q for q in queries.captured_queries if 'INTO "orders_productfirstsale"' in q["sql"]]
    assert ProductFirstSale.objects.values_list("order_id", "confirmed_at").get(product=product) == first


def test_a_line_whose_product_was_not_read_with_it_counts_as_not_known(
    product: Any, django_assert_num_queries: Any
) -> None:
    """``_known_sold`` never reads the product: a line without its product object counts as new (the
    INSERT then skips it if it is not), one with a product read with ``sold_before`` answers from it."""
    from salesdesk.orders.models import SalesOrderLine

    bare = SalesOrderLine(product_id=product.pk)
    product.sold_before = True
    with django_assert_num_queries(0):
        assert services._known_sold(bare) is False
        assert services._known_sold(SalesOrderLine(product=product)) is True


def test_products_read_for_a_quote_say_whether_they_were_sold_before(
    salesperson: Any, manager: Any, known: Any, product: Any, warehouse: Any, django_assert_num_queries: Any
) -> None:
    """The quote's product read answers the "new product" rule (annotation); products passed as objects
    read elsewhere are looked up, together."""
    from salesdesk.catalog.models import Product
    from salesdesk.orders.quoting import _lookup_products

    other = make_product(sku="P-NEW2")
    found = _lookup_products([product.sku, str(other.pk)])
    read = [found["sku:" + product.sku], found[str(other.pk)]]
    with django_assert_num_queries(0):
        assert selectors.sold_before(read) == {product.pk}
    plain = list(Product.objects.filter(pk__in=[product.pk, other.pk]))
    with django_assert_num_queries(1):
        assert selectors.sold_before(plain) == {product.pk}
    with django_assert_num_queries(1):
        assert selectors.sold_before([read[1], plain[0]]) == {product.pk}
    quote = services.quote_order(by=salesperson, customer=known, lines=[line(product), line(other)])
    assert [r["detail"] for r in quote.approval_reasons if r["code"] == "new_product"] == [
        {"skus": ["P-NEW2"]}
    ]


def test_rebuild_first_sales_after_orders_loaded_in_bulk(
    salesperson: Any, manager: Any, known: Any, product: Any
) -> None:
    from salesdesk.orders.models import ProductFirstSale

    expected = list(ProductFirstSale.objects.values_list("product_id", "order_id", "confirmed_at"))
    ProductFirstSale.objects.all().delete()  # as after a COPY past the services
    assert services.rebuild_first_sales() == 1
    assert list(ProductFirstSale.objects.values_list("product_id", "order_id", "confirmed_at")) == expected
    assert services.rebuild_first_sales() == 0


@pytest.mark.parametrize(
    "region", ["440305", "110101", "440300", "440000"], ids=["county", "市辖区", "city", "province"]
)
def test_the_default_address_read_with_the_customer_is_what_the_orm_reads(
    salesperson: Any, product: Any, region: str, django_assert_num_queries: Any
) -> None:
    """The customer read brings its default address (else its oldest) and the address's divisions as
    one JSON value; the snapshot is the one the ORM's ``select_related`` read gives; no address read."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from salesdesk.core.models import Region
    from salesdesk.customers.models import Address
    from salesdesk.customers.tests.factories import AddressFactory

    cust = make_customer(salesperson)
    Address.objects.filter(customer=cust).update(is_default=False)
    AddressFactory.create(
        customer=cust, region=Region.objects.get(code=region), detail="二号", is_default=True
    )
    expected = Address.objects.select_related("region__parent__parent").get(customer=cust, is_default=True)
    with CaptureQueriesContext(connection) as queries:
        order = services.create_order(by=salesperson, customer=cust, lines=[line(product)])
    assert not [
        q for q in queries.captured_queries if 'FROM "customers_address"' in q["sql"].split("WHERE")[0]
    ]
    assert (order.address_id, order.ship_region_code, order.ship_region_text, order.ship_address_detail) == (
        expected.pk,
        expected.region_id,
        expected.region_info.text,
        "二号",
    )
    resolved = services._resolve_address(services._resolve_customer(salesperson, cust.pk), None)
    assert resolved is not None
    assert {f.attname: getattr(resolved, f.attname) for f in Address._meta.concrete_fields} == {
        f.attname: getattr(expected, f.attname) for f in Address._meta.concrete_fields
    }
    assert resolved.region_info == expected.region_info
    assert not resolved._state.adding
    with django_assert_num_queries(0):  # the divisions came with it
        assert resolved.region_info.text == expected.region_info.text


def test_a_customer_without_addresses_orders_without_one(salesperson: Any, product: Any) -> None:
    from salesdesk.customers.models import Address

    cust = make_customer(salesperson)
    Address.objects.filter(customer=cust).delete()
    order = services.create_order(by=salesperson, customer=cust, lines=[line(product)])
    assert (order.address_id, order.ship_region_code, order.ship_address_detail) == (None, "", "")
