"""Pages for change requests, order versions, exceptions, comments and the knowledge base (C7, C9).

The order page includes ``changes/_order_changes.html`` with ``order_changes_context(order, user)``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from salesdesk.catalog.selectors import get_product_by_sku
from salesdesk.core.errors import DomainError, InvalidInput, NotFound
from salesdesk.fulfillment import changes, comments, exceptions, knowledge
from salesdesk.fulfillment.models import Article, ChangeRequest, OrderException
from salesdesk.fulfillment.models.changes import ChangeStatus, ExceptionKind, ExceptionStatus
from salesdesk.orders import selectors as order_selectors
from salesdesk.orders.changes import CHANGEABLE_STATUSES
from salesdesk.orders.models import SalesOrder

PAGE_SIZE = 30
ADD_ROWS = 3

FIELD_LABELS = {
    "qty": _("Quantity"),
    "unit_price": _("Unit price"),
    "line_added": _("Line added"),
    "line_removed": _("Line removed"),
    "requested_date": _("Requested delivery date"),
    "promised_date": _("Promised delivery date"),
    "address": _("Delivery address"),
    "remark": _("Remark"),
    "total_amount": _("Total (tax incl.)"),
}


def field_label(name: str) -> str:
    return str(FIELD_LABELS.get(name, name))


def readable_diff(diff: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Attach a Chinese label to each diff row for display."""
    return [{**row, "label": field_label(row.get("field", ""))} for row in diff or []]


def _order_or_404(request: HttpRequest, pk: int) -> SalesOrder:
    try:
        return order_selectors.get_order(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None


# --- the order fragment --------------------------------------------------------------------------


def order_changes_context(order: SalesOrder, user: Any) -> dict[str, Any]:
    """Context for "changes/_order_changes.html": requests, versions with diffs, exceptions, comments."""
    versions = list(changes.list_versions(order=order))
    return {
        "order": order,
        "change_requests": list(changes.list_change_requests(order=order)),
        "versions": [{"version": v, "diff": readable_diff(v.diff)} for v in versions],
        "order_exceptions": list(exceptions.list_order_exceptions(order=order)),
        "comments": list(comments.list_comments(order=order)),
        "can_request_change": order.status in CHANGEABLE_STATUSES
        and user.has_perm("fulfillment.add_changerequest"),
        "can_report_exception": user.has_perm("fulfillment.add_orderexception"),
        "can_comment": user.has_perm("fulfillment.add_comment"),
    }


@login_required
@permission_required("orders.view_salesorder", raise_exception=True)
def order_changes(request: HttpRequest, pk: int) -> HttpResponse:
    """The fragment alone (htmx refresh after a comment), or as a small page."""
    order = _order_or_404(request, pk)
    context = order_changes_context(order, request.user)
    template = (
        "changes/_order_changes.html" if request.headers.get("HX-Request") else "changes/order_changes.html"
    )
    return render(request, template, context)


@login_required
@permission_required("fulfillment.add_comment", raise_exception=True)
@require_POST
def comment_create(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order_or_404(request, pk)
    body = request.POST.get("body", "")
    status = 200
    comment_errors: dict[str, list[str]] = {}
    try:
        comments.add_comment(order=order, body=body, by=request.user)
        body = ""
    except InvalidInput as exc:
        comment_errors, status = exc.fields, 422
    if not request.headers.get("HX-Request") and status == 200:
        return HttpResponseRedirect(reverse("web:order_changes", args=[order.pk]) + "#comments")
    context = {
        **order_changes_context(order, request.user),
        "comment_body": body,
        "comment_errors": comment_errors,
    }
    template = (
        "changes/_order_changes.html" if request.headers.get("HX-Request") else "changes/order_changes.html"
    )
    return render(request, template, context, status=status)


# --- change requests -----------------------------------------------------------------------------


def _form_from_order(order: SalesOrder) -> dict[str, Any]:
    return {
        "lines": [
            {
                "line_no": line.line_no,
                "sku": line.sku,
                "name": line.product_name,
                "unit": line.unit,
                "qty": _plain(line.qty),
                "unit_price": _plain(line.unit_price),
                "shipped_qty": _plain(line.shipped_qty),
                "old_qty": _plain(line.qty),
                "old_price": _plain(line.unit_price),
                "remove": False,
            }
            for line in order.lines.all()
        ],
        "adds": [{"sku": "", "qty": "", "unit_price": ""} for _i in range(ADD_ROWS)],
        "requested_date": order.requested_date.isoformat() if order.requested_date else "",
        "promised_date": order.promised_date.isoformat() if order.promised_date else "",
        "address": str(order.address_id or ""),
        "remark": order.remark,
        "reason": "",
    }


def _plain(value: Any) -> str:
    return format(value.normalize(), "f")


def _changes_from_post(
    request: HttpRequest, order: SalesOrder
) -> tuple[dict[str, Any], dict[str, Any], dict[int, str]]:
    """Turn the form into (changes, form, index → form key prefix) — only what differs goes into changes."""
    post = request.POST
    form = _form_from_order(order)
    entries: list[dict[str, Any]] = []
    keys: dict[int, str] = {}
    for row in form["lines"]:
        prefix = f"line-{row['line_no']}"
        row["remove"] = post.get(f"{prefix}-remove") == "1"
        row["qty"] = post.get(f"{prefix}-qty", row["qty"]).strip()
        row["unit_price"] = post.get(f"{prefix}-unit_price", row["unit_price"]).strip()
        if row["remove"]:
            keys[len(entries)] = prefix
            entries.append({"remove": row["line_no"]})
            continue
        entry: dict[str, Any] = {"line_no": row["line_no"]}
        if row["qty"] != row["old_qty"]:
            entry["qty"] = row["qty"]
        if row["unit_price"] != row["old_price"]:
            entry["unit_price"] = row["unit_price"]
        if len(entry) > 1:
            keys[len(entries)] = prefix
            entries.append(entry)
    sku_errors: dict[str, list[str]] = {}
    for i, add in enumerate(form["adds"]):
        prefix = f"add-{i}"
        add.update({k: post.get(f"{prefix}-{k}", "").strip() for k in ("sku", "qty", "unit_price")})
        if not (add["sku"] or add["qty"]):
            continue
        product_id: Any = None
        if add["sku"]:
            try:
                product_id = get_product_by_sku(sku=add["sku"]).pk
            except DomainError:
                sku_errors[f"{prefix}-product"] = [_("Unknown product.")]
                continue
        keys[len(entries)] = prefix
        entries.append(
            {"add": {"product": product_id, "qty": add["qty"], "unit_price": add["unit_price"] or None}}
        )
    proposal: dict[str, Any] = {}
    if entries:
        proposal["lines"] = entries
    for name in ("requested_date", "promised_date", "address", "remark"):
        form[name] = post.get(name, form[name]).strip()
    if form["requested_date"] != (order.requested_date.isoformat() if order.requested_date else ""):
        proposal["requested_date"] = form["requested_date"] or None
    if form["promised_date"] != (order.promised_date.isoformat() if order.promised_date else ""):
        proposal["promised_date"] = form["promised_date"] or None
    if form["address"] and form["address"] != str(order.address_id or ""):
        proposal["address"] = form["address"]
    if form["remark"] != order.remark:
        proposal["remark"] = form["remark"]
    form["reason"] = post.get("reason", "").strip()
    form["sku_errors"] = sku_errors
    return proposal, form, keys


def _form_errors(fields: dict[str, list[str]], keys: dict[int, str]) -> dict[str, list[str]]:
    """Map service paths ("lines.2.qty") onto form keys ("line-3-qty", "add-0-qty")."""
    out: dict[str, list[str]] = {}
    for key, msgs in fields.items():
        parts = key.split(".")
        if parts[0] == "lines" and len(parts) == 3 and parts[1].isdecimal() and int(parts[1]) in keys:
            name = parts[2] if parts[2] != "remove" else "qty"
            out[f"{keys[int(parts[1])]}-{name}"] = msgs
        else:
            out[key] = msgs
    return out


@login_required
@permission_required("fulfillment.add_changerequest", raise_exception=True)
@require_http_methods(["GET", "POST"])
def change_request_create(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order_or_404(request, pk)
    if order.status not in CHANGEABLE_STATUSES:
        messages.error(request, _("Only confirmed or on-hold orders can be changed."))
        return HttpResponseRedirect(reverse("web:order_detail", args=[order.pk]))
    addresses = list(order.customer.addresses.select_related("region__parent__parent"))
    context: dict[str, Any] = {"order": order, "addresses": addresses, "errors": {}, "impact": None}
    if request.method == "GET":
        return render(
            request, "changes/change_request_form.html", {**context, "form": _form_from_order(order)}
        )
    proposal, form, keys = _changes_from_post(request, order)
    context["form"] = form
    errors: dict[str, list[str]] = dict(form["sku_errors"])
    if not errors and request.POST.get("step") == "submit":
        try:
            cr = changes.request_change(order=order, changes=proposal, reason=form["reason"], by=request.user)
        except InvalidInput as exc:
            errors = _form_errors(exc.fields, keys)
        else:
            messages.success(
                request, _("Change request %(number)s submitted for approval.") % {"number": cr.number}
            )
            return HttpResponseRedirect(reverse("web:change_request_detail", args=[cr.pk]))
    if not errors:
        impact = changes.compute_impact(order=order, changes=proposal)
        errors = _form_errors(impact.pop("errors"), keys)
        if not impact["lines_diff"] and not errors:
            errors["changes"] = [_("Nothing would change.")]
        impact["lines_diff"] = readable_diff(impact["lines_diff"])
        context["impact"] = impact
    context["errors"] = errors
    _attach_errors(form, errors)
    return render(request, "changes/change_request_form.html", context, status=422 if errors else 200)


def _attach_errors(form: dict[str, Any], errors: dict[str, list[str]]) -> None:
    """Put each error next to its field (line rows and added rows)."""
    for row in form["lines"]:
        prefix = f"line-{row['line_no']}"
        row["qty_error"] = errors.get(f"{prefix}-qty")
        row["price_error"] = errors.get(f"{prefix}-unit_price")
    for i, add in enumerate(form["adds"]):
        prefix = f"add-{i}"
        add["error_product"] = errors.get(f"{prefix}-product")
        add["error_qty"] = errors.get(f"{prefix}-qty")
        add["error_price"] = errors.get(f"{prefix}-unit_price")


def _request_or_404(request: HttpRequest, pk: int) -> ChangeRequest:
    try:
        return changes.get_change_request(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None


@login_required
@permission_required("fulfillment.view_changerequest", raise_exception=True)
def change_request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cr = _request_or_404(request, pk)
    return render(request, "changes/change_request_detail.html", _detail_context(request, cr))


def _detail_context(request: HttpRequest, cr: ChangeRequest, **extra: Any) -> dict[str, Any]:
    version = None
    if cr.status == ChangeStatus.APPROVED:
        version = changes.list_versions(order=cr.order).filter(change_request=cr).first()
    return {
        "cr": cr,
        "impact": cr.impact,
        "diff": readable_diff(cr.impact.get("lines_diff", [])),
        "version": version,
        "version_diff": readable_diff(version.diff) if version else [],
        "can_decide": cr.status == ChangeStatus.PENDING and changes.can_approve(request.user, cr),
        "can_withdraw": cr.status == ChangeStatus.PENDING
        and (
            cr.requested_by_id == request.user.pk
            or getattr(request.user, "has_role", lambda *_: False)("administrator")
        ),
        "errors": {},
        **extra,
    }


@login_required
@permission_required("fulfillment.view_changerequest", raise_exception=True)
@require_POST
def change_request_decide(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    cr = _request_or_404(request, pk)
    text = request.POST.get("comment", "")
    try:
        if action == "approve":
            changes.approve_change(change_request=cr, by=request.user, comment=text)
            messages.success(request, _("Change request approved; the order has a new version."))
        elif action == "reject":
            changes.reject_change(change_request=cr, by=request.user, reason=text)
            messages.success(request, _("Change request rejected."))
        elif action == "withdraw":
            changes.withdraw_change(change_request=cr, by=request.user)
            messages.success(request, _("Change request withdrawn."))
        else:
            raise Http404
    except InvalidInput as exc:
        context = _detail_context(request, cr, errors=exc.fields, comment=text)
        return render(request, "changes/change_request_detail.html", context, status=422)
    except DomainError as exc:
        messages.error(request, exc.message)
    return HttpResponseRedirect(reverse("web:change_request_detail", args=[cr.pk]))


@login_required
@permission_required("fulfillment.view_changerequest", raise_exception=True)
def change_request_list(request: HttpRequest) -> HttpResponse:
    """Pending change requests the user may see (a manager's to-do list)."""
    page = Paginator(changes.list_pending_requests(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "changes/change_request_list.html", {"page": page, "query": ""})


# --- exceptions ----------------------------------------------------------------------------------


def _exception_or_404(request: HttpRequest, pk: int) -> OrderException:
    try:
        return exceptions.get_exception(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None


@login_required
@permission_required("fulfillment.view_orderexception", raise_exception=True)
def exception_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    q = request.GET.get("q", "").strip()
    qs = exceptions.list_exceptions(user=request.user, status=status, kind=kind, q=q)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "exceptions/exception_list.html",
        {
            "page": page,
            "status": status,
            "kind": kind,
            "q": q,
            "statuses": ExceptionStatus.choices,
            "kinds": ExceptionKind.choices,
            "query": urlencode({k: v for k, v in {"status": status, "kind": kind, "q": q}.items() if v}),
        },
    )


def _exception_form_context(**extra: Any) -> dict[str, Any]:
    from salesdesk.accounts.models import User

    return {
        "kinds": ExceptionKind.choices,
        "statuses": ExceptionStatus.choices,
        "severities": [("info", _("Info")), ("warning", _("Warning")), ("critical", _("Critical"))],
        "users": list(
            User.objects.filter(is_active=True).order_by("username").only("id", "username", "name")
        ),
        "errors": {},
        **extra,
    }


@login_required
@permission_required("fulfillment.add_orderexception", raise_exception=True)
@require_http_methods(["GET", "POST"])
def exception_create(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order_or_404(request, pk)
    form = {"kind": "", "severity": "warning", "title": "", "description": "", "owner": str(request.user.pk)}
    if request.method == "POST":
        form = {k: request.POST.get(k, "").strip() for k in form}
        try:
            exc = exceptions.report_exception(
                order=order,
                kind=form["kind"],
                severity=form["severity"],
                title=form["title"],
                description=form["description"],
                owner=form["owner"] or None,
                by=request.user,
            )
        except InvalidInput as err:
            context = _exception_form_context(order=order, form=form, errors=err.fields, exception=None)
            return render(request, "exceptions/exception_form.html", context, status=422)
        messages.success(request, _("Exception recorded."))
        return HttpResponseRedirect(reverse("web:exception_edit", args=[exc.pk]))
    return render(
        request,
        "exceptions/exception_form.html",
        _exception_form_context(order=order, form=form, exception=None),
    )


@login_required
@permission_required("fulfillment.view_orderexception", raise_exception=True)
@require_http_methods(["GET", "POST"])
def exception_edit(request: HttpRequest, pk: int) -> HttpResponse:
    exc = _exception_or_404(request, pk)
    names = (
        "kind",
        "severity",
        "status",
        "title",
        "description",
        "owner",
        "root_cause",
        "resolution",
        "lessons",
    )
    form = {n: str(getattr(exc, n + "_id" if n == "owner" else n) or "") for n in names}
    if request.method == "POST":
        form = {n: request.POST.get(n, "").strip() for n in names}
        try:
            exceptions.update_exception(exception=exc, by=request.user, **form)
        except InvalidInput as err:
            context = _exception_form_context(order=exc.order, form=form, errors=err.fields, exception=exc)
            return render(request, "exceptions/exception_form.html", context, status=422)
        except DomainError as err:
            messages.error(request, err.message)
        else:
            messages.success(request, _("Exception saved."))
        return HttpResponseRedirect(reverse("web:exception_edit", args=[exc.pk]))
    articles = list(knowledge.articles_for_exception(exception=exc))
    return render(
        request,
        "exceptions/exception_form.html",
        _exception_form_context(order=exc.order, form=form, exception=exc, articles=articles),
    )


@login_required
@permission_required("fulfillment.add_article", raise_exception=True)
@require_POST
def exception_article(request: HttpRequest, pk: int) -> HttpResponse:
    """One click: write the exception up as a knowledge-base article, then open it for editing."""
    exc = _exception_or_404(request, pk)
    try:
        article = knowledge.article_from_exception(exception=exc, by=request.user)
    except DomainError as err:
        messages.error(request, err.message)
        return HttpResponseRedirect(reverse("web:exception_edit", args=[exc.pk]))
    messages.success(request, _("Article written from the exception; review and edit it."))
    return HttpResponseRedirect(reverse("web:kb_edit", args=[article.pk]))


# --- knowledge base ------------------------------------------------------------------------------


@login_required
@permission_required("fulfillment.view_article", raise_exception=True)
def kb_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    page = Paginator(knowledge.search_articles(q), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "knowledge/kb_list.html",
        {
            "page": page,
            "q": q,
            "query": urlencode({"q": q}) if q else "",
            "can_add": request.user.has_perm("fulfillment.add_article"),
        },
    )


def _article_or_404(pk: int) -> Article:
    try:
        return knowledge.get_article(pk=pk)
    except NotFound:
        raise Http404 from None


@login_required
@permission_required("fulfillment.view_article", raise_exception=True)
def kb_detail(request: HttpRequest, pk: int) -> HttpResponse:
    article = _article_or_404(pk)
    can_edit = article.author_id == request.user.pk or request.user.has_perm("fulfillment.change_article")
    tags = [t for t in article.tags.split(",") if t]
    return render(
        request, "knowledge/kb_detail.html", {"article": article, "tags": tags, "can_edit": can_edit}
    )


@login_required
@permission_required("fulfillment.add_article", raise_exception=True)
@require_http_methods(["GET", "POST"])
def kb_create(request: HttpRequest) -> HttpResponse:
    form = {"title": "", "body": "", "tags": ""}
    if request.method == "POST":
        form = {k: request.POST.get(k, "") for k in form}
        try:
            article = knowledge.create_article(
                title=form["title"], body=form["body"], tags=form["tags"], by=request.user
            )
        except InvalidInput as err:
            return render(
                request,
                "knowledge/kb_form.html",
                {"form": form, "errors": err.fields, "article": None},
                status=422,
            )
        messages.success(request, _("Article saved."))
        return HttpResponseRedirect(reverse("web:kb_detail", args=[article.pk]))
    return render(request, "knowledge/kb_form.html", {"form": form, "errors": {}, "article": None})


@login_required
@permission_required("fulfillment.view_article", raise_exception=True)
@require_http_methods(["GET", "POST"])
def kb_edit(request: HttpRequest, pk: int) -> HttpResponse:
    article = _article_or_404(pk)
    form = {"title": article.title, "body": article.body, "tags": article.tags}
    if request.method == "POST":
        form = {k: request.POST.get(k, "") for k in form}
        try:
            knowledge.update_article(article=article, by=request.user, **form)
        except InvalidInput as err:
            return render(
                request,
                "knowledge/kb_form.html",
                {"form": form, "errors": err.fields, "article": article},
                status=422,
            )
        except DomainError as err:
            messages.error(request, err.message)
            return HttpResponseRedirect(reverse("web:kb_detail", args=[article.pk]))
        messages.success(request, _("Article saved."))
        return HttpResponseRedirect(reverse("web:kb_detail", args=[article.pk]))
    return render(request, "knowledge/kb_form.html", {"form": form, "errors": {}, "article": article})


urlpatterns = [
    path("orders/<int:pk>/changes/", order_changes, name="order_changes"),
    path("orders/<int:pk>/comments/", comment_create, name="comment_create"),
    path("orders/<int:pk>/change-requests/new/", change_request_create, name="change_request_create"),
    path("orders/<int:pk>/exceptions/new/", exception_create, name="exception_create"),
    path("change-requests/", change_request_list, name="change_request_list"),
    path("change-requests/<int:pk>/", change_request_detail, name="change_request_detail"),
    path("change-requests/<int:pk>/<str:action>/", change_request_decide, name="change_request_decide"),
    path("exceptions/", exception_list, name="exception_list"),
    path("exceptions/<int:pk>/edit/", exception_edit, name="exception_edit"),
    path("exceptions/<int:pk>/article/", exception_article, name="exception_article"),
    path("kb/", kb_list, name="kb_list"),
    path("kb/new/", kb_create, name="kb_create"),
    path("kb/<int:pk>/", kb_detail, name="kb_detail"),
    path("kb/<int:pk>/edit/", kb_edit, name="kb_edit"),
]
