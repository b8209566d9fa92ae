"""The order list with its filters, saved filters, and the Excel/CSV export."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from salesdesk.catalog.selectors import get_product_by_sku
from salesdesk.core.audit import record_audit
from salesdesk.core.errors import DomainError, InvalidInput, NotFound
from salesdesk.customers import selectors as customer_selectors
from salesdesk.orders import selectors, services
from salesdesk.orders.choices import Status

from .common import request_user

LIST_FILTERS = ("q", "customer", "phone", "product", "salesperson", "status", "date_from", "date_to")


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


def _selector_filters(request: HttpRequest, values: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Page filters → list_orders keywords, and a message when the customer text is ambiguous.

    The customer box takes a name, code or pinyin: one matching customer filters by it; none or several
    match no order (the message says which). An unknown SKU also matches no order.
    """
    message = ""
    customer: int | None = None
    if values["customer"]:
        found = list(customer_selectors.list_customers(user=request.user, q=values["customer"])[:2])
        if len(found) == 1:
            customer = found[0].pk
        else:
            customer = 0
            message = (
                _("No customer matches.") if not found else _("Several customers match: be more specific.")
            )
    product: int | None = None
    if values["product"]:
        try:
            product = get_product_by_sku(sku=values["product"]).pk
        except DomainError:
            product = 0
    filters = {
        "q": values["q"],
        "status": values["status"],
        "customer": customer,
        "salesperson": int(values["salesperson"]) if values["salesperson"].isdecimal() else None,
        "product": product,
        "phone": values["phone"],
        "date_from": _parse_date(values["date_from"]),
        "date_to": _parse_date(values["date_to"]),
    }
    return filters, message


@login_required
@permission_required("orders.view_salesorder", raise_exception=True)
def order_list(request: HttpRequest) -> HttpResponse:
    values = _filters(request)
    after_raw = request.GET.get("after", "")
    after = int(after_raw) if after_raw.isdecimal() else None
    filters, customer_error = _selector_filters(request, values)
    rows, next_after = selectors.page_orders(user=request.user, after=after, **filters)
    query = urlencode({k: v for k, v in values.items() if v})
    context = {
        "rows": [{"order": o, "headline": selectors.headline_status(o)} for o in rows],
        "filters": values,
        "customer_error": customer_error,
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
        services.save_filter(by=request_user(request), name=name, query=query)
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
        services.delete_filter(by=request_user(request), pk=pk)
    except NotFound:
        raise Http404 from None
    messages.success(request, _("Saved filter deleted."))
    return HttpResponseRedirect(reverse("web:order_list"))


EXPORT_LABELS: dict[str, Any] = {
    "number": gettext_lazy("Order number"),
    "order_date": gettext_lazy("Order date"),
    "order_type": gettext_lazy("Order type"),
    "status": gettext_lazy("Status"),
    "customer_code": gettext_lazy("Customer code"),
    "customer_name": gettext_lazy("Customer"),
    "customer_po": gettext_lazy("Customer PO number"),
    "contact_name": gettext_lazy("Contact"),
    "contact_phone": gettext_lazy("Contact phone"),
    "ship_receiver": gettext_lazy("Receiver"),
    "ship_mobile": gettext_lazy("Receiver mobile"),
    "ship_address": gettext_lazy("Delivery address"),
    "salesperson": gettext_lazy("Salesperson"),
    "total_amount": gettext_lazy("Total (tax incl.)"),
    "net_amount": gettext_lazy("Amount (tax excl.)"),
    "tax_amount": gettext_lazy("Tax"),
    "discount_amount": gettext_lazy("Discount"),
}


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
    filters, _message = _selector_filters(request, values)
    rows = list(selectors.export_rows(user=request.user, filters=filters))
    keys = list(rows[0].keys()) if rows else list(EXPORT_LABELS)
    headers = [str(EXPORT_LABELS.get(key, key)) for key in keys]
    record_audit(
        action="orders.export",
        by=request.user,
        obj=None,
        data={"filters": {k: v for k, v in values.items() if v}, "rows": len(rows), "format": fmt},
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    watermark = _("Exported by %(user)s at %(time)s") % {
        "user": request_user(request).display_name,
        "time": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
    }
    if fmt == "csv":
        buffer = io.StringIO()
        buffer.write("\ufeff")
        writer = csv.writer(buffer)
        writer.writerow(headers)
        for row in rows:
            writer.writerow([_export_cell(row[k]) for k in keys])
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
        sheet.append([row[k] if isinstance(row[k], Decimal) else _export_cell(row[k]) for k in keys])
    sheet.append([])
    sheet.append([watermark])
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(
        out.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="orders-{stamp}.xlsx"'
    return response
