"""The order detail page with its timeline and the fragments other areas contribute, the actions, and
the printable PDF."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from salesdesk.core.audit import record_audit
from salesdesk.core.errors import DomainError, InvalidInput
from salesdesk.core.masking import mask_mobile, mask_name
from salesdesk.fulfillment.actions import run_order_action
from salesdesk.fulfillment.selectors import order_plan_context
from salesdesk.orders import selectors, services
from salesdesk.orders.choices import PriceMode, Status
from salesdesk.orders.models import SalesOrder
from salesdesk.orders.transitions import ACTIONS, allowed_actions
from salesdesk.pricing.calc import amount_in_words_rmb
from salesdesk.pricing.resolve import SOURCE_LABELS, round_price
from salesdesk.shipping.selectors import order_shipments_context

from ...pdf import render_pdf
from ..alerts import order_alerts_context
from ..changes import order_changes_context
from .common import company_info, order_or_404, price_str, request_user

CONFIRM_LINKS_KEY = "orders.confirmation_links"


def _actions_for(order: SalesOrder, user: Any) -> list[Any]:
    return [ACTIONS[name] for name in allowed_actions(order, user)]


def _event_details(event: Any) -> list[tuple[str, str]]:
    """The parts of an event's data worth showing, with Chinese labels (never nonces or raw ids)."""
    labels = {
        "reason": _("Reason"),
        "comment": _("Comment"),
        "note": _("Note"),
        "message": _("Customer's message"),
        "expires_at": _("Link valid until"),
        "number": _("Order number"),
        "from": _("Copied from"),
        "to": _("Copied to"),
    }
    details: list[tuple[str, str]] = []
    data = event.data or {}
    for key, label in labels.items():
        value = data.get(key)
        if value in (None, ""):
            continue
        if key == "expires_at":
            with contextlib.suppress(ValueError):
                value = timezone.localtime(datetime.fromisoformat(str(value))).strftime("%Y-%m-%d %H:%M")
        details.append((str(label), str(value)))
    duplicates = data.get("duplicates")
    if isinstance(duplicates, list) and duplicates:
        details.append((str(_("Possible duplicates")), "、".join(str(d) for d in duplicates)))
    reasons = data.get("reasons")
    if isinstance(reasons, list) and reasons:
        text = "、".join(services.reason_label(r) for r in reasons if isinstance(r, dict))
        details.append((str(_("Approval reasons")), text))
    shortages = data.get("shortages")
    if isinstance(shortages, list) and shortages:
        text = "、".join(
            _("%(sku)s: %(available)s of %(requested)s available")
            % {
                "sku": s.get("sku", ""),
                "available": s.get("available", ""),
                "requested": s.get("requested", ""),
            }
            for s in shortages
            if isinstance(s, dict)
        )
        details.append((str(_("Short lines")), text))
    return details


def _detail_context(request: HttpRequest, order: SalesOrder, **extra: Any) -> dict[str, Any]:
    links = request.session.get(CONFIRM_LINKS_KEY, {})
    link = links.get(str(order.pk), "")
    lines = list(order.lines.all())
    for line in lines:
        line.source_label = str(SOURCE_LABELS.get(line.price_source, line.price_source))  # type: ignore[attr-defined]
        line.price = price_str(line.unit_price)  # type: ignore[attr-defined]
    events = list(selectors.order_events(order=order))
    for event in events:
        event.details = _event_details(event)  # type: ignore[attr-defined]
    return {
        "order": order,
        "lines": lines,
        "events": events,
        "headline": selectors.headline_status(order),
        "actions": _actions_for(order, request.user),
        "amount_words": amount_in_words_rmb(order.total_amount),
        "approval_reasons": [services.reason_label(r) for r in order.approval_reasons],
        "confirmation_url": request.build_absolute_uri(link) if link else "",
        "can_edit": order.status == Status.DRAFT and request.user.has_perm("orders.change_salesorder"),
        "can_copy": request.user.has_perm("orders.add_salesorder"),
        "receiver": order.ship_receiver,
        "action_errors": {},
        "open_action": "",
        # what fulfillment and shipping show on the order page, each from its own area
        **order_plan_context(order, request.user),
        **order_shipments_context(order=order, user=request.user),
        **order_changes_context(order, request.user),
        **order_alerts_context(order, request.user),
        **extra,
    }


@login_required
@permission_required("orders.view_salesorder", raise_exception=True)
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = order_or_404(request, pk)
    return render(request, "orders/detail.html", _detail_context(request, order))


@login_required
@permission_required("orders.view_salesorder", raise_exception=True)
@require_POST
def order_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Run one action from the table (or copy the order); a refusal re-renders the page with its reason."""
    order = order_or_404(request, pk)
    by = request_user(request)
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
            run_order_action(order=order, action=action, by=by, data=data)
            label = ACTIONS[action].label if action in ACTIONS else action
            messages.success(request, _("Done: %(action)s.") % {"action": label})
    except InvalidInput as exc:
        order = order_or_404(request, pk)
        ctx = _detail_context(request, order, action_errors=exc.fields, open_action=action, form_data=data)
        return render(request, "orders/detail.html", ctx, status=422)
    except DomainError as exc:
        order = order_or_404(request, pk)
        ctx = _detail_context(request, order, refusal=exc.message, refusal_fields=exc.fields)
        return render(request, "orders/detail.html", ctx, status=exc.status)
    return HttpResponseRedirect(reverse("web:order_detail", args=[pk]))


def pdf_context(order: SalesOrder, *, printed_by: Any) -> dict[str, Any]:
    """Everything the printed order confirmation shows (also used by the tests)."""
    lines = list(order.lines.all())
    for line in lines:
        incl = line.unit_price
        if order.price_mode == PriceMode.TAX_EXCLUDED:
            incl = round_price(line.unit_price * (1 + line.tax_rate))
        line.incl_unit_price = price_str(incl)  # type: ignore[attr-defined]
        line.tax_percent = f"{(line.tax_rate * 100).normalize():f}"  # type: ignore[attr-defined]
    who = getattr(printed_by, "display_name", "") or str(printed_by)
    return {
        "order": order,
        "lines": lines,
        "company": company_info(),
        "amount_words": amount_in_words_rmb(order.total_amount),
        "receiver": mask_name(order.ship_receiver) if order.ship_receiver else "",
        "receiver_mobile": mask_mobile(order.ship_mobile) if order.ship_mobile else "",
        "watermark": _("Printed by %(user)s at %(time)s")
        % {"user": who, "time": timezone.localtime().strftime("%Y-%m-%d %H:%M")},
    }


@login_required
@permission_required("orders.view_salesorder", raise_exception=True)
@require_GET
def order_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    order = order_or_404(request, pk)
    pdf = render_pdf("orders/confirmation_pdf.html", pdf_context(order, printed_by=request.user))
    record_audit(action="orders.print", by=request.user, obj=order, data={"number": order.number})
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{order.number}.pdf"'
    return response
