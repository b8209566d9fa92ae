"""Every write to customers: create, update, reassign, reveal a contact (C2, DOMAIN.md §1.6).

All input is validated here so pages and API give the same Chinese messages, with every error
collected under its dotted field path (``contacts.0.mobile``) before anything is saved.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from salesdesk.accounts.models import User
from salesdesk.accounts.roles import Scope
from salesdesk.accounts.scope import owner_scope_q
from salesdesk.core.audit import record_audit
from salesdesk.core.errors import Forbidden, InvalidInput, NotFound
from salesdesk.core.models import Region
from salesdesk.core.models import Sequence as CodeSequence
from salesdesk.core.text import name_match_key, normalize_company_name, pinyin_keys, to_halfwidth
from salesdesk.core.validators import (
    normalize_landline,
    normalize_mobile,
    normalize_phone,
    normalize_uscc,
    parse_decimal,
)

from .errors import DuplicateCustomer
from .models import Address, Contact, Customer

CODE_PREFIX = "KH"
_CODE_DAY = dt.date(1970, 1, 1)
KIND_ALIASES = {"enterprise": Customer.Kind.COMPANY, "individual": Customer.Kind.PERSON}
SIMPLE_FIELDS = (
    "short_name",
    "industry",
    "source",
    "notes",
    "invoice_address",
    "bank_name",
    "bank_account",
)
MAX_LENGTHS = {
    "name": 100,
    "short_name": 50,
    "industry": 50,
    "source": 50,
    "invoice_address": 200,
    "bank_name": 100,
    "bank_account": 40,
    "contact.name": 50,
    "contact.title": 50,
    "contact.wechat": 50,
    "address.detail": 200,
    "address.receiver": 50,
}
TAX_NUMBER_RE = re.compile(r"^[0-9A-Z]{15}$|^[0-9A-Z]{17,20}$")
POSTCODE_RE = re.compile(r"^\d{6}$")
CREDIT_LIMIT_MAX = Decimal("9999999999999999.99")


class _Errors:
    """Collects messages per dotted field path."""

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


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "on", "yes", "y"}
    return bool(value)


def _check_length(errors: _Errors, path: str, key: str, value: str) -> None:
    limit = MAX_LENGTHS[key]
    if len(value) > limit:
        errors.add(path, _("Use at most %(limit)d characters.") % {"limit": limit})


# --- field cleaners ---------------------------------------------------------------------------------


def _clean_kind(errors: _Errors, value: Any) -> str:
    text = _text(value).lower()
    text = KIND_ALIASES.get(text, text)
    if text not in Customer.Kind.values:
        errors.add("kind", _("Choose a customer type: company, individual business, person or government."))
        return Customer.Kind.COMPANY
    return text


def _clean_grade(errors: _Errors, value: Any) -> str:
    text = _text(value).upper() or Customer.Grade.C
    if text not in Customer.Grade.values:
        errors.add("grade", _("Choose a grade: A, B, C or D."))
    return text


def _clean_status(errors: _Errors, value: Any) -> str:
    text = _text(value).lower() or Customer.Status.ACTIVE
    if text not in Customer.Status.values:
        errors.add("status", _("Choose a valid status."))
    return text


def _clean_invoice_type(errors: _Errors, value: Any) -> str:
    text = _text(value).lower() or Customer.InvoiceType.NORMAL
    if text not in Customer.InvoiceType.values:
        errors.add("default_invoice_type", _("Choose a valid invoice type."))
    return text


def _clean_uscc(errors: _Errors, value: Any) -> str | None:
    text = _text(value)
    if not text:
        return None
    try:
        return normalize_uscc(text)
    except ValidationError as exc:
        errors.add_validation("uscc", exc)
        return None


def _clean_tax_number(errors: _Errors, value: Any) -> str:
    text = re.sub(r"[\s\-]", "", to_halfwidth(_text(value))).upper()
    if not text:
        return ""
    if not TAX_NUMBER_RE.match(text):
        errors.add("tax_number", _("A taxpayer number has 15 or 17 to 20 letters and digits."))
    elif len(text) == 18 and not text.isdecimal() and not text[:17].isdecimal():
        try:
            normalize_uscc(text)
        except ValidationError as exc:
            errors.add_validation("tax_number", exc)
    return text


def _clean_credit_limit(errors: _Errors, value: Any) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        errors.add("credit_limit", _("Enter a number."))
        return None
    try:
        amount = parse_decimal(value, places=2, minimum=Decimal("0"))
    except ValidationError as exc:
        errors.add_validation("credit_limit", exc)
        return None
    if amount > CREDIT_LIMIT_MAX:
        errors.add("credit_limit", _("The amount is too large."))
        return None
    return amount.quantize(Decimal("0.01"))


def _clean_term_days(errors: _Errors, value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = to_halfwidth(str(value)).strip()
    if isinstance(value, bool) or not re.fullmatch(r"\d{1,4}", text) or int(text) > 3650:
        errors.add("payment_term_days", _("Enter a whole number of days between 0 and 3650."))
        return None
    return int(text)


def _clean_invoice_phone(errors: _Errors, value: Any) -> str:
    text = _text(value)
    if not text:
        return ""
    try:
        return normalize_phone(text)
    except ValidationError as exc:
        errors.add_validation("invoice_phone", exc)
        return text


def _clean_contacts(errors: _Errors, rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    cleaned: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        path = f"contacts.{i}"
        if not isinstance(row, Mapping):
            errors.add(path, _("Each contact must be an object."))
            continue
        name = _text(row.get("name"))
        item: dict[str, Any] = {
            "name": name,
            "title": _text(row.get("title")),
            "wechat": _text(row.get("wechat")),
            "pi_source": _text(row.get("pi_source"))[:100],
            "mobile": "",
            "phone": "",
            "email": "",
            "is_primary": _flag(row.get("is_primary")),
        }
        if not name:
            errors.add(f"{path}.name", _("Enter the contact's name."))
        for key in ("name", "title", "wechat"):
            _check_length(errors, f"{path}.{key}", f"contact.{key}", item[key])
        mobile = _text(row.get("mobile"))
        if mobile:
            try:
                item["mobile"] = normalize_mobile(mobile)
            except ValidationError as exc:
                errors.add_validation(f"{path}.mobile", exc)
        phone = _text(row.get("phone"))
        if phone:
            try:
                item["phone"] = normalize_landline(phone)
            except ValidationError:
                try:
                    item["phone"] = normalize_phone(phone)
                except ValidationError as exc:
                    errors.add_validation(f"{path}.phone", exc)
        email = to_halfwidth(_text(row.get("email")))
        if email:
            try:
                validate_email(email)
                item["email"] = email.lower()
            except ValidationError:
                errors.add(f"{path}.email", _("Enter a valid email address."))
        cleaned.append(item)
    primaries = [i for i, c in enumerate(cleaned) if c["is_primary"]]
    for extra in primaries[1:]:
        errors.add(f"contacts.{extra}.is_primary", _("Only one contact can be the primary contact."))
    if cleaned and not primaries:
        cleaned[0]["is_primary"] = True
    return cleaned


def _is_selectable_region(region: Region) -> bool:
    """County level, a city without counties (直筒子市), or 港澳台 which have no lower levels."""
    if region.level == Region.Level.COUNTY:
        return True
    if region.level == Region.Level.CITY:
        return not Region.objects.filter(parent=region).exists()
    return region.code[:2] in {"71", "81", "82"}


def _clean_addresses(errors: _Errors, rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    cleaned: list[dict[str, Any]] = []
    rows = list(rows)
    codes = {_text(r.get("region_code")) for r in rows if isinstance(r, Mapping)}
    regions = {r.code: r for r in Region.objects.filter(code__in=codes - {""})}
    for i, row in enumerate(rows):
        path = f"addresses.{i}"
        if not isinstance(row, Mapping):
            errors.add(path, _("Each address must be an object."))
            continue
        code = to_halfwidth(_text(row.get("region_code")))
        item: dict[str, Any] = {
            "region": None,
            "detail": _text(row.get("detail")),
            "receiver": _text(row.get("receiver")),
            "mobile": "",
            "postcode": "",
            "is_default": _flag(row.get("is_default")),
        }
        region = regions.get(code)
        if not code:
            errors.add(f"{path}.region_code", _("Choose the province, city and district."))
        elif region is None:
            errors.add(f"{path}.region_code", _("This administrative division code does not exist."))
        elif not _is_selectable_region(region):
            errors.add(f"{path}.region_code", _("Choose down to the district or county level."))
        else:
            item["region"] = region
        if not item["detail"]:
            errors.add(f"{path}.detail", _("Enter the street address."))
        _check_length(errors, f"{path}.detail", "address.detail", item["detail"])
        _check_length(errors, f"{path}.receiver", "address.receiver", item["receiver"])
        mobile = _text(row.get("mobile"))
        if mobile:
            try:
                item["mobile"] = normalize_mobile(mobile)
            except ValidationError as exc:
                errors.add_validation(f"{path}.mobile", exc)
        postcode = to_halfwidth(_text(row.get("postcode")))
        if postcode:
            if POSTCODE_RE.match(postcode):
                item["postcode"] = postcode
            else:
                errors.add(f"{path}.postcode", _("A postcode has 6 digits."))
        cleaned.append(item)
    defaults = [i for i, a in enumerate(cleaned) if a["is_default"]]
    for extra in defaults[1:]:
        errors.add(f"addresses.{extra}.is_default", _("Only one address can be the default address."))
    if cleaned and not defaults:
        cleaned[0]["is_default"] = True
    return cleaned


# --- ownership --------------------------------------------------------------------------------------


def _resolve_user(errors: _Errors, value: Any) -> User | None:
    if value is None or value == "":
        return None
    if isinstance(value, User):
        return value
    text = _text(value)
    user = User.objects.filter(username=text, is_active=True).first()
    if user is None and text.isdecimal():
        user = User.objects.filter(pk=int(text), is_active=True).first()
    if user is None:
        errors.add("owner", _("No active user with this user name."))
    return user


def _may_own_for(by: User, owner: User) -> bool:
    """Whether ``by`` may make ``owner`` the salesperson of a customer (own / team / all scope)."""
    if by.data_scope == Scope.ALL:
        return True
    if by.data_scope == Scope.TEAM:
        teams = set(by.managed_teams.values_list("id", flat=True))
        if by.team_id:
            teams.add(by.team_id)
        return owner.pk == by.pk or owner.team_id in teams
    return owner.pk == by.pk


def _default_owner(by: User) -> User | None:
    return by if by.has_role("salesperson", "manager") or by.data_scope == Scope.OWN else None


def _check_owner(errors: _Errors, by: User, owner: User | None) -> None:
    if owner is None:
        if by.data_scope == Scope.OWN:
            errors.add("owner", _("A salesperson can only create customers they own."))
        return
    if not owner.is_active:
        errors.add("owner", _("No active user with this user name."))
    elif not _may_own_for(by, owner):
        if by.data_scope == Scope.OWN:
            errors.add("owner", _("A salesperson can only create customers they own."))
        else:
            errors.add("owner", _("You can only assign customers to members of your team."))


def _visible(by: User, customer: Customer) -> bool:
    return Customer.objects.filter(owner_scope_q(by)).filter(pk=customer.pk).exists()


# --- duplicates -------------------------------------------------------------------------------------


def _duplicate_message(by: User, existing: Customer, reason: str) -> str:
    if _visible(by, existing):
        return _("A customer with the same %(reason)s already exists: %(code)s %(name)s.") % {
            "reason": reason,
            "code": existing.code,
            "name": existing.name,
        }
    owner = existing.owner.display_name if existing.owner else _("the shared pool")
    return _("A customer with the same %(reason)s already exists; it belongs to %(owner)s.") % {
        "reason": reason,
        "owner": owner,
    }


def _check_duplicates(
    *, by: User, name_key: str | None, uscc: str | None, mobiles: Sequence[str], exclude_pk: int | None
) -> None:
    """Refuse a second customer with the same USCC, normalized name or contact mobile (§1.6)."""
    others = Customer.objects.select_related("owner")
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if uscc:
        existing = others.filter(uscc=uscc).first()
        if existing is not None:
            message = _duplicate_message(by, existing, _("unified social credit code"))
            raise DuplicateCustomer(message, fields={"uscc": [message]})
    existing = others.filter(name_key=name_key).first() if name_key else None
    if existing is not None:
        message = _duplicate_message(by, existing, _("customer name"))
        raise DuplicateCustomer(message, fields={"name": [message]})
    for i, mobile in enumerate(mobiles):
        if not mobile:
            continue
        existing = others.filter(contacts__mobile=mobile).first()
        if existing is not None:
            message = _duplicate_message(by, existing, _("contact mobile"))
            raise DuplicateCustomer(message, fields={f"contacts.{i}.mobile": [message]})


# --- writes -----------------------------------------------------------------------------------------


def _next_code() -> str:
    seq, _created = CodeSequence.objects.get_or_create(prefix=CODE_PREFIX, day=_CODE_DAY)
    seq = CodeSequence.objects.select_for_update().get(pk=seq.pk)
    seq.last_value += 1
    seq.save(update_fields=["last_value"])
    return f"{CODE_PREFIX}{seq.last_value:06d}"


def _save_contacts(customer: Customer, rows: list[dict[str, Any]], by: User) -> None:
    for old in list(customer.contacts.all()):
        old._history_user = by  # type: ignore[attr-defined]
        old.delete()
    for row in rows:
        contact = Contact(customer=customer, **row)
        contact._history_user = by  # type: ignore[attr-defined]
        contact.save()


def _save_addresses(customer: Customer, rows: list[dict[str, Any]], by: User) -> None:
    for old_address in list(customer.addresses.all()):
        old_address._history_user = by  # type: ignore[attr-defined]
        old_address.delete()
    for row in rows:
        address = Address(customer=customer, **row)
        address._history_user = by  # type: ignore[attr-defined]
        address.save()


# The customer's own fields that have a cleaner of their own, in the order they are checked.
_FIELD_CLEANERS: dict[str, Callable[[_Errors, Any], Any]] = {
    "kind": _clean_kind,
    "uscc": _clean_uscc,
    "grade": _clean_grade,
    "status": _clean_status,
    "credit_limit": _clean_credit_limit,
    "payment_term_days": _clean_term_days,
    "tax_number": _clean_tax_number,
    "invoice_phone": _clean_invoice_phone,
    "default_invoice_type": _clean_invoice_type,
}


def _clean_main(errors: _Errors, data: Mapping[str, Any]) -> dict[str, Any]:
    """Clean the customer's own fields present in ``data``."""
    out: dict[str, Any] = {}
    if "name" in data:
        name = normalize_company_name(_text(data["name"]))
        if not name:
            errors.add("name", _("Enter the customer's full name."))
        _check_length(errors, "name", "name", name)
        out["name"] = name
    for key, clean in _FIELD_CLEANERS.items():
        if key in data:
            out[key] = clean(errors, data[key])
    for key in SIMPLE_FIELDS:
        if key in data:
            value = _text(data[key])
            if key in MAX_LENGTHS:
                _check_length(errors, key, key, value)
            out[key] = value
    return out


def _apply_name_keys(customer: Customer) -> None:
    customer.name_key = name_match_key(customer.name)
    customer.pinyin_initials, customer.pinyin_full = pinyin_keys(customer.name)
    customer.pinyin_initials = customer.pinyin_initials[:100]
    customer.pinyin_full = customer.pinyin_full[:400]


def _integrity_to_duplicate(exc: IntegrityError) -> DuplicateCustomer:
    message = _("A customer with the same unified social credit code already exists.")
    return DuplicateCustomer(message, fields={"uscc": [message]})


@transaction.atomic
def create_customer(
    *,
    by: User,
    name: str,
    kind: str = Customer.Kind.COMPANY,
    uscc: str | None = None,
    short_name: str = "",
    grade: str = Customer.Grade.C,
    credit_limit: Any = None,
    payment_term_days: Any = None,
    owner: User | int | str | None = None,
    status: str = Customer.Status.ACTIVE,
    industry: str = "",
    source: str = "",
    notes: str = "",
    tax_number: str = "",
    invoice_address: str = "",
    invoice_phone: str = "",
    bank_name: str = "",
    bank_account: str = "",
    default_invoice_type: str = Customer.InvoiceType.NORMAL,
    contacts: Iterable[Mapping[str, Any]] = (),
    addresses: Iterable[Mapping[str, Any]] = (),
) -> Customer:
    """Validate everything, refuse duplicates, then save the customer with its contacts and addresses."""
    errors = _Errors()
    data = {
        "name": name,
        "kind": kind,
        "uscc": uscc,
        "short_name": short_name,
        "grade": grade,
        "credit_limit": credit_limit,
        "payment_term_days": payment_term_days,
        "status": status,
        "industry": industry,
        "source": source,
        "notes": notes,
        "tax_number": tax_number,
        "invoice_address": invoice_address,
        "invoice_phone": invoice_phone,
        "bank_name": bank_name,
        "bank_account": bank_account,
        "default_invoice_type": default_invoice_type,
    }
    fields = _clean_main(errors, data)
    contact_rows = _clean_contacts(errors, contacts)
    address_rows = _clean_addresses(errors, addresses)
    owner_user = _resolve_user(errors, owner) if owner not in (None, "") else _default_owner(by)
    if "owner" not in errors.fields:
        _check_owner(errors, by, owner_user)
    errors.raise_if_any()
    customer = Customer(**fields, owner=owner_user, created_by=by)
    _apply_name_keys(customer)
    _check_duplicates(
        by=by,
        name_key=customer.name_key,
        uscc=customer.uscc,
        mobiles=[c["mobile"] for c in contact_rows],
        exclude_pk=None,
    )
    customer.code = _next_code()
    customer._history_user = by  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError as exc:
        raise _integrity_to_duplicate(exc) from exc
    _save_contacts(customer, contact_rows, by)
    _save_addresses(customer, address_rows, by)
    record_audit(
        action="customer.create",
        by=by,
        obj=customer,
        data={
            "code": customer.code,
            "name": customer.name,
            "owner": owner_user.username if owner_user else None,
        },
    )
    return customer


UPDATABLE = frozenset(
    {
        "name",
        "kind",
        "uscc",
        "short_name",
        "grade",
        "credit_limit",
        "payment_term_days",
        "owner",
        "status",
        "industry",
        "source",
        "notes",
        "tax_number",
        "invoice_address",
        "invoice_phone",
        "bank_name",
        "bank_account",
        "default_invoice_type",
        "contacts",
        "addresses",
    }
)


@transaction.atomic
def update_customer(*, customer: Customer, by: User, **changes: Any) -> Customer:
    """Change the given fields; ``contacts`` / ``addresses``, when given, replace the existing ones."""
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise InvalidInput(fields={key: [_("This field cannot be changed.")] for key in sorted(unknown)})
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if not _visible(by, customer):
        raise NotFound()
    errors = _Errors()
    fields = _clean_main(errors, changes)
    contact_rows = _clean_contacts(errors, changes["contacts"]) if "contacts" in changes else None
    address_rows = _clean_addresses(errors, changes["addresses"]) if "addresses" in changes else None
    owner_changed = False
    new_owner: User | None = customer.owner
    if "owner" in changes:
        new_owner = _resolve_user(errors, changes["owner"])
        owner_changed = (new_owner.pk if new_owner else None) != customer.owner_id
        if owner_changed and "owner" not in errors.fields:
            if not by.has_perm("customers.reassign_customer"):
                errors.add("owner", _("You may not reassign customers."))
            else:
                _check_owner(errors, by, new_owner)
    errors.raise_if_any()
    before = {key: getattr(customer, key) for key in fields}
    old_name_key = customer.name_key
    for key, value in fields.items():
        setattr(customer, key, value)
    if owner_changed:
        customer.owner = new_owner
    _apply_name_keys(customer)
    # Only what changes is checked, so an old near-duplicate never blocks an unrelated edit.
    _check_duplicates(
        by=by,
        name_key=customer.name_key if customer.name_key != old_name_key else None,
        uscc=customer.uscc if customer.uscc != before.get("uscc", customer.uscc) else None,
        mobiles=[c["mobile"] for c in contact_rows] if contact_rows is not None else [],
        exclude_pk=customer.pk,
    )
    changed = sorted(key for key, value in fields.items() if before[key] != value)
    if owner_changed:
        changed.append("owner")
    customer._history_user = by  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError as exc:
        raise _integrity_to_duplicate(exc) from exc
    if contact_rows is not None:
        _save_contacts(customer, contact_rows, by)
        changed.append("contacts")
    if address_rows is not None:
        _save_addresses(customer, address_rows, by)
        changed.append("addresses")
    record_audit(action="customer.update", by=by, obj=customer, data={"changed": changed})
    return customer


@transaction.atomic
def reassign_customers(*, customers: Iterable[Customer], new_owner: User, by: User) -> int:
    """Hand customers over to another salesperson (客户交接), one audit entry per customer."""
    if not by.has_perm("customers.reassign_customer"):
        raise Forbidden(_("You may not reassign customers."))
    errors = _Errors()
    _check_owner(errors, by, new_owner)
    errors.raise_if_any()
    pks = [c.pk for c in customers]
    rows = list(
        Customer.objects.select_for_update().filter(pk__in=pks).filter(owner_scope_q(by)).order_by("pk")
    )
    if len(rows) != len(set(pks)):
        raise NotFound()
    count = 0
    for customer in rows:
        if customer.owner_id == new_owner.pk:
            continue
        old = customer.owner.username if customer.owner else None
        customer.owner = new_owner
        customer._history_user = by  # type: ignore[attr-defined]
        customer.save(update_fields=["owner", "updated_at"])
        record_audit(
            action="customer.reassign",
            by=by,
            obj=customer,
            data={"from": old, "to": new_owner.username},
        )
        count += 1
    return count


@transaction.atomic
def reveal_contact(*, contact: Contact, by: User) -> Contact:
    """Show one contact's full details to a holder of 查看完整联系方式, and log that it was shown."""
    if not by.has_perm("customers.view_full_contact"):
        raise Forbidden(_("You may not see full contact details."))
    if not _visible(by, contact.customer):
        raise NotFound()
    record_audit(
        action="customer.contact_revealed",
        by=by,
        obj=contact.customer,
        data={"contact_id": contact.pk},
    )
    return contact
