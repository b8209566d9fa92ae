"""Refusals of the order services: a stable code and a translated message (409 unless said otherwise)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesdesk.core.errors import Conflict, DomainError, NotFound


class PossibleDuplicate(Conflict):
    """Another order looks the same (same customer PO, or the same lines within 10 minutes)."""

    code = "possible_duplicate"
    default_message = gettext_lazy("This looks like an order that was already entered.")

    def __init__(self, duplicates: list[str]) -> None:
        super().__init__(
            _("This looks like an order that was already entered: %(numbers)s. Confirm to save it anyway.")
            % {"numbers": "、".join(duplicates)}
        )
        self.duplicates = duplicates


class StaleOrder(Conflict):
    """The order changed since the user loaded it; the user's input is kept, nothing is saved."""

    code = "stale_version"
    default_message = gettext_lazy(
        "Someone else changed this order in the meantime. Reload it and apply your changes again."
    )


class OrderNotEditable(Conflict):
    code = "not_editable"
    default_message = gettext_lazy("Only draft orders can be edited.")


class StockShort(Conflict):
    """Reservation refused (at submission, approval or confirmation): some lines lack stock.

    Nothing was reserved.
    """

    code = "stock_short"
    default_message = gettext_lazy("Not enough stock to confirm the order.")

    def __init__(self, shortages: list[dict[str, Any]], *, action: str = "confirm") -> None:
        fields = {
            f"lines.{s['index']}.qty": [
                _("Only %(available)s available, %(requested)s requested.")
                % {"available": s["available"], "requested": s["requested"]}
            ]
            for s in shortages
        }
        lines = "、".join(str(s["sku"]) for s in shortages)
        if action == "submit":
            message = _("Not enough stock to submit the order; short lines: %(lines)s. Nothing was reserved.")
        elif action == "approve":
            message = _(
                "Not enough stock to approve the order; short lines: %(lines)s. Nothing was reserved."
            )
        else:
            message = _(
                "Not enough stock to confirm the order; short lines: %(lines)s. Nothing was reserved."
            )
        super().__init__(message % {"lines": lines}, fields=fields)
        self.action = action
        self.shortages = [{k: v for k, v in s.items() if k != "index"} for s in shortages]


class ConfirmationLinkInvalid(NotFound):
    code = "link_invalid"
    default_message = gettext_lazy("This confirmation link is not valid. Ask your salesperson for a new one.")


class ConfirmationLinkExpired(DomainError):
    code = "link_expired"
    status = 410
    default_message = gettext_lazy("This confirmation link has expired. Ask your salesperson for a new one.")
