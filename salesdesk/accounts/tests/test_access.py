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


def test_token_user_needs_one_query_for_roles_and_permissions(salesperson, django_assert_num_queries):
    key = issue_api_token(user=salesperson)
    user_for_token(key)  # first use writes last_used_at
    with django_assert_num_queries(2):
        user = user_for_token(key)
        assert user.role_codes == ["salesperson"]
        assert user.has_perm("orders.add_salesorder") is True
        assert user.has_perm("orders.approve_salesorder") is False
        assert user.data_scope == "own"


def test_a_role_change_applies_to_the_next_token_request(salesperson, admin_user):
    key = issue_api_token(user=salesperson)
    assert user_for_token(key).has_perm("orders.approve_salesorder") is False
    set_user_roles(user=salesperson, roles=["manager"], by=admin_user)
    user = user_for_token(key)
    assert user.role_codes == ["manager"]
    assert user.has_perm("orders.approve_salesorder") is True
