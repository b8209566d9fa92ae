from decimal import Decimal

import pytest

from salesdesk.core.errors import InvalidInput, NotFound
from salesdesk.core.models import AuditLog, Parameter
from salesdesk.core.parameters import get_parameter, list_parameters, set_parameter

pytestmark = pytest.mark.django_db


def test_default_value_when_nothing_stored():
    assert get_parameter("orders.confirmation_link_hours") == 72
    assert get_parameter("approval.max_discount_rate") == "0.10"
    assert get_parameter("finance.aging_buckets") == [30, 60, 90, 180, 365]


def test_unknown_parameter_is_not_found():
    with pytest.raises(NotFound):
        get_parameter("no.such.key")


def test_set_parameter_stores_audits_and_keeps_history(admin_user):
    param = set_parameter(key="orders.confirmation_link_hours", value="48", by=admin_user)

    assert param.value == 48
    assert get_parameter("orders.confirmation_link_hours") == 48
    entry = AuditLog.objects.get(action="parameter.change")
    assert entry.actor == admin_user
    assert entry.data == {"key": "orders.confirmation_link_hours", "old": 72, "new": 48}
    history = list(Parameter.history.filter(key="orders.confirmation_link_hours"))
    assert len(history) == 1
    assert history[0].value == 48
    assert history[0].history_type == "+"

    set_parameter(key="orders.confirmation_link_hours", value="24", by=admin_user)

    last = AuditLog.objects.filter(action="parameter.change").order_by("-id").first()
    assert last is not None
    assert last.data == {"key": "orders.confirmation_link_hours", "old": 48, "new": 24}
    assert Parameter.history.filter(key="orders.confirmation_link_hours").count() == 2


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("stock.allow_negative", "是", True),
        ("stock.allow_negative", "0", False),
        ("approval.max_discount_rate", " 0.15 ", "0.15"),
        ("finance.aging_buckets", "30，60,120", [30, 60, 120]),
        ("orders.number_prefix", "XSD", "XSD"),
        ("stock.reserve_on", "approve", "approve"),
    ],
)
def test_values_are_cleaned(admin_user, key, value, expected):
    assert set_parameter(key=key, value=value, by=admin_user).value == expected


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("orders.confirmation_link_hours", "abc", "请输入数字。"),
        ("orders.confirmation_link_hours", "1.5", "请输入整数。"),
        ("orders.confirmation_link_hours", "0", "不能小于 1。"),
        ("orders.confirmation_link_hours", "721", "不能大于 720。"),
        ("approval.max_discount_rate", "1.5", "不能大于 1。"),
        ("stock.reserve_on", "never", "请从列出的选项中选择。"),
        ("orders.number_prefix", "xs1", "2 到 8 个大写字母。"),
        ("finance.aging_buckets", "90,30", "请输入递增的正整数，例如 30,60,90。"),
        ("stock.allow_negative", "maybe", "请选择是或否。"),
    ],
)
def test_invalid_value_is_refused_and_nothing_changes(admin_user, key, value, message):
    before = get_parameter(key)

    with pytest.raises(InvalidInput) as exc_info:
        set_parameter(key=key, value=value, by=admin_user)

    assert exc_info.value.fields == {"value": [message]}
    assert get_parameter(key) == before
    assert not Parameter.objects.filter(pk=key).exists()
    assert not Parameter.history.filter(key=key).exists()
    assert not AuditLog.objects.filter(action="parameter.change").exists()


def test_list_parameters_marks_defaults(admin_user):
    set_parameter(key="approval.manager_amount", value="80000", by=admin_user)

    rows = {row["key"]: row for row in list_parameters()}

    assert rows["approval.manager_amount"]["value"] == "80000"
    assert rows["approval.manager_amount"]["is_default"] is False
    assert rows["approval.gm_amount"]["is_default"] is True
    assert rows["stock.allow_negative"]["display"] == "否"
    assert Decimal(rows["approval.manager_amount"]["value"]) == Decimal("80000")
