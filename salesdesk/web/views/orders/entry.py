"""Order entry: the keyboard-first entry page with live quotes, review and submit, editing a draft, and
the htmx partials (customer and product search, customer sidebar, quote)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from salesdesk.catalog.selectors import search_products
from salesdesk.core.errors import DomainError, InvalidInput, NotFound
from salesdesk.core.parameters import get_parameter
from salesdesk.customers import selectors as customer_selectors
from salesdesk.customers.models import Customer
from salesdesk.fulfillment.actions import advance_draft, clean_note, place_order
from salesdesk.orders import selectors, services
from salesdesk.orders.choices import BEHAVIOUR, OrderType, PriceMode, Status
from salesdesk.orders.errors import PossibleDuplicate, StaleOrder
from salesdesk.orders.models import SalesOrder

from .common import order_or_404, request_user
from .entry_form import (
    HEADER_FIELDS,
    LINE_FIELDS,
    blank_line,
    filled_lines,
    form_from_order,
    form_from_post,
    line_cells,
    map_errors,
    order_kwargs,
    quote_context,
    round_off_choices,
)


def _customer_for(request: HttpRequest, raw: str) -> Customer | None:
    if not raw:
        return None
    try:
        return customer_selectors.get_customer(user=request.user, pk=raw)
    except NotFound:
        return None


def _entry_context(
    request: HttpRequest,
    form: dict[str, Any],
    *,
    order: SalesOrder | None = None,
    errors: dict[str, list[str]] | None = None,
    conflict: str = "",
) -> dict[str, Any]:
    customer = _customer_for(request, form["customer"])
    lines = list(form["lines"]) or [blank_line(0)]
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
        "round_offs": round_off_choices(),
        "quote_result": None,
        "blank_row": {**blank_line(0), "index": "__N__", "errors": {}},
        "sidebar": selectors.customer_sidebar(user=request.user, customer=customer) if customer else None,
    }


def _render_entry(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, "orders/entry.html", context, status=status)


def _safe_quote(
    request: HttpRequest, form: dict[str, Any], customer: Customer | None
) -> dict[str, Any] | None:
    """The live quote of the form as it stands; None until a customer and a product are chosen."""
    if customer is None:
        return None
    lines = [row for row in filled_lines(form) if row["product"]]
    if not lines:
        return None
    sub = dict(form, lines=lines)
    kwargs = order_kwargs(sub, customer)
    try:
        quote = services.quote_order(
            by=request_user(request),
            customer=customer,
            lines=kwargs["lines"],
            price_mode=kwargs["price_mode"],
            order_discount_amount=kwargs["order_discount_amount"],
            round_off=kwargs["round_off"],
            order_type=kwargs["order_type"],
        )
    except InvalidInput as exc:
        return {"errors": map_errors(exc.fields, sub)}
    return quote_context(quote, sub)


# --- entry, review, submit ---------------------------------------------------------------------------


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
            "lines": [blank_line(0)],
        }
    )
    customer = _customer_for(request, request.GET.get("customer", ""))
    if customer is not None:
        form["customer"], form["customer_label"] = str(customer.pk), customer.name
    return form


def _review(
    request: HttpRequest,
    form: dict[str, Any],
    *,
    order: SalesOrder | None,
    note_error: str = "",
) -> HttpResponse:
    """Price everything once more and show what the customer will be asked to confirm."""
    customer = _customer_for(request, form["customer"])
    if customer is None:
        errors = {"customer": [_("Choose a customer.")]}
        return _render_entry(request, _entry_context(request, form, order=order, errors=errors), 422)
    kwargs = order_kwargs(form, customer)
    if not kwargs["lines"]:
        errors = {"lines": [_("Add at least one line.")]}
        return _render_entry(request, _entry_context(request, form, order=order, errors=errors), 422)
    try:
        quote = services.quote_order(
            by=request_user(request),
            customer=customer,
            lines=kwargs["lines"],
            price_mode=kwargs["price_mode"],
            order_discount_amount=kwargs["order_discount_amount"],
            round_off=kwargs["round_off"],
            order_type=kwargs["order_type"],
        )
    except InvalidInput as exc:
        ctx = _entry_context(request, form, order=order, errors=map_errors(exc.fields, form))
        return _render_entry(request, ctx, 422)
    return _render_review(
        request,
        form,
        customer=customer,
        quote=quote,
        order=order,
        note_error=note_error,
        status=422 if note_error else 200,
    )


def _render_review(
    request: HttpRequest,
    form: dict[str, Any],
    *,
    customer: Customer,
    quote: Any,
    order: SalesOrder | None,
    duplicates: list[str] | None = None,
    status: int = 200,
    note_error: str = "",
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
    own = {"csrfmiddlewaretoken", "step", "token", "acknowledge_duplicate", "customer_confirmation"}
    hidden = [(k, v) for k, v in request.POST.items() if k not in own]
    context = {
        "form": form,
        "customer": customer,
        "address": address,
        "order": order,
        "hidden": hidden,
        "order_type_label": dict(OrderType.choices).get(form["order_type"], ""),
        "price_mode_label": dict(PriceMode.choices).get(form["price_mode"], ""),
        "duplicates": duplicates or [],
        "needs_customer_confirmation": _needs_customer(form),
        "customer_confirmation": request.POST.get("customer_confirmation", ""),
        "note_error": note_error,
        **quote_context(quote, form),
    }
    return render(request, "orders/review.html", context, status=status)


def _needs_customer(form: dict[str, Any]) -> bool:
    behaviour = BEHAVIOUR.get(form["order_type"] or str(get_parameter("orders.default_type")))
    return behaviour is None or behaviour.requires_customer_confirmation


def _confirm_note(request: HttpRequest, form: dict[str, Any]) -> tuple[str, str]:
    """(note, error) for "submit and confirm": how the customer confirmed, required when the order type
    asks for the customer's confirmation."""
    raw = str(request.POST.get("customer_confirmation") or "").strip()
    if not raw and _needs_customer(form):
        return "", _(
            "Say how the customer confirmed (for example 电话确认), or submit and send the customer the "
            "confirmation link."
        )
    try:
        return clean_note(raw), ""
    except InvalidInput as exc:
        return "", exc.fields["customer_confirmation"][0]


def _save(
    request: HttpRequest,
    form: dict[str, Any],
    *,
    order: SalesOrder | None,
    submit: bool,
    confirm: bool = False,
) -> HttpResponse:
    note = ""
    if confirm:
        note, error = _confirm_note(request, form)
        if error:
            return _review(request, form, order=order, note_error=error)
    customer = _customer_for(request, form["customer"])
    kwargs = order_kwargs(form, customer)
    by = request_user(request)
    try:
        if order is None:  # new; with "submit and confirm" taken on in the same transaction
            saved = place_order(
                by=by,
                submit=confirm,
                customer_confirmation=note,
                confirm=confirm,
                idempotency_key=form["token"],
                acknowledge_duplicate=form["acknowledge_duplicate"],
                **kwargs,
            )
        else:
            # a missing or tampered version can only be stale: update_order answers with the conflict
            version_text = str(form["version"] or "")
            version = int(version_text) if version_text.isdecimal() else 0
            saved = services.update_order(order=order, by=by, version=version, **kwargs)
    except PossibleDuplicate as exc:
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
    except StaleOrder as exc:
        ctx = _entry_context(request, form, order=order, conflict=exc.message)
        return _render_entry(request, ctx, 409)
    except InvalidInput as exc:
        ctx = _entry_context(request, form, order=order, errors=map_errors(exc.fields, form))
        return _render_entry(request, ctx, 422)
    replayed = getattr(saved, "replayed", False)
    if confirm and not replayed and (order is None or saved.status == Status.DRAFT):
        if order is not None:  # an edited draft: the steps follow the edit
            saved = advance_draft(order=saved, by=by, submit=True, note=note, confirm=True)
        stopped = getattr(saved, "stopped", None)
        if stopped is not None:
            messages.error(request, stopped.message)
        elif saved.status == Status.CONFIRMED:
            done = _("Order %(number)s submitted and confirmed.") % {"number": saved.number}
            messages.success(request, done)
        else:
            messages.warning(
                request,
                _("Order %(number)s submitted, not yet confirmed: %(status)s.")
                % {"number": saved.number, "status": selectors.headline_status(saved)[1]},
            )
    elif submit and saved.status == Status.DRAFT:
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
        form = form_from_post(request.POST)
        if order is not None and not form["version"]:
            form["version"] = str(order.version)
        step = request.POST.get("step", "review")
        if step == "review":
            return _review(request, form, order=order)
        if step in ("submit", "save", "confirm"):
            return _save(request, form, order=order, submit=step == "submit", confirm=step == "confirm")
        return _render_entry(request, _entry_context(request, form, order=order))
    form = form_from_order(order) if order is not None else _new_form(request)
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
    order = order_or_404(request, pk)
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
        q = next((str(v) for k, v in request.GET.items() if k.endswith("product_label")), "")
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
    form = form_from_post(request.POST)
    customer = _customer_for(request, form["customer"])
    result = _safe_quote(request, form, customer)
    context = {"quote_result": result, "line_cells": line_cells(form, result), "oob": True}
    return render(request, "orders/_quote.html", context)
