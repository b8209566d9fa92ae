"""The order entry form: the posted fields to service keywords and back, service error paths to page
field ids, and what the page shows of a quote."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _

from salesdesk.customers.models import Customer
from salesdesk.orders import services
from salesdesk.orders.choices import PriceMode
from salesdesk.orders.models import SalesOrder

from .common import price_str

_LINE_KEY = re.compile(r"^lines-(\d+)-(\w+)$")
LINE_FIELDS = ("product", "product_label", "qty", "unit_price", "manual", "discount_rate")
HEADER_FIELDS = (
    "customer",
    "customer_label",
    "order_type",
    "price_mode",
    "address",
    "requested_date",
    "customer_po",
    "order_discount_amount",
    "round_off",
    "remark",
    "internal_note",
)
ROUND_OFF_CHOICES = (
    ("none", "No rounding"),
    ("jiao", "Drop the fen"),
    ("yuan", "Drop the jiao and fen"),
    ("ten", "Round down to 10 yuan"),
)


def round_off_choices() -> list[tuple[str, str]]:
    labels = {
        "none": _("No rounding (抹零)"),
        "jiao": _("Drop the fen"),
        "yuan": _("Drop the jiao and fen"),
        "ten": _("Round down to 10 yuan"),
    }
    return [(code, labels[code]) for code, _label in ROUND_OFF_CHOICES]


def _percent_to_rate(raw: str) -> str | None:
    """The page asks for the discount in percent (5 = 5 % off = 9.5折); services take a fraction."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        return str(Decimal(raw) / 100)
    except InvalidOperation:
        return raw


def _rate_to_percent(rate: Decimal | None) -> str:
    if not rate:
        return ""
    return f"{(rate * 100).normalize():f}"


def _form_lines(post: QueryDict) -> list[dict[str, str]]:
    """The line rows in index order (row numbers on the page are not contiguous after deletions)."""
    found: dict[int, dict[str, str]] = {}
    for key in post:
        match = _LINE_KEY.match(key)
        if match and match.group(2) in LINE_FIELDS:
            found.setdefault(int(match.group(1)), {})[match.group(2)] = post.get(key, "").strip()
    return [{"index": str(i), **{n: found[i].get(n, "") for n in LINE_FIELDS}} for i in sorted(found)]


def form_from_post(post: QueryDict) -> dict[str, Any]:
    form: dict[str, Any] = {key: post.get(key, "").strip() for key in HEADER_FIELDS}
    form["token"] = post.get("token", "") or uuid.uuid4().hex
    form["version"] = post.get("version", "")
    form["acknowledge_duplicate"] = post.get("acknowledge_duplicate") == "1"
    form["lines"] = _form_lines(post)
    return form


def filled_lines(form: dict[str, Any]) -> list[dict[str, str]]:
    return [row for row in form["lines"] if row["product"] or row["qty"] or row["product_label"]]


def _service_lines(form: dict[str, Any]) -> list[dict[str, Any]]:
    lines = []
    for row in filled_lines(form):
        manual = row["manual"] == "1" and row["unit_price"] != ""
        lines.append(
            {
                "product": row["product"],
                "qty": row["qty"],
                "unit_price": row["unit_price"] if manual else None,
                "discount_rate": _percent_to_rate(row["discount_rate"]),
            }
        )
    return lines


def order_kwargs(form: dict[str, Any], customer: Customer | None) -> dict[str, Any]:
    """The create_order / update_order keywords from the page's fields (raw strings: services validate)."""
    return {
        "customer": customer,
        "lines": _service_lines(form),
        "order_type": form["order_type"] or None,
        "price_mode": form["price_mode"] or PriceMode.TAX_INCLUDED,
        "customer_po": form["customer_po"],
        "requested_date": form["requested_date"] or None,
        "address": form["address"] or None,
        "order_discount_amount": form["order_discount_amount"] or "0",
        "round_off": form["round_off"] or "none",
        "remark": form["remark"],
        "internal_note": form["internal_note"],
    }


def map_errors(fields: dict[str, list[str]], form: dict[str, Any]) -> dict[str, list[str]]:
    """Service paths ("lines.0.qty": the first filled row) → page field ids ("lines-7-qty")."""
    rows = filled_lines(form)
    errors: dict[str, list[str]] = {}
    for field, msgs in fields.items():
        parts = field.split(".")
        if parts[0] == "lines" and len(parts) >= 2 and parts[1].isdecimal():
            i = int(parts[1])
            index = rows[i]["index"] if i < len(rows) else parts[1]
            name = parts[2] if len(parts) > 2 else "product"
            key = f"lines-{index}-{'product_label' if name == 'product' else name}"
        else:
            key = field
        errors.setdefault(key, []).extend(str(m) for m in msgs)
    return errors


def blank_line(index: int) -> dict[str, str]:
    return {"index": str(index), **{n: "" for n in LINE_FIELDS}, "manual": "0"}


def form_from_order(order: SalesOrder) -> dict[str, Any]:
    form: dict[str, Any] = {
        "customer": str(order.customer_id),
        "customer_label": order.customer_name,
        "order_type": order.order_type,
        "price_mode": order.price_mode,
        "address": str(order.address_id or ""),
        "requested_date": order.requested_date.isoformat() if order.requested_date else "",
        "customer_po": order.customer_po,
        "order_discount_amount": f"{order.order_discount_amount:f}" if order.order_discount_amount else "",
        "round_off": "none",
        "remark": order.remark,
        "internal_note": order.internal_note,
        "token": uuid.uuid4().hex,
        "version": str(order.version),
        "acknowledge_duplicate": False,
    }
    form["lines"] = [
        {
            "index": str(i),
            "product": str(line.product_id),
            "product_label": " ".join(x for x in (line.sku, line.product_name, line.spec) if x),
            "qty": f"{line.qty.normalize():f}",
            "unit_price": price_str(line.unit_price),
            "manual": "1" if line.price_source == "manual" else "0",
            "discount_rate": _rate_to_percent(line.discount_rate),
        }
        for i, line in enumerate(order.lines.all())
    ]
    return form


def quote_context(quote: Any, form: dict[str, Any]) -> dict[str, Any]:
    """What the pages show of a quote: per page row the price, its source, floor flag, amounts, stock."""
    rows = [row for row in filled_lines(form) if row["product"]]
    items = []
    for row, line in zip(rows, quote.lines, strict=False):
        items.append(
            {
                "index": row["index"],
                "line": line,
                "discount_percent": _rate_to_percent(line.discount_rate),
                "price": price_str(line.unit_price),
                "stock": [{"warehouse": wh.name, "available": avail} for wh, avail in line.stock],
                "errors": [],
            }
        )
    return {
        "quote": quote,
        "quote_lines": items,
        "amount_words": quote.amount_in_words,
        "approval_reasons": [services.reason_label(r) for r in quote.approval_reasons],
        "auto_prices": {item["index"]: price_str(item["line"].unit_price) for item in items},
    }


def line_cells(form: dict[str, Any], result: dict[str, Any] | None) -> list[dict[str, Any]]:
    """One cell set per page row (also the rows without a product, so stale figures are cleared)."""
    items = {item["index"]: item for item in (result or {}).get("quote_lines", [])}
    errors = (result or {}).get("errors", {})
    cells = []
    for row in form["lines"]:
        prefix = f"lines-{row['index']}-"
        msgs = [m for key, found in errors.items() if key.startswith(prefix) for m in found]
        cells.append(
            items.get(row["index"]) or {"index": row["index"], "line": None, "stock": [], "errors": msgs}
        )
    return cells
