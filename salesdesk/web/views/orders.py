"""Pages for sales orders: keyboard-first entry with live quotes, review and submit, the list with
saved filters and exports, the detail page with its timeline and actions, the printable PDF, and the
public page where a customer confirms the order (C6, C14)."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from salesdesk.accounts.models import User
from salesdesk.catalog.selectors import get_product_by_sku, search_products
from salesdesk.core.audit import record_audit
from salesdesk.core.context import client_ip
from salesdesk.core.errors import DomainError, InvalidInput, NotFound
from salesdesk.core.masking import mask_mobile, mask_name
from salesdesk.core.parameters import get_parameter
from salesdesk.customers import selectors as customer_selectors
from salesdesk.customers.models import Customer
from salesdesk.orders import selectors, services
from salesdesk.orders.choices import OrderType, PriceMode, Status
from salesdesk.orders.models import SalesOrder
from salesdesk.orders.transitions import ACTIONS, allowed_actions
from salesdesk.pricing.calc import amount_in_words_rmb

from ..pdf import render_pdf

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
LIST_FILTERS = ("q", "customer", "customer_label", "phone", "product", "salesperson", "status", "date_from", "date_to")
CONFIRM_LINKS_KEY = "orders.confirmation_links"


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _order_or_404(request: HttpRequest, pk: int) -> SalesOrder:
    try:
        return selectors.get_order(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None


def _round_off_choices() -> list[tuple[str, str]]:
    labels = {
        "none": _("No rounding (抹零)"),
        "jiao": _("Drop the fen"),
        "yuan": _("Drop the jiao and fen"),
        "ten": _("Round down to 10 yuan"),
    }
    return [(code, labels[code]) for code, _label in ROUND_OFF_CHOICES]


# --- the entry form: parsing, mapping errors, context ----------------------------------------------


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


def _form_from_post(post: QueryDict) -> dict[str, Any]:
    form: dict[str, Any] = {key: post.get(key, "").strip() for key in HEADER_FIELDS}
    form["token"] = post.get("token", "") or uuid.uuid4().hex
    form["version"] = post.get("version", "")
    form["acknowledge_duplicate"] = post.get("acknowledge_duplicate") == "1"
    form["lines"] = _form_lines(post)
    return form


def _filled_lines(form: dict[str, Any]) -> list[dict[str, str]]:
    return [row for row in form["lines"] if row["product"] or row["qty"] or row["product_label"]]


def _service_lines(form: dict[str, Any]) -> list[dict[str, Any]]:
    lines = []
    for row in _filled_lines(form):
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


def _customer_for(request: HttpRequest, raw: str) -> Customer | None:
    if not raw:
        return None
    try:
        return customer_selectors.get_customer(user=request.user, pk=raw)
    except NotFound:
        return None


def _order_kwargs(form: dict[str, Any], customer: Customer | None) -> dict[str, Any]:
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


def _map_errors(fields: dict[str, list[str]], form: dict[str, Any]) -> dict[str, list[str]]:
    """Service paths ("lines.0.qty": the first filled row) → page field ids ("lines-7-qty")."""
    rows = _filled_lines(form)
    errors: dict[str, list[str]] = {}
    for field, msgs in fields.items():
        parts = field.split(".")
        if parts[0] == "lines" and len(parts) >= 2 and parts[1].isdigit():
            i = int(parts[1])
            index = rows[i]["index"] if i < len(rows) else parts[1]
            name = parts[2] if len(parts) > 2 else "product"
            key = f"lines-{index}-{'product_label' if name == 'product' else name}"
        else:
            key = field
        errors.setdefault(key, []).extend(str(m) for m in msgs)
    return errors


def _blank_line(index: int) -> dict[str, str]:
    return {"index": str(index), **{n: "" for n in LINE_FIELDS}, "manual": "0"}


def _entry_context(
    request: HttpRequest,
    form: dict[str, Any],
    *,
    order: SalesOrder | None = None,
    errors: dict[str, list[str]] | None = None,
    conflict: str = "",
) -> dict[str, Any]:
    customer = _customer_for(request, form["customer"])
    lines = list(form["lines"]) or [_blank_line(0)]
    errors = errors or {}
    for row in lines:
        row_errors = {}
        for name in LINE_FIELDS:
            key = f"lines-{row['index']}-{name}"
            if key in errors:
                row_errors[name] = errors[key]
        row["errors"] = row_errors  # type: ignore[assignment]
    next_index = max(int(row["index"]) for row in lines) + 1
    return {
        "form": form,
        "lines": lines,
        "next_index": next_index,
        "errors": errors,
        "line_errors": bool([k for k in errors if k.startswith("lines")]),
        "conflict": conflict,
        "order": order,
        "customer": customer,
        "addresses": (
            customer_selectors.addresses_for(user=request.user, customer=customer) if customer else []
        ),
        "order_types": OrderType.choices,
        "price_modes": PriceMode.choices,
        "round_offs": _round_off_choices(),
        "quote": _safe_quote(request, form, customer) if customer else None,
    }


def _render_entry(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, "orders/entry.html", context, status=status)


def _quote_context(quote: Any, form: dict[str, Any]) -> dict[str, Any]:
    """What the pages show of a quote: per page row the price, its source, floor flag, amounts, stock."""
    rows = [row for row in _filled_lines(form) if row["product"]]
    lines = []
    for row, line in zip(rows, quote.lines, strict=False):
        stock = [{"warehouse": wh.name, "available": available} for wh, available in line.stock]
        lines.append(
            {
                "index": row["index"],
                "line": line,
                "product": line.product,
                "discount_percent": _rate_to_percent(line.discount_rate),
                "stock": stock,
            }
        )
    return {
        "quote": quote,
        "quote_lines": lines,
        "amount_words": quote.amount_in_words,
        "auto_prices": {
            row["index"]: f"{line['line'].unit_price.normalize():f}"
            for row, line in zip(rows, lines, strict=False)
        },
    }


def _safe_quote(request: HttpRequest, form: dict[str, Any], customer: Customer | None) -> dict[str, Any] | None:
    if customer is None:
        return None
    lines = [row for row in _filled_lines(form) if row["product"]]
    if not lines:
        return None
    sub = dict(form, lines=lines)
    kwargs = _order_kwargs(sub, customer)
    try:
        quote = services.quote_order(
            by=_user(request),
            customer=customer,
            lines=kwargs["lines"],
            price_mode=kwargs["price_mode"],
            order_discount_amount=kwargs["order_discount_amount"],
            round_off=kwargs["round_off"],
            order_type=kwargs["order_type"],
        )
    except InvalidInput as exc:
        return {"errors": _map_errors(exc.fields, sub)}
    return _quote_context(quote, sub)


# --- entry, review, submit --------------------------------------------------------------------------


def _new_form(request: HttpRequest) -> dict[str, Any]:
    form: dict[str, Any] = dict.fromkeys(HEADER_FIELDS, "")
    form.update(
        {
            "order_type": str(get_parameter("orders.default_type") or OrderType.STANDARD),
            "price_mode": PriceMode.TAX_INCLUDED,
            "round_off": "none",
            "token": uuid.uuid4().hex,
            "version": "",
            "acknowledge_duplicate": False,
            "lines": [_blank_line(0)],
        }
    )
    customer = _customer_for(request, request.GET.get("customer", ""))
    if customer is not None:
        form["customer"], form["customer_label"] = str(customer.pk), customer.name
    return form


def _form_from_order(order: SalesOrder) -> dict[str, Any]:
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
            "unit_price": f"{line.unit_price.normalize():f}",
            "manual": "1" if line.price_source == "manual" else "0",
            "discount_rate": _rate_to_percent(line.discount_rate),
        }
        for i, line in enumerate(order.lines.all())
    ]
    return form


def _review(request: HttpRequest, form: dict[str, Any], *, order: SalesOrder | None) -> HttpResponse:
    """Price everything once more and show what the customer will be asked to confirm."""
    customer = _customer_for(request, form["customer"])
    if customer is None:
        errors = {"customer": [_("Choose a customer.")]}
        return _render_entry(request, _entry_context(request, form, order=order, errors=errors), 422)
    kwargs = _order_kwargs(form, customer)
    if not kwargs["lines"]:
        errors = {"lines": [_("Add at least one line.")]}
        return _render_entry(request, _entry_context(request, form, order=order, errors=errors), 422)
    try:
        quote = services.quote_order(
            by=_user(request),
            customer=customer,
            lines=kwargs["lines"],
            price_mode=kwargs["price_mode"],
            order_discount_amount=kwargs["order_discount_amount"],
            round_off=kwargs["round_off"],
            order_type=kwargs["order_type"],
        )
    except InvalidInput as exc:
        ctx = _entry_context(request, form, order=order, errors=_map_errors(exc.fields, form))
        return _render_entry(request, ctx, 422)
    return _render_review(request, form, customer=customer, quote=quote, order=order)


def _render_review(
    request: HttpRequest,
    form: dict[str, Any],
    *,
    customer: Customer,
    quote: Any,
    order: SalesOrder | None,
    duplicates: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    address = None
    if form["address"]:
        address = next(
            (
                a
                for a in customer_selectors.addresses_for(user=request.user, customer=customer)
                if str(a.id) == form["address"]
            ),
            None,
        )
    hidden = [(k, v) for k, v in request.POST.items() if k not in {"csrfmiddlewaretoken", "step"}]
    hidden = [(k, v) for k, v in hidden if k not in {"token", "acknowledge_duplicate"}]
    context = {
        "form": form,
        "customer": customer,
        "address": address,
        "order": order,
        "hidden": hidden,
        "order_type_label": dict(OrderType.choices).get(form["order_type"], ""),
        "price_mode_label": dict(PriceMode.choices).get(form["price_mode"], ""),
        "duplicates": duplicates or [],
        **_quote_context(quote, form),
    }
    return render(request, "orders/review.html", context, status=status)


def _save(request: HttpRequest, form: dict[str, Any], *, order: SalesOrder | None, submit: bool) -> HttpResponse:
    customer = _customer_for(request, form["customer"])
    kwargs = _order_kwargs(form, customer)
    by = _user(request)
    try:
        if order is None:
            saved = services.create_order(
                by=by,
                idempotency_key=form["token"],
                acknowledge_duplicate=form["acknowledge_duplicate"],
                **kwargs,
            )
        else:
            saved = services.update_order(order=order, by=by, version=int(form["version"] or 0), **kwargs)
    except services.PossibleDuplicate as exc:
        quote = services.quote_order(
            by=by,
            customer=customer,
            lines=kwargs["lines"],
            price_mode=kwargs["price_mode"],
            order_discount_amount=kwargs["order_discount_amount"],
            round_off=kwargs["round_off"],
            order_type=kwargs["order_type"],
        )
        assert customer is not None
        return _render_review(
            request,
            form,
            customer=customer,
            quote=quote,
            order=order,
            duplicates=list(exc.duplicates),
            status=409,
        )
    except services.StaleOrder as exc:
        ctx = _entry_context(request, form, order=order, conflict=exc.message)
        return _render_entry(request, ctx, 409)
    except InvalidInput as exc:
        ctx = _entry_context(request, form, order=order, errors=_map_errors(exc.fields, form))
        return _render_entry(request, ctx, 422)
    if submit and saved.status == Status.DRAFT:
        try:
            services.submit_order(order=saved, by=by)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Order %(number)s submitted.") % {"number": saved.number})
    elif not submit:
        messages.success(request, _("Draft %(number)s saved.") % {"number": saved.number})
    return HttpResponseRedirect(reverse("web:order_detail", args=[saved.pk]))


def _entry(request: HttpRequest, order: SalesOrder | None) -> HttpResponse:
    if request.method == "POST":
        form = _form_from_post(request.POST)
        if order is not None and not form["version"]:
            form["version"] = str(order.version)
        step = request.POST.get("step", "review")
        if step == "review":
            return _review(request, form, order=order)
        if step in ("submit", "save"):
            return _save(request, form, order=order, submit=step == "submit")
        return _render_entry(request, _entry_context(request, form, order=order))
    form = _form_from_order(order) if order is not None else _new_form(request)
    return _render_entry(request, _entry_context(request, form, order=order))


@login_required
@permission_required("orders.add_salesorder", raise_exception=True)
@require_http_methods(["GET", "POST"])
def order_entry(request: HttpRequest) -> HttpResponse:
    return _entry(request, None)


@login_required
@permission_required("orders.change_salesorder", raise_exception=True)
@require_http_methods(["GET", "POST"])
def order_edit(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order_or_404(request, pk)
    if order.status != Status.DRAFT:
        messages.error(request, _("Only a draft can be edited."))
        return HttpResponseRedirect(reverse("web:order_detail", args=[order.pk]))
    return _entry(request, order)


# --- htmx partials for the entry page ---------------------------------------------------------------


@login_required
@permission_required("orders.add_salesorder", raise_exception=True)
@require_GET
def customer_search(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("customer_label", request.GET.get("q", "")).strip()
    customers = list(customer_selectors.list_customers(user=request.user, q=q)[:10]) if q else []
    return render(request, "orders/_customer_options.html", {"customers": customers, "q": q})


@login_required
@permission_required("orders.add_salesorder", raise_exception=True)
@require_GET
def product_search(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")
    if not q:
        q = next((v for k, v in request.GET.items() if k.endswith("product_label")), "")
    products = search_products(q.strip(), limit=10) if q.strip() else []
    return render(
        request,
        "orders/_product_options.html",
        {"products": products, "q": q, "line": request.GET.get("line", "")},
    )


@login_required
@permission_required("orders.add_salesorder", raise_exception=True)
@require_GET
def customer_sidebar(request: HttpRequest) -> HttpResponse:
    customer = _customer_for(request, request.GET.get("customer", ""))
    if customer is None:
        return render(request, "orders/_sidebar.html", {"customer": None})
    context = {
        "customer": customer,
        "sidebar": selectors.customer_sidebar(user=request.user, customer=customer),
        "addresses": customer_selectors.addresses_for(user=request.user, customer=customer),
        "form": {"address": request.GET.get("address", "")},
        "errors": {},
        "oob": True,
    }
    return render(request, "orders/_sidebar.html", context)


@login_required
@permission_required("orders.add_salesorder", raise_exception=True)
@require_POST
def order_quote(request: HttpRequest) -> HttpResponse:
    """Re-price the form as it stands: totals, and per line the price, source, amounts and stock."""
    form = _form_from_post(request.POST)
    customer = _customer_for(request, form["customer"])
    context = {"quote_result": _safe_quote(request, form, customer), "lines": form["lines"], "oob": True}
    return render(request, "orders/_quote.html", context)


# --- list, saved filters, export -------------------------------------------------------------------


def _parse_date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _filters(request: HttpRequest) -> dict[str, Any]:
    get = request.GET
    values = {key: get.get(key, "").strip() for key in LIST_FILTERS}
    if values["status"] not in Status.values:
        values["status"] = ""
    return values


def _selector_filters(values: dict[str, Any]) -> dict[str, Any]:
    """Page filters → list_orders keywords; an unknown SKU matches no order (product id 0)."""
    product: int | None = None
    if values["product"]:
        try:
            product = get_product_by_sku(sku=values["product"]).pk
        except DomainError:
            product = 0
    return {
        "q": values["q"],
        "status": values["status"],
        "customer": int(values["customer"]) if values["customer"].isdigit() else None,
        "salesperson": int(values["salesperson"]) if values["salesperson"].isdigit() else None,
        "product": product,
        "phone": values["phone"],
        "date_from": _parse_date(values["date_from"]),
        "date_to": _parse_date(values["date_to"]),
    }


@login_required
@permission_required("orders.view_salesorder", raise_exception=True)
def order_list(request: HttpRequest) -> HttpResponse:
    values = _filters(request)
    after_raw = request.GET.get("after", "")
    after = int(after_raw) if after_raw.isdigit() else None
    rows, next_after = selectors.page_orders(user=request.user, after=after, **_selector_filters(values))
    query = urlencode({k: v for k, v in values.items() if v})
    context = {
        "rows": [{"order": o, "headline": selectors.headline_status(o)} for o in rows],
        "filters": values,
        "query": query,
        "next_after": next_after,
        "is_first_page": after is None,
        "statuses": Status.choices,
        "salespeople": customer_selectors.assignable_owners(user=request.user),
        "saved_filters": selectors.list_saved_filters(user=request.user),
        "can_export": request.user.has_perm("orders.export_salesorder"),
        "can_add": request.user.has_perm("orders.add_salesorder"),
    }
    if getattr(request, "htmx", False) and request.headers.get("HX-Target") == "order-results":
        return render(request, "orders/_list_results.html", context)
    return render(request, "orders/list.html", context)


@login_required
@permission_required("orders.view_salesorder", raise_exception=True)
@require_POST
def saved_filter_save(request: HttpRequest) -> HttpResponse:
    name = request.POST.get("name", "").strip()
    query = request.POST.get("query", "")
    try:
        services.save_filter(by=_user(request), name=name, query=query)
    except InvalidInput as exc:
        for msgs in exc.fields.values():
            for msg in msgs:
                messages.error(request, msg)
    else:
        messages.success(request, _("Filter “%(name)s” saved.") % {"name": name})
    return HttpResponseRedirect(reverse("web:order_list") + (f"?{query}" if query else ""))


@login_required
@permission_required("orders.view_salesorder", raise_exception=True)
@require_POST
def saved_filter_delete(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.delete_filter(by=_user(request), pk=pk)
    except NotFound:
        raise Http404 from None
    messages.success(request, _("Saved filter deleted."))
    return HttpResponseRedirect(reverse("web:order_list"))


EXPORT_COLUMNS = (
    ("number", "Order number"),
    ("order_date", "Order date"),
    ("status", "Status"),
    ("customer_name", "Customer"),
    ("contact_name", "Contact"),
    ("contact_phone", "Contact phone"),
    ("owner", "Salesperson"),
    ("total_amount", "Total (tax incl.)"),
    ("net_amount", "Amount (tax excl.)"),
    ("tax_amount", "Tax"),
)


def _export_cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:f}"
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@login_required
@permission_required("orders.export_salesorder", raise_exception=True)
@require_GET
def order_export(request: HttpRequest) -> HttpResponse:
    """Excel or CSV of the filtered list: same scope and masking as the list, audited."""
    values = _filters(request)
    fmt = "csv" if request.GET.get("format") == "csv" else "xlsx"
    rows = list(selectors.export_rows(user=request.user, filters=_selector_filters(values)))
    headers = list(rows[0].keys()) if rows else [key for key, _label in EXPORT_COLUMNS]
    record_audit(
        action="orders.export",
        by=request.user,
        obj=None,
        data={"filters": {k: v for k, v in values.items() if v}, "rows": len(rows), "format": fmt},
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    watermark = _("Exported by %(user)s at %(time)s") % {
        "user": _user(request).display_name,
        "time": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
    }
    if fmt == "csv":
        buffer = io.StringIO()
        buffer.write("\ufeff")
        writer = csv.writer(buffer)
        writer.writerow(headers)
        for row in rows:
            writer.writerow([_export_cell(row[h]) for h in headers])
        writer.writerow([watermark])
        response = HttpResponse(buffer.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="orders-{stamp}.csv"'
        return response
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "orders"
    sheet.append(headers)
    for row in rows:
        sheet.append([row[h] if isinstance(row[h], Decimal) else _export_cell(row[h]) for h in headers])
    sheet.append([])
    sheet.append([watermark])
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(
        out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="orders-{stamp}.xlsx"'
    return response


# --- detail, actions, PDF ---------------------------------------------------------------------------


def _actions_for(order: SalesOrder, user: Any) -> list[Any]:
    return [ACTIONS[name] for name in allowed_actions(order, user)]


def _detail_context(request: HttpRequest, order: SalesOrder, **extra: Any) -> dict[str, Any]:
    links = request.session.get(CONFIRM_LINKS_KEY, {})
    link = links.get(str(order.pk), "")
    return {
        "order": order,
        "lines": list(order.lines.all()),
        "events": selectors.order_events(order=order),
        "headline": selectors.headline_status(order),
        "actions": _actions_for(order, request.user),
        "amount_words": amount_in_words_rmb(order.total_amount),
        "confirmation_url": request.build_absolute_uri(link) if link else "",
        "can_edit": order.status == Status.DRAFT and request.user.has_perm("orders.change_salesorder"),
        "can_copy": request.user.has_perm("orders.add_salesorder"),
        "receiver": order.ship_receiver,
        "action_errors": {},
        "open_action": "",
        **extra,
    }


@login_required
@permission_required("orders.view_salesorder", raise_exception=True)
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order_or_404(request, pk)
    return render(request, "orders/detail.html", _detail_context(request, order))


@login_required
@permission_required("orders.view_salesorder", raise_exception=True)
@require_POST
def order_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Run one action from the table (or copy the order); a refusal re-renders the page with its reason."""
    order = _order_or_404(request, pk)
    by = _user(request)
    data = {key: request.POST.get(key, "").strip() for key in ("reason", "comment", "note")}
    try:
        if action == "copy":
            if not by.has_perm("orders.add_salesorder"):
                raise Http404
            copy = services.copy_order(order=order, by=by)
            messages.success(request, _("Copied to draft %(number)s.") % {"number": copy.number})
            return HttpResponseRedirect(reverse("web:order_edit", args=[copy.pk]))
        if action == "send_confirmation":
            link = services.send_confirmation(order=order, by=by)
            links = dict(request.session.get(CONFIRM_LINKS_KEY, {}))
            links[str(order.pk)] = link
            request.session[CONFIRM_LINKS_KEY] = links
            messages.success(request, _("Confirmation link created: send it to the customer."))
        else:
            services.run_action(order=order, action=action, by=by, data=data)
            label = ACTIONS[action].label if action in ACTIONS else action
            messages.success(request, _("Done: %(action)s.") % {"action": label})
    except InvalidInput as exc:
        order = _order_or_404(request, pk)
        ctx = _detail_context(request, order, action_errors=exc.fields, open_action=action, form_data=data)
        return render(request, "orders/detail.html", ctx, status=422)
    except DomainError as exc:
        order = _order_or_404(request, pk)
        ctx = _detail_context(request, order, refusal=exc.message, refusal_fields=exc.fields)
        return render(request, "orders/detail.html", ctx, status=exc.status)
    return HttpResponseRedirect(reverse("web:order_detail", args=[pk]))


def _company() -> dict[str, str]:
    return {
        "name": str(get_parameter("company.name") or "SalesDesk 示例公司"),
        "address": str(get_parameter("company.address") or ""),
        "phone": str(get_parameter("company.phone") or ""),
    }


def pdf_context(order: SalesOrder, *, printed_by: Any) -> dict[str, Any]:
    """Everything the printed order confirmation shows (also used by the tests)."""
    now = timezone.localtime()
    return {
        "order": order,
        "lines": list(order.lines.all()),
        "company": _company(),
        "amount_words": amount_in_words_rmb(order.total_amount),
        "receiver": mask_name(order.ship_receiver) if order.ship_receiver else "",
        "receiver_mobile": mask_mobile(order.ship_mobile) if order.ship_mobile else "",
        "printed_by": getattr(printed_by, "display_name", str(printed_by)),
        "printed_at": now.strftime("%Y-%m-%d %H:%M"),
    }


@login_required
@permission_required("orders.view_salesorder", raise_exception=True)
@require_GET
def order_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order_or_404(request, pk)
    pdf = render_pdf("orders/confirmation_pdf.html", pdf_context(order, printed_by=request.user))
    record_audit(action="orders.print", by=request.user, obj=order, data={"number": order.number})
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{order.number}.pdf"'
    return response


# --- the customer's confirmation page (public) ------------------------------------------------------


def _customer_page(request: HttpRequest, token: str, **extra: Any) -> HttpResponse:
    try:
        order = services.get_order_for_customer(token=token)
    except services.ConfirmationLinkExpired:
        return render(request, "orders/customer_gone.html", {"expired": True}, status=410)
    except (services.ConfirmationLinkInvalid, NotFound):
        return render(request, "orders/customer_gone.html", {"expired": False}, status=404)
    context = {
        "order": order,
        "lines": list(order.lines.all()),
        "company": _company(),
        "amount_words": amount_in_words_rmb(order.total_amount),
        "receiver": mask_name(order.ship_receiver) if order.ship_receiver else "",
        "receiver_mobile": mask_mobile(order.ship_mobile) if order.ship_mobile else "",
        "token": token,
        "errors": {},
        "message": "",
        **extra,
    }
    return render(request, "orders/customer_confirmation.html", context, status=extra.pop("status", 200))


@require_http_methods(["GET", "POST"])
def customer_confirmation(request: HttpRequest, token: str) -> HttpResponse:
    """The page behind the signed link: the customer confirms the order or asks for a change."""
    if request.method == "POST":
        ip = client_ip(request)
        answer = request.POST.get("answer", "")
        message = request.POST.get("message", "").strip()
        try:
            if answer == "confirm":
                services.customer_confirm(token=token, ip=ip)
                return _customer_page(request, token, done="confirmed")
            if answer == "change":
                services.customer_request_change(token=token, message=message, ip=ip)
                return _customer_page(request, token, done="change")
        except services.ConfirmationLinkExpired:
            return render(request, "orders/customer_gone.html", {"expired": True}, status=410)
        except services.ConfirmationLinkInvalid:
            return render(request, "orders/customer_gone.html", {"expired": False}, status=404)
        except InvalidInput as exc:
            return _customer_page(request, token, errors=exc.fields, message=message, status=422)
        except DomainError as exc:
            return _customer_page(request, token, refusal=exc.message, status=exc.status)
    return _customer_page(request, token)


urlpatterns = [
    path("orders/", order_list, name="order_list"),
    path("orders/new/", order_entry, name="order_entry"),
    path("orders/new/customers/", customer_search, name="order_customer_search"),
    path("orders/new/products/", product_search, name="order_product_search"),
    path("orders/new/sidebar/", customer_sidebar, name="order_sidebar"),
    path("orders/new/quote/", order_quote, name="order_quote"),
    path("orders/export/", order_export, name="order_export"),
    path("orders/filters/", saved_filter_save, name="order_filter_save"),
    path("orders/filters/<int:pk>/delete/", saved_filter_delete, name="order_filter_delete"),
    path("orders/<int:pk>/", order_detail, name="order_detail"),
    path("orders/<int:pk>/edit/", order_edit, name="order_edit"),
    path("orders/<int:pk>/actions/<str:action>/", order_action, name="order_action"),
    path("orders/<int:pk>/pdf/", order_pdf, name="order_pdf"),
    path("c/<str:token>/", customer_confirmation, name="customer_confirmation"),
]
