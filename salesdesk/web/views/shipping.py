"""Pages for shipping (C10): the warehouse queue, shipping an order, a shipment with its tracking and
sign-off, the tracking import and the printed delivery note (送货单)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from salesdesk.core.audit import record_audit
from salesdesk.core.errors import DomainError, InvalidInput, NotFound
from salesdesk.core.parameters import get_parameter
from salesdesk.inventory import selectors as inventory_selectors
from salesdesk.inventory.formatting import qty_str
from salesdesk.orders import selectors as order_selectors
from salesdesk.orders.models import SalesOrder
from salesdesk.shipping import selectors, services
from salesdesk.shipping.carriers import CARRIERS, carrier_name, suggest_carrier
from salesdesk.shipping.models import Shipment, ShipmentStatus

from ..pdf import render_pdf

PAGE_SIZE = 50
QUEUE_SIZE = 50


def _order_or_404(request: HttpRequest, pk: int) -> SalesOrder:
    try:
        return order_selectors.get_order(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None


def _shipment_or_404(request: HttpRequest, pk: int) -> Shipment:
    try:
        return selectors.get_shipment(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None


# --- the warehouse queue and recent shipments ---------------------------------------------------------


@login_required
@permission_required("shipping.view_shipment", raise_exception=True)
@require_GET
def shipment_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    status = request.GET.get("status", "").strip()
    shipments = selectors.list_shipments(user=request.user, q=q, status=status)
    page = Paginator(shipments, PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in (("q", q), ("status", status)) if v})
    return render(
        request,
        "shipping/list.html",
        {
            "queue": list(selectors.shipping_queue(user=request.user)[:QUEUE_SIZE]),
            "page": page,
            "q": q,
            "status": status,
            "statuses": ShipmentStatus.choices,
            "query": query,
            "carriers": CARRIERS,
            "can_ship": request.user.has_perm("shipping.add_shipment"),
            "can_import": request.user.has_perm("shipping.add_trackingevent"),
        },
    )


# --- shipping an order -------------------------------------------------------------------------------


def _create_context(
    request: HttpRequest,
    order: SalesOrder,
    *,
    form: dict[str, Any],
    quantities: dict[int, str],
    errors: dict[str, list[str]] | None = None,
    refusal: str = "",
) -> dict[str, Any]:
    backorders = selectors.backorder_lines(order=order)
    errors = errors or {}
    rows = []
    for index, item in enumerate(backorders):
        line = item.line
        places = line.product.unit_decimals
        rows.append(
            {
                "index": index,
                "line": line,
                "ordered": qty_str(line.qty, places),
                "shipped": qty_str(line.shipped_qty, places),
                "reserved": qty_str(line.reserved_qty, places),
                "remaining": item.remaining_text,
                "qty": quantities.get(line.pk, item.remaining_text),
                "errors": errors.get(f"lines.{index}.qty", []) + errors.get(f"lines.{index}.order_line", []),
            }
        )
    return {
        "order": order,
        "rows": rows,
        "form": form,
        "errors": errors,
        "refusal": refusal,
        "warehouses": list(inventory_selectors.list_warehouses(active_only=True)),
        "carriers": CARRIERS,
        "suggestions": suggest_carrier(form.get("tracking_number", "")),
    }


@login_required
@permission_required("shipping.add_shipment", raise_exception=True)
@require_http_methods(["GET", "POST"])
def shipment_create(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order_or_404(request, pk)
    backorders = selectors.backorder_lines(order=order)
    default_wh = next((b.line.warehouse.code for b in backorders if b.line.warehouse is not None), "")
    form = {"warehouse": default_wh, "carrier": "", "tracking_number": ""}
    if request.method == "GET":
        return render(
            request, "shipping/create.html", _create_context(request, order, form=form, quantities={})
        )
    form = {key: request.POST.get(key, "").strip() for key in ("warehouse", "carrier", "tracking_number")}
    quantities = {b.line.pk: request.POST.get(f"line-{b.line.pk}-qty", "").strip() for b in backorders}
    lines = [{"order_line": b.line.pk, "qty": quantities[b.line.pk]} for b in backorders]
    try:
        shipment = services.create_shipment(
            order=order,
            warehouse=form["warehouse"],
            lines=lines,
            carrier=form["carrier"],
            tracking_number=form["tracking_number"],
            by=request.user,
        )
    except InvalidInput as exc:
        ctx = _create_context(request, order, form=form, quantities=quantities, errors=exc.fields)
        return render(request, "shipping/create.html", ctx, status=422)
    except DomainError as exc:
        ctx = _create_context(request, order, form=form, quantities=quantities, refusal=exc.message)
        return render(request, "shipping/create.html", ctx, status=exc.status)
    messages.success(request, _("Shipment %(number)s was shipped.") % {"number": shipment.number})
    return HttpResponseRedirect(reverse("web:shipment_detail", args=[shipment.pk]))


@login_required
@require_GET
def carrier_suggest(request: HttpRequest) -> HttpResponse:
    number = request.GET.get("tracking_number", "")
    return render(
        request,
        "shipping/_carrier_suggest.html",
        {"suggestions": suggest_carrier(number), "number": number.strip()},
    )


# --- one shipment ------------------------------------------------------------------------------------


def _detail_context(
    request: HttpRequest,
    shipment: Shipment,
    *,
    event_form: dict[str, str] | None = None,
    event_errors: dict[str, list[str]] | None = None,
    sign_form: dict[str, str] | None = None,
    sign_errors: dict[str, list[str]] | None = None,
    refusal: str = "",
) -> dict[str, Any]:
    user = request.user
    return {
        "shipment": shipment,
        "order": shipment.order,
        "receiver_view": selectors.receiver_view(user=user, shipment=shipment),
        "lines": _pdf_lines(shipment),
        "events": list(shipment.tracking_events.all()),
        "carrier_label": carrier_name(shipment.carrier),
        "event_form": event_form or {"occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")},
        "event_errors": event_errors or {},
        "sign_form": sign_form
        or {
            "signed_by_name": shipment.receiver,
            "signed_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        },
        "sign_errors": sign_errors or {},
        "refusal": refusal,
        "can_track": user.has_perm("shipping.add_trackingevent")
        and shipment.status in (ShipmentStatus.SHIPPED, ShipmentStatus.IN_TRANSIT, ShipmentStatus.DELIVERED),
        "can_sign": user.has_perm("shipping.change_shipment")
        and shipment.status in (ShipmentStatus.SHIPPED, ShipmentStatus.IN_TRANSIT),
    }


@login_required
@permission_required("shipping.view_shipment", raise_exception=True)
@require_GET
def shipment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    shipment = _shipment_or_404(request, pk)
    return render(request, "shipping/detail.html", _detail_context(request, shipment))


@login_required
@permission_required("shipping.add_trackingevent", raise_exception=True)
@require_POST
def shipment_event_add(request: HttpRequest, pk: int) -> HttpResponse:
    shipment = _shipment_or_404(request, pk)
    form = {key: request.POST.get(key, "").strip() for key in ("occurred_at", "location", "description")}
    try:
        services.add_tracking_event(
            shipment=shipment,
            occurred_at=form["occurred_at"],
            description=form["description"],
            location=form["location"],
            source="web",
            by=request.user,
        )
    except InvalidInput as exc:
        ctx = _detail_context(request, shipment, event_form=form, event_errors=exc.fields)
        return render(request, "shipping/detail.html", ctx, status=422)
    except DomainError as exc:
        ctx = _detail_context(request, shipment, event_form=form, refusal=exc.message)
        return render(request, "shipping/detail.html", ctx, status=exc.status)
    messages.success(request, _("The tracking event was added."))
    return HttpResponseRedirect(reverse("web:shipment_detail", args=[pk]))


@login_required
@permission_required("shipping.change_shipment", raise_exception=True)
@require_POST
def shipment_sign(request: HttpRequest, pk: int) -> HttpResponse:
    shipment = _shipment_or_404(request, pk)
    form = {key: request.POST.get(key, "").strip() for key in ("signed_by_name", "signed_at", "note")}
    try:
        services.sign_shipment(
            shipment=shipment,
            signed_by_name=form["signed_by_name"],
            signed_at=form["signed_at"] or None,
            note=form["note"],
            by=request.user,
        )
    except InvalidInput as exc:
        ctx = _detail_context(request, shipment, sign_form=form, sign_errors=exc.fields)
        return render(request, "shipping/detail.html", ctx, status=422)
    except DomainError as exc:
        ctx = _detail_context(request, shipment, sign_form=form, refusal=exc.message)
        return render(request, "shipping/detail.html", ctx, status=exc.status)
    messages.success(request, _("The sign-off was recorded."))
    return HttpResponseRedirect(reverse("web:shipment_detail", args=[pk]))


# --- the delivery note (送货单) ----------------------------------------------------------------------


def _pdf_lines(shipment: Shipment) -> list[dict[str, Any]]:
    return [
        {
            "line_no": row.order_line.line_no,
            "sku": row.order_line.sku,
            "name": row.order_line.product_name,
            "spec": row.order_line.spec,
            "unit": row.order_line.unit,
            "qty": qty_str(row.qty, row.order_line.product.unit_decimals),
        }
        for row in shipment.lines.all()
    ]


def delivery_note_context(shipment: Shipment, *, printed_by: Any) -> dict[str, Any]:
    """What the printed delivery note shows; the receiver is printed in full (it goes with the goods
    to the named receiver, not on an outside waybill)."""
    who = getattr(printed_by, "display_name", "") or str(printed_by)
    return {
        "shipment": shipment,
        "order": shipment.order,
        "lines": _pdf_lines(shipment),
        "carrier_label": carrier_name(shipment.carrier),
        "company": {
            "name": str(get_parameter("company.name") or ""),
            "address": str(get_parameter("company.address") or ""),
            "phone": str(get_parameter("company.phone") or ""),
        },
        "printed": _("Printed by %(user)s at %(time)s")
        % {"user": who, "time": timezone.localtime().strftime("%Y-%m-%d %H:%M")},
    }


@login_required
@permission_required("shipping.view_shipment", raise_exception=True)
@require_GET
def shipment_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    shipment = _shipment_or_404(request, pk)
    pdf = render_pdf(
        "shipping/delivery_note_pdf.html", delivery_note_context(shipment, printed_by=request.user)
    )
    record_audit(action="shipment.print", by=request.user, obj=shipment, data={"number": shipment.number})
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{shipment.number}.pdf"'
    return response


# --- tracking import ---------------------------------------------------------------------------------


@login_required
@permission_required("shipping.add_trackingevent", raise_exception=True)
@require_http_methods(["GET", "POST"])
def tracking_import(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "shipping/tracking_import.html", {"errors": {}, "report": None})
    upload = request.FILES.get("file")
    if upload is None:
        errors = {"file": [_("Choose an Excel file.")]}
        return render(
            request, "shipping/tracking_import.html", {"errors": errors, "report": None}, status=422
        )
    try:
        report = services.import_tracking_events(file=upload, by=request.user)
    except InvalidInput as exc:
        return render(
            request, "shipping/tracking_import.html", {"errors": exc.fields, "report": None}, status=422
        )
    return render(request, "shipping/tracking_import.html", {"errors": {}, "report": report.as_dict()})


urlpatterns: list[URLPattern] = [
    path("shipments/", shipment_list, name="shipment_list"),
    path("shipments/carrier-suggest/", carrier_suggest, name="carrier_suggest"),
    path("shipments/tracking-import/", tracking_import, name="tracking_import"),
    path("shipments/<int:pk>/", shipment_detail, name="shipment_detail"),
    path("shipments/<int:pk>/events/", shipment_event_add, name="shipment_event_add"),
    path("shipments/<int:pk>/sign/", shipment_sign, name="shipment_sign"),
    path("shipments/<int:pk>/pdf/", shipment_pdf, name="shipment_pdf"),
    path("orders/<int:pk>/ship/", shipment_create, name="shipment_create"),
]
