"""Every write to orders: drafts, the lifecycle actions, customer confirmation, saved filters.

Each service is keyword-only, atomic, takes the acting user as ``by`` and writes the order's timeline
(``OrderEvent``) in the same transaction. Transition services re-read the order with
``select_for_update``, check ``transitions.ensure_transition``, save with ``update_fields``, bump
``version`` and defer side effects with ``transaction.on_commit``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import JSONObject
from django.utils import timezone
from django.utils.translation import gettext as _

from salesdesk.accounts.scope import owner_scope_param_q, scope_of
from salesdesk.core.audit import audit_entry, record_audit, record_audits
from salesdesk.core.compiled import CompiledQuery, Read, insert, insert_together, read_ahead
from salesdesk.core.context import current_ip
from salesdesk.core.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from salesdesk.core.models import Region
from salesdesk.core.numbering import business_date, late_number
from salesdesk.core.parameters import get_parameter, get_parameters
from salesdesk.core.validators import row_id
from salesdesk.customers.models import Address, Contact, Customer
from salesdesk.inventory import services as inventory
from salesdesk.inventory.models import Warehouse
from salesdesk.pricing import calc

from . import confirmation, selectors
from .choices import (
    BEHAVIOUR,
    ApprovalRule,
    ApprovalStatus,
    ConfirmationStatus,
    EventType,
    OrderType,
    PriceMode,
    Status,
)
from .errors import (
    ConfirmationLinkExpired,
    ConfirmationLinkInvalid,
    OrderNotEditable,
    PossibleDuplicate,
    StaleOrder,
    StockShort,
)
from .models import OrderEvent, ProductFirstSale, SalesOrder, SalesOrderLine, SavedFilter
from .quoting import (
    OrderQuote,
    QuotedLine,
    compute_quote,
    parse_lines,
    products_read,
    stock_by_product,
    stock_read,
)
from .transitions import ACTIONS, ensure_transition, is_allowed

log = logging.getLogger("salesdesk.orders")

DUPLICATE_WINDOW = dt.timedelta(minutes=10)
_UNSET: Any = object()


# --- helpers ------------------------------------------------------------------------------------


def _event(
    order: SalesOrder,
    type_: str,
    *,
    by: Any = None,
    data: dict[str, Any] | None = None,
    ip: str | None = None,
    actor_name: str = "",
) -> OrderEvent:
    """One timeline entry, saved."""
    return insert([_new_event(order, type_, by=by, data=data, ip=ip, actor_name=actor_name)])[0]


def _new_event(
    order: SalesOrder, type_: str, *, by: Any, data: dict[str, Any] | None, ip: str | None, actor_name: str
) -> OrderEvent:
    """A timeline entry, not saved yet: the actor (a user, else none) and the request's IP."""
    user = by if getattr(by, "pk", None) else None
    return OrderEvent(
        order=order,
        type=type_,
        actor=user,
        actor_name=actor_name or (user.display_name if user else ""),
        ip=ip if ip is not None else current_ip.get(),
        data=data or {},
    )


def _after_commit(order: SalesOrder, what: str) -> None:
    """Announce a committed change (log now; notifications hook in here later)."""
    transaction.on_commit(lambda: log.info("order %s (%s): %s", order.number, order.pk, what))


_REGION_CHAIN = ("region", "region__parent", "region__parent__parent")


def _default_address_json() -> Subquery:
    """The customer's default address (else its oldest) with its division and the division's parents
    (as ``select_related("region__parent__parent")`` gives them), as one JSON object: ``attname`` keys
    for the address, ``region__code`` … ``region__parent__parent__name`` for the divisions."""
    keys = {f.attname: F(f.attname) for f in Address._meta.concrete_fields}
    for chain in _REGION_CHAIN:
        keys.update(
            {f"{chain}__{f.attname}": F(f"{chain}__{f.attname}") for f in Region._meta.concrete_fields}
        )
    first = Address.objects.filter(customer=OuterRef("pk")).order_by("-is_default", "id")
    return Subquery(first.annotate(address_json=JSONObject(**keys)).values("address_json")[:1])


def _address_from(data: dict[str, Any], customer: Customer) -> Address:
    """The ``Address`` (and its divisions) of ``_default_address_json``, as the ORM would have read it."""

    def saved(model: type[Any], prefix: str) -> Any:
        obj = model(**{f.attname: f.to_python(data[prefix + f.attname]) for f in model._meta.concrete_fields})
        obj._state.adding = False
        obj._state.db = customer._state.db
        return obj

    address = saved(Address, "")
    address.customer = customer
    child: Any = address
    for chain in _REGION_CHAIN:
        if data.get(f"{chain}__code") is None:
            break
        region = saved(Region, f"{chain}__")
        if child is address:
            address.region = region
        else:
            child.parent = region
        child = region
    return address  # type: ignore[no-any-return]


# The reads of every order creation, compiled once per process (``core.compiled``).
def _customer_q(p: Any, scope: tuple[str, int]) -> Any:
    """The customer in the user's scope, with its first contact (primary first, then the oldest):
    ``contact_name``, ``contact_mobile``, ``contact_phone`` (None without contacts); and its default
    address: ``default_address_json`` (``_address_from``; None without addresses)."""
    first_contact = Contact.objects.filter(customer=OuterRef("pk")).order_by("-is_primary", "id")
    return (
        Customer.objects.filter(owner_scope_param_q(p, scope))
        .select_related("owner")
        .annotate(
            contact_name=Subquery(first_contact.values("name")[:1]),
            contact_mobile=Subquery(first_contact.values("mobile")[:1]),
            contact_phone=Subquery(first_contact.values("phone")[:1]),
            default_address_json=_default_address_json(),
        )
        .filter(pk=p.customer_id)[:1]
    )


_CUSTOMER = CompiledQuery(_customer_q)
_CUSTOMER_ADDRESS = CompiledQuery(
    lambda p: Customer.objects.filter(pk=p.customer_id).annotate(
        default_address_json=_default_address_json()
    )[:1]
)
_ADDRESS_REGIONS = "region__parent__parent"
_ADDRESS = CompiledQuery(
    lambda p: (
        Address.objects.filter(customer=p.customer_id)
        .order_by("-is_default", "id")
        .select_related(_ADDRESS_REGIONS)[:1]
    )
)
_ADDRESS = CompiledQuery(
    lambda p: Address.objects.filter(customer=p.customer_id, pk=p.address_id).select_related(
        _ADDRESS_REGIONS
    )[:1]
)


def _customer_id(customer: Any) -> int | None:
    """The id a customer reference gives (a Customer, its id or its id as text), or None."""
    return row_id(customer.pk if isinstance(customer, Customer) else customer)


def _customer_read(by: Any, pk: int) -> Read:
    scope = scope_of(by)
    return _CUSTOMER.call(scope.shape, customer_id=pk, **scope.values)


def _resolve_customer(by: Any, customer: Any) -> Customer:
    pk = _customer_id(customer)
    if pk is None:
        raise InvalidInput.single("customer", _("Choose a customer."))
    read = _customer_read(by, pk)
    found = read.query.first(*read.shape, **read.values)
    if found is None:
        raise InvalidInput.single("customer", _("Choose a customer."))
    if found.status != Customer.Status.ACTIVE:
        raise InvalidInput.single("customer", _("This customer is not active."))
    return found


def _resolve_address(customer: Customer, address: Any) -> Address | None:
    if address in (None, ""):
        if not hasattr(customer, "default_address_json"):  # not read by _resolve_customer
            customer = _CUSTOMER_ADDRESS.first(customer_id=customer.pk)
        data = customer.default_address_json  # type: ignore[attr-defined]
        return None if data is None else _address_from(data, customer)
    pk = address.pk if isinstance(address, Address) else address
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise InvalidInput.single("address", _("Choose one of the customer's addresses.")) from None
    found = _ADDRESS.first(customer_id=customer.pk, address_id=pk)
    if found is None:
        raise InvalidInput.single("address", _("Choose one of the customer's addresses."))
    found.customer = customer
    return found  # type: ignore[no-any-return]


def _parse_date(value: Any, field: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInput.single(field, _("Enter a date like 2026-11-22.")) from None


def _order_type(value: Any) -> str:
    if value in (None, ""):
        return str(get_parameter("orders.default_type"))
    if value not in OrderType.values:
        raise InvalidInput.single("order_type", _("Choose a valid order type."))
    return str(value)


def _snapshot(order: SalesOrder, customer: Customer, address: Address | None) -> None:
    """Copy the customer's identity, invoice details, contact and address onto the order."""
    order.customer = customer
    order.customer_code = customer.code
    order.customer_name = customer.name
    order.customer_uscc = customer.uscc or ""
    order.customer_grade = customer.grade or ""
    order.payment_term_days = customer.payment_term_days
    order.invoice_info = {
        "title": customer.name,
        "tax_number": customer.tax_number or customer.uscc or "",
        "address": customer.invoice_address,
        "phone": customer.invoice_phone,
        "bank_name": customer.bank_name,
        "bank_account": customer.bank_account,
        "invoice_type": customer.default_invoice_type,
    }
    # read with the customer (_resolve_customer)
    order.contact_name = customer.contact_name or ""  # type: ignore[attr-defined]
    order.contact_phone = customer.contact_mobile or customer.contact_phone or ""  # type: ignore[attr-defined]
    order.address = address
    if address is not None:
        order.ship_region_code = address.region_id or ""
        order.ship_region_text = address.region_info.text
        order.ship_address_detail = address.detail
        order.ship_receiver = address.receiver
        order.ship_mobile = address.mobile
    else:
        order.ship_region_code = order.ship_region_text = order.ship_address_detail = ""
        order.ship_receiver = order.ship_mobile = ""


def _apply_quote(order: SalesOrder, quote: OrderQuote) -> list[SalesOrderLine]:
    """Put the quote's totals on the order and build (unsaved) lines with product snapshots."""
    t = quote.totals
    order.price_mode = quote.price_mode
    order.order_discount_amount = quote.order_discount_amount
    order.round_off_amount = quote.round_off_amount
    order.gross_amount = t.gross_amount
    order.discount_amount = t.discount_amount
    order.total_amount = t.amount
    order.net_amount = t.net_amount
    order.tax_amount = t.tax_amount
    return [_line(order, q) for q in quote.lines]


def _line(order: SalesOrder, q: QuotedLine) -> SalesOrderLine:
    p = q.product
    return SalesOrderLine(
        order=order,
        line_no=q.index + 1,
        product=p,
        sku=p.sku,
        product_name=p.name,
        spec=p.spec,
        unit=p.unit,
        tax_code=p.tax_code,
        qty=q.qty,
        unit_price=q.unit_price,
        list_price=q.list_price,
        floor_price=q.floor_price,
        price_source=q.price_source,
        price_list_id=q.price_list_id,
        discount_rate=q.discount_rate,
        tax_rate=p.tax_rate,
        gross_amount=q.amounts.gross_amount,
        discount_amount=q.line_discount_amount,
        order_discount_share=q.order_discount_share,
        amount=q.amounts.amount,
        net_amount=q.amounts.net_amount,
        tax_amount=q.amounts.tax_amount,
        is_below_floor=q.is_below_floor,
        warehouse=q.warehouse,
        remark=q.remark,
    )


# The parameters the approval rules read, fetched together (one query instead of one per rule).
_RULE_PARAMETERS = (
    (ApprovalRule.DISCOUNT_LIMIT, "approval.max_discount_rate"),
    (ApprovalRule.OVERDUE, "finance.overdue_block_days"),
    (ApprovalRule.NEW_CUSTOMER, "approval.new_customer"),
    (ApprovalRule.AMOUNT, "approval.manager_amount"),
)


def _parameters(*keys: str) -> dict[str, Any]:
    """Several parameters in one query, each as ``get_parameter`` gives it (stored value, else default)."""
    return get_parameters(*keys)


def approval_reasons(
    *, customer: Customer, order_type: str, quote: OrderQuote, exclude_order: Any = None
) -> list[dict[str, Any]]:
    """The reasons (DOMAIN.md §4.4) this order needs a manager's approval; [] when none apply."""
    rules = BEHAVIOUR[order_type].approval_rules
    reasons: list[dict[str, Any]] = []
    params = _parameters(*(key for rule, key in _RULE_PARAMETERS if rule in rules))

    def add(rule: ApprovalRule, **detail: Any) -> None:
        reasons.append({"code": str(rule), "detail": detail})

    if ApprovalRule.SAMPLE in rules:
        add(ApprovalRule.SAMPLE)
    if ApprovalRule.RETURN in rules:
        add(ApprovalRule.RETURN)
    if ApprovalRule.PRICE_FLOOR in rules:
        below = [q.index + 1 for q in quote.lines if q.is_below_floor]
        if below:
            add(ApprovalRule.PRICE_FLOOR, lines=below)
    if ApprovalRule.DISCOUNT_LIMIT in rules:
        limit = Decimal(str(params["approval.max_discount_rate"]))
        over = [q.index + 1 for q in quote.lines if q.discount_rate > limit]
        # the whole order's discount (line + order discounts + 抹零) against the same limit, in 分
        overall = quote.totals.discount_amount > calc.round2(quote.totals.gross_amount * limit)
        if over or overall:
            add(ApprovalRule.DISCOUNT_LIMIT, lines=over, limit=str(limit))
    total = quote.totals.amount
    if ApprovalRule.CREDIT_LIMIT in rules and customer.credit_limit is not None:
        used = selectors.credit_used(customer=customer, exclude_order=exclude_order)
        if used + total > customer.credit_limit:
            add(
                ApprovalRule.CREDIT_LIMIT,
                limit=str(customer.credit_limit),
                used=f"{used:.2f}",
                amount=str(total),
            )
    if ApprovalRule.OVERDUE in rules:
        days = int(params["finance.overdue_block_days"])
        overdue = selectors.overdue_amount(customer=customer, days=days)
        if overdue > 0:
            add(ApprovalRule.OVERDUE, amount=str(overdue), days=days)
    if (
        ApprovalRule.NEW_CUSTOMER in rules
        and params["approval.new_customer"]
        and not selectors.has_confirmed_order(customer=customer, exclude_order=exclude_order)
    ):
        add(ApprovalRule.NEW_CUSTOMER)
    if ApprovalRule.NEW_PRODUCT in rules:
        sold = selectors.sold_before([q.product for q in quote.lines])
        new = [q.product.sku for q in quote.lines if q.product.pk not in sold]
        if new:
            add(ApprovalRule.NEW_PRODUCT, skus=sorted(set(new)))
    if ApprovalRule.AMOUNT in rules:
        threshold = Decimal(str(params["approval.manager_amount"]))
        if total >= threshold:
            add(ApprovalRule.AMOUNT, threshold=str(threshold), amount=str(total))
    return reasons


def reason_label(reason: dict[str, Any]) -> str:
    """A reason's text for pages and the API."""
    try:
        return str(ApprovalRule(reason["code"]).label)
    except ValueError:
        return str(reason.get("code", ""))


def _live_orders(p: Any, excluding: bool) -> Any:
    """The customer's orders that are not cancelled (besides the one being edited)."""
    live = SalesOrder.objects.filter(customer=p.customer_id).exclude(status=Status.CANCELLED)
    return live.exclude(pk=p.exclude) if excluding else live


_SAME_PO = CompiledQuery(
    lambda p, excluding: _live_orders(p, excluding).filter(customer_po=p.po).values_list("number")[:5]
)


def _recent_lines(p: Any, excluding: bool) -> Any:
    """The lines of the customer's 20 latest live orders of the duplicate window, with their numbers."""
    recent = (
        _live_orders(p, excluding)
        .filter(created_at__gte=p.typed("since", SalesOrder._meta.get_field("created_at")))
        .order_by("-id")
        .values("id")[:20]
    )
    return (
        SalesOrderLine.objects.filter(order_id__in=recent)
        .order_by()
        .values_list("order_id", "order__number", "product_id", "qty")
    )


_RECENT_LINES = CompiledQuery(_recent_lines)


def _duplicate_reads(
    customer_id: int, customer_po: str, now: dt.datetime, exclude: Any = None
) -> tuple[Read | None, Read]:
    """The reads ``_duplicates`` makes: orders with this customer PO (when one is given), the lines of
    the customer's latest orders of the window."""
    excluding = exclude is not None
    known = {"customer_id": customer_id, "exclude": exclude}
    same_po = _SAME_PO.call(excluding, po=customer_po, **known) if customer_po else None
    return same_po, _RECENT_LINES.call(excluding, since=now - DUPLICATE_WINDOW, **known)


def _duplicates(
    customer: Customer, customer_po: str, quote: OrderQuote, *, now: dt.datetime, exclude: Any = None
) -> list[str]:
    """Orders that look like this one: same customer PO, or the same lines within 10 minutes of ``now``."""
    same_po, recent_lines = _duplicate_reads(customer.pk, customer_po, now, exclude)
    numbers: list[str] = []
    if same_po is not None:
        numbers += [number for (number,) in same_po.query.all(*same_po.shape, **same_po.values)]
    mine = Counter((q.product.pk, q.qty.normalize()) for q in quote.lines)
    # one narrow read, no model instances; an order without lines can't look like this one
    recent: dict[int, str] = {}
    theirs: dict[int, Counter[tuple[int, Decimal]]] = defaultdict(Counter)
    read = recent_lines.query.all(*recent_lines.shape, **recent_lines.values)
    for order_id, number, product_id, qty in read:
        recent[order_id] = number
        theirs[order_id][(product_id, qty.normalize())] += 1
    for pk in sorted(recent, reverse=True):  # the latest first
        if theirs[pk] == mine and recent[pk] not in numbers:
            numbers.append(recent[pk])
    return numbers


def _check_text(value: Any, field: str, max_length: int) -> str:
    text = str(value or "").strip()
    if len(text) > max_length:
        raise InvalidInput.single(field, _("At most %(n)d characters.") % {"n": max_length})
    return text


# --- drafts -------------------------------------------------------------------------------------


def quote_order(
    *,
    by: Any,
    customer: Any,
    lines: list[dict[str, Any]],
    price_mode: str = PriceMode.TAX_INCLUDED,
    order_discount_amount: Any = "0",
    round_off: str = "none",
    order_type: str | None = None,
) -> OrderQuote:
    """Price an order without saving it: prices and sources, amounts, stock, totals, approval reasons."""
    cust = _resolve_customer(by, customer)
    kind = _order_type(order_type)
    quote = compute_quote(
        customer=cust,
        lines=lines,
        price_mode=price_mode or PriceMode.TAX_INCLUDED,
        order_discount_amount=order_discount_amount,
        round_off=round_off or "none",
        order_type=kind,
    )
    quote.approval_reasons = approval_reasons(customer=cust, order_type=kind, quote=quote)
    return quote


def create_order(
    *,
    by: Any,
    customer: Any,
    lines: list[dict[str, Any]],
    order_type: str | None = None,
    price_mode: str = PriceMode.TAX_INCLUDED,
    customer_po: str = "",
    requested_date: Any = None,
    address: Any = None,
    order_discount_amount: Any = "0",
    round_off: str = "none",
    remark: str = "",
    internal_note: str = "",
    idempotency_key: str | None = None,
    acknowledge_duplicate: bool = False,
    copied_from: SalesOrder | None = None,
    advance: Advance | None = None,
) -> SalesOrder:
    """Create a draft order; the same idempotency key from the same user returns the first order
    (then marked ``replayed = True``, so a caller does not repeat what followed the first creation).

    ``advance``: take the draft on at once (see ``Advance``) and insert the order as the steps leave
    it — one transaction, the order row written once, the steps' events and audit entries with the
    creation's — as if ``advance_draft`` had followed. When a step refuses, nothing is saved and
    ``StepRefused`` carries the refusal (``fulfillment.actions.place_order`` then saves the draft).
    """
    if not by.has_perm("orders.add_salesorder"):
        raise Forbidden()
    key = (str(idempotency_key).strip() or None) if idempotency_key is not None else None
    if key is not None and len(key) > 100:
        raise InvalidInput.single("idempotency_key", _("At most %(n)d characters.") % {"n": 100})
    # A used key is not looked up first (a read on every creation for what a retry needs): the order's
    # insert meets the unique constraint on (created_by, idempotency_key) instead, and whatever stops a
    # creation with a key — that constraint, a duplicate warning, bad input or a refused step, e.g. a
    # retry after the first order took the stock — is answered with the first order when there is one.
    # Nothing of the retry is kept (one transaction: its number, stock and plan are rolled back).
    given = dict(
        by=by,
        customer=customer,
        lines=lines,
        order_type=order_type,
        price_mode=price_mode,
        customer_po=customer_po,
        requested_date=requested_date,
        address=address,
        order_discount_amount=order_discount_amount,
        round_off=round_off,
        remark=remark,
        internal_note=internal_note,
        idempotency_key=key,
        acknowledge_duplicate=acknowledge_duplicate,
        copied_from=copied_from,
        advance=advance,
        now=timezone.now(),
    )
    try:
        try:
            with transaction.atomic(), read_ahead(*_reads_ahead(**given)):
                return _create(**given, lock_stock=False)
        except _StockMoved:  # the first try's stock read no longer holds: again, the stock read locked
            with transaction.atomic():
                return _create(**given, lock_stock=True)
    except (IntegrityError, DomainError, StepRefused):
        winner = _order_for_key(by, key) if key is not None else None
        if winner is not None:
            return winner
        raise


def _reads_ahead(
    *,
    by: Any,
    customer: Any,
    lines: list[dict[str, Any]],
    customer_po: Any,
    copied_from: Any,
    now: dt.datetime,
    advance: Advance | None,
    **_rest: Any,
) -> list[Read | None]:
    """The reads of ``_create`` that the request alone decides, to run together at its start
    (``compiled.read_ahead``: one round trip on PostgreSQL instead of one each): the customer in
    scope, the products, the duplicate check's, and — when the order is to be confirmed and its
    products are given by id — the stock. A read the input does not decide is left to run when made
    (a product given by SKU, a line with its own warehouse); one that turns out different (the digits
    were a SKU) runs again then, so the rows used are always those of the read the code makes."""
    pk = _customer_id(customer)
    if pk is None or not isinstance(lines, list) or not all(isinstance(line, dict) for line in lines):
        return []
    reads: list[Read | None] = [_customer_read(by, pk), products_read(lines)]
    po = str(customer_po or "").strip()  # as _check_text gives it
    if copied_from is None and len(po) <= 64:
        reads += _duplicate_reads(pk, po, now)
    ids = [row_id(line.get("product")) for line in lines]
    if (
        advance is not None
        and advance.confirm
        and all(ids)
        and all(line.get("warehouse") in (None, "") for line in lines)
    ):
        reads.append(stock_read([pk for pk in ids if pk is not None]))
    return reads


def _order_for_key(by: Any, key: str) -> SalesOrder | None:
    """The order this user already created with this idempotency key, marked ``replayed``; or None."""
    order = SalesOrder.objects.filter(created_by=by, idempotency_key=key).first()
    if order is None:
        return None
    order.replayed = True  # type: ignore[attr-defined]
    return order


def _create(
    *,
    by: Any,
    customer: Any,
    lines: list[dict[str, Any]],
    order_type: str | None,
    price_mode: str,
    customer_po: str,
    requested_date: Any,
    address: Any,
    order_discount_amount: Any,
    round_off: str,
    remark: str,
    internal_note: str,
    idempotency_key: str | None,
    acknowledge_duplicate: bool,
    copied_from: SalesOrder | None,
    now: dt.datetime,
    advance: Advance | None = None,
    lock_stock: bool = True,
) -> SalesOrder:
    """``lock_stock=False``: stock a step reserves is read without a lock and reserved the last thing
    before the rows go in (see ``_reserve_all``); ``_StockMoved`` when that read no longer holds."""
    errors: dict[str, list[str]] = {}
    cust = addr = None
    kind = ""
    try:
        cust = _resolve_customer(by, customer)
        addr = _resolve_address(cust, address)
    except InvalidInput as exc:
        errors.update(exc.fields)
    try:
        kind = _order_type(order_type)  # reads "orders.default_type" once, when no type is given
    except InvalidInput as exc:
        errors.update(exc.fields)
    for fn in (
        lambda: _parse_date(requested_date, "requested_date"),
        lambda: _check_text(customer_po, "customer_po", 64),
    ):
        try:
            fn()
        except InvalidInput as exc:
            errors.update(exc.fields)
    if errors or cust is None:
        # report line errors together with header errors
        try:
            parse_lines(lines)
        except InvalidInput as exc:
            errors.update(exc.fields)
        raise InvalidInput(fields=errors)
    requested = _parse_date(requested_date, "requested_date")
    today = business_date()
    if requested is not None and requested < today:
        raise InvalidInput.single("requested_date", _("The requested date must not be in the past."))
    po = _check_text(customer_po, "customer_po", 64)
    quote = compute_quote(
        customer=cust,
        lines=lines,
        price_mode=price_mode or PriceMode.TAX_INCLUDED,
        order_discount_amount=order_discount_amount,
        round_off=round_off or "none",
        order_type=kind,
        with_stock=False,
    )
    duplicates = [] if copied_from is not None else _duplicates(cust, po, quote, now=now)
    if duplicates and not acknowledge_duplicate:
        raise PossibleDuplicate(duplicates)
    behaviour = BEHAVIOUR[kind]
    prefix = (
        str(get_parameter(behaviour.number_prefix_parameter))
        if behaviour.number_prefix_parameter
        else behaviour.number_prefix
    )
    order = SalesOrder(
        order_type=kind,
        status=Status.DRAFT,
        confirmation_status=(
            ConfirmationStatus.NOT_SENT
            if behaviour.requires_customer_confirmation
            else ConfirmationStatus.NOT_REQUIRED
        ),
        owner=cust.owner or by,
        created_by=by,
        order_date=today,
        requested_date=requested,
        customer_po=po,
        remark=_check_text(remark, "remark", 2000),
        internal_note=_check_text(internal_note, "internal_note", 2000),
        idempotency_key=idempotency_key,
        copied_from=copied_from,
        confirmation_nonce=confirmation.new_nonce(),
    )
    _snapshot(order, cust, addr)
    new_lines = _apply_quote(order, quote)
    order.approval_reasons = approval_reasons(customer=cust, order_type=kind, quote=quote)
    steps: list[OrderStep] = []
    if advance is not None:
        order.pending_writes, order.pending_locks = [], []  # type: ignore[attr-defined]  # see after_insert
        order.reserve_late = not lock_stock  # type: ignore[attr-defined]  # see _reserve_all
        try:  # stock is chosen here (and, with lock_stock, reserved: its rows locked before the number's)
            steps = _advance_steps(order, new_lines, by, advance)
        except DomainError as exc:
            raise StepRefused(exc) from exc
        order.version += sum(1 for step in steps if step.new_version)
    # the number last, when the rows go in (compiled.Late): its counter row stays locked until commit,
    # and concurrent creations wait on it — for the one statement and the commit, not for building rows
    order.number = late_number(prefix, on=today)  # type: ignore[assignment]
    data: dict[str, Any] = {"total_amount": str(order.total_amount), "lines": len(new_lines)}
    if copied_from is not None:
        data["copied_from"] = copied_from.number
    events: list[tuple[str, dict[str, Any]]] = [(EventType.CREATED, data)]
    if duplicates:
        events.append((EventType.DUPLICATE_ACKNOWLEDGED, {"duplicates": duplicates}))
    created = OrderStep([], events, "order.create", new_version=False)  # the entry names the number
    # the order and what points at it go in with one statement (PostgreSQL) right after the number is
    # taken: lines, ledger, first sales, plan, timeline, audit entries (ids are set when the block ends)
    with insert_together():
        insert([order])
        insert(new_lines)
        order.saved_lines = new_lines  # type: ignore[attr-defined]  # see _relock
        writes, order.pending_writes = getattr(order, "pending_writes", []), []  # type: ignore[attr-defined]
        for write in writes:
            write()
        _record_steps(order, [created, *steps], by=by)
        locks, order.pending_locks = getattr(order, "pending_locks", []), []  # type: ignore[attr-defined]
        for write in locks:  # stock rows locked and reserved: the last thing before the number and the rows
            write()
    return order


def _lock(order: SalesOrder | int) -> SalesOrder:
    pk = order.pk if isinstance(order, SalesOrder) else order
    try:
        return SalesOrder.objects.select_for_update().get(pk=pk)
    except SalesOrder.DoesNotExist:
        raise NotFound() from None


@transaction.atomic
def update_order(
    *,
    order: SalesOrder,
    by: Any,
    version: int,
    customer: Any = _UNSET,
    lines: Any = _UNSET,
    order_type: Any = _UNSET,
    price_mode: Any = _UNSET,
    customer_po: Any = _UNSET,
    requested_date: Any = _UNSET,
    address: Any = _UNSET,
    order_discount_amount: Any = _UNSET,
    round_off: Any = _UNSET,
    remark: Any = _UNSET,
    internal_note: Any = _UNSET,
    idempotency_key: Any = None,
    acknowledge_duplicate: bool = False,
) -> SalesOrder:
    """Edit a draft. Omitted fields keep their value; a stale ``version`` raises StaleOrder (409).

    Kept lines keep their unit prices; the customer, address and invoice snapshots are taken again.
    """
    locked = _lock(order)
    try:
        stale = int(version) != locked.version
    except (TypeError, ValueError):
        raise InvalidInput.single("version", _("Enter a whole number.")) from None
    if stale:
        raise StaleOrder()
    if locked.status != Status.DRAFT:
        raise OrderNotEditable()
    if not by.has_perm("orders.change_salesorder"):
        raise Forbidden()
    cust = _resolve_customer(by, locked.customer_id if customer is _UNSET else customer)
    if address is _UNSET:
        address = locked.address_id if cust.pk == locked.customer_id else None
    addr = _resolve_address(cust, address)
    kind = locked.order_type if order_type is _UNSET else _order_type(order_type)
    if lines is _UNSET:
        lines = [
            {
                "product": line.product,
                "qty": line.qty,
                "unit_price": line.unit_price,
                "discount_rate": line.discount_rate,
                "warehouse": line.warehouse,
                "remark": line.remark,
            }
            for line in locked.lines.select_related("product", "warehouse")
        ]
    mode = locked.price_mode if price_mode is _UNSET else (price_mode or PriceMode.TAX_INCLUDED)
    discount = locked.order_discount_amount if order_discount_amount is _UNSET else order_discount_amount
    rule = "none" if round_off is _UNSET else (round_off or "none")
    if round_off is _UNSET and locked.round_off_amount:
        rule = _guess_round_off(locked)
    quote = compute_quote(
        customer=cust,
        lines=lines,
        price_mode=mode,
        order_discount_amount=discount,
        round_off=rule,
        order_type=kind,
        with_stock=False,
    )
    before = {
        "customer": locked.customer_id,
        "total_amount": str(locked.total_amount),
        "order_type": locked.order_type,
    }
    if requested_date is not _UNSET:
        requested = _parse_date(requested_date, "requested_date")
        if requested is not None and requested < business_date() and requested != locked.requested_date:
            raise InvalidInput.single("requested_date", _("The requested date must not be in the past."))
        locked.requested_date = requested
    if customer_po is not _UNSET:
        locked.customer_po = _check_text(customer_po, "customer_po", 64)
    if remark is not _UNSET:
        locked.remark = _check_text(remark, "remark", 2000)
    if internal_note is not _UNSET:
        locked.internal_note = _check_text(internal_note, "internal_note", 2000)
    if kind != locked.order_type:
        behaviour = BEHAVIOUR[kind]
        locked.order_type = kind
        locked.confirmation_status = (
            ConfirmationStatus.NOT_SENT
            if behaviour.requires_customer_confirmation
            else ConfirmationStatus.NOT_REQUIRED
        )
    _snapshot(locked, cust, addr)
    new_lines = _apply_quote(locked, quote)
    locked.approval_reasons = approval_reasons(
        customer=cust, order_type=kind, quote=quote, exclude_order=locked
    )
    locked.version += 1
    locked.save()
    locked.lines.all().delete()
    SalesOrderLine.objects.bulk_create(new_lines)
    after = {"customer": cust.pk, "total_amount": str(locked.total_amount), "order_type": kind}
    changed = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    _event(locked, EventType.EDITED, by=by, data={"changed": changed, "version": locked.version})
    record_audit(action="order.update", by=by, obj=locked, data=changed)
    _after_commit(locked, "edited")
    return locked


def _guess_round_off(order: SalesOrder) -> str:
    """The 抹零 rule that gives the stored round-off amount (kept when an edit does not name one)."""
    before = order.total_amount + order.round_off_amount
    for rule in ("fen", "jiao", "yuan", "ten"):
        if calc.round_off(before, rule) == order.round_off_amount:
            return rule
    return "none"


# --- transitions --------------------------------------------------------------------------------


def _relock(order: SalesOrder) -> tuple[SalesOrder, list[SalesOrderLine] | None]:
    """Lock an order this request has just saved (``create_order``). Nobody changed it since when its
    version is still the one saved (every change to a draft — edit, submit, cancel — goes up one
    version): then ``order`` itself is the locked row and its ``saved_lines`` its lines, with nothing
    read again. Otherwise the order is read again under the lock and the lines are not known (None)."""
    version = (
        SalesOrder.objects.select_for_update().filter(pk=order.pk).values_list("version", flat=True).first()
    )
    if version is None:
        raise NotFound()
    lines = getattr(order, "saved_lines", None)
    if version == order.version and lines is not None:
        return order, lines
    return _lock(order), None


def _begin(order: SalesOrder, action_name: str, by: Any, *, locked: SalesOrder | None = None) -> SalesOrder:
    """Lock the order (unless the caller did: ``locked``), check the table and the user's permission
    for the action."""
    locked = locked if locked is not None else _lock(order)
    action = ensure_transition(locked, action_name)
    if by is not None and not by.has_perm(action.permission):
        raise Forbidden()
    return locked


def _finish(
    order: SalesOrder,
    fields: list[str],
    events: list[tuple[str, dict[str, Any]]],
    *,
    by: Any,
    audit: str,
    ip: str | None = None,
    actor_name: str = "",
) -> SalesOrder:
    return _finish_steps(order, [OrderStep(fields, events, audit)], by=by, ip=ip, actor_name=actor_name)


@dataclass
class OrderStep:
    """What one action changed on a locked order: fields to save, timeline events, the audit action.

    Also what a higher layer adds to a confirmation (``OnConfirm``: the plan), saved with it."""

    fields: list[str]
    events: list[tuple[str, dict[str, Any]]]
    audit: str
    lines: list[SalesOrderLine] | None = None  # the lines it read under the lock, for the next steps
    audit_data: dict[str, Any] | None = None  # default: the data of its first event
    new_version: bool = True  # False: not an edit of the order (the plan's promised date)


# What confirming also does, inside the confirmation's transaction, before the order is saved: called
# with the locked order (status confirmed, ``confirmed_at`` set), its lines as reserved and the user;
# returns the fields it set on the order, its events and audit entry (``fulfillment.plans.plan_step``).
OnConfirm = Callable[[SalesOrder, list[SalesOrderLine], Any], OrderStep]


def _finish_steps(
    order: SalesOrder, steps: list[OrderStep], *, by: Any, ip: str | None = None, actor_name: str = ""
) -> SalesOrder:
    """Save the actions taken on a locked order: one UPDATE, the version up by one per action, their
    events in one INSERT, one audit entry per action (in one INSERT)."""
    order.version += sum(1 for step in steps if step.new_version)
    fields = dict.fromkeys(f for step in steps for f in step.fields)
    order.save(update_fields=[*fields, "version", "updated_at"])
    return _record_steps(order, steps, by=by, ip=ip, actor_name=actor_name)


def _record_steps(
    order: SalesOrder, steps: list[OrderStep], *, by: Any, ip: str | None = None, actor_name: str = ""
) -> SalesOrder:
    """The steps' events in one INSERT and their audit entries in one INSERT, logged after commit."""
    insert(
        [
            _new_event(order, type_, by=by, data=data, ip=ip, actor_name=actor_name)
            for step in steps
            for type_, data in step.events
        ]
    )
    record_audits(
        [
            audit_entry(
                action=step.audit,
                by=by,
                obj=order,
                object_repr=order.number,  # a new order's number may still be Late
                data=step.audit_data
                if step.audit_data is not None
                else (step.events[0][1] if step.events else {}),
                ip=ip,
            )
            for step in steps
        ]
    )
    _after_commit(order, ", ".join(step.audit for step in steps))  # one hook for the steps taken together
    return order


def clean_reason(value: Any, field: str = "reason") -> str:
    """A required reason or note of at most 200 characters, stripped; InvalidInput on ``field`` otherwise."""
    text = str(value or "").strip()
    if not text:
        raise InvalidInput.single(field, _("Please give a reason."))
    if len(text) > 200:
        raise InvalidInput.single(field, _("At most %(n)d characters.") % {"n": 200})
    return text


def _reset_confirmation(order: SalesOrder) -> list[str]:
    """Back to draft: any confirmation link dies, the customer will be asked again."""
    order.confirmation_nonce = confirmation.new_nonce()
    order.confirmation_expires_at = None
    order.confirmation_status = (
        ConfirmationStatus.NOT_SENT
        if BEHAVIOUR[order.order_type].requires_customer_confirmation
        else ConfirmationStatus.NOT_REQUIRED
    )
    return ["confirmation_nonce", "confirmation_expires_at", "confirmation_status"]


@transaction.atomic
def submit_order(*, order: SalesOrder, by: Any) -> SalesOrder:
    """Submit a draft: it goes to approval when a rule asks for it (reasons recomputed now), else on.

    With ``stock.reserve_on`` = "submit" (or "approve" and no approval needed) every line is reserved
    now, all or nothing: StockShort leaves the order a draft with nothing reserved.
    """
    locked = _begin(order, "submit", by)
    return _finish_steps(locked, [_submit_step(locked, by)], by=by)


def _submit_step(
    locked: SalesOrder,
    by: Any,
    *,
    reasons: list[dict[str, Any]] | None = None,
    lines: list[SalesOrderLine] | None = None,
) -> OrderStep:
    """Submit the locked draft. ``reasons`` given: the approval reasons were computed from the same
    lines, prices and customer within the caller's request (``advance_draft``); else re-priced now.
    ``lines``: its lines as this request saved them (``_relock``), else they are read."""
    if lines is None:
        lines = list(locked.lines.select_related("product", "warehouse").order_by("line_no"))
    if not lines:
        raise InvalidInput.single("lines", _("Add at least one line."))
    if reasons is None:
        customer = Customer.objects.get(pk=locked.customer_id)
        quote = compute_quote(
            customer=customer,
            lines=[
                {
                    "product": line.product,
                    "qty": line.qty,
                    "unit_price": line.unit_price,
                    "discount_rate": line.discount_rate,
                    "warehouse": line.warehouse,
                    "remark": line.remark,
                }
                for line in lines
            ],
            price_mode=locked.price_mode,
            order_discount_amount=locked.order_discount_amount,
            round_off=_guess_round_off(locked) if locked.round_off_amount else "none",
            order_type=locked.order_type,
            with_stock=False,
        )
        reasons = approval_reasons(
            customer=customer, order_type=locked.order_type, quote=quote, exclude_order=locked
        )
    when = reserve_on()
    reserved = (
        _reserve_all(locked, by, action="submit", lines=lines)
        if when == "submit" or (when == "approve" and not reasons)
        else []
    )
    locked.status = Status.SUBMITTED
    locked.submitted_at = timezone.now()
    locked.approval_reasons = reasons
    locked.approval_status = ApprovalStatus.PENDING if reasons else ApprovalStatus.NOT_REQUIRED
    locked.approved_at = None
    locked.approved_by = None
    events: list[tuple[str, dict[str, Any]]] = [(EventType.SUBMITTED, {})]
    if reasons:
        events.append((EventType.APPROVAL_REQUESTED, {"reasons": reasons}))
    if reserved:
        events.append((EventType.STOCK_RESERVED, {"lines": reserved}))
    return OrderStep(
        ["status", "submitted_at", "approval_reasons", "approval_status", "approved_at", "approved_by"],
        events,
        "order.submit",
        lines=lines,
    )


@transaction.atomic
def advance_draft(
    *,
    order: SalesOrder,
    by: Any,
    note: str = "",
    confirm: bool = False,
    on_confirm: OnConfirm | None = None,
) -> SalesOrder:
    """Submit a draft just created or edited in this request (``create_order`` / ``update_order``),
    record the customer's confirmation (``note``) and confirm it (``confirm``) — each only when the
    status table allows it then — under one lock, saved once (the version still goes up by one per
    action, each action has its events and audit entry). The approval reasons stored with the draft
    (computed from its lines when it was created or last edited) are used, not recomputed.

    Confirming here reserves stock, and runs ``on_confirm`` (the plan: ``fulfillment.actions``), saved
    with the steps.
    """
    locked, lines = _relock(order)
    steps = _advance_steps(locked, lines, by, Advance(note=note, confirm=confirm, on_confirm=on_confirm))
    locked.saved_lines = steps[0].lines  # type: ignore[attr-defined]  # as saved now (reserved in place)
    return _finish_steps(locked, steps, by=by)


@dataclass
class Advance:
    """How far to take a draft at once (``advance_draft``, ``create_order(advance=…)``): submit, then
    record the customer's confirmation (``note``, cleaned) and confirm (``confirm``, with
    ``on_confirm``) — each only when the status table allows it then."""

    note: str = ""
    confirm: bool = False
    on_confirm: OnConfirm | None = None


def _advance_steps(
    draft: SalesOrder, lines: list[SalesOrderLine] | None, by: Any, advance: Advance
) -> list[OrderStep]:
    """Take the steps of ``advance`` on a locked draft, or on a new one not saved yet (``_create``)."""
    _begin(draft, "submit", by, locked=draft)
    # the reasons stored with the draft: computed by create_order or, when somebody edited it since, by
    # that edit (update_order) from the lines as they are now
    submitted = _submit_step(draft, by, reasons=draft.approval_reasons, lines=lines)
    steps = [submitted]
    if advance.note and _may(draft, "record_customer_confirmation", by):
        steps.append(_record_confirmation_step(draft, advance.note))
    if advance.confirm and _may(draft, "confirm", by):
        steps.append(_confirm_step(draft, by, lines=submitted.lines))
        if advance.on_confirm is not None:
            steps.append(advance.on_confirm(draft, submitted.lines or [], by))
    return steps


class StepRefused(Exception):
    """``create_order(advance=…)``: a step refused (``error``); nothing was saved, not even the draft."""

    def __init__(self, error: DomainError) -> None:
        super().__init__(error.message)
        self.error = error


def after_insert(order: SalesOrder, write: Callable[[], object], *, locks: bool = False) -> None:
    """Write rows that point at the order (ledger, plan …): now when it is saved, else right after
    ``_create`` inserts it in its final state, in the same transaction. ``locks``: the write locks rows
    that others wait for until commit (stock): it runs after every other, just before the rows go in."""
    if order.pk is not None:
        write()
    else:
        (order.pending_locks if locks else order.pending_writes).append(write)  # type: ignore[attr-defined]


class _StockMoved(Exception):
    """A new order's stock, read without a lock, was taken by others before it could be reserved (or
    looked short): ``create_order`` runs the creation again, reading the stock locked."""


def _may(locked: SalesOrder, action_name: str, by: Any) -> bool:
    """The table allows the action now; a user without its permission is refused (Forbidden)."""
    if not is_allowed(locked, action_name):
        return False
    if by is not None and not by.has_perm(ACTIONS[action_name].permission):
        raise Forbidden()
    return True


@transaction.atomic
def withdraw_order(*, order: SalesOrder, by: Any) -> SalesOrder:
    """Pull a submitted order back to draft, releasing any reservation; earlier confirmation links die."""
    locked = _begin(order, "withdraw", by)
    released = _release_all(locked, by)
    locked.status = Status.DRAFT
    locked.approval_status = ApprovalStatus.NOT_REQUIRED
    fields = ["status", "approval_status", *_reset_confirmation(locked)]
    events: list[tuple[str, dict[str, Any]]] = [(EventType.WITHDRAWN, {})]
    if released:
        events.append((EventType.STOCK_RELEASED, {"lines": released}))
    return _finish(locked, fields, events, by=by, audit="order.withdraw")


@transaction.atomic
def approve_order(*, order: SalesOrder, by: Any, comment: str = "") -> SalesOrder:
    """Approve an order awaiting approval (manager); with ``stock.reserve_on`` = "approve" reserve now.

    StockShort (all or nothing) leaves the order awaiting approval with nothing reserved.
    """
    locked = _begin(order, "approve", by)
    reserved = _reserve_all(locked, by, action="approve") if reserve_on() == "approve" else []
    locked.approval_status = ApprovalStatus.APPROVED
    locked.approved_at = timezone.now()
    locked.approved_by = by
    events: list[tuple[str, dict[str, Any]]] = [
        (EventType.APPROVED, {"comment": str(comment or "").strip()[:500]})
    ]
    if reserved:
        events.append((EventType.STOCK_RESERVED, {"lines": reserved}))
    return _finish(
        locked,
        ["approval_status", "approved_at", "approved_by"],
        events,
        by=by,
        audit="order.approve",
    )


@transaction.atomic
def reject_order(*, order: SalesOrder, by: Any, reason: str) -> SalesOrder:
    """Reject an order awaiting approval: back to draft with the reason."""
    text = clean_reason(reason)
    locked = _begin(order, "reject", by)
    released = _release_all(locked, by)
    locked.status = Status.DRAFT
    locked.approval_status = ApprovalStatus.REJECTED
    fields = ["status", "approval_status", *_reset_confirmation(locked)]
    events: list[tuple[str, dict[str, Any]]] = [(EventType.REJECTED, {"reason": text})]
    if released:
        events.append((EventType.STOCK_RELEASED, {"lines": released}))
    return _finish(locked, fields, events, by=by, audit="order.reject")


@transaction.atomic
def send_confirmation(*, order: SalesOrder, by: Any) -> str:
    """Create a new signed confirmation link (earlier links die); return its path "/c/<token>/"."""
    locked = _begin(order, "send_confirmation", by)
    hours = confirmation.link_hours()
    now = timezone.now()
    locked.confirmation_nonce = confirmation.new_nonce()
    locked.confirmation_status = ConfirmationStatus.PENDING
    locked.confirmation_sent_at = now
    locked.confirmation_expires_at = now + dt.timedelta(hours=hours)
    token = confirmation.make_token(locked.pk, locked.confirmation_nonce)
    _finish(
        locked,
        ["confirmation_nonce", "confirmation_status", "confirmation_sent_at", "confirmation_expires_at"],
        [(EventType.CONFIRMATION_SENT, {"expires_at": locked.confirmation_expires_at.isoformat()})],
        by=by,
        audit="order.send_confirmation",
    )
    return confirmation.confirmation_path(token)


@transaction.atomic
def record_customer_confirmation(*, order: SalesOrder, by: Any, note: str) -> SalesOrder:
    """Record that the customer confirmed by other means (phone, stamped PDF); ``note`` says how."""
    text = clean_reason(note, "note")
    locked = _begin(order, "record_customer_confirmation", by)
    return _finish_steps(locked, [_record_confirmation_step(locked, text)], by=by)


def _record_confirmation_step(locked: SalesOrder, note: str) -> OrderStep:
    locked.confirmation_status = ConfirmationStatus.CONFIRMED
    locked.customer_confirmed_at = timezone.now()
    return OrderStep(
        ["confirmation_status", "customer_confirmed_at"],
        [(EventType.CUSTOMER_CONFIRMED, {"note": note, "recorded": True})],
        "order.record_customer_confirmation",
    )


def _order_from_token(token: str, *, lock: bool) -> SalesOrder:
    try:
        order_id, nonce = confirmation.read_token(str(token))
    except signing.SignatureExpired:
        raise ConfirmationLinkExpired() from None
    except signing.BadSignature:
        raise ConfirmationLinkInvalid() from None
    qs = SalesOrder.objects.select_for_update() if lock else SalesOrder.objects.all()
    order = qs.filter(pk=order_id).first()
    if order is None or not nonce or order.confirmation_nonce != nonce:
        raise ConfirmationLinkInvalid()
    # the validity fixed when the link was sent wins over a later change of the parameter
    if order.confirmation_expires_at is not None and order.confirmation_expires_at < timezone.now():
        raise ConfirmationLinkExpired()
    return order


@transaction.atomic
def get_order_for_customer(*, token: str, ip: str | None = None) -> SalesOrder:
    """The order a confirmation link points to (lines prefetched); the first view is put on the timeline."""
    order = _order_from_token(token, lock=False)
    already = OrderEvent.objects.filter(
        order=order, type=EventType.CUSTOMER_VIEWED, data__nonce=order.confirmation_nonce
    ).exists()
    if not already and order.confirmation_status == ConfirmationStatus.PENDING:
        _event(
            order,
            EventType.CUSTOMER_VIEWED,
            data={"nonce": order.confirmation_nonce},
            ip=ip,
            actor_name=_("Customer"),
        )
    lines = list(order.lines.all())
    order._prefetched_objects_cache = {"lines": lines}  # type: ignore[attr-defined]
    return order


def _customer_step(token: str, ip: str | None) -> SalesOrder:
    order = _order_from_token(token, lock=True)
    if order.status != Status.SUBMITTED or order.confirmation_status != ConfirmationStatus.PENDING:
        raise Conflict(_("This order no longer waits for your confirmation."), code="not_pending")
    return order


@transaction.atomic
def customer_confirm(*, token: str, ip: str | None = None) -> SalesOrder:
    """The customer confirms the order through the link (time and IP on the timeline)."""
    order = _customer_step(token, ip)
    order.confirmation_status = ConfirmationStatus.CONFIRMED
    order.customer_confirmed_at = timezone.now()
    return _finish(
        order,
        ["confirmation_status", "customer_confirmed_at"],
        [(EventType.CUSTOMER_CONFIRMED, {})],
        by=None,
        audit="order.customer_confirm",
        ip=ip,
        actor_name=_("Customer"),
    )


@transaction.atomic
def customer_request_change(*, token: str, message: str, ip: str | None = None) -> SalesOrder:
    """The customer asks for a change through the link; the salesperson withdraws and edits."""
    text = str(message or "").strip()
    if not text:
        raise InvalidInput.single("message", _("Tell us what should change."))
    if len(text) > 2000:
        raise InvalidInput.single("message", _("At most %(n)d characters.") % {"n": 2000})
    order = _customer_step(token, ip)
    order.confirmation_status = ConfirmationStatus.CHANGE_REQUESTED
    order.customer_feedback = text
    return _finish(
        order,
        ["confirmation_status", "customer_feedback"],
        [(EventType.CUSTOMER_CHANGE_REQUESTED, {"message": text})],
        by=None,
        audit="order.customer_request_change",
        ip=ip,
        actor_name=_("Customer"),
    )


@transaction.atomic
def confirm_order(*, order: SalesOrder, by: Any, on_confirm: OnConfirm | None = None) -> SalesOrder:
    """Confirm the order: reserve every line's stock, all or nothing (StockShort lists every short line),
    and run ``on_confirm`` (see ``OnConfirm``), saved with the confirmation.

    Lines already reserved at submission or approval (``stock.reserve_on``) are not reserved again.
    """
    locked = _begin(order, "confirm", by)
    steps = [_confirm_step(locked, by)]
    if on_confirm is not None:
        steps.append(on_confirm(locked, steps[0].lines or [], by))
    return _finish_steps(locked, steps, by=by)


def _confirm_step(locked: SalesOrder, by: Any, *, lines: list[SalesOrderLine] | None = None) -> OrderStep:
    if lines is None:
        lines = list(locked.lines.select_related("product", "warehouse").order_by("line_no"))
    reserved = _reserve_all(locked, by, action="confirm", lines=lines)
    locked.status = Status.CONFIRMED
    locked.confirmed_at = timezone.now()
    _record_first_sales(locked, lines)
    events: list[tuple[str, dict[str, Any]]] = [(EventType.CONFIRMED, {})]
    if reserved:
        events.append((EventType.STOCK_RESERVED, {"lines": reserved}))
    return OrderStep(["status", "confirmed_at"], events, "order.confirm", lines=lines)


def _record_first_sales(order: SalesOrder, lines: list[SalesOrderLine]) -> None:
    """Products confirmed for the first time are no longer new (one INSERT; known ones are skipped).

    Products read for this order with ``sold_before`` true (the quote's read, ``sold_before_annotation``)
    are left out before the INSERT, so an order of known products writes nothing here; a product sold
    first by another order meanwhile is skipped by the INSERT itself (``ignore_conflicts``).
    Rows go in product order, the order stock rows are locked in, so two confirmations never deadlock.
    """
    at = order.confirmed_at or timezone.now()
    product_ids = sorted({line.product_id for line in lines if not _known_sold(line)})
    if not product_ids:
        return
    after_insert(
        order,
        lambda: insert(
            [ProductFirstSale(product_id=pk, order=order, confirmed_at=at) for pk in product_ids],
            ignore_conflicts=True,
        ),
    )


def _known_sold(line: SalesOrderLine) -> bool:
    """Whether the line's product, as read with it, says it was sold before (never a query of its own)."""
    cached = SalesOrderLine.product.is_cached(line)
    return cached and bool(getattr(line.product, "sold_before", False))


def rebuild_first_sales() -> int:
    """Fill ``ProductFirstSale`` from the confirmed orders (after loading orders in bulk, outside the
    services); returns how many products were added. Products already recorded keep their row."""
    table = ProductFirstSale._meta.db_table
    lines, orders = SalesOrderLine._meta.db_table, SalesOrder._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (product_id, order_id, confirmed_at) "
            "SELECT product_id, order_id, confirmed_at FROM ("
            "  SELECT l.product_id, o.id AS order_id, o.confirmed_at, ROW_NUMBER() OVER ("
            "    PARTITION BY l.product_id ORDER BY o.confirmed_at, o.id) AS rn"
            f"  FROM {lines} l JOIN {orders} o ON o.id = l.order_id"
            f"  WHERE o.confirmed_at IS NOT NULL AND l.product_id NOT IN (SELECT product_id FROM {table})"
            ") firsts WHERE rn = 1"
        )
        return cursor.rowcount


def reserve_on() -> str:
    """When stock is reserved for orders that reserve stock: "submit", "approve" or "confirm"."""
    value = str(get_parameter("stock.reserve_on"))
    return value if value in {"submit", "approve", "confirm"} else "confirm"


def _reserve_all(
    order: SalesOrder, by: Any, *, action: str, lines: list[SalesOrderLine] | None = None
) -> list[dict[str, Any]]:
    """Reserve what each line still lacks (qty - reserved_qty), all or nothing; [] for non-stock types.

    A line reserves in its own warehouse, else in the active warehouse with the most available stock
    for the product (chosen with one query for the whole order). The reference is the order number.
    Any short line raises StockShort listing every short line, and nothing is reserved.
    """
    if not BEHAVIOUR[order.order_type].reserves_stock:
        return []
    if lines is None:  # else: read in this transaction under the order's lock, in line order
        lines = list(order.lines.select_related("product", "warehouse").order_by("line_no"))
    if all(line.qty - line.reserved_qty <= 0 for line in lines):
        return []
    # A line without a warehouse takes the one with the most available stock: the stock rows of the
    # order's products are read locked (PostgreSQL), so the choice still holds when it is reserved and
    # reserve_many needs no lock of its own when they cover every row it changes. A new order being
    # created (``_create(lock_stock=False)``) reads them unlocked instead and reserves the last thing
    # before its rows go in, so others wait for its stock rows for its statement and commit only; when
    # the read no longer holds then (or shows a shortage), the creation runs again reading them locked.
    late = order.pk is None and getattr(order, "reserve_late", False)
    choose = any(line.warehouse_id is None and line.qty - line.reserved_qty > 0 for line in lines)
    stock = (
        stock_by_product(
            [line.product_id for line in lines if line.qty - line.reserved_qty > 0], lock=not late
        )
        if choose
        else {}
    )
    locked = set() if late else {(p, w.pk) for p, options in stock.items() for w, _avail in options}
    shortages: list[dict[str, Any]] = []
    reserved: list[dict[str, Any]] = []
    todo: list[tuple[int, SalesOrderLine, Decimal, Warehouse]] = []
    for index, line in enumerate(lines):
        need = line.qty - line.reserved_qty
        if need <= 0:
            continue
        warehouse: Warehouse | None = line.warehouse
        if warehouse is None:
            options = stock.get(line.product_id) or []
            warehouse = options[0][0] if options else None
        if warehouse is None:
            shortages.append(_shortage(index, line, need, Decimal(0)))
            continue
        todo.append((index, line, need, warehouse))
    # reserve_many locks the stock rows in one global order (product, warehouse), not in line order:
    # two orders with the same products on differently ordered lines would otherwise deadlock.
    # No savepoint of its own: every caller is an atomic service that StockShort below rolls back.
    moves: list[Any] = []
    if late:
        if shortages:
            raise _StockMoved()
        if todo:
            after_insert(order, lambda: _reserve_late(order, todo, by), locks=True)
    elif todo:
        try:
            moves = inventory.reserve_many(
                items=[(line.product, warehouse, need) for _i, line, need, warehouse in todo],
                reference=order.number if order.pk is not None else None,  # a new order: numbered later
                by=by,
                savepoint=False,
                rows_locked=all(
                    (line.product_id, warehouse.pk) in locked for _i, line, _n, warehouse in todo
                ),
            )
        except inventory.ShortItems as exc:
            for position, short in exc.items:
                index, line, need, _warehouse = todo[position]
                shortages.append(_shortage(index, line, need, short.available))
    if shortages:
        raise StockShort(sorted(shortages, key=lambda s: s["index"]), action=action)
    by_warehouse: dict[int, list[int]] = defaultdict(list)
    for _index, line, need, warehouse in todo:
        line.warehouse = warehouse
        line.reserved_qty = line.qty
        by_warehouse[warehouse.pk].append(line.pk)
        reserved.append({"line_no": line.line_no, "warehouse": warehouse.code, "qty": _qty(need)})
    if order.pk is None:  # a new order: its lines are inserted as they are now, the ledger after it
        if moves:
            after_insert(order, lambda: inventory.save_moves(moves, reference=order.number))
        return sorted(reserved, key=lambda r: r["line_no"])
    for warehouse_id, line_ids in by_warehouse.items():  # one UPDATE per warehouse, usually one
        SalesOrderLine.objects.filter(pk__in=line_ids).update(
            warehouse_id=warehouse_id, reserved_qty=F("qty")
        )
    return sorted(reserved, key=lambda r: r["line_no"])


def _reserve_late(
    order: SalesOrder, todo: list[tuple[int, SalesOrderLine, Decimal, Warehouse]], by: Any
) -> None:
    """Reserve a new order's lines in the warehouses chosen from an unlocked read, and queue its ledger
    rows; ``_StockMoved`` when a row no longer covers its quantity (the caller's transaction undoes the
    rows already changed)."""
    try:
        moves = inventory.reserve_many(
            items=[(line.product, warehouse, need) for _i, line, need, warehouse in todo],
            reference=None,
            by=by,
            savepoint=False,
        )
    except inventory.ShortItems:
        raise _StockMoved() from None
    inventory.save_moves(moves, reference=order.number)


def _shortage(index: int, line: SalesOrderLine, need: Decimal, available: Decimal) -> dict[str, Any]:
    return {
        "index": index,
        "line_no": line.line_no,
        "sku": line.sku,
        "requested": _qty(need),
        "available": _qty(max(available, Decimal(0))),
    }


def _qty(value: Decimal) -> str:
    text = format(Decimal(value).normalize(), "f")
    return text


def _release_all(order: SalesOrder, by: Any) -> list[dict[str, Any]]:
    """Give back exactly what this order still holds reserved (reference = order number)."""
    lines = list(order.lines.select_related("product", "warehouse").filter(reserved_qty__gt=0))
    held: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    objects: dict[tuple[int, int], SalesOrderLine] = {}
    for line in lines:
        if line.warehouse_id is None:
            continue
        key = (line.product_id, line.warehouse_id)
        held[key] += line.reserved_qty
        objects[key] = line
    released = []
    for key, qty in sorted(held.items()):  # the same lock order as _reserve_all: (product, warehouse)
        line = objects[key]
        assert line.warehouse is not None
        inventory.release_stock(
            product=line.product, warehouse=line.warehouse, qty=qty, reference=order.number, by=by
        )
        released.append({"sku": line.sku, "warehouse": line.warehouse.code, "qty": _qty(qty)})
    if lines:
        for line in lines:
            line.reserved_qty = Decimal(0)
        SalesOrderLine.objects.bulk_update(lines, ["reserved_qty"])
    return released


@transaction.atomic
def hold_order(*, order: SalesOrder, by: Any, reason: str) -> SalesOrder:
    """Put a confirmed order on hold (reservations stay)."""
    text = clean_reason(reason)
    locked = _begin(order, "hold", by)
    locked.status = Status.ON_HOLD
    locked.hold_reason = text
    return _finish(
        locked, ["status", "hold_reason"], [(EventType.HELD, {"reason": text})], by=by, audit="order.hold"
    )


@transaction.atomic
def resume_order(*, order: SalesOrder, by: Any) -> SalesOrder:
    """Take an order off hold."""
    locked = _begin(order, "resume", by)
    locked.status = Status.CONFIRMED
    locked.hold_reason = ""
    return _finish(locked, ["status", "hold_reason"], [(EventType.RESUMED, {})], by=by, audit="order.resume")


@transaction.atomic
def cancel_order(*, order: SalesOrder, by: Any, reason: str) -> SalesOrder:
    """Cancel the order (nothing shipped): release its reservations, keep the record and its number."""
    text = clean_reason(reason)
    locked = _begin(order, "cancel", by)
    released = _release_all(locked, by)
    locked.status = Status.CANCELLED
    locked.cancel_reason = text
    locked.cancelled_at = timezone.now()
    locked.confirmation_nonce = confirmation.new_nonce()
    events: list[tuple[str, dict[str, Any]]] = [(EventType.CANCELLED, {"reason": text})]
    if released:
        events.append((EventType.STOCK_RELEASED, {"lines": released}))
    return _finish(
        locked,
        ["status", "cancel_reason", "cancelled_at", "confirmation_nonce"],
        events,
        by=by,
        audit="order.cancel",
    )


@transaction.atomic
def close_order(*, order: SalesOrder, by: Any, reason: str) -> SalesOrder:
    """Close the order short: what is not shipped will not be; its remaining reservations are released."""
    text = clean_reason(reason)
    locked = _begin(order, "close", by)
    released = _release_all(locked, by)
    locked.lines.update(is_closed=True)
    locked.status = Status.CLOSED
    locked.close_reason = text
    locked.closed_at = timezone.now()
    events: list[tuple[str, dict[str, Any]]] = [(EventType.CLOSED, {"reason": text})]
    if released:
        events.append((EventType.STOCK_RELEASED, {"lines": released}))
    return _finish(locked, ["status", "close_reason", "closed_at"], events, by=by, audit="order.close")


def copy_order(*, order: SalesOrder, by: Any) -> SalesOrder:
    """A new draft with the same customer and lines at today's prices (typed prices are kept)."""
    with transaction.atomic():
        source = SalesOrder.objects.get(pk=order.pk)
        lines = [
            {
                "product": line.product,
                "qty": line.qty,
                "unit_price": line.unit_price if line.price_source == "manual" else None,
                "discount_rate": line.discount_rate,
                "warehouse": line.warehouse if line.warehouse and line.warehouse.is_active else None,
                "remark": line.remark,
            }
            for line in source.lines.select_related("product", "warehouse")
        ]
        copy = create_order(
            by=by,
            customer=source.customer_id,
            lines=lines,
            order_type=source.order_type,
            price_mode=source.price_mode,
            address=source.address_id,
            order_discount_amount=source.order_discount_amount,
            remark=source.remark,
            internal_note=source.internal_note,
            copied_from=source,
        )
        _event(source, EventType.COPIED, by=by, data={"to": copy.number})
        return copy


_DISPATCH: dict[str, Callable[[SalesOrder, Any, dict[str, Any]], Any]] = {
    "submit": lambda o, by, d: submit_order(order=o, by=by),
    "withdraw": lambda o, by, d: withdraw_order(order=o, by=by),
    "approve": lambda o, by, d: approve_order(order=o, by=by, comment=d.get("comment") or ""),
    "reject": lambda o, by, d: reject_order(order=o, by=by, reason=d.get("reason") or ""),
    "send_confirmation": lambda o, by, d: send_confirmation(order=o, by=by),
    "record_customer_confirmation": lambda o, by, d: record_customer_confirmation(
        order=o, by=by, note=d.get("note") or d.get("reason") or ""
    ),
    "confirm": lambda o, by, d: confirm_order(order=o, by=by),
    "hold": lambda o, by, d: hold_order(order=o, by=by, reason=d.get("reason") or ""),
    "resume": lambda o, by, d: resume_order(order=o, by=by),
    "cancel": lambda o, by, d: cancel_order(order=o, by=by, reason=d.get("reason") or ""),
    "close": lambda o, by, d: close_order(order=o, by=by, reason=d.get("reason") or ""),
}
assert set(_DISPATCH) == set(ACTIONS), "every action in transitions.ACTIONS needs a service"


def run_action(*, order: SalesOrder, action: str, by: Any, data: dict[str, Any] | None = None) -> SalesOrder:
    """Run one of ``transitions.ACTIONS`` by name (reason/comment/note from ``data``); return the order.

    ``send_confirmation``'s link is on the returned order as ``confirmation_path``.
    """
    fn = _DISPATCH.get(action)
    if fn is None:
        ensure_transition(order, action)  # raises the "unknown action" conflict
        raise NotFound()
    result = fn(order, by, data or {})
    if isinstance(result, str):
        fresh = SalesOrder.objects.get(pk=order.pk)
        fresh.confirmation_path = result  # type: ignore[attr-defined]
        return fresh
    return result  # type: ignore[no-any-return]


# --- saved filters ------------------------------------------------------------------------------


@transaction.atomic
def save_filter(*, by: Any, name: str, query: str) -> SavedFilter:
    """Save (or replace) a named set of list filters for the user."""
    text = str(name or "").strip()
    if not text:
        raise InvalidInput.single("name", _("This field is required."))
    if len(text) > 50:
        raise InvalidInput.single("name", _("At most %(n)d characters.") % {"n": 50})
    q = str(query or "").strip().lstrip("?")
    if len(q) > 500:
        raise InvalidInput.single("query", _("At most %(n)d characters.") % {"n": 500})
    saved, _created = SavedFilter.objects.update_or_create(user=by, name=text, defaults={"query": q})
    return saved


@transaction.atomic
def delete_filter(*, by: Any, pk: int) -> None:
    """Delete one of the user's saved filters."""
    deleted, _rows = SavedFilter.objects.filter(user=by, pk=pk).delete()
    if not deleted:
        raise NotFound()
