"""Writes for price lists: create and update a list with its items, validated and audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from salesdesk.catalog.models import Product
from salesdesk.core.audit import record_audit
from salesdesk.core.errors import InvalidInput
from salesdesk.customers.models import Customer

from .models import PriceList, PriceListItem

PRIORITY_BY_KIND: dict[str, int] = {str(k): v for k, v in PriceList.DEFAULT_PRIORITY.items()}
_LIST_FIELDS = (
    "code",
    "name",
    "kind",
    "customer",
    "grade",
    "valid_from",
    "valid_to",
    "tier_mode",
    "is_active",
    "priority",
)


def _decimal(raw: Any, path: str, errors: dict[str, list[str]], *, required: bool = False) -> Decimal | None:
    text = "" if raw is None else str(raw).strip()
    if not text:
        if required:
            errors[path] = [_("This field is required.")]
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        errors[path] = [_("Enter a number.")]
        return None
    if not value.is_finite() or value < 0:
        errors[path] = [_("Must not be negative.")]
        return None
    return value


def _date(raw: Any, path: str, errors: dict[str, list[str]]) -> dt.date | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw).strip())
    except ValueError:
        errors[path] = [_("Enter a valid date (YYYY-MM-DD).")]
        return None


def _clean_list(
    data: dict[str, Any], instance: PriceList | None, errors: dict[str, list[str]]
) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    current = {f: getattr(instance, f) for f in _LIST_FIELDS} if instance else {}
    merged = {**current, **data}
    code = str(merged.get("code") or "").strip()
    if not code:
        errors["code"] = [_("This field is required.")]
    elif PriceList.objects.filter(code=code).exclude(pk=instance.pk if instance else -1).exists():
        errors["code"] = [_("A price list with this code already exists.")]
    cleaned["code"] = code
    name = str(merged.get("name") or "").strip()
    if not name:
        errors["name"] = [_("This field is required.")]
    cleaned["name"] = name
    kind = merged.get("kind") or ""
    if kind not in PriceList.Kind.values:
        errors["kind"] = [_("Choose a valid kind.")]
    cleaned["kind"] = kind
    customer = merged.get("customer")
    if customer is not None and not isinstance(customer, Customer):
        customer = Customer.objects.filter(pk=customer).first() if str(customer).isdecimal() else None
        if customer is None and data.get("customer") not in (None, ""):
            errors["customer"] = [_("Unknown customer.")]
    if kind == PriceList.Kind.AGREEMENT and customer is None and "customer" not in errors:
        errors["customer"] = [_("An agreement price list needs a customer.")]
    cleaned["customer"] = customer if kind == PriceList.Kind.AGREEMENT else None
    grade = str(merged.get("grade") or "").strip().upper()
    if kind == PriceList.Kind.GRADE and grade not in Customer.Grade.values:
        errors["grade"] = [_("Choose a customer grade.")]
    cleaned["grade"] = grade if kind == PriceList.Kind.GRADE else ""
    cleaned["valid_from"] = _date(merged.get("valid_from"), "valid_from", errors)
    cleaned["valid_to"] = _date(merged.get("valid_to"), "valid_to", errors)
    if cleaned["valid_from"] and cleaned["valid_to"] and cleaned["valid_to"] < cleaned["valid_from"]:
        errors["valid_to"] = [_("The end date must not be before the start date.")]
    tier_mode = merged.get("tier_mode") or PriceList.TierMode.ALL_UNITS
    if tier_mode not in PriceList.TierMode.values:
        errors["tier_mode"] = [_("Choose a valid tier mode.")]
    cleaned["tier_mode"] = tier_mode
    is_active = merged.get("is_active")
    cleaned["is_active"] = True if is_active is None else bool(is_active)
    priority = merged.get("priority")
    if priority in (None, ""):
        cleaned["priority"] = PRIORITY_BY_KIND.get(str(kind), 100)
    else:
        try:
            cleaned["priority"] = int(str(priority))
            if cleaned["priority"] < 0:
                raise ValueError
        except ValueError:
            errors["priority"] = [_("Enter a whole number that is not negative.")]
    return cleaned


def _clean_items(items: list[dict[str, Any]], errors: dict[str, list[str]]) -> list[dict[str, Any]]:
    skus = [str(i.get("product") or "").strip() for i in items]
    by_sku = {p.sku: p for p in Product.objects.filter(sku__in=[s for s in skus if s])}
    by_id = {
        p.pk: p
        for p in Product.objects.filter(pk__in=[int(s) for s in skus if s.isdecimal() and s not in by_sku])
    }
    cleaned = []
    seen: set[tuple[int, Decimal]] = set()
    for n, (raw, sku) in enumerate(zip(items, skus, strict=True)):
        path = f"items.{n}"
        product = by_sku.get(sku) or (by_id.get(int(sku)) if sku.isdecimal() else None)
        if not sku:
            errors[f"{path}.product"] = [_("This field is required.")]
        elif product is None:
            errors[f"{path}.product"] = [_("Unknown product.")]
        unit_price = _decimal(raw.get("unit_price"), f"{path}.unit_price", errors)
        rate = _decimal(raw.get("discount_rate"), f"{path}.discount_rate", errors)
        if rate is not None and rate > 1:
            errors[f"{path}.discount_rate"] = [_("The discount rate must be between 0 and 1.")]
        min_qty = _decimal(raw.get("min_qty"), f"{path}.min_qty", errors) or Decimal(0)
        if (
            unit_price is None
            and rate is None
            and f"{path}.unit_price" not in errors
            and f"{path}.discount_rate" not in errors
        ):
            errors[f"{path}.unit_price"] = [_("Enter a price or a discount rate.")]
        if product is not None:
            key = (product.pk, min_qty)
            if key in seen:
                errors[f"{path}.min_qty"] = [_("This product already has a row with this minimum quantity.")]
            seen.add(key)
        cleaned.append(
            {"product": product, "unit_price": unit_price, "discount_rate": rate, "min_qty": min_qty}
        )
    return cleaned


def _save_items(price_list: PriceList, items: list[dict[str, Any]]) -> None:
    price_list.items.all().delete()
    for item in items:
        PriceListItem.objects.create(price_list=price_list, **item)


@transaction.atomic
def create_price_list(
    *, by: Any, data: dict[str, Any], items: list[dict[str, Any]] | None = None
) -> PriceList:
    """Create a price list with its items; InvalidInput names every field at fault ("items.0.unit_price")."""
    errors: dict[str, list[str]] = {}
    cleaned = _clean_list(data, None, errors)
    cleaned_items = _clean_items(items or [], errors)
    if errors:
        raise InvalidInput(fields=errors)
    price_list = PriceList.objects.create(created_by=by if getattr(by, "pk", None) else None, **cleaned)
    _save_items(price_list, cleaned_items)
    record_audit(
        action="pricing.price_list.create", by=by, obj=price_list, data={"items": len(cleaned_items)}
    )
    return price_list


@transaction.atomic
def update_price_list(
    *, by: Any, price_list: PriceList, data: dict[str, Any], items: list[dict[str, Any]] | None = None
) -> PriceList:
    """Change a price list; when ``items`` is given it replaces all the list's items."""
    price_list = PriceList.objects.select_for_update().get(pk=price_list.pk)
    errors: dict[str, list[str]] = {}
    cleaned = _clean_list(data, price_list, errors)
    cleaned_items = _clean_items(items, errors) if items is not None else None
    if errors:
        raise InvalidInput(fields=errors)
    changed = [f for f, v in cleaned.items() if getattr(price_list, f) != v]
    for field, value in cleaned.items():
        setattr(price_list, field, value)
    price_list.save()
    if cleaned_items is not None:
        _save_items(price_list, cleaned_items)
    record_audit(
        action="pricing.price_list.update",
        by=by,
        obj=price_list,
        data={"changed": changed, "items": None if cleaned_items is None else len(cleaned_items)},
    )
    return price_list
