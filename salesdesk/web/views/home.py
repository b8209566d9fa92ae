"""The workbench's figures, each from the selector of its area."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from salesdesk.customers.selectors import count_customers, list_customers
from salesdesk.inventory.formatting import qty_str
from salesdesk.inventory.selectors import list_low_stock

from .alerts import workbench_alerts_context

LATEST_CUSTOMERS = 5
LOW_STOCK_ROWS = 10


@dataclass(frozen=True)
class QuickLink:
    url: str
    label: str | Promise


# (url name, label, permission needed): shown when the user holds the permission and the page exists.
QUICK_LINKS: tuple[tuple[str, str | Promise, str], ...] = (
    ("web:customer_create", _("New customer"), "customers.add_customer"),
    ("web:customer_list", _("Find a customer"), "customers.view_customer"),
    ("web:product_list", _("Find a product"), "catalog.view_product"),
    ("web:product_create", _("New product"), "catalog.add_product"),
    ("web:stock_list", _("Stock levels"), "inventory.view_stocklevel"),
    ("web:stock_receipt", _("Receive stock"), "inventory.add_stockmove"),
    ("web:alert_list", _("Alert centre"), "fulfillment.view_alert"),
    ("web:user_list", _("Users"), "accounts.view_user"),
    ("web:parameter_list", _("Parameters"), "core.change_parameter"),
    ("web:audit_list", _("Audit log"), "core.view_auditlog"),
)


def quick_links(user: Any) -> list[QuickLink]:
    links = []
    for url_name, label, perm in QUICK_LINKS:
        if not user.has_perm(perm):
            continue
        try:
            links.append(QuickLink(reverse(url_name), label))
        except NoReverseMatch:
            continue
    return links


def workbench_context(user: Any) -> dict[str, Any]:
    """My customers (count and the latest few), low-stock products, my alerts and quick links by role."""
    context: dict[str, Any] = {"quick_links": quick_links(user), "customer_scope": user.data_scope}
    context.update(workbench_alerts_context(user))
    if user.has_perm("customers.view_customer"):
        context["customer_count"] = count_customers(user=user)
        context["latest_customers"] = list(list_customers(user=user, q="")[:LATEST_CUSTOMERS])
    if user.has_perm("inventory.view_stocklevel"):
        context["low_stock"] = [
            {
                "sku": level.product.sku,
                "name": level.product.name,
                "spec": level.product.spec,
                "warehouse": level.warehouse.name,
                "available": qty_str(level.available_qty, level.product.unit_decimals),
                "safety": qty_str(level.safety_qty, level.product.unit_decimals),
                "unit": level.product.unit,
                "product_id": level.product_id,
            }
            for level in list_low_stock(limit=LOW_STOCK_ROWS)
        ]
    return context
