"""Order actions as the pages and the API run them: the orders table, plus what fulfillment adds.

Confirming an order also generates its plan, in the same transaction; every other action is the
orders app's own. Interfaces call ``run_order_action`` so both paths stay in one place.
"""

from __future__ import annotations

from typing import Any

from salesdesk.orders import services as order_services
from salesdesk.orders.models import SalesOrder

from .plans import confirm_order_with_plan


def run_order_action(
    *, order: SalesOrder, action: str, by: Any, data: dict[str, Any] | None = None
) -> SalesOrder:
    """Run one of ``orders.transitions.ACTIONS`` by name; "confirm" also plans the order."""
    if action == "confirm":
        return confirm_order_with_plan(order=order, by=by)
    return order_services.run_action(order=order, action=action, by=by, data=data)
