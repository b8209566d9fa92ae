from typing import Any

import pytest

from salesdesk.accounts.models import Team
from salesdesk.accounts.roles import ROLES
from salesdesk.accounts.scope import owner_scope_param_q, owner_scope_q, scope_of
from salesdesk.accounts.tests.factories import TeamFactory, make_user
from salesdesk.core.compiled import CompiledQuery

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("roles", "scope"),
    [
        (("salesperson",), "own"),
        (("manager",), "team"),
        (("administrator",), "all"),
        (("planner",), "all"),
        (("salesperson", "finance"), "all"),
        (("salesperson", "manager"), "team"),
        ((), "own"),
    ],
)
def test_data_scope_is_the_widest_of_the_roles(user_factory, roles, scope):
    assert user_factory(*roles).data_scope == scope


def test_superuser_sees_all(user_factory):
    assert user_factory(is_superuser=True).data_scope == "all"


def test_role_groups_exist_with_their_permissions(admin_user, salesperson):
    from django.contrib.auth.models import Group

    assert sorted(Group.objects.values_list("name", flat=True)) == sorted(r.code for r in ROLES)
    assert salesperson.has_perm("customers.view_customer")
    assert not salesperson.has_perm("core.change_parameter")
    assert admin_user.has_perm("core.change_parameter")
    assert admin_user.has_role("administrator")
    assert not salesperson.has_role("administrator", "manager")


def test_owner_scope_q(salesperson, other_salesperson, manager, admin_user):
    team_of_sales = salesperson.team
    other_team = other_salesperson.team
    Team.objects.filter(pk=other_team.pk).update(manager=other_salesperson)
    Team.objects.filter(pk=team_of_sales.pk).update(manager=salesperson)

    def visible(user):
        rows = Team.objects.filter(owner_scope_q(user, owner_field="manager"))
        return set(rows.values_list("pk", flat=True))

    assert visible(salesperson) == {team_of_sales.pk}
    assert visible(other_salesperson) == {other_team.pk}
    # the manager sees rows owned by members of their team
    assert visible(manager) == {team_of_sales.pk}
    assert visible(admin_user) == {team_of_sales.pk, other_team.pk}


def test_owner_scope_param_q_agrees_with_owner_scope_q(salesperson, other_salesperson, manager, admin_user):
    """The compiled form of the scope (placeholders bound per call) selects the same rows for every
    scope: own, team (one team, two teams, none), all."""
    team_of_sales = salesperson.team
    other_team = other_salesperson.team
    Team.objects.filter(pk=other_team.pk).update(manager=other_salesperson)
    Team.objects.filter(pk=team_of_sales.pk).update(manager=salesperson)
    spare: Any = TeamFactory(manager=manager)  # the manager now leads two teams
    teamless_manager = make_user("manager", username="manager_teamless")
    query = CompiledQuery(
        lambda p, shape: Team.objects.filter(owner_scope_param_q(p, shape, "manager")).values_list("pk")
    )

    for user in (salesperson, other_salesperson, manager, admin_user, teamless_manager):
        of = scope_of(user)
        compiled = {pk for (pk,) in query.all(of.shape, **of.values)}
        direct = Team.objects.filter(owner_scope_q(user, owner_field="manager")).values_list("pk", flat=True)
        assert compiled == set(direct)
    assert len(scope_of(manager).teams) == 2
    assert {pk for (pk,) in query.all(scope_of(manager).shape, **scope_of(manager).values)} == {
        team_of_sales.pk,
        spare.pk,
    }


def test_display_name(user_factory):
    assert user_factory(name="王芳").display_name == "王芳"
    assert user_factory(name="", username="zhao").display_name == "zhao"
