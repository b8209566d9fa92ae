"""The knowledge base: lessons written up (often from an exception), tagged and searchable by everyone."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils.translation import gettext as _

from salesdesk.core.audit import record_audit
from salesdesk.core.errors import Forbidden, InvalidInput, NotFound
from salesdesk.core.text import to_halfwidth

from .models import Article, OrderException


def _normalise_tags(raw: Any) -> str:
    if isinstance(raw, (list, tuple)):
        parts = [str(p) for p in raw]
    else:
        parts = to_halfwidth(str(raw or "")).replace("，", ",").replace("、", ",").split(",")
    seen: list[str] = []
    for part in parts:
        tag = part.strip()
        if tag and tag not in seen:
            seen.append(tag)
    return ",".join(seen)


def _search_text(title: str, body: str, tags: str) -> str:
    return to_halfwidth(f"{title}\n{tags}\n{body}").lower()


def _clean(title: Any, body: Any, tags: Any) -> tuple[str, str, str]:
    errors: dict[str, list[str]] = {}
    title_text = str(title or "").strip()
    body_text = str(body or "").strip()
    tag_text = _normalise_tags(tags)
    if not title_text:
        errors["title"] = [_("This field is required.")]
    elif len(title_text) > 200:
        errors["title"] = [_("At most %(n)d characters.") % {"n": 200}]
    if not body_text:
        errors["body"] = [_("This field is required.")]
    if len(tag_text) > 200:
        errors["tags"] = [_("At most %(n)d characters.") % {"n": 200}]
    if errors:
        raise InvalidInput(fields=errors)
    return title_text, body_text, tag_text


@transaction.atomic
def create_article(
    *, title: str, body: str, tags: Any = "", by: Any, source_exception: OrderException | None = None
) -> Article:
    """Write a knowledge-base article."""
    if not by.has_perm("fulfillment.add_article"):
        raise Forbidden()
    title, body, tags = _clean(title, body, tags)
    article = Article.objects.create(
        title=title,
        body=body,
        tags=tags,
        author=by,
        source_exception=source_exception,
        search_text=_search_text(title, body, tags),
    )
    record_audit(action="article.create", by=by, obj=article, data={"title": title})
    return article


@transaction.atomic
def update_article(*, article: Article, title: str, body: str, tags: Any = "", by: Any) -> Article:
    """Edit an article: its author, or anyone who may change articles."""
    if article.author_id != by.pk and not by.has_perm("fulfillment.change_article"):
        raise Forbidden()
    title, body, tags = _clean(title, body, tags)
    article.title, article.body, article.tags = title, body, tags
    article.search_text = _search_text(title, body, tags)
    article.save(update_fields=["title", "body", "tags", "search_text", "updated_at"])
    record_audit(action="article.update", by=by, obj=article, data={"title": title})
    return article


def article_draft_from_exception(exception: OrderException) -> dict[str, str]:
    """Title, body and tags prefilled from the exception (for the edit form before saving)."""
    sections = [
        (_("What happened"), exception.description),
        (_("Root cause"), exception.root_cause),
        (_("Resolution"), exception.resolution),
        (_("Lessons"), exception.lessons),
    ]
    body = "\n\n".join(
        f"【{heading}】\n{text.strip()}" for heading, text in sections if text and text.strip()
    )
    names = list(exception.order.lines.order_by("line_no").values_list("product_name", flat=True).distinct())
    tags = _normalise_tags([str(exception.get_kind_display()), *names])
    return {"title": exception.title, "body": body or exception.title, "tags": tags}


def article_from_exception(*, exception: OrderException, by: Any) -> Article:
    """Write the exception up as an article in one click (title, body and tags prefilled)."""
    draft = article_draft_from_exception(exception)
    return create_article(by=by, source_exception=exception, **draft)


def search_articles(q: str = "") -> QuerySet[Article]:
    """Articles matching every word of ``q`` in title, tags or body; title matches first, then newest."""
    qs = Article.objects.select_related("author")
    words = [w for w in to_halfwidth(q or "").lower().split() if w]
    if not words:
        return qs.order_by("-updated_at", "-id")
    for word in words:
        qs = qs.filter(search_text__contains=word)
    title_hits = sum(
        (
            Case(When(title__icontains=w, then=Value(1)), default=Value(0), output_field=IntegerField())
            for w in words
        ),
        Value(0),
    )
    return qs.annotate(title_hits=title_hits).order_by("-title_hits", "-updated_at", "-id")


def get_article(*, pk: Any) -> Article:
    try:
        found = Article.objects.select_related("author", "source_exception__order").filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        found = None
    if found is None:
        raise NotFound()
    return found


def articles_for_exception(*, exception: OrderException) -> QuerySet[Article]:
    return Article.objects.filter(source_exception=exception).order_by("-id")
