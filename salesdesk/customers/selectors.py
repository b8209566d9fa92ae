"""Every read of customers, scoped to what the user may see (own / team / all) and masked (§9.3)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from salesdesk.accounts.models import User
from salesdesk.accounts.roles import Scope
from salesdesk.accounts.scope import owner_scope_q
from salesdesk.core.errors import NotFound
from salesdesk.core.masking import mask_email, mask_mobile, mask_name, mask_phone
from salesdesk.core.text import to_halfwidth

from .models import Address, Contact, Customer


def _scoped(user: Any) -> QuerySet[Customer]:
    return Customer.objects.filter(owner_scope_q(user))


def _addresses() -> Prefetch[Any]:
    return Prefetch("addresses", queryset=Address.objects.select_related("region__parent__parent"))


def search_q(q: str) -> Q:
    """Name, short name, number, USCC, pinyin initials / full pinyin, contact mobile or landline."""
    text = to_halfwidth(q).strip()
    if not text:
        return Q()
    cond = (
        Q(name__icontains=text)
        | Q(short_name__icontains=text)
        | Q(code__iexact=text)
        | Q(code__istartswith=text)
        | Q(uscc__istartswith=text)
    )
    alnum = re.sub(r"[^0-9A-Za-z]", "", text)
    if alnum and alnum == text.replace(" ", ""):
        cond |= Q(pinyin_initials__istartswith=alnum) | Q(pinyin_full__icontains=alnum.lower())
    digits = re.sub(r"[\s\-()]", "", text)
    if digits.isdecimal() and len(digits) >= 4:
        contacts = Contact.objects.filter(customer=OuterRef("pk")).filter(
            Q(mobile__contains=digits) | Q(phone__contains=digits) | Q(phone__contains=text)
        )
        cond |= Q(Exists(contacts))
    return cond


def list_customers(
    *, user: Any, q: str = "", grade: str | None = None, owner: Any = None
) -> QuerySet[Customer]:
    """The customers the user may see, newest first, with owner and primary contact loaded."""
    qs = _scoped(user).filter(search_q(q))
    if grade:
        qs = qs.filter(grade=grade)
    if owner is not None:
        qs = qs.filter(owner=owner)
    primary = Prefetch(
        "contacts", queryset=Contact.objects.filter(is_primary=True), to_attr="primary_contacts"
    )
    return qs.select_related("owner").prefetch_related(primary).order_by("-id")


def list_customers_full(*, user: Any, q: str = "", grade: str | None = None) -> QuerySet[Customer]:
    """As ``list_customers`` but with every contact and address (for the API list)."""
    return (
        _scoped(user)
        .filter(search_q(q))
        .filter(**({"grade": grade} if grade else {}))
        .select_related("owner")
        .prefetch_related("contacts", _addresses())
        .order_by("-id")
    )


def get_customer(*, user: Any, pk: Any) -> Customer:
    """One customer with its contacts and addresses, or NotFound when outside the user's scope."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    customer = (
        _scoped(user)
        .select_related("owner", "created_by")
        .prefetch_related("contacts", _addresses())
        .filter(pk=pk)
        .first()
    )
    if customer is None:
        raise NotFound()
    return customer


def count_customers(*, user: Any) -> int:
    """How many customers the user may see (the workbench figure)."""
    return _scoped(user).count()


def get_contact(*, user: Any, pk: Any) -> Contact:
    """One contact of a customer inside the user's scope."""
    contact = (
        Contact.objects.select_related("customer__owner")
        .filter(customer__in=_scoped(user))
        .filter(pk=pk)
        .first()
    )
    if contact is None:
        raise NotFound()
    return contact


def sees_full_contacts(user: Any, customer: Customer) -> bool:
    """A salesperson sees the full contacts of their own customers; anyone else sees them masked."""
    return customer.owner_id is not None and customer.owner_id == user.pk


@dataclass(frozen=True)
class ContactView:
    id: int
    name: str
    title: str
    mobile: str
    phone: str
    email: str
    wechat: str
    is_primary: bool
    is_masked: bool


def contact_view(contact: Contact, *, full: bool) -> ContactView:
    """What the user may see of a contact: the full record or the masked one (§9.3)."""
    if full:
        return ContactView(
            contact.pk,
            contact.name,
            contact.title,
            contact.mobile,
            contact.phone,
            contact.email,
            contact.wechat,
            contact.is_primary,
            False,
        )
    return ContactView(
        contact.pk,
        mask_name(contact.name),
        contact.title,
        mask_mobile(contact.mobile) if contact.mobile else "",
        mask_phone(contact.phone),
        mask_email(contact.email) if contact.email else "",
        "****" if contact.wechat else "",
        contact.is_primary,
        True,
    )


def contacts_for(*, user: Any, customer: Customer) -> list[ContactView]:
    full = sees_full_contacts(user, customer)
    return [contact_view(c, full=full) for c in customer.contacts.all()]


@dataclass(frozen=True)
class AddressView:
    id: int
    region_code: str
    province: str
    city: str
    district: str
    region_text: str
    detail: str
    receiver: str
    mobile: str
    postcode: str
    is_default: bool


def address_view(address: Address, *, full: bool) -> AddressView:
    """An address with its division names; receiver and mobile masked unless ``full``."""
    path = address.region_info
    return AddressView(
        address.pk,
        address.region_id,
        path.province,
        path.city,
        path.district,
        path.text,
        address.detail,
        address.receiver if full else mask_name(address.receiver),
        address.mobile if full else (mask_mobile(address.mobile) if address.mobile else ""),
        address.postcode,
        address.is_default,
    )


def addresses_for(*, user: Any, customer: Customer) -> list[AddressView]:
    full = sees_full_contacts(user, customer)
    return [address_view(a, full=full) for a in customer.addresses.all()]


@dataclass(frozen=True)
class HistoryEntry:
    at: Any
    who: str
    kind: str
    fields: list[str]


def customer_history(*, customer: Customer, limit: int = 50) -> list[HistoryEntry]:
    """Who changed which fields when, newest first, from the field history (simple_history)."""
    records = list(customer.history.select_related("history_user").order_by("-history_id")[: limit + 1])
    entries = []
    for i, record in enumerate(records[:limit]):
        previous = records[i + 1] if i + 1 < len(records) else None
        if record.history_type == "+" or previous is None:
            changed: list[str] = []
        else:
            delta = record.diff_against(previous)
            changed = [
                str(getattr(Customer._meta.get_field(c.field), "verbose_name", c.field))
                for c in delta.changes
            ]
        user = record.history_user
        entries.append(
            HistoryEntry(
                at=record.history_date,
                who=(user.display_name if user else ""),
                kind=record.history_type,
                fields=changed,
            )
        )
    return entries


def assignable_owners(*, user: Any) -> QuerySet[User]:
    """Users the given user may make the salesperson of a customer (own / team / all scope)."""
    qs = User.objects.filter(is_active=True).order_by("username")
    if user.data_scope == Scope.ALL:
        return qs.filter(groups__name__in=["salesperson", "manager"]).distinct()
    if user.data_scope == Scope.TEAM:
        teams = list(user.managed_teams.values_list("id", flat=True))
        if user.team_id:
            teams.append(user.team_id)
        return qs.filter(Q(pk=user.pk) | Q(team_id__in=teams))
    return qs.filter(pk=user.pk)
