"""Refusals of the catalogue services."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from salesdesk.core.errors import NotFound


class ProductNotFound(NotFound):
    code = "product_not_found"
    default_message = _("This product does not exist.")


class CategoryNotFound(NotFound):
    code = "category_not_found"
    default_message = _("This category does not exist.")
