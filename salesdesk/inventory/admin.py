"""Admin: warehouses are editable; stock levels and the ledger are read-only (changes go through services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from .models import StockLevel, StockMove, Warehouse


@admin.register(Warehouse)
class WarehouseAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "address", "is_active")
    search_fields = ("code", "name")
    readonly_fields = ("code",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(StockLevel)
class StockLevelAdmin(SimpleHistoryAdmin, ReadOnlyAdmin):
    list_display = ("product", "warehouse", "on_hand_qty", "reserved_qty", "safety_qty")
    list_select_related = ("product", "warehouse")
    search_fields = ("product__sku", "product__name")
    list_filter = ("warehouse",)


@admin.register(StockMove)
class StockMoveAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "created_at",
        "kind",
        "product",
        "warehouse",
        "qty",
        "on_hand_after",
        "reserved_after",
        "reference",
    )
    list_select_related = ("product", "warehouse")
    search_fields = ("reference", "product__sku")
    list_filter = ("kind", "warehouse")
