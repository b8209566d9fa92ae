"""Data scope (own / team / all) as a query filter, so pages, API and exports agree (C1)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from .roles import Scope


def owner_scope_q(user: Any, owner_field: str = "owner") -> Q:
    """Rows the user may see, given the field that holds the owning salesperson."""
    scope = user.data_scope
    if scope == Scope.ALL:
        return Q()
    own = Q(**{owner_field: user})
    if scope == Scope.TEAM:
        teams = list(user.managed_teams.values_list("id", flat=True))
        if user.team_id:
            teams.append(user.team_id)
        if teams:
            return own | Q(**{f"{owner_field}__team_id__in": teams})
    return own
