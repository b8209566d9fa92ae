"""Catalogue API: products and categories (C3). Mounted at ``/api/``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from salesdesk.api.common import PageParams, clamp_page, error_responses, require_perm
from salesdesk.catalog import selectors, services
from salesdesk.catalog.formatting import decimal_str
from salesdesk.catalog.models import Category, Product, ProductUnit

router = Router(tags=["catalog"])

PRICE_RULE = (
    "Decimal string with at least 2 and at most 6 decimals, trailing zeros beyond 2 dropped: "
    '"35.00", "12.3456".'
)
# Loosely typed input: the service validates and answers with Chinese messages; numbers may be JSON
# numbers or strings ("13%", "0.13" and "13" are all 13 % VAT).
Loose = str | int | float | None


class ProductUnitIn(Schema):
    unit: str | None = None
    rate_to_base: Loose = None
    barcode: str | None = None


class ProductIn(Schema):
    sku: str | None = None
    name: str | None = None
    spec: str | None = ""
    unit: str | None = None
    tax_rate: Loose = None
    list_price: Loose = None
    floor_price: Loose = None
    tax_code: str | None = ""
    barcode: str | None = ""
    category: int | str | None = Field(None, description="Category id or code.")
    brand: str | None = ""
    unit_decimals: int | str | None = 0
    units: list[ProductUnitIn] = Field(
        [], description="Other units: 1 箱 = 12 个 is {unit: 箱, rate_to_base: 12}."
    )


class ProductPatch(Schema):
    sku: str | None = None
    name: str | None = None
    spec: str | None = None
    unit: str | None = None
    tax_rate: Loose = None
    list_price: Loose = None
    floor_price: Loose = None
    tax_code: str | None = None
    barcode: str | None = None
    category: int | str | None = None
    brand: str | None = None
    unit_decimals: int | str | None = None
    is_active: bool | None = None
    units: list[ProductUnitIn] | None = None


class ProductUnitOut(Schema):
    unit: str
    rate_to_base: str = Field(..., description='Decimal string without trailing zeros: "12", "2.5".')
    barcode: str

    @staticmethod
    def resolve_rate_to_base(obj: ProductUnit) -> str:
        return decimal_str(obj.rate_to_base, min_places=0) or "0"


class ProductOut(Schema):
    id: int
    sku: str
    name: str
    spec: str
    category: int | None = Field(None, description="Category id.")
    category_name: str
    brand: str
    unit: str
    unit_decimals: int
    tax_rate: str = Field(..., description='VAT rate as a fraction: "0.13".')
    tax_code: str
    list_price: str = Field(..., description=f"Tax-inclusive list price per base unit. {PRICE_RULE}")
    floor_price: str | None = Field(None, description=f"Tax-inclusive floor price or null. {PRICE_RULE}")
    barcode: str
    is_active: bool
    units: list[ProductUnitOut]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_category(obj: Product) -> int | None:
        return obj.category_id

    @staticmethod
    def resolve_category_name(obj: Product) -> str:
        return obj.category.name if obj.category else ""

    @staticmethod
    def resolve_tax_rate(obj: Product) -> str:
        return decimal_str(obj.tax_rate) or "0.00"

    @staticmethod
    def resolve_list_price(obj: Product) -> str:
        return decimal_str(obj.list_price) or "0.00"

    @staticmethod
    def resolve_floor_price(obj: Product) -> str | None:
        return decimal_str(obj.floor_price)

    @staticmethod
    def resolve_units(obj: Product) -> list[ProductUnit]:
        return list(obj.units.all())


class ProductListOut(Schema):
    items: list[ProductOut]
    count: int


class ProductFilter(PageParams):
    category: int | None = None
    active: bool | None = Field(True, description="true: on sale (default); false: discontinued; null: all.")


class CategoryIn(Schema):
    code: str | None = None
    name: str | None = None
    parent: int | None = None


class CategoryOut(Schema):
    id: int
    code: str
    name: str
    parent: int | None

    @staticmethod
    def resolve_parent(obj: Category) -> int | None:
        return obj.parent_id


class CategoryListOut(Schema):
    items: list[CategoryOut]
    count: int


@router.post("/products", response={201: ProductOut, **error_responses(403, 422)})
def create_product(request: HttpRequest, payload: ProductIn) -> tuple[int, Product]:
    require_perm(request, "catalog.add_product")
    data: dict[str, Any] = payload.dict()
    data["units"] = [u.dict() for u in payload.units]
    data = {
        k: ("" if v is None and k in {"spec", "tax_code", "barcode", "brand"} else v) for k, v in data.items()
    }
    if data.get("unit_decimals") is None:
        data["unit_decimals"] = 0
    return 201, services.create_product(by=request.user, **data)


@router.get("/products", response=ProductListOut)
def list_products(request: HttpRequest, filters: Query[ProductFilter]) -> dict[str, Any]:
    require_perm(request, "catalog.view_product")
    limit, offset = clamp_page(filters.limit, filters.offset)
    qs = selectors.list_products(q=filters.q, category=filters.category, active=filters.active)
    return {"items": list(qs.prefetch_related("units")[offset : offset + limit]), "count": qs.count()}


@router.get("/products/{product_id}", response={200: ProductOut, **error_responses(403, 404)})
def get_product(request: HttpRequest, product_id: int) -> Product:
    require_perm(request, "catalog.view_product")
    return selectors.get_product(pk=product_id)


@router.patch("/products/{product_id}", response={200: ProductOut, **error_responses(403, 404, 422)})
def update_product(request: HttpRequest, product_id: int, payload: ProductPatch) -> Product:
    require_perm(request, "catalog.change_product")
    product = selectors.get_product(pk=product_id)
    changes = payload.dict(exclude_unset=True)
    if payload.units is not None:
        changes["units"] = [u.dict() for u in payload.units]
    return services.update_product(product=product, by=request.user, **changes)


@router.get("/categories", response=CategoryListOut)
def list_categories(request: HttpRequest) -> dict[str, Any]:
    require_perm(request, "catalog.view_product")
    items = list(selectors.list_categories())
    return {"items": items, "count": len(items)}


@router.post("/categories", response={201: CategoryOut, **error_responses(403, 422)})
def create_category(request: HttpRequest, payload: CategoryIn) -> tuple[int, Category]:
    require_perm(request, "catalog.add_category")
    category = services.create_category(
        by=request.user, code=payload.code or "", name=payload.name or "", parent=payload.parent
    )
    return 201, category
