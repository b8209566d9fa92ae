"""The order page's timeline: what each event shows, and that it costs no query per event."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.text import Truncator

from salesdesk.fulfillment import comments, exceptions, plans
from salesdesk.fulfillment.calendar import WorkCalendar
from salesdesk.fulfillment.models import PlanStep
from salesdesk.fulfillment.tests.plans_factories import (
    dept,
    line,
    make_product,
    make_warehouse,
    ready_order,
    stock,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def planner(user_factory: Any) -> Any:
    return user_factory("planner", department=dept("PLAN"), username="planner_t", name="计划员丙")


@pytest.fixture
def planned(salesperson: Any, manager: Any, admin_user: Any) -> Any:
    product = make_product()
    stock(product, make_warehouse(), "10", by=admin_user)
    order = ready_order(salesperson, manager, [line(product, "2")], acknowledge_duplicate=True)
    plans.confirm_order_with_plan(order=order, by=salesperson)
    return order


def _timeline(html: str) -> list[str]:
    """The timeline's entries as plain text, one string per event, newest first."""
    block = html.split('data-testid="timeline"', 1)[1].split("</ol>", 1)[0]
    items = re.findall(r"<li[^>]*>(.*?)</li>", block, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", item)).strip() for item in items]


def test_timeline_shows_the_comment_text_the_exception_and_the_step(
    planned: Any, salesperson: Any, planner: Any, user_factory: Any, logged_in_client: Any
) -> None:
    first = PlanStep.objects.get(order=planned, seq=1)
    later = PlanStep.objects.get(order=planned, code="invoice")
    target = user_factory("warehouse", department=dept("WH"), username="wh_t", name="仓管丁")
    old_owner = str(later.owner) if later.owner else "—"
    cal = WorkCalendar()
    new_start = cal.next_workday(later.planned_due)
    new_due = cal.next_workday(new_start)
    old_span = f"{later.planned_start.isoformat()} ~ {later.planned_due.isoformat()}"

    plans.start_step(step=first, by=planner)
    plans.reassign_step(step=later, by=planner, owner=target)
    plans.redate_step(step=later, by=planner, planned_start=new_start, planned_due=new_due)
    comments.add_comment(order=planned, body="客户问能否提前两天交货，" + "请评估排期。" * 20, by=salesperson)
    exceptions.report_exception(
        order=planned, kind="delay", severity="warning", title="原料延迟到货", by=salesperson
    )

    response = logged_in_client(salesperson).get(reverse("web:order_detail", args=[planned.pk]))
    assert response.status_code == 200
    entries = _timeline(response.content.decode())

    exception, comment, redated, reassigned, started = entries[:5]
    assert exception.startswith("异常 ")
    assert exception.endswith("异常： 延误 · 原料延迟到货")
    assert comment.startswith("备注 ")
    # the author and the text, cut at 80 characters; never the comment's id
    with translation.override("zh-hans"):
        body = Truncator("客户问能否提前两天交货，" + "请评估排期。" * 20).chars(80)
    assert len(body) == 80
    assert "备注：" not in comment
    assert comment.endswith(f"{salesperson.display_name}： {body}")
    new_span = f"{new_start.isoformat()} ~ {new_due.isoformat()}"
    assert redated.endswith(f"步骤： {later.seq}. {later.name} 计划日期： {old_span} → {new_span}")
    assert reassigned.endswith(f"步骤： {later.seq}. {later.name} 负责人： {old_owner} → 仓管丁")
    assert started.startswith("计划步骤已开始 ")
    assert started.endswith(f"步骤： 1. {first.name}")


def _events(order: Any, by: Any, n: int) -> None:
    for i in range(n):
        comments.add_comment(order=order, body=f"第{i}条备注", by=by)


@pytest.mark.parametrize("n", [3, 30])
def test_detail_query_count_does_not_grow_with_the_events(
    n: int, planned: Any, salesperson: Any, logged_in_client: Any, django_assert_max_num_queries: Any
) -> None:
    _events(planned, salesperson, n)
    exceptions.report_exception(
        order=planned, kind="quality", severity="info", title="包装破损", by=salesperson
    )
    client = logged_in_client(salesperson)
    client.get(reverse("web:order_detail", args=[planned.pk]))
    with django_assert_max_num_queries(26):
        response = client.get(reverse("web:order_detail", args=[planned.pk]))
    assert len(_timeline(response.content.decode())) >= n + 2
