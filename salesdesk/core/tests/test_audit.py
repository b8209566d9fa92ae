import pytest
from django.db import connection

from salesdesk.core.audit import record_audit, verify_audit_chain
from salesdesk.core.models import AuditLog

pytestmark = pytest.mark.django_db


def test_entries_are_chained_and_the_chain_verifies(admin_user):
    AuditLog.objects.all().delete()
    first = record_audit(action="test.one", by=admin_user, data={"n": 1})
    second = record_audit(action="test.two", by=admin_user, obj=admin_user, data={"n": 2})
    third = record_audit(action="test.three", actor_name="ghost", is_success=False, ip="10.0.0.1")

    assert first.prev_hash == ""
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    assert second.object_type == "accounts.user"
    assert second.object_id == str(admin_user.pk)
    assert second.actor_name == "admin1"
    assert third.actor_id is None
    assert third.actor_name == "ghost"
    assert verify_audit_chain() is None


def test_tampered_data_is_detected_at_that_row(admin_user):
    AuditLog.objects.all().delete()
    record_audit(action="test.one", by=admin_user, data={"amount": "100"})
    victim = record_audit(action="test.two", by=admin_user, data={"amount": "200"})
    record_audit(action="test.three", by=admin_user, data={"amount": "300"})

    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {AuditLog._meta.db_table} SET data = %s WHERE id = %s", ['{"amount": "1"}', victim.id]
        )

    assert verify_audit_chain() == victim.id


def test_a_deleted_row_breaks_the_chain_at_the_next_one(admin_user):
    AuditLog.objects.all().delete()
    record_audit(action="test.one", by=admin_user)
    gone = record_audit(action="test.two", by=admin_user)
    after = record_audit(action="test.three", by=admin_user)

    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AuditLog._meta.db_table} WHERE id = %s", [gone.id])

    assert verify_audit_chain() == after.id
