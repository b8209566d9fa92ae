"""Comments with @mentions: stored, notified, on the timeline."""

from __future__ import annotations

from typing import Any

import pytest

from salesdesk.core.errors import InvalidInput
from salesdesk.fulfillment import comments
from salesdesk.fulfillment.models import Comment, Notification
from salesdesk.orders.models import OrderEvent

from .changes_factories import confirmed_with_plan, line, make_product, make_warehouse, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(salesperson: Any, manager: Any) -> Any:
    wh = make_warehouse(code="WH1")
    p = make_product(sku="A-1")
    stock(p, wh, "10")
    return confirmed_with_plan(salesperson, manager, warehouse=wh, lines=[line(p, "2", warehouse=wh)])


def test_mentioned_usernames() -> None:
    assert comments.mentioned_usernames("@wang 请看 @li.si，抄送@wang 邮件 a@b.com") == ["wang", "li.si"]


def test_mentions_notify_active_users_only(
    order: Any, salesperson: Any, manager: Any, user_factory: Any
) -> None:
    gone = user_factory("warehouse", username="gone", is_active=False)
    wh_user = user_factory("warehouse", username="cang")

    comment = comments.add_comment(
        order=order, body="@manager_a 请批准，@cang 先备货，@gone @nobody", by=salesperson
    )

    assert set(comment.mentions.all()) == {manager, wh_user}
    notes = Notification.objects.filter(kind="mention").order_by("recipient__username")
    assert [n.recipient.username for n in notes] == ["cang", "manager_a"]
    assert {(n.url, n.order_id) for n in notes} == {(f"/orders/{order.pk}/#comment-{comment.pk}", order.pk)}
    assert not Notification.objects.filter(recipient=gone).exists()
    event = OrderEvent.objects.filter(order=order, type="comment").get()
    assert event.data["mentions"] == ["manager_a", "cang"]


def test_self_mention_does_not_notify(order: Any, salesperson: Any) -> None:
    comments.add_comment(order=order, body="@sales_a 备忘", by=salesperson)
    assert Notification.objects.count() == 0


def test_empty_comment_is_refused(order: Any, salesperson: Any) -> None:
    with pytest.raises(InvalidInput) as err:
        comments.add_comment(order=order, body="  ", by=salesperson)
    assert list(err.value.fields) == ["body"]
    assert Comment.objects.count() == 0


def test_comment_list_query_count(
    order: Any, salesperson: Any, manager: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(30):
        comments.add_comment(order=order, body=f"第{n}条 @manager_a", by=salesperson)
    with django_assert_max_num_queries(2):
        rows = list(comments.list_comments(order=order))
        assert [len(r.mentions.all()) for r in rows] == [1] * 30
        assert {r.author.username for r in rows} == {"sales_a"}
