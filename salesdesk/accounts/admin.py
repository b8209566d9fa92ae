from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Department, Team, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "name", "team", "department", "is_active", "locked_until")
    list_filter = ("is_active", "groups", "team", "department")
    search_fields = ("username", "name", "mobile")
    fieldsets = (
        *BaseUserAdmin.fieldsets,  # type: ignore[misc]
        (_("Organisation"), {"fields": ("name", "mobile", "department", "team", "locked_until")}),
    )


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "is_active")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "department", "manager")
