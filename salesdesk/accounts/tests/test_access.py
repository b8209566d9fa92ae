import pytest
from django.contrib.auth.models import Permission

from salesdesk.accounts.models import User
from salesdesk.accounts.services import issue_api_token, load_access, set_user_roles, user_for_token

pytestmark = pytest.mark.django_db


def _fresh(user):
    return User.objects.get(pk=user.pk)


def test_load_access_gives_the_same_roles_and_permissions_as_django(salesperson, manager):
    for person in (salesperson, manager):
        expected_perms = _fresh(person).get_all_permissions()
        expected_roles = _fresh(person).role_codes
        primed = _fresh(person)
        load_access(primed)
        assert primed.role_codes == expected_roles
        assert primed.get_all_permissions() == expected_perms
        assert primed.has_perm("orders.add_salesorder") is True
        assert primed.has_perm("orders.approve_salesorder") is (person == manager)


def test_load_access_includes_direct_user_permissions(salesperson):
    perm = Permission.objects.get(codename="approve_salesorder")
    salesperson.user_permissions.add(perm)
    primed = _fresh(salesperson)
    load_access(primed)
    assert primed.has_perm("orders.approve_salesorder") is True


def test_token_user_comes_with_roles_and_permissions_in_one_query(salesperson, django_assert_num_queries):
    key = issue_api_token(user=salesperson)
    user_for_token(key)  # first use writes last_used_at
    with django_assert_num_queries(1):
        user = user_for_token(key)
        assert user.role_codes == ["salesperson"]
        assert user.has_perm("orders.add_salesorder") is True
        assert user.has_perm("orders.approve_salesorder") is False
        assert user.data_scope == "own"


def test_token_user_access_is_what_django_gives(salesperson, manager, admin_user):
    perm = Permission.objects.get(codename="approve_salesorder")
    salesperson.user_permissions.add(perm)
    for person in (salesperson, manager, admin_user):
        user = user_for_token(issue_api_token(user=person))
        fresh = _fresh(person)
        assert user.role_codes == fresh.role_codes
        assert user.get_all_permissions() == fresh.get_all_permissions()
    assert user_for_token(issue_api_token(user=salesperson)).has_perm("orders.approve_salesorder") is True


def test_a_user_without_roles_or_permissions_gets_none_by_token(salesperson):
    salesperson.groups.clear()
    user = user_for_token(issue_api_token(user=salesperson))
    assert user.role_codes == []
    assert user.get_all_permissions() == set()


def test_a_role_change_applies_to_the_next_token_request(salesperson, admin_user):
    key = issue_api_token(user=salesperson)
    assert user_for_token(key).has_perm("orders.approve_salesorder") is False
    set_user_roles(user=salesperson, roles=["manager"], by=admin_user)
    user = user_for_token(key)
    assert user.role_codes == ["manager"]
    assert user.has_perm("orders.approve_salesorder") is True
