"""API for change requests, order versions, exceptions, comments and the knowledge base (C7, C9).

Orders are looked up through ``orders.selectors.get_order``, so a salesperson gets 404 for orders
outside their data scope. Input fields are loosely typed: the services validate and answer in Chinese.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from salesdesk.core.errors import NotFound
from salesdesk.fulfillment import changes, comments, exceptions, knowledge
from salesdesk.fulfillment.models import Article, ChangeRequest, Comment, OrderException, OrderVersion
from salesdesk.orders import selectors as order_selectors

from .common import clamp_page, error_responses, require_perm

router = Router(tags=["changes"])


# --- schemas -------------------------------------------------------------------------------------


class ChangeRequestIn(Schema):
    reason: str | None = None
    changes: dict[str, Any] | None = None


class DecisionIn(Schema):
    comment: str | None = None
    reason: str | None = None


class UserRef(Schema):
    id: int
    username: str
    name: str

    @staticmethod
    def of(user: Any) -> dict[str, Any] | None:
        if user is None:
            return None
        return {"id": user.pk, "username": user.username, "name": user.display_name}


class ChangeRequestOut(Schema):
    id: int
    number: str
    order_id: int
    order_number: str
    status: str
    status_label: str
    reason: str
    base_version: int
    changes: dict[str, Any]
    impact: dict[str, Any]
    amount_difference: str
    requested_by: UserRef
    requested_at: dt.datetime
    decided_by: UserRef | None = None
    decided_at: dt.datetime | None = None
    decision_comment: str

    @staticmethod
    def of(cr: ChangeRequest) -> dict[str, Any]:
        return {
            "id": cr.pk,
            "number": cr.number,
            "order_id": cr.order_id,
            "order_number": cr.order.number,
            "status": cr.status,
            "status_label": str(cr.get_status_display()),
            "reason": cr.reason,
            "base_version": cr.base_version,
            "changes": cr.changes,
            "impact": cr.impact,
            "amount_difference": str(cr.amount_difference),
            "requested_by": UserRef.of(cr.requested_by),
            "requested_at": cr.requested_at,
            "decided_by": UserRef.of(cr.decided_by),
            "decided_at": cr.decided_at,
            "decision_comment": cr.decision_comment,
        }


class VersionOut(Schema):
    number: int
    snapshot: dict[str, Any]
    diff: list[dict[str, Any]]
    change_request: str | None = None
    created_by: UserRef | None = None
    created_at: dt.datetime

    @staticmethod
    def of(v: OrderVersion) -> dict[str, Any]:
        return {
            "number": v.number,
            "snapshot": v.snapshot,
            "diff": v.diff,
            "change_request": v.change_request.number if v.change_request else None,
            "created_by": UserRef.of(v.created_by),
            "created_at": v.created_at,
        }


class ExceptionIn(Schema):
    kind: str | None = None
    severity: str | None = None
    title: str | None = None
    description: str | None = None
    owner: int | str | None = None


class ExceptionPatch(Schema):
    kind: str | None = None
    severity: str | None = None
    title: str | None = None
    description: str | None = None
    owner: int | str | None = None
    status: str | None = None
    root_cause: str | None = None
    resolution: str | None = None
    lessons: str | None = None


class ExceptionOut(Schema):
    id: int
    order_id: int
    order_number: str
    kind: str
    kind_label: str
    severity: str
    status: str
    status_label: str
    title: str
    description: str
    owner: UserRef | None = None
    root_cause: str
    resolution: str
    lessons: str
    reported_by: UserRef
    created_at: dt.datetime
    resolved_at: dt.datetime | None = None

    @staticmethod
    def of(e: OrderException) -> dict[str, Any]:
        return {
            "id": e.pk,
            "order_id": e.order_id,
            "order_number": e.order.number,
            "kind": e.kind,
            "kind_label": str(e.get_kind_display()),
            "severity": e.severity,
            "status": e.status,
            "status_label": str(e.get_status_display()),
            "title": e.title,
            "description": e.description,
            "owner": UserRef.of(e.owner),
            "root_cause": e.root_cause,
            "resolution": e.resolution,
            "lessons": e.lessons,
            "reported_by": UserRef.of(e.reported_by),
            "created_at": e.created_at,
            "resolved_at": e.resolved_at,
        }


class CommentIn(Schema):
    body: str | None = None
    step: int | None = None


class CommentOut(Schema):
    id: int
    body: str
    author: UserRef
    step_id: int | None = None
    mentions: list[str]
    created_at: dt.datetime

    @staticmethod
    def of(c: Comment) -> dict[str, Any]:
        return {
            "id": c.pk,
            "body": c.body,
            "author": UserRef.of(c.author),
            "step_id": c.step_id,
            "mentions": [u.username for u in c.mentions.all()],
            "created_at": c.created_at,
        }


class ArticleIn(Schema):
    title: str | None = None
    body: str | None = None
    tags: str | list[str] | None = None


class ArticleOut(Schema):
    id: int
    title: str
    body: str
    tags: list[str]
    author: UserRef
    source_exception_id: int | None = None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def of(a: Article) -> dict[str, Any]:
        return {
            "id": a.pk,
            "title": a.title,
            "body": a.body,
            "tags": [t for t in a.tags.split(",") if t],
            "author": UserRef.of(a.author),
            "source_exception_id": a.source_exception_id,
            "created_at": a.created_at,
            "updated_at": a.updated_at,
        }


class ArticleList(Schema):
    count: int
    items: list[ArticleOut]


def _order(request: HttpRequest, order_id: int) -> Any:
    return order_selectors.get_order(user=request.user, pk=order_id)


# --- change requests -----------------------------------------------------------------------------


@router.post(
    "/orders/{order_id}/change-requests",
    response={201: ChangeRequestOut, **error_responses(403, 404, 409, 422)},
    summary="Request a change to a confirmed order (impact included)",
)
def create_change_request(request: HttpRequest, order_id: int, payload: ChangeRequestIn) -> Any:
    require_perm(request, "fulfillment.add_changerequest")
    cr = changes.request_change(
        order=_order(request, order_id),
        changes=payload.changes or {},
        reason=payload.reason or "",
        by=request.user,
    )
    return Status(201, ChangeRequestOut.of(cr))


@router.get(
    "/orders/{order_id}/change-requests",
    response={200: list[ChangeRequestOut], **error_responses(403, 404)},
    summary="Change requests of an order, newest first",
)
def list_change_requests(request: HttpRequest, order_id: int) -> Any:
    require_perm(request, "fulfillment.view_changerequest")
    order = _order(request, order_id)
    return [ChangeRequestOut.of(cr) for cr in changes.list_change_requests(order=order)]


@router.get(
    "/change-requests/{request_id}",
    response={200: ChangeRequestOut, **error_responses(403, 404)},
    summary="One change request",
)
def get_change_request(request: HttpRequest, request_id: int) -> Any:
    require_perm(request, "fulfillment.view_changerequest")
    return ChangeRequestOut.of(changes.get_change_request(user=request.user, pk=request_id))


@router.post(
    "/change-requests/{request_id}/{action}",
    response={200: ChangeRequestOut, **error_responses(403, 404, 409, 422)},
    summary="Approve, reject or withdraw a change request",
)
def decide_change_request(request: HttpRequest, request_id: int, action: str, payload: DecisionIn) -> Any:
    cr = changes.get_change_request(user=request.user, pk=request_id)
    if action == "approve":
        require_perm(request, "fulfillment.approve_changerequest")
        cr = changes.approve_change(change_request=cr, by=request.user, comment=payload.comment or "")
    elif action == "reject":
        require_perm(request, "fulfillment.approve_changerequest")
        cr = changes.reject_change(
            change_request=cr, by=request.user, reason=payload.reason or payload.comment or ""
        )
    elif action == "withdraw":
        cr = changes.withdraw_change(change_request=cr, by=request.user)
    else:
        raise NotFound()
    return ChangeRequestOut.of(changes.get_change_request(user=request.user, pk=cr.pk))


@router.get(
    "/orders/{order_id}/versions",
    response={200: list[VersionOut], **error_responses(403, 404)},
    summary="Versions of an order with the diff of each change",
)
def list_versions(request: HttpRequest, order_id: int) -> Any:
    require_perm(request, "fulfillment.view_changerequest")
    return [VersionOut.of(v) for v in changes.list_versions(order=_order(request, order_id))]


# --- exceptions ----------------------------------------------------------------------------------


@router.post(
    "/orders/{order_id}/exceptions",
    response={201: ExceptionOut, **error_responses(403, 404, 422)},
    summary="Report an exception on an order",
)
def report_exception(request: HttpRequest, order_id: int, payload: ExceptionIn) -> Any:
    require_perm(request, "fulfillment.add_orderexception")
    exc = exceptions.report_exception(
        order=_order(request, order_id),
        kind=payload.kind or "",
        severity=payload.severity or "warning",
        title=payload.title or "",
        description=payload.description or "",
        owner=payload.owner,
        by=request.user,
    )
    return Status(201, ExceptionOut.of(exc))


@router.get(
    "/orders/{order_id}/exceptions",
    response={200: list[ExceptionOut], **error_responses(403, 404)},
    summary="Exceptions of an order",
)
def list_order_exceptions(request: HttpRequest, order_id: int) -> Any:
    require_perm(request, "fulfillment.view_orderexception")
    order = _order(request, order_id)
    return [ExceptionOut.of(e) for e in exceptions.list_order_exceptions(order=order)]


@router.patch(
    "/exceptions/{exception_id}",
    response={200: ExceptionOut, **error_responses(403, 404, 422)},
    summary="Update an exception (root cause, resolution, lessons, status …)",
)
def update_exception(request: HttpRequest, exception_id: int, payload: ExceptionPatch) -> Any:
    exc = exceptions.get_exception(user=request.user, pk=exception_id)
    exc = exceptions.update_exception(exception=exc, by=request.user, **payload.dict(exclude_unset=True))
    return ExceptionOut.of(exceptions.get_exception(user=request.user, pk=exc.pk))


@router.post(
    "/exceptions/{exception_id}/article",
    response={201: ArticleOut, **error_responses(403, 404, 422)},
    summary="Write the exception up as a knowledge-base article",
)
def exception_to_article(request: HttpRequest, exception_id: int) -> Any:
    require_perm(request, "fulfillment.add_article")
    exc = exceptions.get_exception(user=request.user, pk=exception_id)
    return Status(201, ArticleOut.of(knowledge.article_from_exception(exception=exc, by=request.user)))


# --- comments ------------------------------------------------------------------------------------


@router.post(
    "/orders/{order_id}/comments",
    response={201: CommentOut, **error_responses(403, 404, 422)},
    summary="Comment on an order; @username mentions notify those users",
)
def add_comment(request: HttpRequest, order_id: int, payload: CommentIn) -> Any:
    require_perm(request, "fulfillment.add_comment")
    order = _order(request, order_id)
    step = None
    if payload.step is not None:
        step = comments.get_order_step(order=order, pk=payload.step)
    comment = comments.add_comment(order=order, body=payload.body or "", by=request.user, step=step)
    return Status(201, CommentOut.of(comment))


@router.get(
    "/orders/{order_id}/comments",
    response={200: list[CommentOut], **error_responses(404)},
    summary="Comments of an order, oldest first",
)
def list_comments(request: HttpRequest, order_id: int) -> Any:
    return [CommentOut.of(c) for c in comments.list_comments(order=_order(request, order_id))]


# --- knowledge base ------------------------------------------------------------------------------


@router.get(
    "/articles", response={200: ArticleList, **error_responses(403)}, summary="Search the knowledge base"
)
def list_articles(request: HttpRequest, q: str = "", limit: int = 50, offset: int = 0) -> Any:
    require_perm(request, "fulfillment.view_article")
    limit, offset = clamp_page(limit, offset)
    qs = knowledge.search_articles(q)
    return {"count": qs.count(), "items": [ArticleOut.of(a) for a in qs[offset : offset + limit]]}


@router.post(
    "/articles",
    response={201: ArticleOut, **error_responses(403, 422)},
    summary="Write a knowledge-base article",
)
def create_article(request: HttpRequest, payload: ArticleIn) -> Any:
    require_perm(request, "fulfillment.add_article")
    article = knowledge.create_article(
        title=payload.title or "", body=payload.body or "", tags=payload.tags or "", by=request.user
    )
    return Status(201, ArticleOut.of(article))


@router.get(
    "/articles/{article_id}", response={200: ArticleOut, **error_responses(403, 404)}, summary="One article"
)
def get_article(request: HttpRequest, article_id: int) -> Any:
    require_perm(request, "fulfillment.view_article")
    return ArticleOut.of(knowledge.get_article(pk=article_id))
