"""The public page behind the signed link where a customer confirms an order or asks for a change (C14)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from salesdesk.core.context import client_ip
from salesdesk.core.errors import DomainError, InvalidInput, NotFound
from salesdesk.core.masking import mask_mobile, mask_name
from salesdesk.orders import services
from salesdesk.orders.errors import ConfirmationLinkExpired, ConfirmationLinkInvalid
from salesdesk.pricing.calc import amount_in_words_rmb

from .common import company_info, price_str


def _customer_page(request: HttpRequest, token: str, **extra: Any) -> HttpResponse:
    try:
        order = services.get_order_for_customer(token=token, ip=client_ip(request))
    except ConfirmationLinkExpired:
        return render(request, "orders/customer_gone.html", {"expired": True}, status=410)
    except (ConfirmationLinkInvalid, NotFound):
        return render(request, "orders/customer_gone.html", {"expired": False}, status=404)
    lines = list(order.lines.all())
    for line in lines:
        line.price = price_str(line.unit_price)  # type: ignore[attr-defined]
    context = {
        "order": order,
        "lines": lines,
        "company": company_info(),
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
        except ConfirmationLinkExpired:
            return render(request, "orders/customer_gone.html", {"expired": True}, status=410)
        except ConfirmationLinkInvalid:
            return render(request, "orders/customer_gone.html", {"expired": False}, status=404)
        except InvalidInput as exc:
            return _customer_page(request, token, errors=exc.fields, message=message, status=422)
        except DomainError as exc:
            return _customer_page(request, token, refusal=exc.message, status=exc.status)
    return _customer_page(request, token)
