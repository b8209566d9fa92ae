"""Data scope (own / team / all) as a query filter, so pages, API and exports agree (C1)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from .roles import Scope


@dataclass(frozen=True)
class ScopeOf:
    """What the filter of one user depends on: the scope, the user and the teams it reaches."""

    scope: str
    user_id: Any
    teams: tuple[int, ...]

    @property
    def shape(self) -> tuple[str, int]:
        """The part that changes the SQL (for ``core.compiled``): the scope and how many teams."""
        return (self.scope, len(self.teams))

    @property
    def values(self) -> dict[str, Any]:
        """The values of ``owner_scope_param_q``'s placeholders."""
        return {"scope_user": self.user_id, "scope_teams": self.teams}


def scope_of(user: Any) -> ScopeOf:
    scope = user.data_scope
    teams: list[int] = []
    if scope == Scope.TEAM:
        teams = list(user.managed_teams.values_list("id", flat=True))
        if user.team_id:
            teams.append(user.team_id)
    return ScopeOf(scope=scope, user_id=user.pk, teams=tuple(teams))


def _scope_q(scope: str, owner_field: str, user: Any, teams: Any) -> Q:
    if scope == Scope.ALL:
        return Q()
    own = Q(**{owner_field: user})
    if scope == Scope.TEAM and teams:
        return own | Q(**{f"{owner_field}__team_id__in": teams})
    return own


def owner_scope_q(user: Any, owner_field: str = "owner") -> Q:
    """Rows the user may see, given the field that holds the owning salesperson."""
    of = scope_of(user)
    return _scope_q(of.scope, owner_field, user, list(of.teams))


def owner_scope_param_q(p: Any, shape: tuple[str, int], owner_field: str = "owner") -> Q:
    """The same filter with placeholders, for a compiled query (``core.compiled``) of the given
    ``ScopeOf.shape``; bind ``ScopeOf.values``."""
    scope, team_count = shape
    teams = p.many("scope_teams", team_count) if team_count else None
    return _scope_q(scope, owner_field, p.scope_user, teams)
