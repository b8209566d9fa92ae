"""Helpers for order tests: a customer owned by a salesperson, products with stock, a ready draft."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from salesdesk.catalog.models import Product
from salesdesk.catalog.tests.factories import ProductFactory
from salesdesk.customers.models import Customer
from salesdesk.customers.tests.factories import AddressFactory, ContactFactory, CustomerFactory
from salesdesk.inventory import services as inventory
from salesdesk.inventory.models import Warehouse
from salesdesk.inventory.tests.factories import WarehouseFactory
from salesdesk.orders import services
from salesdesk.orders.models import SalesOrder


def make_customer(owner: Any, **kwargs: Any) -> Customer:
    customer: Customer = CustomerFactory.create(owner=owner, **kwargs)
    ContactFactory.create(customer=customer, name="王芳", mobile="13912345678")
    AddressFactory.create(customer=customer)
    return customer


def make_product(**kwargs: Any) -> Product:
    product: Product = ProductFactory.create(**kwargs)
    return product


def make_warehouse(**kwargs: Any) -> Warehouse:
    warehouse: Warehouse = WarehouseFactory.create(**kwargs)
    return warehouse


def stock(product: Product, warehouse: Warehouse, qty: Any, by: Any = None) -> None:
    inventory.receive_stock(by=by, warehouse=warehouse, lines=[(product, str(qty))])


def make_order(by: Any, customer: Customer, lines: list[dict[str, Any]], **kwargs: Any) -> SalesOrder:
    return services.create_order(by=by, customer=customer, lines=lines, **kwargs)


def line(product: Product, qty: Any = "1", **kwargs: Any) -> dict[str, Any]:
    return {"product": product, "qty": Decimal(str(qty)), **kwargs}
