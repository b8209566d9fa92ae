"""Django admin for the catalogue (administrators only); edits go through the same history."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Category, Product, ProductUnit


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "parent")
    search_fields = ("code", "name")
    list_select_related = ("parent",)


class ProductUnitInline(admin.TabularInline):
    model = ProductUnit
    extra = 0


@admin.register(Product)
class ProductAdmin(SimpleHistoryAdmin):
    list_display = ("sku", "name", "spec", "unit", "list_price", "tax_rate", "is_active")
    list_filter = ("is_active", "category")
    search_fields = ("sku", "name", "spec", "barcode", "pinyin_initials")
    list_select_related = ("category",)
    readonly_fields = ("pinyin_initials", "pinyin_full", "created_at", "updated_at")
    inlines = [ProductUnitInline]
