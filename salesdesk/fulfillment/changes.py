"""Change requests (变更单, DOMAIN.md §4.5): propose, show the impact, approve or reject, keep versions.

A request records the proposal and its impact (stock, plan, amount, credit) when it is made. Approval
re-checks the order version, applies the change through ``orders.changes.apply_order_change`` and re-dates
the plan through ``plans.replan_order`` in one transaction, then keeps a new ``OrderVersion`` with the diff.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from salesdesk.accounts.scope import owner_scope_q
from salesdesk.catalog.models import Product
from salesdesk.core.audit import record_audit
from salesdesk.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from salesdesk.core.numbering import next_number
from salesdesk.orders.changes import (
    CHANGEABLE_STATUSES,
    apply_order_change,
    order_snapshot,
    preview_order_change,
)
from salesdesk.orders.models import SalesOrder
from salesdesk.orders.timeline import record_order_event

from . import plans
from .models import ChangeRequest, OrderPlan, OrderVersion
from .models.changes import ChangeStatus
from .models.collab import NotificationKind
from .notifications import notify

NUMBER_PREFIX = "BGD"
APPROVE_PERM = "fulfillment.approve_changerequest"


class StaleChangeRequest(Conflict):
    """The order changed after the request was made; the request must be made again."""

    code = "stale_version"

    def __init__(self) -> None:
        super().__init__(
            _("The order changed after this change request was made. Withdraw it and make a new one.")
        )


class ChangeRequestClosed(Conflict):
    code = "change_request_closed"

    def __init__(self) -> None:
        super().__init__(_("This change request was already decided or withdrawn."))


def _text(value: Any, field: str, *, required: bool, max_length: int = 300) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise InvalidInput.single(field, _("This field is required."))
    if len(text) > max_length:
        raise InvalidInput.single(field, _("At most %(n)d characters.") % {"n": max_length})
    return text


def _order_url(order: SalesOrder) -> str:
    try:
        return reverse("web:order_detail", args=[order.pk])
    except Exception:  # the orders pages may not be mounted (API-only deployments)
        return ""


def _request_url(change_request: ChangeRequest) -> str:
    return reverse("web:change_request_detail", args=[change_request.pk])


def _plan_moves(moves: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Plan steps whose dates move: [{step, seq, old_start, old_due, new_start, new_due}] (ISO dates)."""
    rows = []
    for move in moves:
        old, new = move["old"], move["new"]
        if old["planned_due"] == new["planned_due"] and old["planned_start"] == new["planned_start"]:
            continue
        step = move["step"]
        rows.append(
            {
                "step": step.name,
                "seq": step.seq,
                "old_start": old["planned_start"].isoformat(),
                "old_due": old["planned_due"].isoformat(),
                "new_start": new["planned_start"].isoformat(),
                "new_due": new["planned_due"].isoformat(),
            }
        )
    return rows


def _has_plan(order: SalesOrder) -> bool:
    return OrderPlan.objects.filter(order=order).exists()


def compute_impact(*, order: SalesOrder, changes: dict[str, Any]) -> dict[str, Any]:
    """The impact of a proposed change, without saving: stock, plan steps that move, amounts, credit."""
    preview = preview_order_change(order=order, changes=changes)
    moves: list[dict[str, Any]] = []
    if not preview["errors"] and _has_plan(order):
        products = Product.objects.in_bulk([r["product_id"] for r in preview["new_lines"]])
        new_lines = [{**r, "product": products[r["product_id"]]} for r in preview["new_lines"]]
        moves = _plan_moves(plans.preview_replan(order=order, new_lines=new_lines))
    return {**preview, "plan": moves}


@transaction.atomic
def request_change(*, order: SalesOrder, changes: dict[str, Any], reason: str, by: Any) -> ChangeRequest:
    """Propose a change to a confirmed or on-hold order; its impact is computed and kept with it.

    Bad input is refused with InvalidInput and nothing is saved. The order owner's manager is notified.
    """
    if not by.has_perm("fulfillment.add_changerequest"):
        raise Forbidden()
    reason = _text(reason, "reason", required=True)
    locked = (
        SalesOrder.objects.select_for_update(of=("self",))
        .select_related("customer", "owner__team")
        .get(pk=order.pk)
    )
    if locked.status not in CHANGEABLE_STATUSES:
        raise InvalidInput.single("order", _("Only confirmed or on-hold orders can be changed."))
    if not isinstance(changes, dict):
        raise InvalidInput.single("changes", _("Describe the change."))
    impact = compute_impact(order=locked, changes=changes)
    if impact["errors"]:
        raise InvalidInput(fields=impact["errors"])
    if not impact["lines_diff"]:
        raise InvalidInput.single("changes", _("Nothing would change."))
    impact.pop("errors")
    impact.pop("new_lines", None)
    change_request = ChangeRequest.objects.create(
        order=locked,
        number=next_number(NUMBER_PREFIX),
        reason=reason,
        base_version=locked.version,
        changes=changes,
        impact=impact,
        amount_difference=impact["amount_difference"],
        requested_by=by,
    )
    record_order_event(
        order=locked,
        type="change_requested",
        by=by,
        data={"change_request": change_request.number, "reason": reason},
    )
    record_audit(action="change_request.create", by=by, obj=change_request, data={"changes": changes})
    team = getattr(locked.owner, "team", None)
    manager = getattr(team, "manager", None)
    if manager is not None and manager.pk != by.pk:
        notify(
            recipient=manager,
            kind=NotificationKind.CHANGE_REQUEST,
            title=_("Change request %(number)s for order %(order)s")
            % {"number": change_request.number, "order": locked.number},
            body=reason,
            url=_request_url(change_request),
            order=locked,
        )
    return change_request


def _lock_request(change_request: ChangeRequest) -> ChangeRequest:
    locked = (
        ChangeRequest.objects.select_for_update(of=("self",))
        .select_related("requested_by")
        .get(pk=change_request.pk)
    )
    if locked.status != ChangeStatus.PENDING:
        raise ChangeRequestClosed()
    return locked


def can_approve(user: Any, change_request: ChangeRequest) -> bool:
    """Managers with the approval permission, never the requester (unless an administrator)."""
    if not user.has_perm(APPROVE_PERM):
        return False
    return change_request.requested_by_id != user.pk or user.has_role("administrator")


@transaction.atomic
def approve_change(*, change_request: ChangeRequest, by: Any, comment: str = "") -> ChangeRequest:
    """Apply the change, re-reserve stock and re-date the plan in one transaction; keep a new version.

    A request made against an older order version is refused (409 stale_version) and nothing changes.
    """
    comment = _text(comment, "comment", required=False)
    locked = _lock_request(change_request)
    if not can_approve(by, locked):
        raise Forbidden(_("You may not approve this change request."))
    order = SalesOrder.objects.select_for_update().get(pk=locked.order_id)
    if order.version != locked.base_version:
        raise StaleChangeRequest()
    last = (
        OrderVersion.objects.filter(order=order).order_by("-number").values_list("number", flat=True).first()
    )
    if last is None:
        # V1 is the order as confirmed, before its first change.
        OrderVersion.objects.create(order=order, number=1, snapshot=order_snapshot(order), created_by=by)
        last = 1
    diff = apply_order_change(
        order=order,
        changes=locked.changes,
        by=by,
        reason=locked.reason,
        change_request_number=locked.number,
        expected_version=locked.base_version,
    )
    moves = plans.replan_order(order=order, by=by, reason=locked.reason) if _has_plan(order) else []
    order.refresh_from_db()
    version = OrderVersion.objects.create(
        order=order,
        number=last + 1,
        snapshot=order_snapshot(order),
        diff=diff,
        change_request=locked,
        created_by=by,
    )
    locked.status = ChangeStatus.APPROVED
    locked.decided_by = by
    locked.decided_at = timezone.now()
    locked.decision_comment = comment
    locked.impact = {**locked.impact, "applied_plan": _plan_moves(moves)}
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_comment", "impact"])
    record_audit(action="change_request.approve", by=by, obj=locked, data={"version": version.number})
    if locked.requested_by_id != by.pk:
        notify(
            recipient=locked.requested_by,
            kind=NotificationKind.CHANGE_REQUEST,
            title=_("Change request %(number)s approved: order %(order)s is now V%(version)d")
            % {"number": locked.number, "order": order.number, "version": version.number},
            body=comment,
            url=_request_url(locked),
            order=order,
        )
    return locked


@transaction.atomic
def reject_change(*, change_request: ChangeRequest, by: Any, reason: str) -> ChangeRequest:
    """Refuse the change; the order stays as it is."""
    reason = _text(reason, "reason", required=True)
    locked = _lock_request(change_request)
    if not can_approve(by, locked):
        raise Forbidden(_("You may not decide this change request."))
    locked.status = ChangeStatus.REJECTED
    locked.decided_by, locked.decided_at, locked.decision_comment = by, timezone.now(), reason
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])
    record_order_event(
        order=locked.order,
        type="change_rejected",
        by=by,
        data={"change_request": locked.number, "reason": reason},
    )
    record_audit(action="change_request.reject", by=by, obj=locked, data={"reason": reason})
    if locked.requested_by_id != by.pk:
        notify(
            recipient=locked.requested_by,
            kind=NotificationKind.CHANGE_REQUEST,
            title=_("Change request %(number)s rejected") % {"number": locked.number},
            body=reason,
            url=_request_url(locked),
            order=locked.order,
        )
    return locked


@transaction.atomic
def withdraw_change(*, change_request: ChangeRequest, by: Any) -> ChangeRequest:
    """The requester (or an administrator) takes the request back."""
    locked = _lock_request(change_request)
    if locked.requested_by_id != by.pk and not by.has_role("administrator"):
        raise Forbidden(_("Only the requester can withdraw a change request."))
    locked.status = ChangeStatus.WITHDRAWN
    locked.decided_by, locked.decided_at = by, timezone.now()
    locked.save(update_fields=["status", "decided_by", "decided_at"])
    record_audit(action="change_request.withdraw", by=by, obj=locked, data={})
    return locked


# --- reads ---------------------------------------------------------------------------------------


def scoped_requests(user: Any) -> QuerySet[ChangeRequest]:
    return ChangeRequest.objects.filter(owner_scope_q(user, "order__owner"))


def get_change_request(*, user: Any, pk: Any) -> ChangeRequest:
    """One change request the user may see (its order in their data scope), else 404."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    found = (
        scoped_requests(user)
        .select_related("order__customer", "order__owner", "requested_by", "decided_by")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def list_change_requests(*, order: SalesOrder) -> QuerySet[ChangeRequest]:
    return (
        ChangeRequest.objects.filter(order=order)
        .select_related("order", "requested_by", "decided_by")
        .order_by("-id")
    )


def list_pending_requests(*, user: Any) -> QuerySet[ChangeRequest]:
    """Pending requests in the user's scope, oldest first (the manager's to-do list)."""
    return (
        scoped_requests(user)
        .filter(status=ChangeStatus.PENDING)
        .select_related("order", "requested_by")
        .order_by("id")
    )


def list_versions(*, order: SalesOrder) -> QuerySet[OrderVersion]:
    return (
        OrderVersion.objects.filter(order=order)
        .select_related("created_by", "change_request")
        .order_by("-number")
    )
