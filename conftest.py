"""Fixtures shared by every app's tests: users by role, an API client with a token, the browser."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from salesdesk.accounts.tests.factories import PASSWORD, TeamFactory, make_user

ARTIFACTS = Path(__file__).parent / "test-artifacts"


@pytest.fixture
def fresh_shared_cache() -> Iterator[None]:
    """No process copies of configuration (core.shared_cache) from an earlier test, nor its "changed in
    this transaction" mark (a test's transaction never ends while the thread goes on to the next)."""
    from salesdesk.core import shared_cache

    shared_cache._changed_in.set(None)
    shared_cache._values.clear()
    yield
    shared_cache._changed_in.set(None)
    shared_cache._values.clear()


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def team(db: Any) -> Any:
    return TeamFactory()


@pytest.fixture
def user_factory(db: Any) -> Callable[..., Any]:
    return make_user


@pytest.fixture
def admin_user(db: Any) -> Any:
    return make_user("administrator", username="admin1")


@pytest.fixture
def salesperson(db: Any, team: Any) -> Any:
    return make_user("salesperson", team=team, username="sales_a")


@pytest.fixture
def other_salesperson(db: Any) -> Any:
    return make_user("salesperson", team=TeamFactory(), username="sales_other")


@pytest.fixture
def manager(db: Any, team: Any) -> Any:
    user = make_user("manager", team=team, username="manager_a")
    team.manager = user
    team.save()
    return user


class ApiClient:
    """A test client that sends a bearer token and JSON."""

    def __init__(self, user: Any = None) -> None:
        self.client = Client()
        self.headers: dict[str, str] = {}
        if user is not None:
            response = self.client.post(
                "/api/auth/token",
                {"username": user.username, "password": PASSWORD},
                content_type="application/json",
            )
            assert response.status_code == 200, response.content
            self.headers["Authorization"] = f"Bearer {response.json()['token']}"

    def _call(self, method: str, path: str, data: Any = None, **headers: str) -> Any:
        fn = getattr(self.client, method)
        kwargs: dict[str, Any] = {"headers": {**self.headers, **headers}}
        if data is not None:
            kwargs["data"] = data if method == "get" else __import__("json").dumps(data)
            if method != "get":
                kwargs["content_type"] = "application/json"
        return fn(path, **kwargs)

    def get(self, path: str, data: Any = None, **h: str) -> Any:
        return self._call("get", path, data, **h)

    def post(self, path: str, data: Any = None, **h: str) -> Any:
        return self._call("post", path, data if data is not None else {}, **h)

    def patch(self, path: str, data: Any = None, **h: str) -> Any:
        return self._call("patch", path, data if data is not None else {}, **h)

    def delete(self, path: str, **h: str) -> Any:
        return self._call("delete", path, None, **h)


@pytest.fixture
def api_client_for(db: Any) -> Callable[[Any], ApiClient]:
    return ApiClient


@pytest.fixture
def logged_in_client(db: Any) -> Callable[[Any], Client]:
    def _login(user: Any) -> Client:
        client = Client()
        client.force_login(user, backend="salesdesk.accounts.backends.LockoutModelBackend")
        return client

    return _login


# --- browser tests (Playwright driving Debian's Chromium) ------------------------------------------

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser(django_db_setup: Any, django_db_blocker: Any) -> Iterator[Any]:
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Playwright's event loop makes Django hand out new connection objects; carry the serialized copy
    # of the migrated database over so serialized_rollback restores roles and regions after a flush.
    saved = {alias: getattr(connections[alias], "_test_serialized_contents", None) for alias in connections}
    with sync_playwright() as pw:
        for alias, contents in saved.items():
            if contents is not None:
                setattr(connections[alias], "_test_serialized_contents", contents)  # noqa: B010
        instance = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
            ],
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
    context.set_default_timeout(10_000)
    pg = context.new_page()
    pg.base_url = live_server.url  # type: ignore[attr-defined]
    yield pg
    context.close()


@pytest.fixture
def screenshot(request: Any) -> Callable[[Any, str], Path]:
    def _shot(pg: Any, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        pg.screenshot(path=str(path), full_page=True)
        return path

    return _shot


def browser_login(pg: Any, username: str, password: str = PASSWORD) -> None:
    pg.goto(f"{pg.base_url}/login/")
    pg.fill("#id_username", username)
    pg.fill("#id_password", password)
    pg.keyboard.press("Enter")
    pg.wait_for_url(f"{pg.base_url}/")


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)


def open_menu(pg: Any, group: str, item: str) -> None:
    """Open a navigation menu with the keyboard and follow one of its entries."""
    toggle = pg.get_by_role("button", name=group, exact=True)
    toggle.focus()
    pg.keyboard.press("Enter")
    link = pg.get_by_role("link", name=item, exact=True)
    link.wait_for(state="visible")
    link.focus()
    pg.keyboard.press("Enter")
