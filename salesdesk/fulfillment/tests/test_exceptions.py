"""Exceptions: report, update, resolve; one click to a knowledge-base article."""

from __future__ import annotations

from typing import Any

import pytest

from salesdesk.core.errors import InvalidInput, NotFound
from salesdesk.fulfillment import exceptions, knowledge
from salesdesk.fulfillment.models import Notification, OrderException
from salesdesk.fulfillment.models.changes import ExceptionStatus
from salesdesk.orders.models import OrderEvent

from .changes_factories import confirmed_with_plan, line, make_product, make_warehouse, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(salesperson: Any, manager: Any) -> Any:
    wh = make_warehouse(code="WH1")
    p = make_product(sku="A-1", name="螺丝")
    q = make_product(sku="B-1", name="螺母")
    stock(p, wh, "100")
    stock(q, wh, "100")
    return confirmed_with_plan(
        salesperson, manager, warehouse=wh, lines=[line(p, "10", warehouse=wh), line(q, "2", warehouse=wh)]
    )


def test_report_notifies_the_owner_and_writes_the_timeline(
    order: Any, salesperson: Any, manager: Any
) -> None:
    exc = exceptions.report_exception(
        order=order,
        kind="quality",
        severity="critical",
        title="客户反馈螺丝生锈",
        description="第一批 10 个中 3 个生锈",
        owner=manager,
        by=salesperson,
    )
    assert (exc.kind, exc.severity, exc.status, exc.owner) == ("quality", "critical", "open", manager)
    note = Notification.objects.get(recipient=manager)
    assert note.kind == "assignment"
    assert note.url == f"/exceptions/{exc.pk}/edit/"
    event = OrderEvent.objects.filter(order=order, type="exception").get()
    assert event.data["title"] == "客户反馈螺丝生锈"


def test_bad_input_is_refused(order: Any, salesperson: Any) -> None:
    with pytest.raises(InvalidInput) as err:
        exceptions.report_exception(
            order=order, kind="weather", severity="huge", title=" ", owner=999999, by=salesperson
        )
    assert sorted(err.value.fields) == ["kind", "owner", "severity", "title"]
    assert OrderException.objects.count() == 0


def test_resolve_needs_a_resolution_then_stamps_the_time(order: Any, salesperson: Any, manager: Any) -> None:
    exc = exceptions.report_exception(
        order=order, kind="delay", severity="warning", title="生产延误", by=salesperson
    )
    with pytest.raises(InvalidInput) as err:
        exceptions.update_exception(exception=exc, by=manager, status="resolved")
    assert list(err.value.fields) == ["resolution"]
    exc.refresh_from_db()
    assert exc.status == ExceptionStatus.OPEN

    exc = exceptions.resolve_exception(
        exception=exc, by=manager, resolution="加班赶工", root_cause="模具损坏", lessons="备用模具"
    )
    assert exc.status == ExceptionStatus.RESOLVED
    assert exc.resolved_at is not None
    assert (exc.root_cause, exc.resolution, exc.lessons) == ("模具损坏", "加班赶工", "备用模具")


def test_article_from_exception_in_one_click(order: Any, salesperson: Any, manager: Any) -> None:
    exc = exceptions.report_exception(
        order=order,
        kind="quality",
        severity="warning",
        title="螺丝生锈",
        description="3 个生锈",
        by=salesperson,
    )
    exceptions.resolve_exception(
        exception=exc, by=manager, resolution="换货", root_cause="仓库潮湿", lessons="加防潮包装"
    )
    exc.refresh_from_db()

    article = knowledge.article_from_exception(exception=exc, by=salesperson)

    assert article.title == "螺丝生锈"
    assert article.body == (
        "【发生了什么】\n3 个生锈\n\n【根本原因】\n仓库潮湿\n\n【解决办法】\n换货\n\n【经验教训】\n加防潮包装"
    )
    assert article.tags == "质量问题,螺丝,螺母"
    assert article.source_exception == exc
    assert list(knowledge.search_articles("防潮")) == [article]


def test_scope_hides_other_salespeople_exceptions(
    order: Any, salesperson: Any, other_salesperson: Any
) -> None:
    exc = exceptions.report_exception(
        order=order, kind="delay", severity="info", title="晚到", by=salesperson
    )
    assert list(exceptions.list_exceptions(user=salesperson)) == [exc]
    assert list(exceptions.list_exceptions(user=other_salesperson)) == []
    with pytest.raises(NotFound):
        exceptions.get_exception(user=other_salesperson, pk=exc.pk)
