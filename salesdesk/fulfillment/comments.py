"""Comments on orders and plan steps, with @username mentions that notify the people named."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from salesdesk.accounts.models import User
from salesdesk.core.errors import Forbidden, InvalidInput
from salesdesk.orders.models import SalesOrder
from salesdesk.orders.timeline import record_order_event

from .models import Comment, PlanStep
from .models.collab import NotificationKind
from .notifications import notify

MAX_LENGTH = 4000
# @username: letters, digits and @.+-_ as Django usernames allow, without a trailing dot.
MENTION = re.compile(r"(?<![\w@])@([\w.+-]*[\w+-])")


def mentioned_usernames(body: str) -> list[str]:
    """The distinct @usernames in the text, in order of appearance."""
    seen: list[str] = []
    for name in MENTION.findall(body):
        if name not in seen:
            seen.append(name)
    return seen


def _order_url(order: SalesOrder) -> str:
    try:
        return reverse("web:order_detail", args=[order.pk])
    except Exception:  # orders pages not mounted
        return ""


@transaction.atomic
def add_comment(*, order: SalesOrder, body: str, by: Any, step: PlanStep | None = None) -> Comment:
    """Comment on an order (or one of its steps); each @mentioned active user gets a notification."""
    if not by.has_perm("fulfillment.add_comment"):
        raise Forbidden()
    text = str(body or "").strip()
    if not text:
        raise InvalidInput.single("body", _("Write a comment."))
    if len(text) > MAX_LENGTH:
        raise InvalidInput.single("body", _("At most %(n)d characters.") % {"n": MAX_LENGTH})
    if step is not None and step.order_id != order.pk:
        raise InvalidInput.single("step", _("This step belongs to another order."))
    names = mentioned_usernames(text)
    found = {u.username: u for u in User.objects.filter(username__in=names, is_active=True)} if names else {}
    users = [found[name] for name in names if name in found]  # in the order they were mentioned
    comment = Comment.objects.create(order=order, step=step, author=by, body=text)
    if users:
        comment.mentions.set(users)
    record_order_event(
        order=order,
        type="comment",
        by=by,
        data={
            "comment": comment.pk,
            "body": text[:200],
            "mentions": [u.username for u in users],
            "step": getattr(step, "name", None),
        },
    )
    url = _order_url(order)
    for user in users:
        if user.pk == by.pk:
            continue
        notify(
            recipient=user,
            kind=NotificationKind.MENTION,
            title=_("%(name)s mentioned you on order %(order)s")
            % {"name": getattr(by, "display_name", by.username), "order": order.number},
            body=text[:500],
            url=f"{url}#comment-{comment.pk}" if url else "",
            order=order,
        )
    return comment


def get_order_step(*, order: SalesOrder, pk: Any) -> PlanStep:
    """One plan step of this order (InvalidInput on "step" otherwise)."""
    try:
        step = PlanStep.objects.filter(pk=int(pk), order=order).first()
    except (TypeError, ValueError):
        step = None
    if step is None:
        raise InvalidInput.single("step", _("This step belongs to another order."))
    return step


def list_comments(*, order: SalesOrder) -> QuerySet[Comment]:
    """The order's comments, oldest first, with authors, steps and mentions loaded."""
    return (
        Comment.objects.filter(order=order)
        .select_related("author", "step")
        .prefetch_related("mentions")
        .order_by("id")
    )


def mentionable_users(*, q: str = "", limit: int = 10) -> QuerySet[User]:
    """Active users whose username or name starts with ``q`` (for the @ completion list)."""
    qs = User.objects.filter(is_active=True)
    if q:
        qs = qs.filter(username__istartswith=q) | qs.filter(name__istartswith=q)
    return qs.order_by("username")[:limit]
