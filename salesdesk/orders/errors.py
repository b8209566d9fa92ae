"""Refusals of the order services: a stable code and a translated message (409 unless said otherwise)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from salesdesk.core.errors import Conflict, DomainError, NotFound


class PossibleDuplicate(Conflict):
    """Another order looks the same (same customer PO, or the same lines within 10 minutes)."""

    code = "possible_duplicate"
    default_message = _l("This looks like an order that was already entered.")

    def __init__(self, duplicates: list[str]) -> None:
        super().__init__(
            _("This looks like an order that was already entered: %(numbers)s. Confirm to save it anyway.")
            % {"numbers": "、".join(duplicates)}
        )
        self.duplicates = duplicates


class StaleOrder(Conflict):
    """The order changed since the user loaded it; the user's input is kept, nothing is saved."""

    code = "stale_version"
    default_message = _l("Someone else changed this order in the meantime. Reload it and apply your changes again.")


class OrderNotEditable(Conflict):
    code = "not_editable"
    default_message = _l("Only draft orders can be edited.")


class StockShort(Conflict):
    """Confirmation refused: some lines lack stock. Nothing was reserved."""

    code = "stock_short"
    default_message = _l("Not enough stock to confirm the order.")

    def __init__(self, shortages: list[dict[str, Any]]) -> None:
        fields = {
            f"lines.{s['index']}.qty": [
                _("Only %(available)s available, %(requested)s requested.")
                % {"available": s["available"], "requested": s["requested"]}
            ]
            for s in shortages
        }
        lines = "、".join(str(s["sku"]) for s in shortages)
        super().__init__(
            _("Not enough stock to confirm the order; short lines: %(lines)s. Nothing was reserved.")
            % {"lines": lines},
            fields=fields,
        )
        self.shortages = [{k: v for k, v in s.items() if k != "index"} for s in shortages]


class ConfirmationLinkInvalid(NotFound):
    code = "link_invalid"
    default_message = _l("This confirmation link is not valid. Ask your salesperson for a new one.")


class ConfirmationLinkExpired(DomainError):
    code = "link_expired"
    status = 410
    default_message = _l("This confirmation link has expired. Ask your salesperson for a new one.")
