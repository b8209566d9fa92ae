import pytest

from conftest import browser_login
from salesdesk.customers.tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_wrong_password_then_login_and_see_the_workbench(page, salesperson, screenshot):
    CustomerFactory(owner=salesperson, name="深圳市华辰精密机械有限公司")
    page.goto(f"{page.base_url}/")
    assert page.url.startswith(f"{page.base_url}/login/")

    page.fill("#id_username", "sales_a")
    page.fill("#id_password", "wrong-Passw0rd")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=login-error]")
    assert page.inner_text("[data-testid=login-error]") == "用户名或密码错误。"
    assert page.input_value("#id_username") == "sales_a"
    screenshot(page, "login-error")

    browser_login(page, "sales_a")

    assert page.inner_text("h1") == "工作台"
    assert page.inner_text("[data-testid=customer-count]") == "1"
    assert "深圳市华辰精密机械有限公司" in page.inner_text("[data-testid=latest-customers]")
    screenshot(page, "workbench-salesperson")

    page.click('form[action="/logout/"] button')
    page.wait_for_url(f"{page.base_url}/login/")


def test_administrator_workbench_and_users_page(page, admin_user, salesperson, screenshot):
    browser_login(page, "admin1")

    assert "用户管理" in page.inner_text("[data-testid=quick-links]")
    page.click("[data-testid=quick-links] >> text=用户管理")
    page.wait_for_url(f"{page.base_url}/settings/users/")
    assert "sales_a" in page.inner_text("table")
    screenshot(page, "users-admin")
