"""Knowledge base: write, edit, search (title matches first)."""

from __future__ import annotations

from typing import Any

import pytest

from salesdesk.core.errors import Forbidden, InvalidInput
from salesdesk.fulfillment import knowledge
from salesdesk.fulfillment.models import Article

pytestmark = pytest.mark.django_db


def test_create_normalises_tags_and_search_text(salesperson: Any) -> None:
    article = knowledge.create_article(
        title="发货前核对地址", body="务必电话确认收货人。", tags="物流， 地址、物流", by=salesperson
    )
    assert article.tags == "物流,地址"
    assert article.search_text == "发货前核对地址\n物流,地址\n务必电话确认收货人。"


def test_bad_input_saves_nothing(salesperson: Any) -> None:
    with pytest.raises(InvalidInput) as err:
        knowledge.create_article(title="", body=" ", by=salesperson)
    assert sorted(err.value.fields) == ["body", "title"]
    assert Article.objects.count() == 0


def test_search_ranks_title_matches_first(salesperson: Any) -> None:
    in_body = knowledge.create_article(title="包装要求", body="出口订单要木箱包装，注意防潮", by=salesperson)
    in_title = knowledge.create_article(title="防潮处理经验", body="雨季仓库要通风", by=salesperson)
    in_tags = knowledge.create_article(title="仓库", body="定期盘点", tags="防潮", by=salesperson)
    knowledge.create_article(title="无关", body="别的内容", by=salesperson)

    found = list(knowledge.search_articles("防潮"))

    assert found[0] == in_title
    assert set(found[1:]) == {in_body, in_tags}
    assert list(knowledge.search_articles("防潮 木箱")) == [in_body]
    assert len(knowledge.search_articles("")) == 4


def test_only_the_author_or_editors_update(salesperson: Any, other_salesperson: Any) -> None:
    article = knowledge.create_article(title="A", body="B", by=salesperson)
    with pytest.raises(Forbidden):
        knowledge.update_article(article=article, title="X", body="Y", by=other_salesperson)
    knowledge.update_article(article=article, title="新标题", body="新内容", tags="t", by=salesperson)
    article.refresh_from_db()
    assert (article.title, article.body, article.tags) == ("新标题", "新内容", "t")
    assert list(knowledge.search_articles("新内容")) == [article]


def test_search_query_count_is_constant(salesperson: Any, django_assert_max_num_queries: Any) -> None:
    for n in range(30):
        knowledge.create_article(title=f"文章{n}", body="内容", by=salesperson)
    with django_assert_max_num_queries(1):
        rows = list(knowledge.search_articles("内容"))
        assert [r.author.username for r in rows][:1] == [salesperson.username]
