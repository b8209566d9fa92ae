"""Order actions as the pages and the API run them: the orders table, plus what fulfillment adds.

Confirming an order also generates its plan, in the same transaction; every other action is the
orders app's own. Interfaces call ``run_order_action`` so both paths stay in one place.
"""

from __future__ import annotations

from typing import Any

from salesdesk.core.errors import DomainError
from salesdesk.orders import services as order_services
from salesdesk.orders.models import SalesOrder

from .plans import confirm_order_with_plan, plan_step


def run_order_action(
    *, order: SalesOrder, action: str, by: Any, data: dict[str, Any] | None = None
) -> SalesOrder:
    """Run one of ``orders.transitions.ACTIONS`` by name; "confirm" also plans the order."""
    if action == "confirm":
        return confirm_order_with_plan(order=order, by=by)
    return order_services.run_action(order=order, action=action, by=by, data=data)


def place_order(
    *,
    by: Any,
    submit: bool = False,
    customer_confirmation: str = "",
    confirm: bool = False,
    **fields: Any,
) -> SalesOrder:
    """Create an order and take it as far as asked and the status table allows.

    ``submit`` submits the new draft; ``customer_confirmation`` (how the customer confirmed, e.g.
    "电话确认") records the customer's confirmation once the order may ask the customer (no approval
    pending); ``confirm`` (implies ``submit``) confirms it — reserving stock and planning — when nothing
    waits any more. A step the table does not allow yet is not taken: an order a rule sends to approval
    stays "awaiting approval", one whose customer has not confirmed stays "awaiting the customer", as if
    the steps had been taken one by one: each step has the separate action's checks, timeline events and
    audit entry (``orders.services.advance_draft``), and confirming plans the order.

    One transaction: the steps are taken on the new order before it is saved (stock reserved, plan
    scheduled), then the order is numbered and inserted as they leave it (``create_order(advance=…)``).
    When a step refuses (stock short, no permission …) nothing of that is kept: the draft is saved
    as it was asked for, and carries the error as ``stopped``. Bad input in the order itself or in the
    note keeps nothing. A replayed ``idempotency_key`` returns the first order as it is now, without
    repeating the steps.
    """
    note = clean_note(customer_confirmation)
    if not (submit or confirm or note):
        return order_services.create_order(by=by, **fields)
    advance = order_services.Advance(note=note, confirm=confirm, on_confirm=plan_step)
    try:
        return order_services.create_order(by=by, advance=advance, **fields)
    except order_services.StepRefused as refused:
        order = order_services.create_order(by=by, **fields)
        if not getattr(order, "replayed", False):
            order.stopped = refused.error  # type: ignore[attr-defined]
        return order


def clean_note(value: Any) -> str:
    """How the customer confirmed: optional, at most 200 characters (field "customer_confirmation")."""
    return order_services.clean_reason(value, "customer_confirmation") if value else ""


def advance_draft(
    *, order: SalesOrder, by: Any, submit: bool = False, note: str = "", confirm: bool = False
) -> SalesOrder:
    """Take a draft created or edited in this request on, as ``place_order`` describes: submit, record
    the customer's confirmation (``note``, already cleaned), confirm and plan — in one transaction; a
    refused step keeps the draft as it was and sets ``stopped`` on the returned order."""
    if not (submit or confirm or note):
        return order
    try:
        order = order_services.advance_draft(
            order=order, by=by, note=note, confirm=confirm, on_confirm=plan_step
        )
    except DomainError as exc:
        order = SalesOrder.objects.get(pk=order.pk)
        order.stopped = exc  # type: ignore[attr-defined]
    return order
