"""Price an order: parse the lines, resolve prices, compute amounts through pricing.calc, list stock.

The same computation serves the live quote on the entry page and the saved order, so they agree to the 分.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import F, Q
from django.utils.translation import gettext as _

from salesdesk.catalog.models import Product
from salesdesk.core.compiled import CompiledQuery, Read
from salesdesk.core.errors import InvalidInput
from salesdesk.core.validators import row_id
from salesdesk.customers.models import Customer
from salesdesk.inventory.models import StockLevel, Warehouse
from salesdesk.pricing import calc
from salesdesk.pricing.resolve import SOURCE_LABELS, PriceQuote, resolve_prices, round_price

from .choices import OrderType, PriceMode
from .selectors import sold_before_annotation

ZERO = Decimal("0.00")


@dataclass
class QuotedLine:
    """One priced line: the price, where it came from, the amounts and the stock per warehouse."""

    index: int
    product: Product
    qty: Decimal
    unit_price: Decimal  # in the order's price mode
    price_source: str
    price_source_label: str
    price_list_id: int | None
    list_price: Decimal
    floor_price: Decimal | None
    discount_rate: Decimal
    amounts: calc.LineAmounts
    line_discount_amount: Decimal
    order_discount_share: Decimal
    net_unit_price: Decimal  # tax-inclusive, after every discount
    is_below_floor: bool
    warehouse: Warehouse | None
    remark: str
    stock: list[tuple[Warehouse, Decimal]] = field(default_factory=list)

    @property
    def available_qty(self) -> Decimal:
        return sum((a for _w, a in self.stock), Decimal(0))


@dataclass
class OrderQuote:
    """A whole order priced but not saved; ``approval_reasons`` is filled by the services."""

    price_mode: str
    order_type: str
    lines: list[QuotedLine]
    totals: calc.OrderTotals
    order_discount_amount: Decimal
    round_off_amount: Decimal
    amount_in_words: str
    approval_reasons: list[dict[str, Any]] = field(default_factory=list)


def _decimal(raw: Any, path: str, errors: dict[str, list[str]]) -> Decimal | None:
    if isinstance(raw, float):
        raw = str(raw)
    text = "" if raw is None else str(raw).strip().replace(",", "").replace("，", "")
    if not text:
        errors[path] = [_("This field is required.")]
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        errors[path] = [_("Enter a number.")]
        return None
    if not value.is_finite():
        errors[path] = [_("Enter a number.")]
        return None
    return value


def _products_q(p: Any, skus: int, ids: int) -> Any:
    wanted = Q(sku__in=p.many("skus", skus))
    if ids:
        wanted |= Q(pk__in=p.many("ids", ids))
    # whether each was sold before: the "new product" approval rule's question, answered here
    return Product.objects.filter(wanted).annotate(sold_before=sold_before_annotation())


_PRODUCTS = CompiledQuery(_products_q)


def _product_refs(refs: list[Any]) -> tuple[dict[str, Product], Read | None]:
    """The products given as objects, and the read that finds the others by id or SKU (None when
    there are none): a reference of digits may be an id or a SKU, so both are looked up."""
    found: dict[str, Product] = {}
    ids: set[str] = set()
    skus: set[str] = set()
    for ref in refs:
        if isinstance(ref, Product):
            found[str(ref.pk)] = ref
        elif ref not in (None, ""):
            text = str(ref).strip()
            if row_id(text) is not None:  # digits may be an id or a SKU
                ids.add(text)
            skus.add(text)
    if not skus:
        return found, None
    return found, _PRODUCTS.call(len(skus), len(ids), skus=sorted(skus), ids=sorted(int(i) for i in ids))


def products_read(lines: list[dict[str, Any]]) -> Read | None:
    """The read ``parse_lines`` makes for these lines' products (for ``compiled.read_ahead``)."""
    return _product_refs([line.get("product") for line in lines])[1]


def _lookup_products(refs: list[Any]) -> dict[str, Product]:
    """Map every reference (a Product, its id or its SKU) to the product, with at most one query.

    A reference of digits may be an id or a SKU: both are looked up; the SKU wins (``_product_for``)."""
    found, read = _product_refs(refs)
    if read is not None:
        skus, ids = set(read.values["skus"]), {str(i) for i in read.values["ids"]}
        for p in read.query.all(*read.shape, **read.values):
            if p.sku in skus:
                found.setdefault("sku:" + p.sku, p)
            if str(p.pk) in ids:
                found.setdefault(str(p.pk), p)
    return found


def _product_for(ref: Any, found: dict[str, Product]) -> Product | None:
    if isinstance(ref, Product):
        return ref
    text = "" if ref is None else str(ref).strip()
    return found.get("sku:" + text) or (found.get(text) if text.isdecimal() else None)


def _warehouse_for(ref: Any, warehouses: dict[str, Warehouse]) -> Warehouse | None:
    if isinstance(ref, Warehouse):
        return ref
    text = str(ref).strip()
    return warehouses.get(text) or warehouses.get("code:" + text)


def parse_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validate the submitted lines; raise InvalidInput with "lines.N.field" paths."""
    errors: dict[str, list[str]] = {}
    if not lines:
        raise InvalidInput.single("lines", _("Add at least one line."))
    found = _lookup_products([line.get("product") for line in lines])
    wh_refs = [line.get("warehouse") for line in lines if line.get("warehouse") not in (None, "")]
    warehouses: dict[str, Warehouse] = {}
    if wh_refs and not all(isinstance(w, Warehouse) for w in wh_refs):
        for w in Warehouse.objects.all():
            warehouses[str(w.pk)] = w
            warehouses["code:" + w.code] = w
    parsed: list[dict[str, Any]] = []
    for n, line in enumerate(lines):
        path = f"lines.{n}"
        product = _product_for(line.get("product"), found)
        if product is None:
            errors[f"{path}.product"] = [
                _("Unknown product.") if line.get("product") not in (None, "") else _("Choose a product.")
            ]
        elif not product.is_active:
            errors[f"{path}.product"] = [_("This product is no longer sold.")]
        qty = _decimal(line.get("qty"), f"{path}.qty", errors)
        if qty is not None:
            if qty <= 0:
                errors[f"{path}.qty"] = [_("The quantity must be greater than zero.")]
            elif product is not None and -qty.normalize().as_tuple().exponent > product.unit_decimals:  # type: ignore[operator]
                errors[f"{path}.qty"] = [
                    _("At most %(n)d decimal places for this unit.") % {"n": product.unit_decimals}
                ]
        raw_price = line.get("unit_price")
        price = None
        if raw_price not in (None, ""):
            price = _decimal(raw_price, f"{path}.unit_price", errors)
            if price is not None and price < 0:
                errors[f"{path}.unit_price"] = [_("The price must not be negative.")]
        raw_rate = line.get("discount_rate")
        rate = Decimal(0)
        if raw_rate not in (None, ""):
            rate = _decimal(raw_rate, f"{path}.discount_rate", errors) or Decimal(0)
            if not Decimal(0) <= rate <= Decimal(1):
                errors[f"{path}.discount_rate"] = [_("The discount rate must be between 0 and 1.")]
        warehouse = None
        if line.get("warehouse") not in (None, ""):
            warehouse = _warehouse_for(line.get("warehouse"), warehouses)
            if warehouse is None or not warehouse.is_active:
                errors[f"{path}.warehouse"] = [_("Choose an active warehouse.")]
        remark = str(line.get("remark") or "").strip()
        if len(remark) > 200:
            errors[f"{path}.remark"] = [_("At most %(n)d characters.") % {"n": 200}]
        parsed.append(
            {
                "product": product,
                "qty": qty,
                "unit_price": price,
                "discount_rate": rate,
                "warehouse": warehouse,
                "remark": remark,
                "_parsed": True,
            }
        )
    if errors:
        raise InvalidInput(fields=errors)
    return parsed


def _stock_q(p: Any, n: int, lock: bool) -> Any:
    levels = (
        StockLevel.objects.filter(product_id__in=p.many("products", n), warehouse__is_active=True)
        .select_related("warehouse")
        .annotate(avail=F("on_hand_qty") - F("reserved_qty"))
    )
    if lock:  # rows locked in (product, warehouse) order, the one order every stock change locks in
        return levels.select_for_update(of=("self",)).order_by("product_id", "warehouse_id")
    return levels.order_by("product_id", "-avail", "warehouse__code")


_STOCK = CompiledQuery(_stock_q)


def _stock_read(product_ids: list[int], lock: bool) -> Read | None:
    wanted = sorted(set(product_ids))
    return _STOCK.call(len(wanted), lock, products=wanted) if wanted else None


def stock_read(product_ids: list[int]) -> Read | None:
    """The unlocked read ``stock_by_product`` makes for these products (for ``compiled.read_ahead``)."""
    return _stock_read(product_ids, False)


def stock_by_product(
    product_ids: list[int], *, lock: bool = False
) -> dict[int, list[tuple[Warehouse, Decimal]]]:
    """Available stock per active warehouse for these products, most available first (one query).

    ``lock``: the stock rows read are locked until the transaction ends (PostgreSQL), so what is chosen
    from them still holds when it is reserved (``orders.services._reserve_all``)."""
    out: dict[int, list[tuple[Warehouse, Decimal]]] = defaultdict(list)
    read = _stock_read(product_ids, lock)
    if read is None:
        return out
    for level in read.query.all(*read.shape, **read.values):
        out[level.product_id].append((level.warehouse, level.avail))  # type: ignore[attr-defined]
    if lock:  # read in lock order: most available first, as without the lock
        for options in out.values():
            options.sort(key=lambda option: (-option[1], option[0].code))
    return out


def compute_quote(
    *,
    customer: Customer,
    lines: list[dict[str, Any]],
    price_mode: str = PriceMode.TAX_INCLUDED,
    order_discount_amount: Any = "0",
    round_off: str = "none",
    order_type: str = OrderType.STANDARD,
    on_date: dt.date | None = None,
    with_stock: bool = True,
) -> OrderQuote:
    """Price the lines (already parsed or raw) and total the order per DOMAIN.md §3.6–§3.7."""
    errors: dict[str, list[str]] = {}
    if price_mode not in calc.PRICE_MODES:
        errors["price_mode"] = [_("Choose tax-inclusive or tax-exclusive prices.")]
    if round_off not in calc.ROUND_OFF_RULES:
        errors["round_off"] = [_("Choose a valid rounding rule.")]
    discount = Decimal(0)
    if order_discount_amount not in (None, ""):
        discount = _decimal(order_discount_amount, "order_discount_amount", errors) or Decimal(0)
        if discount < 0:
            errors["order_discount_amount"] = [_("The discount must not be negative.")]
        elif calc.round2(discount) != discount:
            errors["order_discount_amount"] = [_("At most 2 decimal places.")]
    try:
        parsed = lines if lines and _is_parsed(lines) else parse_lines(lines)
    except InvalidInput as exc:
        errors.update(exc.fields)
        parsed = []
    if errors:
        raise InvalidInput(fields=errors)

    resolved: list[PriceQuote] = resolve_prices(
        products_qty=[(p["product"], p["qty"]) for p in parsed], customer=customer, on_date=on_date
    )
    incl = price_mode == calc.TAX_INCLUDED
    specs: list[dict[str, Any]] = []
    sources: list[tuple[str, str, int | None]] = []
    for p, auto in zip(parsed, resolved, strict=True):
        tax_rate = p["product"].tax_rate
        auto_entry = auto.unit_price if incl else round_price(auto.unit_price / (1 + tax_rate))
        typed = p["unit_price"]
        if typed is None or round_price(typed) == auto_entry:
            entry = auto_entry
            sources.append((auto.source, auto.source_label, auto.price_list_id))
        else:
            entry = round_price(typed)
            sources.append(("manual", str(SOURCE_LABELS["manual"]), None))
        specs.append(
            {"qty": p["qty"], "unit_price": entry, "tax_rate": tax_rate, "discount_rate": p["discount_rate"]}
        )
    try:
        plain = [
            calc.line_amounts(
                qty=s["qty"],
                unit_price=s["unit_price"],
                tax_rate=s["tax_rate"],
                mode=price_mode,
                discount_rate=s["discount_rate"],
            )
            for s in specs
        ]
        amounts = calc.apply_order_discount(specs, discount, price_mode)
        round_off_amount = calc.round_off(calc.totals(amounts).amount, round_off)
        if round_off_amount:
            amounts = calc.apply_order_discount(specs, discount + round_off_amount, price_mode)
    except ValueError:
        raise InvalidInput.single(
            "order_discount_amount", _("The discount is larger than the amount it applies to.")
        ) from None
    stock = stock_by_product([p["product"].pk for p in parsed]) if with_stock else {}
    quoted: list[QuotedLine] = []
    for n, (p, spec, (source, label, list_id), base, a) in enumerate(
        zip(parsed, specs, sources, plain, amounts, strict=True)
    ):
        product: Product = p["product"]
        net_unit = a.amount / p["qty"]
        floor = product.floor_price
        quoted.append(
            QuotedLine(
                index=n,
                product=product,
                qty=p["qty"],
                unit_price=spec["unit_price"],
                price_source=source,
                price_source_label=label,
                price_list_id=list_id,
                list_price=product.list_price,
                floor_price=floor,
                discount_rate=p["discount_rate"],
                amounts=a,
                line_discount_amount=base.discount_amount,
                order_discount_share=a.discount_amount - base.discount_amount,
                net_unit_price=net_unit,
                is_below_floor=floor is not None and net_unit < floor,
                warehouse=p["warehouse"],
                remark=p["remark"],
                stock=list(stock.get(product.pk, [])),
            )
        )
    totals = calc.totals(amounts)
    return OrderQuote(
        price_mode=price_mode,
        order_type=order_type,
        lines=quoted,
        totals=totals,
        order_discount_amount=calc.round2(discount),
        round_off_amount=round_off_amount,
        amount_in_words=calc.amount_in_words_rmb(totals.amount),
    )


def _is_parsed(lines: list[dict[str, Any]]) -> bool:
    return all(isinstance(line.get("product"), Product) and "_parsed" in line for line in lines)
