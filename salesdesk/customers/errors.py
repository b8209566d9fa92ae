"""Refusals of the customers area."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from salesdesk.core.errors import Conflict


class DuplicateCustomer(Conflict):
    """A customer with the same credit code, name or contact mobile already exists (DOMAIN.md §1.6)."""

    code = "duplicate_customer"
    default_message = _("This customer already exists.")
