"""API for customers: create, list / search, read and change (C2).

Input fields are loosely typed on purpose: the service validates them and answers in Chinese with
the dotted path of each bad field (``contacts.0.mobile``). Contacts are masked as on the pages.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from salesdesk.customers import selectors, services
from salesdesk.customers.models import Customer

from .common import clamp_page, error_responses, require_perm

router = Router(tags=["customers"])


class ContactIn(Schema):
    name: str | None = None
    title: str | None = None
    mobile: str | None = None
    phone: str | None = None
    email: str | None = None
    wechat: str | None = None
    is_primary: bool | None = None


class AddressIn(Schema):
    region_code: str | None = None
    detail: str | None = None
    receiver: str | None = None
    mobile: str | None = None
    postcode: str | None = None
    is_default: bool | None = None


class CustomerPatch(Schema):
    name: str | None = None
    kind: str | None = None
    uscc: str | None = None
    short_name: str | None = None
    grade: str | None = None
    credit_limit: str | int | float | None = None
    payment_term_days: int | str | None = None
    owner: str | int | None = None
    status: str | None = None
    industry: str | None = None
    source: str | None = None
    notes: str | None = None
    tax_number: str | None = None
    invoice_address: str | None = None
    invoice_phone: str | None = None
    bank_name: str | None = None
    bank_account: str | None = None
    default_invoice_type: str | None = None
    contacts: list[ContactIn] | None = None
    addresses: list[AddressIn] | None = None


class CustomerIn(CustomerPatch):
    name: str | None = ""
    kind: str | None = "company"
    contacts: list[ContactIn] | None = []
    addresses: list[AddressIn] | None = []


class OwnerOut(Schema):
    id: int
    username: str
    name: str


class ContactOut(Schema):
    id: int
    name: str
    title: str
    mobile: str
    phone: str
    email: str
    is_primary: bool
    is_masked: bool


class AddressOut(Schema):
    id: int
    region_code: str
    province: str
    city: str
    district: str
    detail: str
    receiver: str
    mobile: str
    postcode: str
    is_default: bool


class CustomerOut(Schema):
    id: int
    code: str
    name: str
    short_name: str
    kind: str
    uscc: str | None
    grade: str
    credit_limit: str | None
    payment_term_days: int | None
    status: str
    owner: OwnerOut | None
    industry: str
    source: str
    notes: str
    tax_number: str
    invoice_address: str
    invoice_phone: str
    bank_name: str
    bank_account: str
    default_invoice_type: str
    contacts: list[ContactOut]
    addresses: list[AddressOut]
    created_at: dt.datetime


class CustomerListOut(Schema):
    items: list[CustomerOut]
    count: int


def _out(customer: Customer, user: Any) -> CustomerOut:
    owner = customer.owner
    return CustomerOut(
        id=customer.pk,
        code=customer.code,
        name=customer.name,
        short_name=customer.short_name,
        kind=customer.kind,
        uscc=customer.uscc,
        grade=customer.grade,
        credit_limit=None if customer.credit_limit is None else f"{customer.credit_limit:.2f}",
        payment_term_days=customer.payment_term_days,
        status=customer.status,
        owner=OwnerOut(id=owner.pk, username=owner.username, name=owner.name) if owner else None,
        industry=customer.industry,
        source=customer.source,
        notes=customer.notes,
        tax_number=customer.tax_number,
        invoice_address=customer.invoice_address,
        invoice_phone=customer.invoice_phone,
        bank_name=customer.bank_name,
        bank_account=customer.bank_account,
        default_invoice_type=customer.default_invoice_type,
        contacts=[
            ContactOut(
                id=c.id,
                name=c.name,
                title=c.title,
                mobile=c.mobile,
                phone=c.phone,
                email=c.email,
                is_primary=c.is_primary,
                is_masked=c.is_masked,
            )
            for c in selectors.contacts_for(user=user, customer=customer)
        ],
        addresses=[
            AddressOut(
                id=a.id,
                region_code=a.region_code,
                province=a.province,
                city=a.city,
                district=a.district,
                detail=a.detail,
                receiver=a.receiver,
                mobile=a.mobile,
                postcode=a.postcode,
                is_default=a.is_default,
            )
            for a in selectors.addresses_for(user=user, customer=customer)
        ],
        created_at=customer.created_at,
    )


def _payload(payload: CustomerPatch) -> dict[str, Any]:
    data = payload.dict(exclude_unset=True)
    for key in ("contacts", "addresses"):
        if key in data and data[key] is None:
            data[key] = []
    return data


@router.post("", response={201: CustomerOut, **error_responses(403, 409, 422)})
def post_customer(request: HttpRequest, payload: CustomerIn) -> Status[CustomerOut]:
    """Create a customer; duplicates (same USCC, name or contact mobile) answer 409."""
    require_perm(request, "customers.add_customer")
    data = {"name": "", "kind": "company", **_payload(payload)}
    customer = services.create_customer(by=request.user, **data)  # type: ignore[arg-type]
    customer = selectors.get_customer(user=request.user, pk=customer.pk)
    return Status(201, _out(customer, request.user))


@router.get("", response={200: CustomerListOut, **error_responses(403)})
def list_customers(
    request: HttpRequest, q: str = "", grade: str = "", limit: int = 50, offset: int = 0
) -> CustomerListOut:
    """Customers the caller may see, filtered by ``q`` (name, number, USCC, pinyin, phone)."""
    require_perm(request, "customers.view_customer")
    limit, offset = clamp_page(limit, offset)
    qs = selectors.list_customers_full(user=request.user, q=q, grade=grade or None)
    items = [_out(c, request.user) for c in qs[offset : offset + limit]]
    return CustomerListOut(items=items, count=qs.count())


@router.get("/{customer_id}", response={200: CustomerOut, **error_responses(403, 404)})
def get_customer(request: HttpRequest, customer_id: int) -> CustomerOut:
    require_perm(request, "customers.view_customer")
    return _out(selectors.get_customer(user=request.user, pk=customer_id), request.user)


@router.patch("/{customer_id}", response={200: CustomerOut, **error_responses(403, 404, 409, 422)})
def patch_customer(request: HttpRequest, customer_id: int, payload: CustomerPatch) -> CustomerOut:
    """Change the fields sent; ``contacts`` / ``addresses``, when sent, replace the existing ones."""
    require_perm(request, "customers.change_customer")
    customer = selectors.get_customer(user=request.user, pk=customer_id)
    services.update_customer(customer=customer, by=request.user, **_payload(payload))  # type: ignore[arg-type]
    return _out(selectors.get_customer(user=request.user, pk=customer_id), request.user)
