"""Catalogue pages: product list with live search, detail with price history, create and edit (C3)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from salesdesk.catalog import selectors, services
from salesdesk.catalog.errors import ProductNotFound
from salesdesk.catalog.formatting import decimal_str
from salesdesk.catalog.models import Product
from salesdesk.core.errors import InvalidInput

PAGE_SIZE = 25
EXTRA_UNIT_ROWS = 2
_TEXT_FIELDS = (
    "sku",
    "name",
    "spec",
    "category",
    "brand",
    "unit",
    "unit_decimals",
    "tax_rate",
    "tax_code",
    "list_price",
    "floor_price",
    "barcode",
)


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdecimal() else None


@login_required
@permission_required("catalog.view_product", raise_exception=True)
def product_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    category_id = _int_or_none(request.GET.get("category"))
    show_inactive = request.GET.get("inactive") == "1"
    qs = selectors.list_products(q=q, category=category_id, active=None if show_inactive else True)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    params = {"q": q, "category": category_id or "", "inactive": "1" if show_inactive else ""}
    context = {
        "page": page,
        "q": q,
        "category_id": category_id,
        "show_inactive": show_inactive,
        "categories": selectors.list_categories(),
        "query": urlencode({k: v for k, v in params.items() if v}),
        "can_add": request.user.has_perm("catalog.add_product"),
    }
    template = "catalog/product_list.html"
    if request.headers.get("HX-Request") == "true" and not request.headers.get("HX-Boosted"):
        template += "#results"
    return render(request, template, context)


def _get_product_or_404(pk: int) -> Product:
    try:
        return selectors.get_product(pk=pk)
    except ProductNotFound:
        raise Http404 from None


@login_required
@permission_required("catalog.view_product", raise_exception=True)
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    product = _get_product_or_404(pk)
    return render(
        request,
        "catalog/product_detail.html",
        {
            "product": product,
            "units": list(product.units.all()),
            "list_price": decimal_str(product.list_price),
            "floor_price": decimal_str(product.floor_price),
            "history": selectors.product_price_history(product=product),
            "can_change": request.user.has_perm("catalog.change_product"),
        },
    )


def _form_from_product(product: Product) -> dict[str, Any]:
    return {
        "sku": product.sku,
        "name": product.name,
        "spec": product.spec,
        "category": str(product.category_id or ""),
        "brand": product.brand,
        "unit": product.unit,
        "unit_decimals": str(product.unit_decimals),
        "tax_rate": f"{product.tax_rate * 100:.0f}%",
        "tax_code": product.tax_code,
        "list_price": decimal_str(product.list_price),
        "floor_price": decimal_str(product.floor_price) or "",
        "barcode": product.barcode,
        "is_active": product.is_active,
    }


def _units_from_post(post: QueryDict) -> list[dict[str, str]]:
    """Unit rows ``units-<n>-unit`` / ``units-<n>-rate_to_base``; fully empty rows are ignored."""
    rows: list[dict[str, str]] = []
    index = 0
    while f"units-{index}-unit" in post:
        row = {
            "unit": post.get(f"units-{index}-unit", "").strip(),
            "rate_to_base": post.get(f"units-{index}-rate_to_base", "").strip(),
            "barcode": post.get(f"units-{index}-barcode", "").strip(),
        }
        if any(row.values()):
            rows.append(row)
        index += 1
    return rows


def _unit_rows(units: list[dict[str, str]], errors: dict[str, list[str]]) -> list[dict[str, Any]]:
    rows = [*units, *({"unit": "", "rate_to_base": "", "barcode": ""} for _ in range(EXTRA_UNIT_ROWS))]
    return [
        {
            **row,
            "index": i,
            "errors": {
                key: errors.get(f"units.{i}.{key}", []) for key in ("unit", "rate_to_base", "barcode")
            },
        }
        for i, row in enumerate(rows)
    ]


def _render_form(
    request: HttpRequest,
    *,
    form: dict[str, Any],
    units: list[dict[str, str]],
    errors: dict[str, list[str]],
    product: Product | None,
    status: int = 200,
    message: str = "",
) -> HttpResponse:
    return render(
        request,
        "catalog/product_form.html",
        {
            "fields": {
                name: {"name": name, "value": value, "errors": errors.get(name, [])}
                for name, value in form.items()
            },
            "is_active": form.get("is_active", True),
            "unit_rows": _unit_rows(units, errors),
            "product": product,
            "categories": selectors.list_categories(),
            "message": message,
            "sku_locked": bool(product and services.is_sku_locked(product)),
        },
        status=status,
    )


@login_required
@permission_required("catalog.add_product", raise_exception=True)
@require_http_methods(["GET", "POST"])
def product_create(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        form = {field: "" for field in _TEXT_FIELDS}
        form.update(tax_rate="13%", unit_decimals="0")
        return _render_form(request, form=form, units=[], errors={}, product=None)
    form = {field: request.POST.get(field, "").strip() for field in _TEXT_FIELDS}
    units = _units_from_post(request.POST)
    try:
        product = services.create_product(by=request.user, **form, units=units)
    except InvalidInput as exc:
        return _render_form(
            request, form=form, units=units, errors=exc.fields, product=None, status=422, message=exc.message
        )
    messages.success(request, _("Product %(sku)s was created.") % {"sku": product.sku})
    return HttpResponseRedirect(reverse("web:product_detail", args=[product.pk]))


@login_required
@permission_required("catalog.change_product", raise_exception=True)
@require_http_methods(["GET", "POST"])
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    product = _get_product_or_404(pk)
    if request.method == "GET":
        units = [
            {
                "unit": u.unit,
                "rate_to_base": decimal_str(u.rate_to_base, min_places=0) or "",
                "barcode": u.barcode,
            }
            for u in product.units.all()
        ]
        return _render_form(
            request, form=_form_from_product(product), units=units, errors={}, product=product
        )
    form: dict[str, Any] = {field: request.POST.get(field, "").strip() for field in _TEXT_FIELDS}
    form["is_active"] = request.POST.get("is_active") == "1"
    units = _units_from_post(request.POST)
    try:
        services.update_product(product=product, by=request.user, **form, units=units)
    except InvalidInput as exc:
        return _render_form(
            request,
            form=form,
            units=units,
            errors=exc.fields,
            product=product,
            status=422,
            message=exc.message,
        )
    messages.success(request, _("Product %(sku)s was saved.") % {"sku": form["sku"]})
    return HttpResponseRedirect(reverse("web:product_detail", args=[product.pk]))


urlpatterns = [
    path("products/", product_list, name="product_list"),
    path("products/new/", product_create, name="product_create"),
    path("products/<int:pk>/", product_detail, name="product_detail"),
    path("products/<int:pk>/edit/", product_edit, name="product_edit"),
]
