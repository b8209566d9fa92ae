"""Every write to inventory: warehouses, receipts, adjustments, reservations, releases and issues.

Each quantity change locks the ``StockLevel`` row (``select_for_update``; on SQLite the IMMEDIATE
transaction serialises writers), checks the rule on exact Decimals, updates the row and appends one
``StockMove`` carrying the balance after the change, all in one transaction. Two callers can
therefore never promise the same unit, and a refused call leaves levels and ledger untouched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from salesdesk.catalog.models import Product
from salesdesk.core.audit import record_audit
from salesdesk.core.compiled import Late, insert
from salesdesk.core.errors import DomainError, InvalidInput
from salesdesk.core.parameters import get_parameter
from salesdesk.core.text import to_halfwidth
from salesdesk.core.validators import parse_decimal

from .errors import InsufficientReservation, InsufficientStock
from .formatting import qty_str
from .models import StockLevel, StockMove, Warehouse

Kind = StockMove.Kind
MAX_QTY = Decimal("1000000000000")  # NUMERIC(18,6) holds 12 integer digits
WAREHOUSE_CODE = re.compile(r"[A-Z0-9][A-Z0-9_-]{0,19}")


# --- input cleaning ------------------------------------------------------------------------------


def clean_qty(
    product: Product, raw: Any, field: str = "qty", *, signed: bool = False, allow_zero: bool = False
) -> Decimal:
    """A quantity in the product's base unit within its decimals: positive, or non-zero when ``signed``,
    or non-negative when ``allow_zero``."""
    if raw is None or str(raw).strip() == "":
        raise InvalidInput.single(field, _("Enter a quantity."))
    try:
        qty = parse_decimal(raw, places=6, minimum=None)
    except ValidationError as exc:
        raise InvalidInput.single(field, exc.messages[0]) from None
    if allow_zero and qty < 0:
        raise InvalidInput.single(field, _("The quantity must not be negative."))
    if signed and qty == 0:
        raise InvalidInput.single(field, _("The quantity must not be zero."))
    if not signed and not allow_zero and qty <= 0:
        raise InvalidInput.single(field, _("The quantity must be greater than zero."))
    if abs(qty) >= MAX_QTY:
        raise InvalidInput.single(field, _("The quantity is too large."))
    exponent = qty.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > product.unit_decimals:
        if product.unit_decimals == 0:
            message = _("Quantities in %(unit)s must be whole numbers.") % {"unit": product.unit}
        else:
            message = _("Use at most %(places)d decimal places for %(unit)s.") % {
                "places": product.unit_decimals,
                "unit": product.unit,
            }
        raise InvalidInput.single(field, message)
    return qty


def _clean_reference(raw: Any, *, required: bool, field: str = "reference") -> str:
    reference = to_halfwidth(str(raw or "")).strip()
    if required and not reference:
        raise InvalidInput.single(field, _("Enter the document reference."))
    if len(reference) > 40:
        raise InvalidInput.single(field, _("At most %(n)d characters.") % {"n": 40})
    return reference


def _clean_note(raw: Any, field: str = "note") -> str:
    note = str(raw or "").strip()
    if len(note) > 200:
        raise InvalidInput.single(field, _("At most %(n)d characters.") % {"n": 200})
    return note


def resolve_warehouse(value: Warehouse | str | int | None, field: str = "warehouse") -> Warehouse:
    """A warehouse given as an object, its code or its id."""
    if isinstance(value, Warehouse):
        return value
    text = to_halfwidth(str(value if value is not None else "")).strip()
    if not text:
        raise InvalidInput.single(field, _("Choose a warehouse."))
    warehouse = Warehouse.objects.filter(code=text.upper()).first()
    if warehouse is None and text.isdecimal():
        warehouse = Warehouse.objects.filter(pk=int(text)).first()
    if warehouse is None:
        raise InvalidInput.single(field, _("No warehouse with the code %(code)s.") % {"code": text})
    return warehouse


def resolve_product(value: Product | str | int | None, field: str = "product") -> Product:
    """A product given as an object, its SKU or its id."""
    if isinstance(value, Product):
        return value
    text = to_halfwidth(str(value if value is not None else "")).strip()
    if not text:
        raise InvalidInput.single(field, _("Choose a product."))
    product = Product.objects.filter(sku=text).first() or Product.objects.filter(sku__iexact=text).first()
    if product is None and text.isdecimal():
        product = Product.objects.filter(pk=int(text)).first()
    if product is None:
        raise InvalidInput.single(field, _("No product with the SKU %(sku)s.") % {"sku": text})
    return product


def _active(warehouse: Warehouse, field: str = "warehouse") -> None:
    if not warehouse.is_active:
        raise InvalidInput.single(field, _("The warehouse %(code)s is inactive.") % {"code": warehouse.code})


# --- warehouses ----------------------------------------------------------------------------------


def _warehouse_fields(name: Any, address: Any) -> tuple[str, str, dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    name = str(name or "").strip()
    address = str(address or "").strip()
    if not name:
        errors["name"] = [_("Enter a name.")]
    elif len(name) > 50:
        errors["name"] = [_("At most %(n)d characters.") % {"n": 50}]
    if len(address) > 200:
        errors["address"] = [_("At most %(n)d characters.") % {"n": 200}]
    return name, address, errors


@transaction.atomic
def create_warehouse(*, by: Any, code: str, name: str, address: str = "") -> Warehouse:
    """Create a warehouse; its code is upper-cased and must be unique."""
    code = to_halfwidth(str(code or "")).strip().upper()
    name, address, errors = _warehouse_fields(name, address)
    if not code:
        errors["code"] = [_("Enter a code.")]
    elif not WAREHOUSE_CODE.fullmatch(code):
        errors["code"] = [_("Use up to 20 letters, digits, '-' or '_'.")]
    elif Warehouse.objects.filter(code=code).exists():
        errors["code"] = [_("A warehouse with this code already exists.")]
    if errors:
        raise InvalidInput(fields=errors)
    warehouse = Warehouse.objects.create(code=code, name=name, address=address)
    record_audit(action="warehouse.create", by=by, obj=warehouse, data={"code": code, "name": name})
    return warehouse


@transaction.atomic
def update_warehouse(
    *, by: Any, warehouse: Warehouse, name: str, address: str = "", is_active: bool = True
) -> Warehouse:
    """Rename, re-address or (de)activate a warehouse; the code never changes (documents cite it)."""
    name, address, errors = _warehouse_fields(name, address)
    if errors:
        raise InvalidInput(fields=errors)
    warehouse = Warehouse.objects.select_for_update().get(pk=warehouse.pk)
    changes = {
        field: [getattr(warehouse, field), new]
        for field, new in (("name", name), ("address", address), ("is_active", bool(is_active)))
        if getattr(warehouse, field) != new
    }
    if changes:
        warehouse.name, warehouse.address, warehouse.is_active = name, address, bool(is_active)
        warehouse.save(update_fields=["name", "address", "is_active"])
        record_audit(action="warehouse.update", by=by, obj=warehouse, data=changes)
    return warehouse


# --- stock levels and the ledger -----------------------------------------------------------------


def _lock_level(product: Product, warehouse: Warehouse, *, create: bool) -> StockLevel | None:
    locked = StockLevel.objects.select_for_update()
    level = locked.filter(product=product, warehouse=warehouse).first()
    if level is None and create:
        created, _created = StockLevel.objects.get_or_create(product=product, warehouse=warehouse)
        level = locked.get(pk=created.pk)
    return level


def _append(
    level: StockLevel,
    *,
    kind: str,
    qty: Decimal,
    reference: str = "",
    note: str = "",
    by: Any = None,
    from_reservation: bool = False,
) -> StockMove:
    StockLevel.objects.filter(pk=level.pk).update(
        on_hand_qty=level.on_hand_qty, reserved_qty=level.reserved_qty
    )
    return StockMove.objects.create(
        product_id=level.product_id,
        warehouse_id=level.warehouse_id,
        kind=kind,
        qty=qty,
        from_reservation=from_reservation,
        on_hand_after=level.on_hand_qty,
        reserved_after=level.reserved_qty,
        reference=reference,
        note=note,
        created_by=by if getattr(by, "pk", None) else None,
    )


def _allow_negative() -> bool:
    return bool(get_parameter("stock.allow_negative"))


def _short(product: Product, requested: Decimal, available: Decimal) -> InsufficientStock:
    places = product.unit_decimals
    return InsufficientStock(
        sku=product.sku,
        requested=qty_str(requested, places),
        available=qty_str(max(available, Decimal(0)), places),
        unit=product.unit,
    )


def reserved_for_reference(*, product: Product, warehouse: Warehouse, reference: str) -> Decimal:
    """What a document still holds reserved: Σ reserve − Σ release − Σ issue from its reservation."""
    held = Decimal(0)
    rows = StockMove.objects.filter(product=product, warehouse=warehouse, reference=reference).values_list(
        "kind", "qty", "from_reservation"
    )
    for kind, qty, from_reservation in rows:
        if kind == Kind.RESERVE:
            held += qty
        elif kind == Kind.RELEASE or (kind == Kind.ISSUE and from_reservation):
            held -= qty
    return held


def _normalise_lines(lines: Iterable[Any]) -> list[tuple[Any, Any]]:
    pairs: list[tuple[Any, Any]] = []
    for line in lines:
        if isinstance(line, Mapping):
            pairs.append((line.get("product"), line.get("qty")))
        else:
            product, qty = line
            pairs.append((product, qty))
    return pairs


@transaction.atomic
def receive_stock(
    *,
    by: Any,
    warehouse: Warehouse | str | int,
    lines: Iterable[Any],
    reference: str = "",
    note: str = "",
) -> list[StockMove]:
    """Book a receipt (入库): one ledger move per line, all lines or none.

    ``lines`` holds ``(product, qty)`` pairs or ``{"product": …, "qty": …}`` dicts; a product may
    be given as an object, a SKU or an id. Errors name the line: ``lines.0.qty``.
    """
    errors: dict[str, list[str]] = {}
    try:
        wh = resolve_warehouse(warehouse)
        _active(wh)
    except InvalidInput as exc:
        errors.update(exc.fields)
        wh = None
    try:
        reference = _clean_reference(reference, required=False)
        note = _clean_note(note)
    except InvalidInput as exc:
        errors.update(exc.fields)
    cleaned: list[tuple[Product, Decimal]] = []
    pairs = _normalise_lines(lines)
    if not pairs:
        errors["lines"] = [_("Add at least one line.")]
    for index, (raw_product, raw_qty) in enumerate(pairs):
        try:
            product = resolve_product(raw_product, f"lines.{index}.product")
        except InvalidInput as exc:
            errors.update(exc.fields)
            continue
        try:
            cleaned.append((product, clean_qty(product, raw_qty, f"lines.{index}.qty")))
        except InvalidInput as exc:
            errors.update(exc.fields)
    if errors or wh is None:
        raise InvalidInput(fields=errors)
    # Lock the levels in product order so two receipts for the same products cannot deadlock.
    levels = {
        product.pk: _lock_level(product, wh, create=True)
        for product in sorted({p for p, _q in cleaned}, key=lambda p: p.pk)
    }
    moves = []
    for product, qty in cleaned:
        level = levels[product.pk]
        assert level is not None
        level.on_hand_qty += qty
        moves.append(_append(level, kind=Kind.RECEIPT, qty=qty, reference=reference, note=note, by=by))
    record_audit(
        action="stock.receipt",
        by=by,
        obj=wh,
        data={
            "reference": reference,
            "lines": [{"sku": p.sku, "qty": qty_str(q, p.unit_decimals)} for p, q in cleaned],
        },
    )
    return moves


@transaction.atomic
def adjust_stock(
    *,
    by: Any,
    warehouse: Warehouse | str | int,
    product: Product | str | int,
    reason: str,
    qty_delta: Any = None,
    counted_qty: Any = None,
) -> StockMove:
    """Correct the on-hand quantity (盘点调整) by a signed delta or to a counted quantity.

    Refused when the result would be negative or below what is reserved, unless the parameter
    ``stock.allow_negative`` is on.
    """
    wh = resolve_warehouse(warehouse)
    _active(wh)
    item = resolve_product(product)
    reason = str(reason or "").strip()
    if not reason:
        raise InvalidInput.single("reason", _("Enter the reason for the adjustment."))
    if len(reason) > 200:
        raise InvalidInput.single("reason", _("At most %(n)d characters.") % {"n": 200})
    given_delta = qty_delta is not None and str(qty_delta).strip() != ""
    given_count = counted_qty is not None and str(counted_qty).strip() != ""
    if given_delta == given_count:
        raise InvalidInput.single("qty_delta", _("Enter either the change or the counted quantity."))
    level = _lock_level(item, wh, create=True)
    assert level is not None
    if given_delta:
        delta = clean_qty(item, qty_delta, "qty_delta", signed=True)
    else:
        counted = clean_qty(item, counted_qty, "counted_qty", allow_zero=True)
        delta = counted - level.on_hand_qty
        if delta == 0:
            raise InvalidInput.single("counted_qty", _("The counted quantity equals the quantity on hand."))
    new_on_hand = level.on_hand_qty + delta
    field = "qty_delta" if given_delta else "counted_qty"
    if not _allow_negative():
        if new_on_hand < 0:
            raise InvalidInput.single(field, _("Stock on hand would become negative."))
        if new_on_hand < level.reserved_qty:
            raise InvalidInput.single(
                field,
                _(
                    "Stock on hand would fall below the reserved %(reserved)s %(unit)s; "
                    "release reservations first."
                )
                % {"reserved": qty_str(level.reserved_qty, item.unit_decimals), "unit": item.unit},
            )
    old = level.on_hand_qty
    level.on_hand_qty = new_on_hand
    move = _append(level, kind=Kind.ADJUST, qty=delta, note=reason, by=by)
    record_audit(
        action="stock.adjust",
        by=by,
        obj=move,
        data={
            "warehouse": wh.code,
            "sku": item.sku,
            "from": qty_str(old, item.unit_decimals),
            "to": qty_str(new_on_hand, item.unit_decimals),
            "reason": reason,
        },
    )
    return move


@transaction.atomic
def set_safety_stock(*, by: Any, product: Product, warehouse: Warehouse, qty: Any) -> StockLevel:
    """Set the safety stock (安全库存) of a product in a warehouse; kept in the field history."""
    value = clean_qty(product, qty, "safety_qty", allow_zero=True)
    level = _lock_level(product, warehouse, create=True)
    assert level is not None
    if level.safety_qty != value:
        old = level.safety_qty
        level.safety_qty = value
        level._change_reason = "set_safety_stock"  # type: ignore[attr-defined]
        level._history_user = by if getattr(by, "pk", None) else None  # type: ignore[attr-defined]
        level.save(update_fields=["safety_qty"])
        record_audit(
            action="stock.safety",
            by=by,
            obj=level,
            data={"warehouse": warehouse.code, "sku": product.sku, "from": str(old), "to": str(value)},
        )
    return level


@transaction.atomic
def reserve_stock(
    *, product: Product, warehouse: Warehouse, qty: Any, reference: str, by: Any = None
) -> StockMove:
    """Promise ``qty`` units to a document (预占); never more than is available.

    Available = on hand − reserved (− safety stock when "stock.available_excludes_safety" is on).
    One conditional UPDATE (see ``reserve_many``): concurrent callers queue on the row and each sees
    the previous result.
    """
    shortages, moves = _reserve(
        [(product, warehouse, qty)], reference=reference, by=by, field_of=lambda _i: "qty"
    )
    if shortages:
        raise shortages[0][1]
    return moves[0]


def reserve_many(
    *,
    items: list[tuple[Product, Warehouse, Any]],
    reference: str | None,
    by: Any = None,
    savepoint: bool = True,
    rows_locked: bool = False,
) -> list[StockMove]:
    """Reserve several (product, warehouse, qty) for one document, all or nothing.

    Rows are locked in (product, warehouse) order — the one lock order every caller uses, so two
    documents never deadlock — and changed by one conditional ``UPDATE … SET reserved = reserved + q
    WHERE on_hand − reserved (− safety) >= q`` for all of them (the items of one row added up; the
    locking and the change are one statement), then
    the ledger rows go in with one INSERT. When any item is short it
    raises ``ShortItems`` with an ``InsufficientStock`` per short item (by index in ``items``) and
    nothing stays reserved. Returns the ledger rows in the order of ``items`` (their ids follow the
    lock order).

    ``reference=None``: the document has no number yet (an order numbered when it is saved, after
    its stock is reserved): the ledger rows are returned unsaved, for ``save_moves`` in the same
    transaction once it has one.

    ``savepoint=False``: inside a caller's atomic block that ends (rolls back) when ``ShortItems`` is
    raised, instead of going on in the same transaction: the UPDATEs made before the short item are
    undone with it, and the two statements of a savepoint are saved (``orders.services._reserve_all``).

    ``rows_locked=True``: the caller has already locked every stock row of ``items``, in the same order,
    in this transaction (``orders.quoting.stock_by_product(lock=True)``); they are not locked again.
    """
    with transaction.atomic(savepoint=savepoint):
        shortages, moves = _reserve(
            items, reference=reference, by=by, field_of=lambda i: f"items.{i}.qty", rows_locked=rows_locked
        )
        if shortages:
            raise ShortItems(shortages)
        return moves


class ShortItems(InsufficientStock):
    """``reserve_many`` found short items; ``.items`` = [(index, InsufficientStock)]; nothing reserved."""

    def __init__(self, items: list[tuple[int, InsufficientStock]]) -> None:
        first = items[0][1]
        DomainError.__init__(self, first.message, fields={f"items.{i}.qty": [e.message] for i, e in items})
        self.requested = first.requested
        self.available = first.available
        self.items = items


def _reserve_sql(keys: int, safety: bool, lock: bool) -> str:
    """One conditional UPDATE for ``keys`` (product, warehouse, qty) rows: each stock row gains its
    quantity when on hand − reserved (− safety) still covers it; the rows changed are returned.

    ``lock``: the rows are first locked in (product, warehouse) order in the same statement (a
    ``FOR UPDATE`` common table expression the UPDATE joins: it changes only rows that expression has
    locked, and that expression locks them in its order), so two statements over the same rows never
    deadlock. Under READ COMMITTED the UPDATE checks the condition against each row as the transaction
    that held it left it."""
    table = StockLevel._meta.db_table
    values = ", ".join(["(CAST(%s AS BIGINT), CAST(%s AS BIGINT), CAST(%s AS NUMERIC))"] * keys)
    match = f"{table}.product_id = wanted.product_id AND {table}.warehouse_id = wanted.warehouse_id"
    locked = (
        f", locked AS (SELECT {table}.id FROM {table} JOIN wanted ON {match} "
        f"ORDER BY {table}.product_id, {table}.warehouse_id FOR UPDATE OF {table})"
        if lock
        else ""
    )
    return (
        f"WITH wanted (product_id, warehouse_id, qty) AS (VALUES {values}){locked} "
        f"UPDATE {table} SET reserved_qty = {table}.reserved_qty + wanted.qty FROM wanted "
        f"WHERE {match}"
        + (f" AND {table}.id IN (SELECT id FROM locked)" if lock else "")
        + f" AND {table}.on_hand_qty - {table}.reserved_qty - {'safety_qty' if safety else '0'}"
        " >= wanted.qty "
        f"RETURNING {table}.product_id, {table}.warehouse_id, {table}.on_hand_qty, {table}.reserved_qty"
    )


_PLACES = Decimal("0.000001")


def _reserve(
    items: list[tuple[Product, Warehouse, Any]],
    *,
    reference: str | None,
    by: Any,
    field_of: Any,
    rows_locked: bool = False,
) -> tuple[list[tuple[int, InsufficientStock]], list[StockMove]]:
    """Reserve every item or report the short ones (the caller rolls back then).

    The items of one (product, warehouse) are added up and every row is changed by ONE statement; on
    PostgreSQL that statement first locks the rows in (product, warehouse) order — the order every
    caller locks in, so two documents never deadlock. The result is the one the items would have had
    one after the other in that order: a short item does not stop the next one of the same row, and
    each ledger row says what was on hand and reserved just after its own item.
    """
    cleaned = [
        (index, product, warehouse, clean_qty(product, qty, field=field_of(index)))
        for index, (product, warehouse, qty) in enumerate(items)
    ]
    if reference is not None:
        reference = _clean_reference(reference, required=True)
    protect_safety = bool(get_parameter("stock.available_excludes_safety"))
    in_order = sorted(cleaned, key=lambda c: (c[1].pk, c[2].pk))
    totals: dict[tuple[Any, Any], Decimal] = {}
    for _index, product, warehouse, q in in_order:
        key = (product.pk, warehouse.pk)
        totals[key] = totals.get(key, Decimal(0)) + q
    lock = len(totals) > 1 and not rows_locked and connection.features.has_select_for_update
    with connection.cursor() as cursor:
        cursor.execute(
            _reserve_sql(len(totals), protect_safety, lock),
            [v for key, q in totals.items() for v in (*key, q)],
        )
        after = {
            (product_id, warehouse_id): (Decimal(str(on_hand)), Decimal(str(reserved)))
            for product_id, warehouse_id, on_hand, reserved in cursor.fetchall()
        }
    short_keys = [key for key in totals if key not in after]
    if short_keys:  # the caller raises: its atomic block undoes the rows already changed
        return _shortages(in_order, short_keys, protect_safety), []
    actor = by if getattr(by, "pk", None) else None
    later = dict(totals)  # per row: the quantity of this item and those after it
    moves: dict[int, StockMove] = {}
    for index, product, warehouse, q in in_order:
        key = (product.pk, warehouse.pk)
        on_hand, reserved = after[key]
        later[key] -= q
        moves[index] = StockMove(
            product_id=product.pk,
            warehouse_id=warehouse.pk,
            kind=Kind.RESERVE,
            qty=q,
            from_reservation=False,
            on_hand_after=on_hand.quantize(_PLACES),
            reserved_after=(reserved - later[key]).quantize(_PLACES),
            reference=reference or "",
            note="",
            created_by=actor,
        )
    if reference is not None:
        insert(list(moves.values()))  # ledger ids follow the lock order
    return [], [moves[i] for i in sorted(moves)]


def _shortages(
    in_order: list[tuple[int, Product, Warehouse, Decimal]], short_keys: list[tuple[Any, Any]], safety: bool
) -> list[tuple[int, InsufficientStock]]:
    """The short items of the rows that could not take their total: each item in turn takes what is
    left of its row, and the one that does not fit is short by what was left for it."""
    levels = {
        (level.product_id, level.warehouse_id): level
        for level in StockLevel.objects.filter(
            Q(*(Q(product_id=p, warehouse_id=w) for p, w in short_keys), _connector=Q.OR)
        )
    }
    left: dict[tuple[Any, Any], Decimal] = {}
    for key in short_keys:
        level = levels.get(key)
        available = Decimal(0)
        if level is not None:
            available = level.on_hand_qty - level.reserved_qty - (level.safety_qty if safety else 0)
        left[key] = available
    shortages: list[tuple[int, InsufficientStock]] = []
    for index, product, warehouse, q in in_order:
        key = (product.pk, warehouse.pk)
        if key not in left:
            continue
        if left[key] >= q:
            left[key] -= q
        else:
            shortages.append((index, _short(product, q, left[key])))
    return sorted(shortages, key=lambda s: s[0])


def save_moves(moves: list[StockMove], *, reference: str | Late) -> None:
    """Save the ledger rows ``reserve_many(reference=None)`` returned, now that their document has its
    number (or will have it when the rows go in: a ``compiled.Late``), in one INSERT (in the lock order
    their ids would have had)."""
    if type(reference) is not Late:
        reference = _clean_reference(reference, required=True)
    for move in moves:
        move.reference = reference  # type: ignore[assignment]
    insert(sorted(moves, key=lambda m: (m.product_id, m.warehouse_id)))


def _check_held(product: Product, warehouse: Warehouse, reference: str, q: Decimal) -> None:
    held = reserved_for_reference(product=product, warehouse=warehouse, reference=reference)
    if q > held:
        raise InsufficientReservation(
            _("%(reference)s holds only %(held)s %(unit)s of %(sku)s reserved in this warehouse.")
            % {
                "reference": reference,
                "held": qty_str(max(held, Decimal(0)), product.unit_decimals),
                "unit": product.unit,
                "sku": product.sku,
            }
        )


@transaction.atomic
def release_stock(
    *, product: Product, warehouse: Warehouse, qty: Any, reference: str, by: Any = None
) -> StockMove:
    """Give back part or all of a document's reservation (释放预占)."""
    q = clean_qty(product, qty)
    reference = _clean_reference(reference, required=True)
    level = _lock_level(product, warehouse, create=False)
    if level is None:
        raise _short(product, q, Decimal(0))
    _check_held(product, warehouse, reference, q)
    level.reserved_qty -= q
    return _append(level, kind=Kind.RELEASE, qty=q, reference=reference, by=by)


@transaction.atomic
def issue_stock(
    *,
    product: Product,
    warehouse: Warehouse,
    qty: Any,
    reference: str,
    by: Any = None,
    from_reservation: bool = True,
) -> StockMove:
    """Book goods out (出库), normally turning the document's reservation into an issue.

    Without a reservation the quantity must be available, unless "stock.allow_negative" is on.
    """
    q = clean_qty(product, qty)
    reference = _clean_reference(reference, required=True)
    level = _lock_level(product, warehouse, create=not from_reservation)
    if level is None:
        raise _short(product, q, Decimal(0))
    allow_negative = _allow_negative()
    if from_reservation:
        _check_held(product, warehouse, reference, q)
        if level.on_hand_qty - q < 0 and not allow_negative:
            raise _short(product, q, level.on_hand_qty)
        level.reserved_qty -= q
    elif q > level.on_hand_qty - level.reserved_qty and not allow_negative:
        raise _short(product, q, level.on_hand_qty - level.reserved_qty)
    level.on_hand_qty -= q
    return _append(
        level, kind=Kind.ISSUE, qty=q, reference=reference, by=by, from_reservation=from_reservation
    )
