"""Navigation by role: each entry shows only when the user holds its permission and its URL exists.

Entries are grouped into menus so the bar stays short; a group with one visible entry becomes a link.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

Entry = tuple[str, Any, str | None]

NAV_GROUPS: tuple[tuple[Any, tuple[Entry, ...]], ...] = (
    (_("Workbench"), (("web:home", _("Workbench"), None),)),
    (
        _("Sales"),
        (
            ("web:order_entry", _("New order"), "orders.add_salesorder"),
            ("web:order_list", _("Orders"), "orders.view_salesorder"),
            ("web:customer_list", _("Customers"), "customers.view_customer"),
            ("web:pricelist_list", _("Price lists"), "pricing.view_pricelist"),
        ),
    ),
    (
        _("Fulfillment"),
        (
            ("web:queue", _("Work queue"), "fulfillment.view_planstep"),
            ("web:alert_list", _("Alerts"), "fulfillment.view_alert"),
            ("web:shipment_list", _("Shipments"), "shipping.view_shipment"),
            ("web:capacity", _("Capacity"), "fulfillment.view_capacity"),
            ("web:exception_list", _("Exceptions"), "fulfillment.view_orderexception"),
            ("web:kb_list", _("Knowledge base"), "fulfillment.view_article"),
        ),
    ),
    (
        _("Products and stock"),
        (
            ("web:product_list", _("Products"), "catalog.view_product"),
            ("web:stock_list", _("Stock"), "inventory.view_stocklevel"),
            ("web:warehouse_list", _("Warehouses"), "inventory.view_warehouse"),
        ),
    ),
    (
        _("System"),
        (
            ("web:parameter_list", _("Parameters"), "core.view_parameter"),
            ("web:audit_list", _("Audit log"), "core.view_auditlog"),
            ("web:user_list", _("Users"), "accounts.view_user"),
        ),
    ),
)


def _visible(user: Any, entries: tuple[Entry, ...], current: str) -> list[dict[str, Any]]:
    items = []
    for url_name, label, perm in entries:
        if perm and not user.has_perm(perm):
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        items.append({"url": url, "label": label, "active": current == url_name})
    return items


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_groups": []}
    current = getattr(getattr(request, "resolver_match", None), "view_name", "") or ""
    groups = []
    for label, entries in NAV_GROUPS:
        items = _visible(user, entries, current)
        if items:
            groups.append({"label": label, "items": items, "active": any(i["active"] for i in items)})
    return {"nav_groups": groups}
