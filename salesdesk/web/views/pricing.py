"""Price list pages (C5): list, detail, create and edit with item rows."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from salesdesk.catalog.formatting import decimal_str
from salesdesk.core.errors import InvalidInput, NotFound
from salesdesk.customers.models import Customer
from salesdesk.pricing import selectors, services
from salesdesk.pricing.models import PriceList

EXTRA_ROWS = 3
_FIELDS = ("code", "name", "kind", "customer", "grade", "valid_from", "valid_to", "tier_mode", "priority")
_ITEM_FIELDS = ("product", "unit_price", "discount_rate", "min_qty")


def _get_or_404(pk: int) -> PriceList:
    try:
        return selectors.get_price_list(pk=pk)
    except NotFound:
        raise Http404 from None


@login_required
@permission_required("pricing.view_pricelist", raise_exception=True)
def pricelist_list(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    kind = kind if kind in PriceList.Kind.values else ""
    q = request.GET.get("q", "").strip()
    return render(
        request,
        "pricing/pricelist_list.html",
        {
            "price_lists": selectors.list_price_lists(kind=kind, q=q),
            "kind": kind,
            "q": q,
            "kinds": PriceList.Kind.choices,
            "can_add": request.user.has_perm("pricing.add_pricelist"),
        },
    )


@login_required
@permission_required("pricing.view_pricelist", raise_exception=True)
def pricelist_detail(request: HttpRequest, pk: int) -> HttpResponse:
    pl = _get_or_404(pk)
    items = [
        {
            "sku": i.product.sku,
            "name": i.product.name,
            "unit_price": decimal_str(i.unit_price),
            "discount_rate": decimal_str(i.discount_rate),
            "min_qty": decimal_str(i.min_qty, min_places=0),
        }
        for i in pl.items.all()
    ]
    return render(
        request,
        "pricing/pricelist_detail.html",
        {"pl": pl, "items": items, "can_change": request.user.has_perm("pricing.change_pricelist")},
    )


def _items_from_post(post: QueryDict) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    index = 0
    while f"items-{index}-product" in post:
        row = {f: post.get(f"items-{index}-{f}", "").strip() for f in _ITEM_FIELDS}
        if any(row.values()):
            rows.append(row)
        index += 1
    return rows


def _render_form(
    request: HttpRequest,
    *,
    form: dict[str, Any],
    items: list[dict[str, str]],
    errors: dict[str, list[str]],
    pl: PriceList | None,
    status: int = 200,
    message: str = "",
) -> HttpResponse:
    blank = dict.fromkeys(_ITEM_FIELDS, "")
    rows = [
        {**row, "index": i, "errors": {f: errors.get(f"items.{i}.{f}", []) for f in _ITEM_FIELDS}}
        for i, row in enumerate([*items, *(blank for _ in range(EXTRA_ROWS))])
    ]
    return render(
        request,
        "pricing/pricelist_form.html",
        {
            "fields": {n: {"name": n, "value": v, "errors": errors.get(n, [])} for n, v in form.items()},
            "is_active": form.get("is_active", True),
            "rows": rows,
            "pl": pl,
            "kinds": PriceList.Kind.choices,
            "tier_modes": PriceList.TierMode.choices,
            "grades": Customer.Grade.choices,
            "message": message,
        },
        status=status,
    )


@login_required
@permission_required("pricing.add_pricelist", raise_exception=True)
@require_http_methods(["GET", "POST"])
def pricelist_create(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        form: dict[str, Any] = dict.fromkeys(_FIELDS, "")
        form.update(kind=PriceList.Kind.PROMOTION, tier_mode=PriceList.TierMode.ALL_UNITS)
        return _render_form(request, form=form, items=[], errors={}, pl=None)
    form = {f: request.POST.get(f, "").strip() for f in _FIELDS}
    items = _items_from_post(request.POST)
    try:
        pl = services.create_price_list(by=request.user, data=form, items=[dict(i) for i in items])
    except InvalidInput as exc:
        return _render_form(
            request, form=form, items=items, errors=exc.fields, pl=None, status=422, message=exc.message
        )
    messages.success(request, _("Price list %(code)s was created.") % {"code": pl.code})
    return HttpResponseRedirect(reverse("web:pricelist_detail", args=[pl.pk]))


@login_required
@permission_required("pricing.change_pricelist", raise_exception=True)
@require_http_methods(["GET", "POST"])
def pricelist_edit(request: HttpRequest, pk: int) -> HttpResponse:
    pl = _get_or_404(pk)
    if request.method == "GET":
        form: dict[str, Any] = {
            "code": pl.code,
            "name": pl.name,
            "kind": pl.kind,
            "customer": str(pl.customer_id or ""),
            "grade": pl.grade,
            "valid_from": pl.valid_from.isoformat() if pl.valid_from else "",
            "valid_to": pl.valid_to.isoformat() if pl.valid_to else "",
            "tier_mode": pl.tier_mode,
            "priority": str(pl.priority),
            "is_active": pl.is_active,
        }
        items = [
            {
                "product": i.product.sku,
                "unit_price": decimal_str(i.unit_price) or "",
                "discount_rate": decimal_str(i.discount_rate) or "",
                "min_qty": decimal_str(i.min_qty, min_places=0) or "",
            }
            for i in pl.items.all()
        ]
        return _render_form(request, form=form, items=items, errors={}, pl=pl)
    form = {f: request.POST.get(f, "").strip() for f in _FIELDS}
    form["is_active"] = request.POST.get("is_active") == "1"
    items = _items_from_post(request.POST)
    try:
        services.update_price_list(by=request.user, price_list=pl, data=form, items=[dict(i) for i in items])
    except InvalidInput as exc:
        return _render_form(
            request, form=form, items=items, errors=exc.fields, pl=pl, status=422, message=exc.message
        )
    messages.success(request, _("Price list %(code)s was saved.") % {"code": form["code"]})
    return HttpResponseRedirect(reverse("web:pricelist_detail", args=[pl.pk]))


urlpatterns = [
    path("price-lists/", pricelist_list, name="pricelist_list"),
    path("price-lists/new/", pricelist_create, name="pricelist_create"),
    path("price-lists/<int:pk>/", pricelist_detail, name="pricelist_detail"),
    path("price-lists/<int:pk>/edit/", pricelist_edit, name="pricelist_edit"),
]
