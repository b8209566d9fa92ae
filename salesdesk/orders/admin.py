"""Read-only admin for orders: changes go through the services so the timeline stays complete."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import OrderEvent, SalesOrder, SalesOrderLine, SavedFilter


class ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LineInline(admin.TabularInline):  # type: ignore[type-arg]
    model = SalesOrderLine
    extra = 0
    can_delete = False
    fields = ("line_no", "sku", "product_name", "qty", "unit_price", "price_source", "amount", "reserved_qty")
    readonly_fields = fields


@admin.register(SalesOrder)
class SalesOrderAdmin(ReadOnly):
    list_display = ("number", "customer_name", "status", "approval_status", "total_amount", "order_date")
    list_filter = ("status", "approval_status", "order_type")
    search_fields = ("number", "customer_name", "customer_po")
    inlines = [LineInline]


@admin.register(OrderEvent)
class OrderEventAdmin(ReadOnly):
    list_display = ("order", "type", "actor_name", "created_at", "ip")
    list_filter = ("type",)


@admin.register(SavedFilter)
class SavedFilterAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("user", "name", "query")
