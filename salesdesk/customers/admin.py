"""Django admin for customers (administrators only), with the field history."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Address, Contact, Customer


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


class AddressInline(admin.TabularInline):
    model = Address
    extra = 0
    raw_id_fields = ["region"]


@admin.register(Customer)
class CustomerAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name", "kind", "grade", "owner", "status"]
    list_filter = ["grade", "kind", "status"]
    search_fields = ["code", "name", "short_name", "uscc", "pinyin_initials"]
    raw_id_fields = ["owner", "created_by"]
    readonly_fields = ["code", "name_key", "pinyin_initials", "pinyin_full", "created_at", "updated_at"]
    inlines = [ContactInline, AddressInline]
