"""Pages for customers: list with live search, detail with history, create and edit (C2)."""

from __future__ import annotations

import re
from typing import Any, cast

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST

from salesdesk.accounts.models import User
from salesdesk.accounts.roles import Scope
from salesdesk.core.errors import DomainError, NotFound
from salesdesk.customers import selectors, services
from salesdesk.customers.models import Customer

PAGE_SIZE = 20


def _user(request: HttpRequest) -> User:
    """The logged-in user (every view here is behind ``login_required``)."""
    return cast(User, request.user)


def _customer_or_404(request: HttpRequest, pk: int) -> Customer:
    try:
        return selectors.get_customer(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None


MAIN_FIELDS = (
    "name",
    "short_name",
    "kind",
    "uscc",
    "grade",
    "credit_limit",
    "payment_term_days",
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
)
CONTACT_FIELDS = ("name", "title", "mobile", "phone", "email")
ADDRESS_FIELDS = ("region_code", "detail", "receiver", "mobile", "postcode")
_ROW_KEY = re.compile(r"^(contacts|addresses)-(\d+)-(\w+)$")


@login_required
@permission_required("customers.view_customer", raise_exception=True)
def customer_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    grade = request.GET.get("grade", "")
    if grade not in Customer.Grade.values:
        grade = ""
    qs = selectors.list_customers(user=request.user, q=q, grade=grade or None)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for customer in page.object_list:
        primary = customer.primary_contacts[0] if customer.primary_contacts else None
        full = selectors.sees_full_contacts(request.user, customer)
        rows.append(
            {
                "customer": customer,
                "contact": selectors.contact_view(primary, full=full) if primary else None,
            }
        )
    context = {
        "page": page,
        "rows": rows,
        "q": q,
        "grade": grade,
        "grades": Customer.Grade.choices,
        "query": urlencode({k: v for k, v in (("q", q), ("grade", grade)) if v}),
        "can_add": request.user.has_perm("customers.add_customer"),
    }
    if getattr(request, "htmx", False) and request.headers.get("HX-Target") == "customer-results":
        return render(request, "customers/_results.html", context)
    return render(request, "customers/list.html", context)


@login_required
@permission_required("customers.view_customer", raise_exception=True)
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer_or_404(request, pk)
    full = selectors.sees_full_contacts(request.user, customer)
    context = {
        "customer": customer,
        "contacts": selectors.contacts_for(user=request.user, customer=customer),
        "addresses": selectors.addresses_for(user=request.user, customer=customer),
        "history": selectors.customer_history(customer=customer),
        "can_edit": request.user.has_perm("customers.change_customer"),
        "can_reveal": not full and request.user.has_perm("customers.view_full_contact"),
    }
    return render(request, "customers/detail.html", context)


@login_required
@permission_required("customers.view_full_contact", raise_exception=True)
@require_POST
def contact_reveal(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    """Show one contact in full (查看完整联系方式); the service writes the audit entry."""
    try:
        contact = selectors.get_contact(user=request.user, pk=contact_pk)
    except NotFound:
        raise Http404 from None
    if contact.customer_id != pk:
        raise Http404
    services.reveal_contact(contact=contact, by=_user(request))
    return render(
        request,
        "customers/_contact_row.html",
        {"contact": selectors.contact_view(contact, full=True), "customer_pk": pk, "can_reveal": False},
    )


# --- create / edit ----------------------------------------------------------------------------------


def _rows(post: Any, prefix: str, names: tuple[str, ...]) -> list[dict[str, str]]:
    """Form rows ``contacts-0-name`` … in index order, each with its form index."""
    found: dict[int, dict[str, str]] = {}
    for key in post:
        match = _ROW_KEY.match(key)
        if match and match.group(1) == prefix and match.group(3) in names:
            found.setdefault(int(match.group(2)), {})[match.group(3)] = post.get(key, "").strip()
    return [{"index": str(i), **{n: found[i].get(n, "") for n in names}} for i in sorted(found)]


def _form_data(request: HttpRequest, *, with_people: bool, with_owner: bool) -> dict[str, Any]:
    post = request.POST
    data: dict[str, Any] = {key: post.get(key, "") for key in MAIN_FIELDS}
    if with_owner:
        data["owner"] = post.get("owner", "")
    if with_people:
        contacts = _rows(post, "contacts", CONTACT_FIELDS)
        addresses = _rows(post, "addresses", ADDRESS_FIELDS)
        primary, default = post.get("contacts_primary", ""), post.get("addresses_default", "")
        data["contacts"] = [
            {**row, "is_primary": row["index"] == primary}
            for row in contacts
            if any(row[n] for n in CONTACT_FIELDS)
        ]
        data["addresses"] = [
            {**row, "is_default": row["index"] == default}
            for row in addresses
            if any(row[n] for n in ADDRESS_FIELDS)
        ]
    return data


def _errors_for_form(exc: DomainError, data: dict[str, Any]) -> dict[str, Any]:
    """Map service paths (``contacts.0.mobile``) back to form rows (``contacts-3-mobile``)."""
    errors: dict[str, list[str]] = {}
    for field, messages in exc.fields.items():
        parts = field.split(".")
        if parts[0] in ("contacts", "addresses") and len(parts) >= 2 and parts[1].isdecimal():
            rows = data.get(parts[0], [])
            i = int(parts[1])
            index = rows[i]["index"] if i < len(rows) else parts[1]
            key = f"{parts[0]}-{index}-{parts[2] if len(parts) > 2 else 'name'}"
        else:
            key = field
        errors.setdefault(key, []).extend(messages)
    return errors


def _blank_contact(index: int) -> dict[str, Any]:
    return {"index": str(index), **{n: "" for n in CONTACT_FIELDS}, "is_primary": index == 0}


def _blank_address(index: int) -> dict[str, Any]:
    return {"index": str(index), **{n: "" for n in ADDRESS_FIELDS}, "is_default": index == 0}


def _contacts_from(customer: Customer) -> list[dict[str, Any]]:
    return [
        {
            "index": str(i),
            **{n: getattr(c, n) for n in CONTACT_FIELDS},
            "is_primary": c.is_primary,
        }
        for i, c in enumerate(customer.contacts.all())
    ]


def _addresses_from(customer: Customer) -> list[dict[str, Any]]:
    return [
        {
            "index": str(i),
            "region_code": a.region_id,
            "detail": a.detail,
            "receiver": a.receiver,
            "mobile": a.mobile,
            "postcode": a.postcode,
            "is_default": a.is_default,
        }
        for i, a in enumerate(customer.addresses.all())
    ]


def _initial_values(customer: Customer | None) -> dict[str, Any]:
    if customer is None:
        return {
            "kind": Customer.Kind.COMPANY,
            "grade": Customer.Grade.C,
            "status": Customer.Status.ACTIVE,
            "default_invoice_type": Customer.InvoiceType.NORMAL,
        }
    values: dict[str, Any] = {key: getattr(customer, key) for key in MAIN_FIELDS}
    values["uscc"] = customer.uscc or ""
    values["credit_limit"] = "" if customer.credit_limit is None else f"{customer.credit_limit:.2f}"
    values["payment_term_days"] = (
        "" if customer.payment_term_days is None else str(customer.payment_term_days)
    )
    values["owner"] = str(customer.owner_id or "")
    return values


def _render_form(
    request: HttpRequest,
    *,
    customer: Customer | None,
    values: dict[str, Any],
    contacts: list[dict[str, Any]],
    addresses: list[dict[str, Any]],
    with_people: bool,
    with_owner: bool,
    errors: dict[str, list[str]] | None = None,
    message: str = "",
    status: int = 200,
) -> HttpResponse:
    if with_people:
        contacts = [*contacts, _blank_contact(max((int(c["index"]) for c in contacts), default=-1) + 1)]
        if not addresses:
            addresses = [_blank_address(0)]
    errors = errors or {}
    fields = {
        key: {"name": key, "value": values.get(key, ""), "errors": errors.get(key, [])}
        for key in (*MAIN_FIELDS, "owner")
    }
    for prefix, rows, names in (
        ("contacts", contacts, CONTACT_FIELDS),
        ("addresses", addresses, ADDRESS_FIELDS),
    ):
        for row in rows:
            row["errors"] = {n: errors.get(f"{prefix}-{row['index']}-{n}", []) for n in names}
    context = {
        "customer": customer,
        "f": fields,
        "contacts": contacts,
        "addresses": addresses,
        "with_people": with_people,
        "owners": selectors.assignable_owners(user=request.user) if with_owner else None,
        "message": message,
        "kinds": Customer.Kind.choices,
        "grades": Customer.Grade.choices,
        "statuses": Customer.Status.choices,
        "invoice_types": Customer.InvoiceType.choices,
    }
    return render(request, "customers/form.html", context, status=status)


def _submitted_rows(
    data: dict[str, Any], request: HttpRequest, prefix: str, names: tuple[str, ...]
) -> list[dict[str, Any]]:
    """All rows as typed (blank ones dropped), with the primary / default radio kept."""
    flag, chosen = (
        ("is_primary", request.POST.get("contacts_primary", ""))
        if prefix == "contacts"
        else (
            "is_default",
            request.POST.get("addresses_default", ""),
        )
    )
    return [{**row, flag: row["index"] == chosen} for row in data.get(prefix, [])]


@login_required
@permission_required("customers.add_customer", raise_exception=True)
@require_http_methods(["GET", "POST"])
def customer_create(request: HttpRequest) -> HttpResponse:
    with_owner = _user(request).data_scope != Scope.OWN
    if request.method == "POST":
        data = _form_data(request, with_people=True, with_owner=with_owner)
        try:
            customer = services.create_customer(by=_user(request), **data)  # type: ignore[arg-type]
        except DomainError as exc:
            return _render_form(
                request,
                customer=None,
                values=data,
                contacts=_submitted_rows(data, request, "contacts", CONTACT_FIELDS),
                addresses=_submitted_rows(data, request, "addresses", ADDRESS_FIELDS),
                with_people=True,
                with_owner=with_owner,
                errors=_errors_for_form(exc, data),
                message=exc.message,
                status=exc.status if exc.status in (409, 422) else 422,
            )
        return HttpResponseRedirect(reverse("web:customer_detail", args=[customer.pk]))
    values = _initial_values(None)
    values["owner"] = str(request.user.pk) if _user(request).has_role("salesperson", "manager") else ""
    return _render_form(
        request,
        customer=None,
        values=values,
        contacts=[],
        addresses=[],
        with_people=True,
        with_owner=with_owner,
    )


@login_required
@permission_required("customers.change_customer", raise_exception=True)
@require_http_methods(["GET", "POST"])
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _customer_or_404(request, pk)
    # Contacts and addresses are edited only by whoever may see them in full (their owner).
    with_people = selectors.sees_full_contacts(request.user, customer)
    with_owner = request.user.has_perm("customers.reassign_customer")
    if request.method == "POST":
        data = _form_data(request, with_people=with_people, with_owner=with_owner)
        try:
            services.update_customer(customer=customer, by=_user(request), **data)
        except DomainError as exc:
            return _render_form(
                request,
                customer=customer,
                values=data,
                contacts=_submitted_rows(data, request, "contacts", CONTACT_FIELDS),
                addresses=_submitted_rows(data, request, "addresses", ADDRESS_FIELDS),
                with_people=with_people,
                with_owner=with_owner,
                errors=_errors_for_form(exc, data),
                message=exc.message,
                status=exc.status if exc.status in (409, 422) else 422,
            )
        return HttpResponseRedirect(reverse("web:customer_detail", args=[customer.pk]))
    return _render_form(
        request,
        customer=customer,
        values=_initial_values(customer),
        contacts=_contacts_from(customer) if with_people else [],
        addresses=_addresses_from(customer) if with_people else [],
        with_people=with_people,
        with_owner=with_owner,
    )


urlpatterns = [
    path("customers/", customer_list, name="customer_list"),
    path("customers/new/", customer_create, name="customer_create"),
    path("customers/<int:pk>/", customer_detail, name="customer_detail"),
    path("customers/<int:pk>/edit/", customer_edit, name="customer_edit"),
    path(
        "customers/<int:pk>/contacts/<int:contact_pk>/reveal/", contact_reveal, name="customer_contact_reveal"
    ),
]
