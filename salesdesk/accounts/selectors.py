"""Reads of users for the administrators' pages and the API."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db.models import Prefetch, Q

from .models import User
from .roles import ROLE_BY_CODE


def list_users(*, q: str = "") -> list[User]:
    """Every user with team, department and roles loaded in a fixed number of queries."""
    qs = User.objects.select_related("team", "department").prefetch_related(
        Prefetch("groups", queryset=Group.objects.filter(name__in=ROLE_BY_CODE), to_attr="role_groups")
    )
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(name__icontains=q) | Q(mobile__contains=q))
    users: list[User] = list(qs.order_by("username"))
    for user in users:
        user._role_codes = sorted(g.name for g in user.role_groups)  # type: ignore[attr-defined]
    return users


def get_user(*, user_id: int) -> User:
    """One user by id (raises User.DoesNotExist)."""
    return User.objects.select_related("team", "department").get(pk=user_id)
