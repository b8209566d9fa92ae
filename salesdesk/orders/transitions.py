"""The order lifecycle as data: allowed status moves, the actions users take, and their guards.

Buttons on pages and ``allowed_actions`` in the API both come from ``ACTIONS``, so they agree.
``docs/order-lifecycle.md`` is generated from this table (``manage.py order_lifecycle_doc``).
No ORM here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesdesk.core.errors import Conflict

from .choices import ApprovalStatus, ConfirmationStatus, ShippingStatus, Status

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.DRAFT: frozenset({Status.SUBMITTED, Status.CANCELLED}),
    Status.SUBMITTED: frozenset({Status.DRAFT, Status.CONFIRMED, Status.CANCELLED}),
    Status.CONFIRMED: frozenset({Status.ON_HOLD, Status.CANCELLED, Status.CLOSED, Status.COMPLETED}),
    Status.ON_HOLD: frozenset({Status.CONFIRMED, Status.CANCELLED, Status.CLOSED}),
    Status.COMPLETED: frozenset(),
    Status.CLOSED: frozenset(),
    Status.CANCELLED: frozenset(),
}


def _approval_open(order: Any) -> bool:
    return order.approval_status == ApprovalStatus.PENDING


def _approval_passed(order: Any) -> bool:
    return order.approval_status in {ApprovalStatus.NOT_REQUIRED, ApprovalStatus.APPROVED}


def _customer_ok(order: Any) -> bool:
    return order.confirmation_status in {ConfirmationStatus.NOT_REQUIRED, ConfirmationStatus.CONFIRMED}


def _can_ask_customer(order: Any) -> bool:
    return _approval_passed(order) and order.confirmation_status in {
        ConfirmationStatus.NOT_SENT,
        ConfirmationStatus.PENDING,
    }


def _nothing_shipped(order: Any) -> bool:
    return order.shipping_status == ShippingStatus.NOT_SHIPPED


@dataclass(frozen=True)
class Action:
    """Something a user can do to an order: from which statuses, to which, with which permission."""

    name: str
    label: str | Promise
    sources: frozenset[Status]
    target: Status | None  # None: the status does not change (another dimension does)
    permission: str
    guard: Callable[[Any], bool] | None = None
    guard_message: str | Promise = ""
    needs_reason: bool = False
    style: str = "outline-secondary"


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in (
        Action(
            "submit",
            gettext_lazy("Submit"),
            frozenset({Status.DRAFT}),
            Status.SUBMITTED,
            "orders.change_salesorder",
            style="primary",
        ),
        Action(
            "withdraw",
            gettext_lazy("Withdraw"),
            frozenset({Status.SUBMITTED}),
            Status.DRAFT,
            "orders.change_salesorder",
            guard=lambda o: o.approval_status != ApprovalStatus.APPROVED or not _customer_ok(o),
            guard_message=gettext_lazy(
                "An approved order that the customer confirmed can no longer be withdrawn."
            ),
        ),
        Action(
            "approve",
            gettext_lazy("Approve"),
            frozenset({Status.SUBMITTED}),
            None,
            "orders.approve_salesorder",
            guard=_approval_open,
            guard_message=gettext_lazy("The order is not awaiting approval."),
            style="success",
        ),
        Action(
            "reject",
            gettext_lazy("Reject"),
            frozenset({Status.SUBMITTED}),
            Status.DRAFT,
            "orders.approve_salesorder",
            guard=_approval_open,
            guard_message=gettext_lazy("The order is not awaiting approval."),
            needs_reason=True,
            style="outline-danger",
        ),
        Action(
            "send_confirmation",
            gettext_lazy("Send confirmation link"),
            frozenset({Status.SUBMITTED}),
            None,
            "orders.change_salesorder",
            guard=_can_ask_customer,
            guard_message=gettext_lazy("The order must be approved and not yet confirmed by the customer."),
        ),
        Action(
            "record_customer_confirmation",
            gettext_lazy("Record customer confirmation"),
            frozenset({Status.SUBMITTED}),
            None,
            "orders.change_salesorder",
            guard=_can_ask_customer,
            guard_message=gettext_lazy("The order must be approved and not yet confirmed by the customer."),
            needs_reason=True,
        ),
        Action(
            "confirm",
            gettext_lazy("Confirm order"),
            frozenset({Status.SUBMITTED}),
            Status.CONFIRMED,
            "orders.change_salesorder",
            guard=lambda o: _approval_passed(o) and _customer_ok(o),
            guard_message=gettext_lazy("The order needs approval and the customer's confirmation first."),
            style="primary",
        ),
        Action(
            "hold",
            gettext_lazy("Hold"),
            frozenset({Status.CONFIRMED}),
            Status.ON_HOLD,
            "orders.change_salesorder",
            needs_reason=True,
        ),
        Action(
            "resume",
            gettext_lazy("Resume"),
            frozenset({Status.ON_HOLD}),
            Status.CONFIRMED,
            "orders.change_salesorder",
        ),
        Action(
            "cancel",
            gettext_lazy("Cancel"),
            frozenset({Status.DRAFT, Status.SUBMITTED, Status.CONFIRMED, Status.ON_HOLD}),
            Status.CANCELLED,
            "orders.change_salesorder",
            guard=_nothing_shipped,
            guard_message=gettext_lazy("Goods have been shipped: close the order short instead."),
            needs_reason=True,
            style="outline-danger",
        ),
        Action(
            "close",
            gettext_lazy("Close short"),
            frozenset({Status.CONFIRMED, Status.ON_HOLD}),
            Status.CLOSED,
            "orders.change_salesorder",
            needs_reason=True,
        ),
    )
}

CUSTOMER_ACTIONS = frozenset({"customer_confirm", "customer_request_change"})


class TransitionNotAllowed(Conflict):
    code = "transition_not_allowed"


def ensure_transition(order: Any, action_name: str) -> Action:
    """Return the action when the table and its guard allow it on this order; raise 409 otherwise."""
    action = ACTIONS.get(action_name)
    if action is None:
        raise TransitionNotAllowed(_("Unknown action."), code="unknown_action")
    status = Status(order.status)
    if not _table_allows(action, status):
        raise TransitionNotAllowed(
            _("“%(action)s” is not possible while the order is %(status)s.")
            % {"action": action.label, "status": status.label}
        )
    if action.guard is not None and not action.guard(order):
        raise TransitionNotAllowed(str(action.guard_message))
    return action


def _table_allows(action: Action, status: Status) -> bool:
    return status in action.sources and (
        action.target is None or action.target in TRANSITIONS[status] or action.target == status
    )


def is_allowed(order: Any, action_name: str) -> bool:
    """Whether the table and the action's guard allow it on this order now (no permission check): what
    ``ensure_transition`` checks, without building the refusal (``allowed_actions`` asks for every action)."""
    action = ACTIONS.get(action_name)
    if action is None or not _table_allows(action, Status(order.status)):
        return False
    return action.guard is None or bool(action.guard(order))


def allowed_actions(order: Any, user: Any = None) -> list[str]:
    """Names of the actions the table allows now (and, given a user, that the user may take)."""
    return [
        name
        for name, action in ACTIONS.items()
        if is_allowed(order, name) and (user is None or user.has_perm(action.permission))
    ]
