"""Every write to the catalogue: categories and products with their units (C3, DOMAIN.md §2, §3.5).

Validation lives here so pages and API give the same Chinese messages: every problem of one call is
collected into a single ``InvalidInput`` whose ``fields`` are the dotted paths (``units.0.rate_to_base``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from salesdesk.core.audit import record_audit
from salesdesk.core.errors import InvalidInput
from salesdesk.core.text import pinyin_keys, to_halfwidth
from salesdesk.core.validators import normalize_barcode, normalize_tax_code, normalize_vat_rate, parse_decimal

from .formatting import decimal_str
from .models import Category, Product, ProductUnit

SKU_RE = re.compile(r"^[A-Za-z0-9.\-_]+$")
CATEGORY_CODE_RE = re.compile(r"^[A-Za-z0-9.\-_]+$")
PRICE_PLACES = 6
MAX_UNIT_DECIMALS = 6

# The fields ``update_product`` accepts; ``units`` replaces the whole list of extra units.
PRODUCT_FIELDS = frozenset(
    {
        "sku",
        "name",
        "spec",
        "unit",
        "tax_rate",
        "list_price",
        "floor_price",
        "tax_code",
        "barcode",
        "category",
        "brand",
        "unit_decimals",
        "is_active",
        "units",
    }
)
_MAX_LENGTH = {"sku": 40, "name": 100, "spec": 100, "brand": 50, "unit": 10}


class _Errors:
    """Collects messages per dotted field path, then raises them all at once."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, path: str, message: object) -> None:
        self.fields.setdefault(path, []).append(str(message))

    def add_validation(self, path: str, exc: ValidationError) -> None:
        for message in exc.messages:
            self.add(path, message)

    def raise_if_any(self) -> None:
        if self.fields:
            raise InvalidInput(fields=self.fields)


def _text(value: object) -> str:
    return to_halfwidth("" if value is None else str(value)).strip()


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def is_sku_locked(product: Product) -> bool:
    """Whether the SKU may no longer change (DOMAIN.md §2.1: immutable once used on documents).

    A product counts as used as soon as a row of another app refers to it (a stock level, a stock
    movement, later an order line). The catalogue may not import those apps, so it asks the reverse
    relations Django already knows about; units and history rows belong to the product and do not count.
    """
    if product.pk is None:
        return False
    for relation in Product._meta.related_objects:
        related = relation.related_model
        if (
            isinstance(related, str)
            or related._meta.app_label == Product._meta.app_label
            or relation.many_to_many
        ):
            continue
        if related._default_manager.filter(**{relation.field.name: product.pk}).exists():
            return True
    return False


def _pinyin(name: str, spec: str) -> tuple[str, str]:
    name_initials, name_full = pinyin_keys(name)
    spec_initials, spec_full = pinyin_keys(spec) if spec else ("", "")
    initials = (name_initials + spec_initials)[: Product._meta.get_field("pinyin_initials").max_length]
    full = (name_full + spec_full)[: Product._meta.get_field("pinyin_full").max_length]
    return initials, full


def _resolve_category(value: object, errors: _Errors) -> Category | None:
    if _blank(value):
        return None
    if isinstance(value, Category):
        return value
    text = _text(value)
    category = None
    if text.isdecimal():
        category = Category.objects.filter(pk=int(text)).first()
    if category is None:
        category = Category.objects.filter(code=text).first()
    if category is None:
        errors.add("category", _("Choose an existing category."))
    return category


def _clean_units(
    raw_units: Iterable[Mapping[str, Any]], base_unit: str, errors: _Errors
) -> list[ProductUnit]:
    units: list[ProductUnit] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_units):
        prefix = f"units.{index}"
        unit = _text(raw.get("unit"))
        if not unit:
            errors.add(f"{prefix}.unit", _("This field is required."))
        elif len(unit) > _MAX_LENGTH["unit"]:
            errors.add(f"{prefix}.unit", _("A unit name has at most 10 characters."))
        elif unit == base_unit:
            errors.add(f"{prefix}.unit", _("This is already the base unit."))
        elif unit in seen:
            errors.add(f"{prefix}.unit", _("This unit is listed twice."))
        seen.add(unit)
        rate: Decimal | None = None
        raw_rate = raw.get("rate_to_base")
        if _blank(raw_rate):
            errors.add(f"{prefix}.rate_to_base", _("This field is required."))
        else:
            try:
                rate = parse_decimal(raw_rate, places=PRICE_PLACES)
            except ValidationError as exc:
                errors.add_validation(f"{prefix}.rate_to_base", exc)
            else:
                if rate <= 0:
                    errors.add(f"{prefix}.rate_to_base", _("The rate to the base unit must be more than 0."))
                    rate = None
        barcode = ""
        if not _blank(raw.get("barcode")):
            try:
                barcode = normalize_barcode(str(raw.get("barcode")))
            except ValidationError as exc:
                errors.add_validation(f"{prefix}.barcode", exc)
        if rate is not None and unit:
            units.append(ProductUnit(unit=unit, rate_to_base=rate, barcode=barcode))
    return units


def _clean_product(
    data: Mapping[str, Any], *, instance: Product | None
) -> tuple[dict[str, Any], list[ProductUnit] | None]:
    """Validate the given fields (all of them on create) and return the clean values and units."""
    errors = _Errors()
    clean: dict[str, Any] = {}

    for field in ("sku", "name", "unit"):
        if field in data:
            value = _text(data[field])
            if not value:
                errors.add(field, _("This field is required."))
            elif len(value) > _MAX_LENGTH[field]:
                errors.add(field, _("Use at most %(count)d characters.") % {"count": _MAX_LENGTH[field]})
            else:
                clean[field] = value
    for field in ("spec", "brand"):
        if field in data:
            value = _text(data[field])
            if len(value) > _MAX_LENGTH[field]:
                errors.add(field, _("Use at most %(count)d characters.") % {"count": _MAX_LENGTH[field]})
            else:
                clean[field] = value

    if "sku" in clean:
        sku = clean["sku"]
        if not SKU_RE.match(sku):
            errors.add("sku", _("A SKU may contain only letters, digits, '.', '-' and '_'."))
        else:
            same = Product.objects.filter(sku__iexact=sku)
            if instance is not None:
                same = same.exclude(pk=instance.pk)
            if same.exists():
                errors.add("sku", _("Another product already uses this SKU."))
            elif instance is not None and sku != instance.sku and is_sku_locked(instance):
                errors.add("sku", _("The SKU cannot change once the product has been used."))

    if "tax_rate" in data:
        if _blank(data["tax_rate"]):
            errors.add("tax_rate", _("This field is required."))
        else:
            try:
                clean["tax_rate"] = normalize_vat_rate(data["tax_rate"])
            except ValidationError as exc:
                errors.add_validation("tax_rate", exc)

    if "list_price" in data:
        if _blank(data["list_price"]):
            errors.add("list_price", _("This field is required."))
        else:
            try:
                clean["list_price"] = parse_decimal(data["list_price"], places=PRICE_PLACES)
            except ValidationError as exc:
                errors.add_validation("list_price", exc)
    if "floor_price" in data:
        if _blank(data["floor_price"]):
            clean["floor_price"] = None
        else:
            try:
                clean["floor_price"] = parse_decimal(data["floor_price"], places=PRICE_PLACES)
            except ValidationError as exc:
                errors.add_validation("floor_price", exc)

    list_price = clean.get("list_price", instance.list_price if instance else None)
    floor_price = clean.get("floor_price", instance.floor_price if instance else None)
    if (
        ("list_price" in clean or "floor_price" in clean)
        and list_price is not None
        and floor_price is not None
        and floor_price > list_price
    ):
        errors.add("floor_price", _("The floor price must not be higher than the list price."))

    if "tax_code" in data:
        if _blank(data["tax_code"]):
            clean["tax_code"] = ""
        else:
            try:
                clean["tax_code"] = normalize_tax_code(str(data["tax_code"]))
            except ValidationError as exc:
                errors.add_validation("tax_code", exc)

    if "barcode" in data:
        if _blank(data["barcode"]):
            clean["barcode"] = ""
        else:
            try:
                barcode = normalize_barcode(str(data["barcode"]))
            except ValidationError as exc:
                errors.add_validation("barcode", exc)
            else:
                same = Product.objects.filter(barcode=barcode, is_active=True)
                if instance is not None:
                    same = same.exclude(pk=instance.pk)
                if same.exists():
                    errors.add("barcode", _("An active product already uses this barcode."))
                else:
                    clean["barcode"] = barcode

    if "category" in data:
        clean["category"] = _resolve_category(data["category"], errors)

    if "unit_decimals" in data:
        raw = data["unit_decimals"]
        text = _text(raw) if not isinstance(raw, int) else str(raw)
        if not text.isdecimal() or int(text) > MAX_UNIT_DECIMALS:
            errors.add("unit_decimals", _("Enter a whole number from 0 to 6."))
        else:
            clean["unit_decimals"] = int(text)

    if data.get("is_active") is not None:
        clean["is_active"] = bool(data["is_active"])

    units: list[ProductUnit] | None = None
    if "units" in data:
        base_unit = clean.get("unit", instance.unit if instance else "")
        units = _clean_units(data["units"] or (), base_unit, errors)

    errors.raise_if_any()
    return clean, units


def _price_snapshot(product: Product) -> dict[str, str | None]:
    return {
        "list_price": decimal_str(product.list_price),
        "floor_price": decimal_str(product.floor_price),
    }


@transaction.atomic
def create_product(
    *,
    by: Any,
    sku: str,
    name: str,
    unit: str,
    tax_rate: object,
    list_price: object,
    spec: str = "",
    floor_price: object = None,
    tax_code: str = "",
    barcode: str = "",
    category: Category | int | str | None = None,
    brand: str = "",
    unit_decimals: int | str = 0,
    units: Iterable[Mapping[str, Any]] = (),
) -> Product:
    """Create a product after checking every field; nothing is saved when any field is wrong."""
    data = {
        "sku": sku,
        "name": name,
        "spec": spec,
        "unit": unit,
        "tax_rate": tax_rate,
        "list_price": list_price,
        "floor_price": floor_price,
        "tax_code": tax_code,
        "barcode": barcode,
        "category": category,
        "brand": brand,
        "unit_decimals": unit_decimals,
        "units": list(units),
    }
    clean, clean_units = _clean_product(data, instance=None)
    product = Product(**clean)
    product.pinyin_initials, product.pinyin_full = _pinyin(product.name, product.spec)
    product._history_user = by if getattr(by, "pk", None) else None  # type: ignore[attr-defined]
    product.save()
    for product_unit in clean_units or ():
        product_unit.product = product
    ProductUnit.objects.bulk_create(clean_units or ())
    record_audit(
        action="product.create",
        by=by,
        obj=product,
        data={"sku": product.sku, "name": product.name, **_price_snapshot(product)},
    )
    return product


@transaction.atomic
def update_product(*, product: Product, by: Any, **changes: Any) -> Product:
    """Change the given fields of a product; price changes are also written to the audit log."""
    unknown = set(changes) - PRODUCT_FIELDS
    if unknown:
        raise TypeError(f"update_product() got unexpected fields: {sorted(unknown)}")
    product = Product.objects.select_for_update().get(pk=product.pk)
    clean, clean_units = _clean_product(changes, instance=product)
    before = _price_snapshot(product)
    changed = sorted(field for field, value in clean.items() if getattr(product, field) != value)
    for field, value in clean.items():
        setattr(product, field, value)
    product.pinyin_initials, product.pinyin_full = _pinyin(product.name, product.spec)
    product._history_user = by if getattr(by, "pk", None) else None  # type: ignore[attr-defined]
    product.save()
    if clean_units is not None:
        product.units.all().delete()
        for product_unit in clean_units:
            product_unit.product = product
        ProductUnit.objects.bulk_create(clean_units)
        changed.append("units")
    after = _price_snapshot(product)
    if changed:
        record_audit(action="product.update", by=by, obj=product, data={"fields": changed})
    if before != after:
        record_audit(
            action="product.price_change",
            by=by,
            obj=product,
            data={
                "sku": product.sku,
                "old": before,
                "new": after,
            },
        )
    return product


@transaction.atomic
def create_category(*, by: Any, code: str, name: str, parent: Category | int | None = None) -> Category:
    """Create a category; its code is unique and often prefixes SKUs (``01.02``)."""
    errors = _Errors()
    clean_code = _text(code)
    clean_name = _text(name)
    if not clean_code:
        errors.add("code", _("This field is required."))
    elif len(clean_code) > 20 or not CATEGORY_CODE_RE.match(clean_code):
        errors.add("code", _("A category code has at most 20 letters, digits, '.', '-' or '_'."))
    elif Category.objects.filter(code__iexact=clean_code).exists():
        errors.add("code", _("Another category already uses this code."))
    if not clean_name:
        errors.add("name", _("This field is required."))
    elif len(clean_name) > 50:
        errors.add("name", _("Use at most %(count)d characters.") % {"count": 50})
    parent_obj: Category | None = None
    if parent is not None and not isinstance(parent, Category):
        parent_obj = Category.objects.filter(pk=parent).first()
        if parent_obj is None:
            errors.add("parent", _("Choose an existing category."))
    elif isinstance(parent, Category):
        parent_obj = parent
    errors.raise_if_any()
    category = Category.objects.create(code=clean_code, name=clean_name, parent=parent_obj)
    record_audit(
        action="category.create", by=by, obj=category, data={"code": category.code, "name": category.name}
    )
    return category
