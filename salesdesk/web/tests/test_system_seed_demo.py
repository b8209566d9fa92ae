import io

import pytest
from django.core.management import call_command

from salesdesk.accounts.models import Department, Team, User
from salesdesk.catalog.models import Product
from salesdesk.core.validators import normalize_mobile, normalize_uscc
from salesdesk.customers.models import Address, Customer
from salesdesk.customers.selectors import count_customers, list_customers
from salesdesk.inventory.models import StockLevel, StockMove, Warehouse
from salesdesk.web.management.commands.seed_demo import generate_password

pytestmark = pytest.mark.django_db

USERNAMES = ["admin", "finance", "manager", "planner", "sales1", "sales2", "service", "warehouse"]


@pytest.fixture
def demo_env(settings, tmp_path, monkeypatch):
    settings.VAR_DIR = tmp_path
    settings.DEMO_PASSWORD = ""
    monkeypatch.delenv("SALESDESK_DEMO_PASSWORD", raising=False)
    return tmp_path


def _seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--customers", "10", "--products", "12", *args, stdout=out)
    return out.getvalue()


def test_seed_demo_loads_a_small_company(demo_env):
    output = _seed()

    password = (demo_env / "demo-password.txt").read_text(encoding="utf-8").strip()
    assert sorted(User.objects.values_list("username", flat=True)) == USERNAMES
    for username in USERNAMES:
        assert User.objects.get(username=username).check_password(password)
        assert f"演示账号 {username}" in output
    assert output.count(password) == 8
    assert User.objects.get(username="admin").is_staff is True
    assert User.objects.get(username="sales1").role_codes == ["salesperson"]
    assert Department.objects.count() == 8
    team = Team.objects.get(name="华南销售一组")
    assert team.manager == User.objects.get(username="manager")
    assert set(team.members.values_list("username", flat=True)) == {"manager", "sales1", "sales2"}

    assert Customer.objects.count() == 10
    for customer in Customer.objects.all():
        assert customer.uscc is not None
        assert normalize_uscc(customer.uscc) == customer.uscc
        assert customer.contacts.count() >= 1
        for contact in customer.contacts.all():
            assert normalize_mobile(contact.mobile) == contact.mobile
    assert Address.objects.filter(region__level=3).count() == 10
    assert Product.objects.count() == 12
    assert Product.objects.values("category").distinct().count() == 8
    assert Warehouse.objects.count() == 3
    assert StockLevel.objects.filter(warehouse__code="SZ01", on_hand_qty__gt=0).count() == 12
    assert StockMove.objects.filter(kind="receipt").count() >= 12


def test_salesperson_sees_only_own_demo_customers(demo_env):
    _seed()
    sales1 = User.objects.get(username="sales1")
    manager = User.objects.get(username="manager")

    mine = list(list_customers(user=sales1, q=""))

    assert len(mine) == count_customers(user=sales1) == 4
    assert {c.owner_id for c in mine} == {sales1.pk}
    assert count_customers(user=manager) == 10
    assert count_customers(user=User.objects.get(username="finance")) == 10


def test_seed_demo_is_deterministic_and_idempotent(demo_env):
    _seed()
    first = sorted(Customer.objects.values_list("uscc", "name"))
    skus = sorted(Product.objects.values_list("sku", "name", "spec"))

    output = _seed()

    assert sorted(Customer.objects.values_list("uscc", "name")) == first
    assert sorted(Product.objects.values_list("sku", "name", "spec")) == skus
    assert (
        StockMove.objects.filter(kind="receipt").count()
        == StockMove.objects.filter(reference__startswith="RK-DEMO-").count()
    )
    assert "已生成演示密码" not in output


def test_if_empty_does_nothing_once_admin_exists_but_prints_the_logins(demo_env):
    _seed()
    password = (demo_env / "demo-password.txt").read_text(encoding="utf-8").strip()
    Customer.objects.filter(owner__username="sales2").update(name="改过的名字有限公司")
    customers = Customer.objects.count()

    output = _seed("--if-empty")

    assert "演示数据已存在" in output
    assert "演示账号 admin" in output
    assert password in output
    assert Customer.objects.count() == customers


def test_password_from_the_environment(demo_env, monkeypatch):
    monkeypatch.setenv("SALESDESK_DEMO_PASSWORD", "Demo-Pass-2026")

    output = _seed()

    assert User.objects.get(username="sales2").check_password("Demo-Pass-2026")
    assert "Demo-Pass-2026" in output
    assert not (demo_env / "demo-password.txt").exists()


def test_weak_password_from_the_environment_is_refused(demo_env, monkeypatch):
    from django.core.management.base import CommandError

    monkeypatch.setenv("SALESDESK_DEMO_PASSWORD", "demo")

    with pytest.raises(CommandError):
        _seed()

    assert not User.objects.exists()


def test_generated_password_meets_the_policy():
    from django.contrib.auth import password_validation

    for _ in range(20):
        password = generate_password()
        password_validation.validate_password(password, User(username="warehouse"))
