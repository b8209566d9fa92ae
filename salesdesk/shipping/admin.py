"""Admin: shipments are read-only here; they change only through the shipping services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Shipment, ShipmentLine, TrackingEvent


class _ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ShipmentLineInline(_ReadOnly, admin.TabularInline[ShipmentLine, Shipment]):
    model = ShipmentLine
    extra = 0


class TrackingEventInline(_ReadOnly, admin.TabularInline[TrackingEvent, Shipment]):
    model = TrackingEvent
    extra = 0


@admin.register(Shipment)
class ShipmentAdmin(_ReadOnly, admin.ModelAdmin[Shipment]):
    list_display = ("number", "order", "warehouse", "status", "carrier", "tracking_number", "shipped_at")
    list_filter = ("status", "carrier")
    search_fields = ("number", "tracking_number", "order__number")
    list_select_related = ("order", "warehouse")
    inlines = (ShipmentLineInline, TrackingEventInline)
