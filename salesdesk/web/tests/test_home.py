from decimal import Decimal

import pytest
from django.urls import reverse

from salesdesk.customers.tests.factories import CustomerFactory
from salesdesk.inventory.tests.factories import ProductFactory, StockLevelFactory, WarehouseFactory
from salesdesk.web.views.home import workbench_context

pytestmark = pytest.mark.django_db


def test_salesperson_sees_own_customer_count_and_latest_five(
    logged_in_client, salesperson, other_salesperson
):
    mine = [CustomerFactory(owner=salesperson, name=f"广州我的{i}号贸易有限公司") for i in range(7)]
    CustomerFactory(owner=other_salesperson, name="别人家的客户有限公司")

    response = logged_in_client(salesperson).get(reverse("web:home"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "我的客户" in html
    assert '<p class="display-6 mb-3" data-testid="customer-count">7</p>' in html
    listed = [c.name for c in mine if c.name in html]
    assert listed == [c.name for c in mine[2:]]
    assert "别人家的客户有限公司" not in html


def test_context_for_a_salesperson(salesperson, other_salesperson):
    CustomerFactory(owner=salesperson)
    CustomerFactory(owner=other_salesperson)

    context = workbench_context(salesperson)

    assert context["customer_count"] == 1
    assert [c.owner_id for c in context["latest_customers"]] == [salesperson.pk]
    assert context["customer_scope"] == "own"
    labels = [str(link.label) for link in context["quick_links"]]
    assert "用户管理" not in labels
    assert "审计日志" not in labels


def test_administrator_sees_all_customers_and_admin_links(admin_user, salesperson, other_salesperson):
    CustomerFactory(owner=salesperson)
    CustomerFactory(owner=other_salesperson)

    context = workbench_context(admin_user)

    assert context["customer_count"] == 2
    assert context["customer_scope"] == "all"
    urls = [link.url for link in context["quick_links"]]
    assert reverse("web:user_list") in urls
    assert reverse("web:audit_list") in urls
    assert reverse("web:parameter_list") in urls


def test_low_stock_lists_levels_below_safety_stock(logged_in_client, salesperson):
    warehouse = WarehouseFactory(name="华南一号仓")
    low = ProductFactory(name="304不锈钢六角螺栓", spec="M8×30", unit="个")
    fine = ProductFactory(name="工业润滑油", spec="4L×4桶", unit="箱")
    StockLevelFactory(product=low, warehouse=warehouse, on_hand_qty=Decimal("12"), safety_qty=Decimal("50"))
    StockLevelFactory(product=fine, warehouse=warehouse, on_hand_qty=Decimal("80"), safety_qty=Decimal("10"))

    html = logged_in_client(salesperson).get(reverse("web:home")).content.decode()

    assert "低库存商品" in html
    assert "304不锈钢六角螺栓" in html
    assert '<td class="text-end text-danger">12 个</td>' in html
    assert '<td class="text-end">50 个</td>' in html
    assert "工业润滑油" not in html


def test_no_low_stock_message(logged_in_client, salesperson):
    html = logged_in_client(salesperson).get(reverse("web:home")).content.decode()

    assert "没有低于安全库存的商品。" in html
    assert "暂无客户。" in html


@pytest.mark.parametrize("rows", [3, 30])
def test_home_query_count(logged_in_client, salesperson, django_assert_max_num_queries, rows):
    warehouse = WarehouseFactory()
    for _ in range(rows):
        CustomerFactory(owner=salesperson)
        StockLevelFactory(warehouse=warehouse, on_hand_qty=Decimal("1"), safety_qty=Decimal("5"))
    client = logged_in_client(salesperson)

    with django_assert_max_num_queries(16):
        assert client.get(reverse("web:home")).status_code == 200
