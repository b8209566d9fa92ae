"""Navigation by role: each entry shows only when the user holds its permission and its URL exists."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

NAV: tuple[tuple[str, Any, str | None], ...] = (
    ("web:home", _("Workbench"), None),
    ("web:order_entry", _("New order"), "orders.add_salesorder"),
    ("web:order_list", _("Orders"), "orders.view_salesorder"),
    ("web:queue", _("Work queue"), "fulfillment.view_planstep"),
    ("web:alert_list", _("Alerts"), "fulfillment.view_alert"),
    ("web:shipment_list", _("Shipments"), "shipping.view_shipment"),
    ("web:customer_list", _("Customers"), "customers.view_customer"),
    ("web:product_list", _("Products"), "catalog.view_product"),
    ("web:stock_list", _("Stock"), "inventory.view_stocklevel"),
    ("web:warehouse_list", _("Warehouses"), "inventory.view_warehouse"),
    ("web:pricelist_list", _("Price lists"), "pricing.view_pricelist"),
    ("web:capacity", _("Capacity"), "fulfillment.view_capacity"),
    ("web:kb_list", _("Knowledge base"), "fulfillment.view_article"),
    ("web:parameter_list", _("Parameters"), "core.view_parameter"),
    ("web:audit_list", _("Audit log"), "core.view_auditlog"),
    ("web:user_list", _("Users"), "accounts.view_user"),
)


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = []
    current = getattr(getattr(request, "resolver_match", None), "view_name", "") or ""
    for url_name, label, perm in NAV:
        if perm and not user.has_perm(perm):
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        prefix = url_name.split("_")[0]
        items.append(
            {
                "url": url,
                "label": label,
                "active": current == url_name or (url_name != "web:home" and current.startswith(prefix)),
            }
        )
    return {"nav_items": items}
