"""The roles of PRODUCT.md as data: their Chinese names, permissions and data scope.

Groups are created from this table by a migration (``sync_role_groups``); a user's roles are the
groups they belong to. Data scope: the widest scope among the user's roles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Scope:
    OWN = "own"
    TEAM = "team"
    ALL = "all"
    ORDER = {OWN: 0, TEAM: 1, ALL: 2}


@dataclass(frozen=True)
class Role:
    code: str
    label: str | Promise
    scope: str
    permissions: tuple[str, ...]


_CUSTOMER_RW = ("customers.view_customer", "customers.add_customer", "customers.change_customer")
_CATALOG_R = (
    "catalog.view_product",
    "inventory.view_warehouse",
    "inventory.view_stocklevel",
    "pricing.view_pricelist",
    "orders.view_salesorder",
)
_ORDERS_RW = ("orders.add_salesorder", "orders.change_salesorder")
# Fulfillment and shipping: everyone sees plans, alerts, shipments and the knowledge base, and may
# comment, report exceptions and write articles.
_COLLAB = (
    "fulfillment.view_planstep",
    "fulfillment.view_alert",
    "fulfillment.view_capacity",
    "fulfillment.view_article",
    "fulfillment.add_article",
    "fulfillment.add_comment",
    "fulfillment.view_orderexception",
    "fulfillment.add_orderexception",
    "fulfillment.view_changerequest",
    "shipping.view_shipment",
)
_PLANNING = (
    "fulfillment.change_planstep",
    "fulfillment.reassign_planstep",
    "fulfillment.change_capacity",
    "fulfillment.add_plantemplate",
    "fulfillment.change_plantemplate",
    "fulfillment.view_plantemplate",
    "fulfillment.change_orderexception",
)
_SHIPPING_RW = ("shipping.add_shipment", "shipping.change_shipment", "shipping.add_trackingevent")
_PRICING_RW = ("pricing.add_pricelist", "pricing.change_pricelist")

ROLES: tuple[Role, ...] = (
    Role("salesperson", _("Salesperson"), Scope.OWN, (*_CUSTOMER_RW, *_CATALOG_R, *_ORDERS_RW)),
    Role(
        "manager",
        _("Sales manager"),
        Scope.TEAM,
        (
            *_CUSTOMER_RW,
            *_CATALOG_R,
            *_ORDERS_RW,
            *_PRICING_RW,
            "customers.view_full_contact",
            "customers.reassign_customer",
            "orders.approve_salesorder",
            "orders.export_salesorder",
        ),
    ),
    Role("planner", _("Planner / production"), Scope.ALL, ("customers.view_customer", *_CATALOG_R)),
    Role(
        "warehouse",
        _("Warehouse & logistics"),
        Scope.ALL,
        (
            "customers.view_customer",
            *_CATALOG_R,
            "inventory.add_stockmove",
            "inventory.adjust_stock",
            "inventory.add_warehouse",
            "inventory.change_warehouse",
        ),
    ),
    Role(
        "finance",
        _("Finance"),
        Scope.ALL,
        (
            "customers.view_customer",
            "customers.change_customer",
            "customers.view_full_contact",
            "orders.export_salesorder",
            *_CATALOG_R,
        ),
    ),
    Role("service", _("After-sales"), Scope.ALL, ("customers.view_customer", *_CATALOG_R)),
    Role(
        "administrator",
        _("Administrator"),
        Scope.ALL,
        (
            *_CUSTOMER_RW,
            "customers.view_full_contact",
            "customers.reassign_customer",
            *_CATALOG_R,
            "catalog.add_product",
            "catalog.change_product",
            "catalog.add_category",
            "catalog.change_category",
            "inventory.add_stockmove",
            "inventory.adjust_stock",
            "inventory.add_warehouse",
            "inventory.change_warehouse",
            "core.view_parameter",
            "core.change_parameter",
            "core.view_auditlog",
            "accounts.view_user",
            "accounts.add_user",
            "accounts.change_user",
            *_ORDERS_RW,
            *_PRICING_RW,
            "orders.approve_salesorder",
            "orders.export_salesorder",
        ),
    ),
)
# The catalogue is maintained by administrators and, for products, by managers too.
ROLES = tuple(
    Role(r.code, r.label, r.scope, (*r.permissions, "catalog.add_product", "catalog.change_product"))
    if r.code == "manager"
    else r
    for r in ROLES
)
_EXTRA: dict[str, tuple[str, ...]] = {
    "salesperson": (*_COLLAB, "fulfillment.add_changerequest", "fulfillment.change_planstep"),
    "manager": (
        *_COLLAB,
        "fulfillment.add_changerequest",
        "fulfillment.approve_changerequest",
        "fulfillment.change_orderexception",
        "fulfillment.change_planstep",
        "fulfillment.reassign_planstep",
    ),
    "planner": (*_COLLAB, *_PLANNING),
    "warehouse": (*_COLLAB, *_SHIPPING_RW, "fulfillment.change_planstep"),
    "finance": (*_COLLAB, "fulfillment.change_planstep"),
    "service": (*_COLLAB, "fulfillment.change_planstep", "fulfillment.change_orderexception"),
    "administrator": (
        *_COLLAB,
        *_PLANNING,
        *_SHIPPING_RW,
        "fulfillment.add_changerequest",
        "fulfillment.approve_changerequest",
    ),
}
ROLES = tuple(Role(r.code, r.label, r.scope, (*r.permissions, *_EXTRA.get(r.code, ()))) for r in ROLES)
ROLE_BY_CODE = {r.code: r for r in ROLES}


def sync_role_groups(apps: object, schema_editor: object = None) -> None:
    """Create or update one group per role with exactly its permissions (idempotent)."""
    from django.contrib.auth.management import create_permissions

    app_registry: Any = apps  # historical registry inside a migration, or django.apps.apps
    for app_config in app_registry.get_app_configs():  # type: ignore[attr-defined]
        if getattr(app_config, "models_module", None) is None:  # a migration's historical app
            app_config.models_module = True
            create_permissions(app_config, apps=app_registry, verbosity=0)
            app_config.models_module = None
        else:
            create_permissions(app_config, apps=app_registry, verbosity=0)
    group_model = app_registry.get_model("auth", "Group")  # type: ignore[attr-defined]
    permission_model = app_registry.get_model("auth", "Permission")  # type: ignore[attr-defined]
    for role in ROLES:
        group, _created = group_model.objects.get_or_create(name=role.code)
        perms = []
        for full in role.permissions:
            app_label, codename = full.split(".")
            perm = permission_model.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if perm is not None:
                perms.append(perm)
        group.permissions.set(perms)


def sync_roles_after_migrate(sender: object, **kwargs: object) -> None:
    """Keep the role groups' permissions equal to this table after every migrate (new apps too)."""
    from django.apps import apps as global_apps

    if getattr(sender, "label", None) != "accounts":
        return
    sync_role_groups(kwargs.get("apps") or global_apps)
