import pytest

from salesdesk.core import parameters
from salesdesk.core.models import Parameter
from salesdesk.core.parameters import get_parameter, get_parameters, set_parameter

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _per_request_reads(settings):
    """The reads without the shared cache (SQLite, DB_CONFIG_CACHE=0); test_shared_cache.py has it."""
    settings.CONFIG_CACHE = False


# the receivers of request_started / request_finished (sending the signals themselves would also run
# Django's close_old_connections, which closes the test's database connection)
@pytest.fixture
def in_request():
    parameters._request_begins()
    try:
        yield
    finally:
        parameters._request_ends()


def test_inside_a_request_parameters_are_read_in_one_query(in_request, admin_user, django_assert_num_queries):
    Parameter.objects.create(key="orders.number_prefix", value="ABCD")
    with django_assert_num_queries(1):
        assert get_parameter("orders.number_prefix") == "ABCD"
        assert get_parameter("orders.default_type") == "standard"
        assert get_parameters("approval.manager_amount", "approval.new_customer") == {
            "approval.manager_amount": "50000",
            "approval.new_customer": True,
        }


def test_a_change_inside_the_request_is_seen_at_once(in_request, admin_user):
    assert get_parameter("approval.new_customer") is True
    set_parameter(key="approval.new_customer", value=False, by=admin_user)
    assert get_parameter("approval.new_customer") is False
    Parameter.objects.filter(pk="approval.new_customer").delete()
    assert get_parameter("approval.new_customer") is True


def test_outside_a_request_every_read_goes_to_the_database(admin_user, django_assert_num_queries):
    with django_assert_num_queries(2):
        assert get_parameter("orders.number_prefix") == "XSDD"
        assert get_parameter("orders.number_prefix") == "XSDD"
    Parameter.objects.create(key="orders.number_prefix", value="ABCD")
    assert get_parameter("orders.number_prefix") == "ABCD"


def test_the_next_request_reads_again(admin_user):
    parameters._request_begins()
    try:
        assert get_parameter("orders.number_prefix") == "XSDD"
    finally:
        parameters._request_ends()
    Parameter.objects.create(key="orders.number_prefix", value="WXYZ")
    parameters._request_begins()
    try:
        assert get_parameter("orders.number_prefix") == "WXYZ"
    finally:
        parameters._request_ends()
