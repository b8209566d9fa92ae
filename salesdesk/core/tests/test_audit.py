import pytest
from django.db import connection

from salesdesk.core.audit import PENDING, record_audit, seal_audit_chain, verify_audit_chain
from salesdesk.core.models import AuditLog, Sequence

pytestmark = pytest.mark.django_db


def _set(entry_id, **values):
    sets = ", ".join(f"{k} = %s" for k in values)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {AuditLog._meta.db_table} SET {sets} WHERE id = %s", [*values.values(), entry_id]
        )


def test_entries_are_written_unsealed_and_sealed_into_a_chain_in_id_order(admin_user):
    AuditLog.objects.all().delete()
    first = record_audit(action="test.one", by=admin_user, data={"n": 1})
    second = record_audit(action="test.two", by=admin_user, obj=admin_user, data={"n": 2})
    third = record_audit(action="test.three", actor_name="ghost", is_success=False, ip="10.0.0.1")
    assert first.hash.startswith(PENDING)
    assert first.prev_hash == ""
    assert len({first.hash, second.hash, third.hash}) == 3

    assert seal_audit_chain() == 3
    assert seal_audit_chain() == 0
    first.refresh_from_db()
    second.refresh_from_db()
    third.refresh_from_db()

    assert first.prev_hash == ""
    assert len(first.hash) == 64
    assert not first.hash.startswith(PENDING)
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    assert Sequence.objects.get(prefix="__audit__").last_value == third.id
    assert second.object_type == "accounts.user"
    assert second.object_id == str(admin_user.pk)
    assert second.actor_name == "admin1"
    assert third.actor_id is None
    assert third.actor_name == "ghost"
    assert verify_audit_chain() is None


def test_new_entries_continue_the_sealed_chain(admin_user):
    AuditLog.objects.all().delete()
    first = record_audit(action="test.one", by=admin_user)
    seal_audit_chain()
    second = record_audit(action="test.two", by=admin_user)
    assert verify_audit_chain() is None  # seals the pending one first
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.prev_hash == first.hash


def test_an_entry_committed_late_with_a_lower_id_is_chained_after_the_tail(admin_user):
    AuditLog.objects.all().delete()
    first = record_audit(action="test.one", by=admin_user)
    late = record_audit(action="test.late", by=admin_user, data={"amount": "5"})
    last = record_audit(action="test.three", by=admin_user)
    late_row = AuditLog.objects.filter(pk=late.pk).values().get()
    AuditLog.objects.filter(pk=late.pk).delete()  # not committed yet when the sealer runs
    assert seal_audit_chain() == 2
    AuditLog.objects.create(**late_row)  # now it commits, with its lower id
    assert seal_audit_chain() == 1

    first.refresh_from_db()
    late.refresh_from_db()
    last.refresh_from_db()
    assert last.prev_hash == first.hash
    assert late.prev_hash == last.hash
    assert verify_audit_chain() is None

    _set(late.id, data='{"amount": "6"}')
    assert verify_audit_chain() == late.id


def test_tampered_data_is_detected_at_that_row(admin_user):
    AuditLog.objects.all().delete()
    record_audit(action="test.one", by=admin_user, data={"amount": "100"})
    victim = record_audit(action="test.two", by=admin_user, data={"amount": "200"})
    record_audit(action="test.three", by=admin_user, data={"amount": "300"})
    seal_audit_chain()

    _set(victim.id, data='{"amount": "1"}')

    assert verify_audit_chain() == victim.id


def test_a_rewritten_row_with_a_recomputed_hash_breaks_the_chain_at_the_next_one(admin_user):
    from salesdesk.core.audit import _digest, _hashed_fields

    AuditLog.objects.all().delete()
    record_audit(action="test.one", by=admin_user, data={"amount": "100"})
    victim = record_audit(action="test.two", by=admin_user, data={"amount": "200"})
    after = record_audit(action="test.three", by=admin_user)
    seal_audit_chain()
    victim.refresh_from_db()
    victim.data = {"amount": "1"}
    _set(victim.id, data='{"amount": "1"}', hash=_digest(victim.prev_hash, _hashed_fields(victim)))

    assert verify_audit_chain() == after.id


def test_a_row_marked_pending_again_cannot_be_resealed_unnoticed(admin_user):
    AuditLog.objects.all().delete()
    record_audit(action="test.one", by=admin_user, data={"amount": "100"})
    victim = record_audit(action="test.two", by=admin_user, data={"amount": "200"})
    after = record_audit(action="test.three", by=admin_user)
    seal_audit_chain()

    _set(victim.id, data='{"amount": "1"}', hash=PENDING + "x")

    assert verify_audit_chain() == after.id


def test_a_deleted_row_breaks_the_chain_at_the_next_one(admin_user):
    AuditLog.objects.all().delete()
    record_audit(action="test.one", by=admin_user)
    gone = record_audit(action="test.two", by=admin_user)
    after = record_audit(action="test.three", by=admin_user)
    seal_audit_chain()

    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AuditLog._meta.db_table} WHERE id = %s", [gone.id])

    assert verify_audit_chain() == after.id


def test_a_second_chain_start_is_detected(admin_user):
    AuditLog.objects.all().delete()
    record_audit(action="test.one", by=admin_user)
    second = record_audit(action="test.two", by=admin_user)
    seal_audit_chain()
    second.refresh_from_db()
    second.prev_hash = ""
    from salesdesk.core.audit import _digest, _hashed_fields

    _set(second.id, prev_hash="", hash=_digest("", _hashed_fields(second)))

    assert verify_audit_chain() == second.id


@pytest.mark.postgres
def test_the_sealer_finds_pending_entries_through_the_partial_index(admin_user):
    """The audit log only grows; the once-a-second seal must not scan it (EXPLAIN with seq scans off:
    the planner can answer the sealer's query from core_audit_pending)."""
    record_audit(action="test.pending", by=admin_user)
    query = AuditLog.objects.filter(hash__startswith=PENDING).order_by("id")[:2000]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = query.explain()
    assert "core_audit_pending" in plan


@pytest.mark.postgres
def test_the_action_filter_reads_the_one_action_index_and_no_index_is_kept_for_nothing(admin_user):
    """Sealing rewrites every entry (a changed indexed column: each index takes a new entry), so the
    table keeps the indexes something reads: one index on the action serves the audit page's prefix
    filter (``action__startswith``), the hash has its unique index and no pattern index."""
    record_audit(action="order.create", by=admin_user)
    query = AuditLog.objects.filter(action__startswith="order.")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = query.explain()
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s ORDER BY indexname",
            [AuditLog._meta.db_table],
        )
        definitions = [row[0] for row in cursor.fetchall()]
    assert "core_audit_action_prefix" in plan
    assert [d.split(" USING ")[1] for d in definitions if "(action" in d] == [
        "btree (action varchar_pattern_ops)"
    ]
    assert [d.split(" ON ")[0] for d in definitions if "btree (hash" in d] == [
        "CREATE UNIQUE INDEX core_auditlog_hash_unique"
    ]


def test_sealing_in_batches_writes_one_update_per_batch_and_one_chain(admin_user, django_assert_num_queries):
    """Five entries sealed two at a time: three batches, each written in one UPDATE, chained in id order
    across the batches; the mark is the last one. The statements: lock, last sealed hash, then per batch
    read + UPDATE (the last batch is short: no extra read), the mark."""
    seal_audit_chain()
    entries = [record_audit(action="test.batch", by=admin_user, data={"n": n}) for n in range(5)]
    with django_assert_num_queries(2 + 3 * 2 + 1 + 2):  # + SAVEPOINT / RELEASE of the test's transaction
        assert seal_audit_chain(batch=2) == 5
    for entry in entries:
        entry.refresh_from_db()
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
    assert all(len(e.hash) == 64 for e in entries)
    assert Sequence.objects.get(prefix="__audit__").last_value == entries[-1].id
    assert verify_audit_chain() is None
