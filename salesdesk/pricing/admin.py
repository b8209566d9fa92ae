from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import PriceList, PriceListItem


class PriceListItemInline(admin.TabularInline[PriceListItem, PriceList]):
    model = PriceListItem
    extra = 0
    raw_id_fields = ("product",)


@admin.register(PriceList)
class PriceListAdmin(SimpleHistoryAdmin):
    list_display = (
        "code",
        "name",
        "kind",
        "customer",
        "grade",
        "valid_from",
        "valid_to",
        "is_active",
        "priority",
    )
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name")
    raw_id_fields = ("customer",)
    inlines = (PriceListItemInline,)
