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
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from salesdesk.core.audit import record_audit
from salesdesk.core.errors import DomainError, InvalidInput
from salesdesk.core.masking import mask_mobile, mask_name
from salesdesk.fulfillment.actions import run_order_action
from salesdesk.fulfillment.models.changes import ExceptionKind, ExceptionStatus
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


COMMENT_PREVIEW = 80
ARROW = " → "


def _text(value: Any) -> str:
    return "" if value in (None, "") else str(value)


def _step_label(data: dict[str, Any]) -> str:
    name = _text(data.get("name"))
    seq = data.get("seq")
    return f"{seq}. {name}" if seq not in (None, "") and name else name


def _span(dates: Any) -> str:
    if not isinstance(dates, dict):
        return ""
    return f"{_text(dates.get('planned_start'))} ~ {_text(dates.get('planned_due'))}"


def _lines_text(lines: Any) -> str:
    if not isinstance(lines, list):
        return ""
    parts = []
    for line in lines:
        if not isinstance(line, dict):
            continue
        what = _text(line.get("sku")) or "#" + _text(line.get("line_no"))
        where = f" ({line['warehouse']})" if line.get("warehouse") else ""
        parts.append(f"{what} × {_text(line.get('qty'))}{where}")
    return "、".join(parts)


def _actor_name(event: Any) -> str:
    actor = event.actor
    return _text(getattr(actor, "display_name", "") if actor is not None else "") or _text(event.actor_name)


def _typed_details(event: Any, event_type: str, data: dict[str, Any]) -> list[tuple[str, str]]:
    """What only one kind of event carries: the comment text, the exception, the step and its moves."""
    details: list[tuple[str, str]] = []
    if event_type == "comment":
        body = Truncator(_text(data.get("body"))).chars(COMMENT_PREVIEW)
        if body:
            # the author's name as the label: 张伟：@planner 客户问能否提前…
            details.append((_actor_name(event) or str(_("Comment")), body))
        if data.get("step"):
            details.append((str(_("Step")), _text(data["step"])))
    elif event_type == "exception":
        kind = _text(data.get("kind"))
        label = str(ExceptionKind(kind).label) if kind in ExceptionKind.values else kind
        title = _text(data.get("title"))
        details.append((str(_("Exception")), " · ".join(part for part in (label, title) if part)))
        status = _text(data.get("status"))
        if status in ExceptionStatus.values:
            details.append((str(_("Status")), str(ExceptionStatus(status).label)))
    elif event_type.startswith("step_") and data.get("name"):
        details.append((str(_("Step")), _step_label(data)))
        old, new = data.get("old"), data.get("new")
        if event_type == "step_reassigned":
            details.append((str(_("Responsible")), f"{_text(old) or '—'}{ARROW}{_text(new)}"))
        elif event_type == "step_redated":
            details.append((str(_("Planned dates")), f"{_span(old)}{ARROW}{_span(new)}"))
        elif event_type == "step_progress" and new not in (None, ""):
            details.append((str(_("Progress")), f"{_text(old) or 0}%{ARROW}{new}%"))
    elif event_type == "plan_generated" and data.get("steps"):
        details.append((str(_("Steps")), _text(data["steps"])))
        if data.get("promised_date"):
            details.append((str(_("Promised date")), _text(data["promised_date"])))
    elif event_type == "plan_replanned":
        moved = data.get("moved")
        if isinstance(moved, list) and moved:
            text = "、".join(
                f"{_step_label(m)} {_text(m.get('old'))}{ARROW}{_text(m.get('new'))}"
                for m in moved
                if isinstance(m, dict)
            )
            details.append((str(_("Moved steps")), text))
    elif event_type in ("shipped", "delivered") and data.get("reference"):
        details.append((str(_("Delivery note")), _text(data["reference"])))
    if event_type in ("shipped", "stock_reserved", "stock_released"):
        lines = _lines_text(data.get("lines"))
        if lines:
            details.append((str(_("Lines")), lines))
    if event_type in ("change_requested", "change_rejected", "changed") and data.get("change_request"):
        details.append((str(_("Change request")), _text(data["change_request"])))
    return details


def _event_details(event: Any) -> list[tuple[str, str]]:
    """The parts of an event's data worth showing, with Chinese labels (never nonces or raw ids).

    Everything comes from the event's own ``data`` (the services store names, titles and texts there), so
    the timeline costs no query per event.
    """
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
    data = event.data if isinstance(event.data, dict) else {}
    event_type = str(event.type)
    details = _typed_details(event, event_type, data)
    for key, label in labels.items():
        value = data.get(key)
        if value in (None, "") or (key == "comment" and event_type == "comment"):
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


def _receiver_context(order: Any, user: Any) -> dict[str, str]:
    """The receiver as this user may see it: full for the order's salesperson and for people who ship or
    hold customers.view_full_contact; masked (李*, 138****8000) for everyone else (DOMAIN.md §9.3)."""
    full = (
        selectors.sees_full_contacts(user, order)
        or user.has_perm("customers.view_full_contact")
        or user.has_perm("shipping.add_shipment")
    )
    if full:
        return {"receiver": order.ship_receiver, "receiver_mobile": order.ship_mobile}
    return {
        "receiver": mask_name(order.ship_receiver) if order.ship_receiver else "",
        "receiver_mobile": mask_mobile(order.ship_mobile) if order.ship_mobile else "",
    }


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
        **_receiver_context(order, request.user),
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
