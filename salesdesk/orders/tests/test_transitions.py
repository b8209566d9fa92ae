"""The status table: ``is_allowed`` answers exactly what ``ensure_transition`` allows."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

from salesdesk.orders.choices import ApprovalStatus, ConfirmationStatus, ShippingStatus, Status
from salesdesk.orders.transitions import ACTIONS, TransitionNotAllowed, ensure_transition, is_allowed


def _allowed_by_ensure(order: object, name: str) -> bool:
    try:
        ensure_transition(order, name)
    except TransitionNotAllowed:
        return False
    return True


def test_is_allowed_agrees_with_ensure_transition() -> None:
    """Every action on every combination of the statuses its table and guards read."""
    combinations = itertools.product(
        Status.values,
        ApprovalStatus.values,
        ConfirmationStatus.values,
        [ShippingStatus.NOT_SHIPPED, ShippingStatus.PARTIAL],
    )
    checked = 0
    for status, approval, confirmation, shipping in combinations:
        order = SimpleNamespace(
            status=status,
            approval_status=approval,
            confirmation_status=confirmation,
            shipping_status=shipping,
        )
        for name in [*ACTIONS, "no_such_action"]:
            assert is_allowed(order, name) is _allowed_by_ensure(order, name), (name, order)
            checked += is_allowed(order, name)
    assert checked > 0  # some are allowed, so both answers were exercised
