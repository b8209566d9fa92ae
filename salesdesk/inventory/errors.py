"""Refusals of the inventory services."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesdesk.core.errors import Conflict


class InsufficientStock(Conflict):
    """Fewer units are available than asked for; nothing was changed."""

    code = "insufficient_stock"
    status = 409
    default_message = gettext_lazy("Not enough stock.")

    def __init__(self, *, sku: str, requested: str, available: str, unit: str) -> None:
        super().__init__(
            _(
                "Not enough stock for %(sku)s: %(requested)s %(unit)s requested, "
                "only %(available)s %(unit)s available."
            )
            % {"sku": sku, "requested": requested, "available": available, "unit": unit}
        )
        self.requested = Decimal(requested)
        self.available = Decimal(available)


class InsufficientReservation(Conflict):
    """A release or issue asks for more than the reference holds reserved."""

    code = "insufficient_reservation"
    status = 409
    default_message = gettext_lazy("Not enough reserved stock.")
