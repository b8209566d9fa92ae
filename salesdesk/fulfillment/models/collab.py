"""Collaboration: comments with @mentions, in-app notifications, the knowledge base (C7)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Comment(models.Model):
    """A comment on an order or on one of its plan steps; @username mentions notify people."""

    order = models.ForeignKey(
        "orders.SalesOrder",
        on_delete=models.CASCADE,
        related_name="comments",
        verbose_name=_("order"),
        db_index=False,
    )
    step = models.ForeignKey(
        "fulfillment.PlanStep",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="comments",
        verbose_name=_("step"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    body = models.TextField(_("comment"))
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("mentioned")
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["id"]
        indexes = [models.Index(fields=["order", "id"], name="comment_order")]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.body[:30]}"


class NotificationKind(models.TextChoices):
    MENTION = "mention", _("Mention")
    ALERT = "alert", _("Alert")
    ESCALATION = "escalation", _("Escalation")
    ASSIGNMENT = "assignment", _("Assignment")
    CHANGE_REQUEST = "change_request", _("Change request")
    DIGEST = "digest", _("Daily digest")
    INFO = "info", _("Information")


class Notification(models.Model):
    """An in-app message to one user; channels (e-mail, WeCom) hook in through a background task."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=200, blank=True)
    order = models.ForeignKey(
        "orders.SalesOrder",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("order"),
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "-id"], name="notification_inbox")]

    def __str__(self) -> str:
        return self.title


class Article(models.Model):
    """A knowledge-base article: a lesson learnt, often written from an exception."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    tags = models.CharField(_("tags"), max_length=200, blank=True, help_text=_("Separated by commas."))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("author")
    )
    source_exception = models.ForeignKey(
        "fulfillment.OrderException",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
        verbose_name=_("from exception"),
    )
    search_text = models.TextField(blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("knowledge-base article")
        verbose_name_plural = _("knowledge base")
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return self.title
