"""Pages for inventory: warehouses, stock levels, the receipt form and the stock ledger."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from salesdesk.core.errors import InvalidInput
from salesdesk.inventory import selectors, services
from salesdesk.inventory.formatting import qty_str
from salesdesk.inventory.models import StockLevel, StockMove, Warehouse

PAGE_SIZE = 50
RECEIPT_ROWS = 5
MAX_RECEIPT_ROWS = 50


def _warehouse_or_404(pk: int) -> Warehouse:
    try:
        return selectors.get_warehouse(pk=pk)
    except Warehouse.DoesNotExist:
        raise Http404 from None


# --- warehouses ----------------------------------------------------------------------------------


@login_required
@permission_required("inventory.view_warehouse", raise_exception=True)
def warehouse_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    page = Paginator(selectors.list_warehouses(q=q), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "inventory/warehouse_list.html",
        {
            "page": page,
            "q": q,
            "query": urlencode({"q": q}) if q else "",
            "can_add": request.user.has_perm("inventory.add_warehouse"),
            "can_change": request.user.has_perm("inventory.change_warehouse"),
        },
    )


def _render_warehouse_form(
    request: HttpRequest,
    *,
    form: dict[str, Any],
    warehouse: Warehouse | None,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "inventory/warehouse_form.html",
        {"form": form, "warehouse": warehouse, "errors": errors or {}},
        status=status,
    )


@login_required
@permission_required("inventory.add_warehouse", raise_exception=True)
@require_http_methods(["GET", "POST"])
def warehouse_create(request: HttpRequest) -> HttpResponse:
    form = {"code": "", "name": "", "address": "", "is_active": True}
    if request.method == "POST":
        code, name, address = (request.POST.get(key, "") for key in ("code", "name", "address"))
        form = {"code": code, "name": name, "address": address, "is_active": True}
        try:
            warehouse = services.create_warehouse(by=request.user, code=code, name=name, address=address)
        except InvalidInput as exc:
            return _render_warehouse_form(request, form=form, warehouse=None, errors=exc.fields, status=422)
        messages.success(request, _("Warehouse %(code)s saved.") % {"code": warehouse.code})
        return HttpResponseRedirect(reverse("web:warehouse_list"))
    return _render_warehouse_form(request, form=form, warehouse=None)


@login_required
@permission_required("inventory.change_warehouse", raise_exception=True)
@require_http_methods(["GET", "POST"])
def warehouse_edit(request: HttpRequest, pk: int) -> HttpResponse:
    warehouse = _warehouse_or_404(pk)
    form: dict[str, Any] = {
        "code": warehouse.code,
        "name": warehouse.name,
        "address": warehouse.address,
        "is_active": warehouse.is_active,
    }
    if request.method == "POST":
        form |= {
            "name": request.POST.get("name", ""),
            "address": request.POST.get("address", ""),
            "is_active": request.POST.get("is_active") == "1",
        }
        try:
            services.update_warehouse(
                by=request.user,
                warehouse=warehouse,
                name=form["name"],
                address=form["address"],
                is_active=form["is_active"],
            )
        except InvalidInput as exc:
            return _render_warehouse_form(
                request, form=form, warehouse=warehouse, errors=exc.fields, status=422
            )
        messages.success(request, _("Warehouse %(code)s saved.") % {"code": warehouse.code})
        return HttpResponseRedirect(reverse("web:warehouse_list"))
    return _render_warehouse_form(request, form=form, warehouse=warehouse)


# --- stock ---------------------------------------------------------------------------------------


def _stock_row(level: StockLevel) -> dict[str, Any]:
    places = level.product.unit_decimals
    return {
        "product": level.product,
        "warehouse": level.warehouse,
        "on_hand": qty_str(level.on_hand_qty, places),
        "reserved": qty_str(level.reserved_qty, places),
        "available": qty_str(level.available_qty, places),
        "safety": qty_str(level.safety_qty, places),
        "is_low": level.available_qty < level.safety_qty,
        "is_negative": level.on_hand_qty < 0,
    }


@login_required
@permission_required("inventory.view_stocklevel", raise_exception=True)
def stock_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    warehouse_code = request.GET.get("warehouse", "").strip()
    low_only = request.GET.get("low") == "1"
    qs = selectors.list_stock_filtered(warehouse=warehouse_code, q=q, low_only=low_only)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = {
        k: v for k, v in (("q", q), ("warehouse", warehouse_code), ("low", "1" if low_only else "")) if v
    }
    return render(
        request,
        "inventory/stock_list.html",
        {
            "page": page,
            "rows": [_stock_row(level) for level in page],
            "q": q,
            "warehouse_code": warehouse_code.upper(),
            "low_only": low_only,
            "warehouses": list(selectors.list_warehouses()),
            "query": urlencode(query),
            "can_receive": request.user.has_perm("inventory.add_stockmove"),
        },
    )


def _receipt_rows(request: HttpRequest) -> list[dict[str, Any]]:
    if request.method == "POST":
        raw = request.POST.get("rows", "")
        count = min(int(raw), MAX_RECEIPT_ROWS) if raw.isdecimal() and int(raw) > 0 else RECEIPT_ROWS
        if "add_row" in request.POST:
            count = min(count + 1, MAX_RECEIPT_ROWS)
        return [
            {
                "product": request.POST.get(f"line-{i}-product", "").strip(),
                "qty": request.POST.get(f"line-{i}-qty", "").strip(),
                "errors": {},
            }
            for i in range(count)
        ]
    return [{"product": "", "qty": "", "errors": {}} for _i in range(RECEIPT_ROWS)]


@login_required
@permission_required("inventory.add_stockmove", raise_exception=True)
@require_http_methods(["GET", "POST"])
def stock_receipt(request: HttpRequest) -> HttpResponse:
    rows = _receipt_rows(request)
    form = {
        "warehouse": request.POST.get("warehouse", request.GET.get("warehouse", "")),
        "reference": request.POST.get("reference", ""),
        "note": request.POST.get("note", ""),
    }
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST" and "add_row" not in request.POST:
        filled = [i for i, row in enumerate(rows) if row["product"] or row["qty"]]
        try:
            moves = services.receive_stock(
                by=request.user,
                warehouse=form["warehouse"],
                lines=[{"product": rows[i]["product"], "qty": rows[i]["qty"]} for i in filled],
                reference=form["reference"],
                note=form["note"],
            )
        except InvalidInput as exc:
            status = 422
            for key, messages_ in exc.fields.items():
                parts = key.split(".")
                if len(parts) == 3 and parts[0] == "lines":
                    rows[filled[int(parts[1])]]["errors"][parts[2]] = messages_
                else:
                    errors[key] = messages_
        else:
            messages.success(
                request,
                _("Receipt booked: %(count)d lines.") % {"count": len(moves)},
            )
            target = reverse("web:stock_list") + "?" + urlencode({"warehouse": moves[0].warehouse.code})
            return HttpResponseRedirect(target)
    return render(
        request,
        "inventory/stock_receipt.html",
        {
            "form": form,
            "rows": rows,
            "errors": errors,
            "has_errors": bool(errors) or any(row["errors"] for row in rows),
            "warehouses": list(selectors.list_warehouses(active_only=True)),
        },
        status=status,
    )


def _move_row(move: StockMove) -> dict[str, Any]:
    places = move.product.unit_decimals
    sign = {StockMove.Kind.ISSUE: "-", StockMove.Kind.RELEASE: "-"}.get(StockMove.Kind(move.kind), "")
    return {
        "move": move,
        "qty": sign + qty_str(move.qty, places),
        "on_hand_after": qty_str(move.on_hand_after, places),
        "reserved_after": qty_str(move.reserved_after, places),
    }


@login_required
@permission_required("inventory.view_stocklevel", raise_exception=True)
def stock_moves(request: HttpRequest) -> HttpResponse:
    product = request.GET.get("product", "").strip()
    warehouse_code = request.GET.get("warehouse", "").strip()
    reference = request.GET.get("reference", "").strip()
    qs = selectors.list_moves_filtered(product=product, warehouse=warehouse_code, reference=reference)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = {
        k: v for k, v in (("product", product), ("warehouse", warehouse_code), ("reference", reference)) if v
    }
    return render(
        request,
        "inventory/stock_moves.html",
        {
            "page": page,
            "rows": [_move_row(m) for m in page],
            "product": product,
            "warehouse_code": warehouse_code.upper(),
            "reference": reference,
            "warehouses": list(selectors.list_warehouses()),
            "query": urlencode(query),
        },
    )


urlpatterns = [
    path("inventory/warehouses/", warehouse_list, name="warehouse_list"),
    path("inventory/warehouses/new/", warehouse_create, name="warehouse_create"),
    path("inventory/warehouses/<int:pk>/edit/", warehouse_edit, name="warehouse_edit"),
    path("inventory/stock/", stock_list, name="stock_list"),
    path("inventory/stock/receipt/", stock_receipt, name="stock_receipt"),
    path("inventory/moves/", stock_moves, name="stock_moves"),
]
