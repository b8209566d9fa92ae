"""Business parameters (C15): their definitions and defaults, read and changed through one place.

Adding a parameter = adding a ``ParameterDef`` here; the admin page, the API and the audit follow.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.signals import request_finished, request_started
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import shared_cache
from .audit import record_audit
from .compiled import CompiledQuery
from .errors import InvalidInput, NotFound
from .models import Parameter


@dataclass(frozen=True)
class ParameterDef:
    key: str
    label: str | Promise
    kind: str  # "bool" | "int" | "decimal" | "choice" | "text" | "int_list"
    default: Any
    group: str | Promise
    help: str | Promise = ""
    choices: tuple[tuple[str, str | Promise], ...] = ()
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def clean(self, raw: Any) -> Any:
        """Turn a submitted value into the stored JSON value or raise ValidationError."""
        if self.kind == "bool":
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in {"1", "true", "on", "yes", "是"}:
                return True
            if text in {"0", "false", "off", "no", "否", ""}:
                return False
            raise ValidationError(_("Choose yes or no."))
        if self.kind in {"int", "decimal"}:
            try:
                number = Decimal(str(raw).strip())
            except InvalidOperation:
                raise ValidationError(_("Enter a number.")) from None
            if not number.is_finite():
                raise ValidationError(_("Enter a number."))
            if self.kind == "int" and number != number.to_integral_value():
                raise ValidationError(_("Enter a whole number."))
            if self.minimum is not None and number < self.minimum:
                raise ValidationError(_("Must not be less than %(min)s.") % {"min": self.minimum})
            if self.maximum is not None and number > self.maximum:
                raise ValidationError(_("Must not be more than %(max)s.") % {"max": self.maximum})
            return int(number) if self.kind == "int" else str(number)
        if self.kind == "choice":
            value = str(raw)
            if value not in {c for c, _label in self.choices}:
                raise ValidationError(_("Choose one of the listed options."))
            return value
        if self.kind == "int_list":
            items = (
                raw
                if isinstance(raw, list)
                else [p for p in str(raw).replace("，", ",").split(",") if p.strip()]
            )
            try:
                values = [int(str(p).strip()) for p in items]
            except ValueError:
                raise ValidationError(_("Enter whole numbers separated by commas.")) from None
            if not values or values != sorted(set(values)) or values[0] <= 0:
                raise ValidationError(_("Enter increasing positive whole numbers, e.g. 30,60,90."))
            return values
        text = str(raw).strip()
        max_length = self.extra.get("max_length", 200)
        if len(text) > max_length:
            raise ValidationError(_("At most %(n)d characters.") % {"n": max_length})
        pattern = self.extra.get("pattern")
        if pattern:
            import re

            if not re.fullmatch(pattern, text):
                raise ValidationError(self.extra.get("pattern_message", _("The format is not valid.")))
        return text

    def display(self, value: Any) -> str:
        if self.kind == "bool":
            return str(_("Yes") if value else _("No"))
        if self.kind == "choice":
            return str(dict(self.choices).get(value, value))
        if self.kind == "int_list":
            return ", ".join(str(v) for v in value)
        return str(value)


_ORDERS = gettext_lazy("Orders")
_STOCK = gettext_lazy("Inventory")
_APPROVAL = gettext_lazy("Approval")
_FINANCE = gettext_lazy("Finance")
_ALERTS = gettext_lazy("Alerts and calendar")
_CUSTOMERS = gettext_lazy("Customers")

DEFINITIONS: tuple[ParameterDef, ...] = (
    ParameterDef(
        "company.name",
        gettext_lazy("Company name (printed on documents)"),
        "text",
        "深圳市示例科技有限公司",
        gettext_lazy("Company"),
        extra={"max_length": 100},
    ),
    ParameterDef(
        "company.address",
        gettext_lazy("Company address"),
        "text",
        "广东省深圳市南山区科技园路1号",
        gettext_lazy("Company"),
        extra={"max_length": 200},
    ),
    ParameterDef(
        "company.phone",
        gettext_lazy("Company phone"),
        "text",
        "0755-86013388",
        gettext_lazy("Company"),
        extra={"max_length": 40},
    ),
    ParameterDef(
        "orders.default_type",
        gettext_lazy("Default order type"),
        "choice",
        "standard",
        _ORDERS,
        choices=(
            ("standard", gettext_lazy("Standard order")),
            ("preorder", gettext_lazy("Pre-order / make-to-order")),
            ("sample", gettext_lazy("Sample order")),
            ("return", gettext_lazy("Sales return")),
        ),
    ),
    ParameterDef(
        "orders.number_prefix",
        gettext_lazy("Order number prefix"),
        "text",
        "XSDD",
        _ORDERS,
        help=gettext_lazy("Numbers look like XSDD20261122-0001: prefix, business date, daily sequence."),
        extra={
            "max_length": 8,
            "pattern": r"[A-Z]{2,8}",
            "pattern_message": gettext_lazy("2 to 8 capital letters."),
        },
    ),
    ParameterDef(
        "orders.confirmation_link_hours",
        gettext_lazy("Customer confirmation link validity (hours)"),
        "int",
        72,
        _ORDERS,
        minimum=Decimal(1),
        maximum=Decimal(720),
    ),
    ParameterDef(
        "stock.reserve_on",
        gettext_lazy("When stock is reserved"),
        "choice",
        "confirm",
        _STOCK,
        choices=(
            ("submit", gettext_lazy("On submission")),
            ("approve", gettext_lazy("On approval")),
            ("confirm", gettext_lazy("On confirmation")),
        ),
    ),
    ParameterDef(
        "stock.allow_negative",
        gettext_lazy("Allow negative stock on issue"),
        "bool",
        False,
        _STOCK,
        help=gettext_lazy("Recommended off: negative stock breaks costing (DOMAIN.md §5.3)."),
    ),
    ParameterDef(
        "stock.available_excludes_safety",
        gettext_lazy("Protect safety stock from reservations"),
        "bool",
        False,
        _STOCK,
    ),
    ParameterDef(
        "approval.manager_amount",
        gettext_lazy("Order amount needing manager approval (¥)"),
        "decimal",
        "50000",
        _APPROVAL,
        minimum=Decimal(0),
    ),
    ParameterDef(
        "approval.gm_amount",
        gettext_lazy("Order amount needing general manager approval (¥)"),
        "decimal",
        "200000",
        _APPROVAL,
        minimum=Decimal(0),
    ),
    ParameterDef(
        "approval.max_discount_rate",
        gettext_lazy("Discount a salesperson may give without approval"),
        "decimal",
        "0.10",
        _APPROVAL,
        minimum=Decimal(0),
        maximum=Decimal(1),
        help=gettext_lazy("0.10 means 10 percent off (9折)."),
    ),
    ParameterDef(
        "approval.new_customer",
        gettext_lazy("A new customer's first order needs approval"),
        "bool",
        True,
        _APPROVAL,
    ),
    ParameterDef(
        "pricing.resolution",
        gettext_lazy("Price resolution"),
        "choice",
        "priority",
        _APPROVAL,
        choices=(
            ("priority", gettext_lazy("First valid source by priority")),
            ("lowest", gettext_lazy("Lowest valid price")),
        ),
    ),
    ParameterDef(
        "finance.aging_buckets",
        gettext_lazy("Aging buckets (days)"),
        "int_list",
        [30, 60, 90, 180, 365],
        _FINANCE,
    ),
    ParameterDef(
        "finance.overdue_block_days",
        gettext_lazy("Overdue days that send an order to credit approval"),
        "int",
        30,
        _FINANCE,
        minimum=Decimal(0),
    ),
    ParameterDef(
        "alerts.step_start_grace_hours",
        gettext_lazy("Hours after planned start before a step is flagged"),
        "int",
        4,
        _ALERTS,
        minimum=Decimal(0),
    ),
    ParameterDef(
        "alerts.confirmation_wait_hours",
        gettext_lazy("Hours without customer confirmation before an alert"),
        "int",
        24,
        _ALERTS,
        minimum=Decimal(1),
    ),
    ParameterDef(
        "alerts.escalate_after_hours",
        gettext_lazy("Hours an alert may stay unread before escalation"),
        "int",
        24,
        _ALERTS,
        minimum=Decimal(1),
    ),
    ParameterDef(
        "calendar.use_chinese_holidays",
        gettext_lazy("Use Chinese public holidays and make-up workdays"),
        "bool",
        True,
        _ALERTS,
    ),
    ParameterDef(
        "customers.duplicate_check",
        gettext_lazy("Duplicate customer check"),
        "choice",
        "block",
        _CUSTOMERS,
        choices=(("block", gettext_lazy("Refuse duplicates")), ("warn", gettext_lazy("Warn only"))),
    ),
)

BY_KEY: dict[str, ParameterDef] = {d.key: d for d in DEFINITIONS}


def get_definition(key: str) -> ParameterDef:
    try:
        return BY_KEY[key]
    except KeyError:
        raise NotFound(_("Unknown parameter %(key)s.") % {"key": key}) from None


# On PostgreSQL the stored parameters are kept in each process and read again when any process changes
# them (core.shared_cache: LISTEN / NOTIFY). Elsewhere (SQLite, DB_CONFIG_CACHE=0), within one HTTP
# request every parameter is read at most once: the first read loads all stored parameters in one query
# (there are a few dozen), later reads use that; outside requests (commands, tasks, tests calling
# services directly) every read goes to the database. A save or delete of a Parameter (set_parameter)
# empties the request's copy and tells every process.
_in_request: ContextVar[bool] = ContextVar("parameters_in_request", default=False)
_request_values: ContextVar[dict[str, Any] | None] = ContextVar("parameters_request_values", default=None)


def _request_begins(**kwargs: Any) -> None:
    _in_request.set(True)
    _request_values.set(None)


def _request_ends(**kwargs: Any) -> None:
    _in_request.set(False)
    _request_values.set(None)


def _forget(**kwargs: Any) -> None:
    _request_values.set(None)


def _changed(**kwargs: Any) -> None:
    """A Parameter saved or deleted: this request's copy and every process's copies are dropped."""
    _forget()
    shared_cache.changed()


request_started.connect(_request_begins, dispatch_uid="core.parameters.request_started")
request_finished.connect(_request_ends, dispatch_uid="core.parameters.request_finished")
post_save.connect(_changed, sender=Parameter, dispatch_uid="core.parameters.saved")
post_delete.connect(_changed, sender=Parameter, dispatch_uid="core.parameters.deleted")


_ALL_STORED = CompiledQuery(lambda p: Parameter.objects.values_list("key", "value"))


def get_parameters(*keys: str) -> dict[str, Any]:
    """Several values in force (stored, else default) with at most one query."""
    definitions = [get_definition(key) for key in keys]
    if not keys:
        return {}
    current = shared_cache.generation()
    stored: dict[str, Any]
    if current is not None:
        stored = shared_cache.cached("parameters", lambda: dict(_ALL_STORED.all()), current)
    elif _in_request.get():
        in_request = _request_values.get()
        if in_request is None:
            in_request = dict(_ALL_STORED.all())
            _request_values.set(in_request)
        stored = in_request
    else:
        stored = dict(Parameter.objects.filter(pk__in=keys).values_list("key", "value"))
    return {d.key: (d.default if stored.get(d.key) is None else stored[d.key]) for d in definitions}


def get_parameter(key: str) -> Any:
    """The value in force: the stored one, else the default."""
    return get_parameters(key)[key]


def list_parameters() -> list[dict[str, Any]]:
    stored = dict(Parameter.objects.values_list("key", "value"))
    rows = []
    for d in DEFINITIONS:
        value = stored.get(d.key, d.default)
        rows.append(
            {
                "definition": d,
                "key": d.key,
                "value": value,
                "display": d.display(value),
                "is_default": d.key not in stored,
            }
        )
    return rows


@transaction.atomic
def set_parameter(*, key: str, value: Any, by: Any) -> Parameter:
    """Change one parameter; the old and new values go to the audit log and the field history."""
    definition = get_definition(key)
    try:
        cleaned = definition.clean(value)
    except ValidationError as exc:
        raise InvalidInput.single("value", exc.messages[0]) from None
    param = Parameter.objects.select_for_update().filter(pk=key).first()
    old = definition.default if param is None else param.value
    if param is None:
        param = Parameter(key=key, value=cleaned, updated_by=by)
    else:
        param.value = cleaned
        param.updated_by = by
    param._change_reason = "set_parameter"  # type: ignore[attr-defined]
    param.save()
    record_audit(action="parameter.change", by=by, obj=param, data={"key": key, "old": old, "new": cleaned})
    transaction.on_commit(_forget)
    return param
