import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, models
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from salesdesk.core import compiled
from salesdesk.core.compiled import CompiledQuery, insert
from salesdesk.core.models import AuditLog, Parameter, Region, Sequence

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _district(p):
    return Region.objects.select_related("parent__parent").filter(code=p.code)[:1]


def test_model_rows_equal_the_orm_and_the_plan_is_reused():
    """Given a read with select_related two levels up; when it runs for two codes; then the rows and
    their related objects are those the ORM gives, one statement each, one compiled plan."""
    query = CompiledQuery(_district)

    with CaptureQueriesContext(connection) as first_run:
        chaoyang = query.first(code="110105")
    with CaptureQueriesContext(connection) as second_run:
        nanshan = query.first(code="440305")

    expected = Region.objects.select_related("parent__parent").get(code="440305")
    assert (nanshan.code, nanshan.name, nanshan.level, nanshan.parent_id) == (
        expected.code,
        expected.name,
        expected.level,
        expected.parent_id,
    )
    with CaptureQueriesContext(connection) as related_reads:
        assert (nanshan.parent.name, nanshan.parent.parent.name) == ("深圳市", "广东省")
        assert chaoyang.parent.parent.name == "北京市"
    assert len(related_reads) == 0
    assert len(first_run) == len(second_run) == 1
    assert second_run[0]["sql"] != first_run[0]["sql"]  # the new value is bound, not the old one
    assert len(query._plans) == 1
    assert query.first(code="999999") is None


def test_shape_argument_compiles_one_plan_per_shape():
    query = CompiledQuery(lambda p, n: Region.objects.filter(code__in=p.many("codes", n)).order_by("code"))

    two = query.all(2, codes=["440305", "110105"])
    three = query.all(3, codes=["441900", "440305", "110105"])
    two_again = query.all(2, codes=["441900", "000000"])

    assert [r.code for r in two] == ["110105", "440305"]
    assert [r.code for r in three] == ["110105", "440305", "441900"]
    assert [r.code for r in two_again] == ["441900"]
    assert set(query._plans) == {(2,), (3,)}


def test_typed_parameter_is_bound_as_the_orm_binds_the_field():
    """A datetime in another time zone compares like the ORM's (UTC on SQLite's text column too)."""
    base = dt.datetime(2026, 11, 22, 9, 0, tzinfo=SHANGHAI)
    for minutes, action in ((0, "a"), (30, "b"), (60, "c")):
        AuditLog.objects.create(
            created_at=base + dt.timedelta(minutes=minutes),
            action=action,
            data={"n": minutes},
            hash=f"h{minutes}",
        )
    query = CompiledQuery(
        lambda p: (
            AuditLog.objects.filter(created_at__gte=p.typed("since", models.DateTimeField()))
            .annotate(again=F("action"))
            .order_by("id")
        )
    )

    found = query.all(since=base + dt.timedelta(minutes=30))

    assert [(e.action, e.data, e.again) for e in found] == [("b", {"n": 30}, "b"), ("c", {"n": 60}, "c")]
    assert found[0].created_at == base + dt.timedelta(minutes=30)


def test_values_list_rows_are_converted_tuples():
    Sequence.objects.create(prefix="XSDD", day=dt.date(2026, 11, 22), last_value=7)
    query = CompiledQuery(lambda p: Sequence.objects.filter(prefix=p.prefix).values_list("day", "last_value"))

    assert query.all(prefix="XSDD") == [(dt.date(2026, 11, 22), 7)]
    assert query.all(prefix="FHD") == []


def test_a_missing_value_is_refused():
    query = CompiledQuery(_district)

    with pytest.raises(TypeError, match="code"):
        query.first(other="110105")


def test_known_related_objects_are_refused():
    beijing = Region.objects.get(code="110000")
    query = CompiledQuery(lambda p: beijing.children.filter(code=p.code))

    with pytest.raises(ValueError, match="known related"):
        query.all(code="110100")


# --- insert -------------------------------------------------------------------------------------


def test_insert_writes_what_bulk_create_writes_in_one_statement():
    """Given audit entries with JSON, a time and no id; when inserted; then one INSERT, the ids are set
    in order, and the rows read back equal those bulk_create writes for the same objects."""
    at = dt.datetime(2026, 11, 22, 9, 30, tzinfo=SHANGHAI)

    def entries(tag):
        return [
            AuditLog(
                created_at=at,
                action=f"{tag}.{i}",
                data={"i": i, "名": "王"},
                hash=f"{tag}{i}",
                ip=f"10.0.0.{i}" if i else None,
                object_id="",
            )
            for i in range(3)
        ]

    mine, theirs = entries("x"), entries("y")
    with CaptureQueriesContext(connection) as statements:
        insert(mine)
    AuditLog.objects.bulk_create(theirs)

    assert len(statements) == 1
    assert statements[0]["sql"].startswith("INSERT")
    assert [e.pk for e in mine] == sorted(e.pk for e in mine)
    assert None not in [e.pk for e in mine]
    assert all(not e._state.adding for e in mine)

    def read(objs):
        rows = AuditLog.objects.filter(pk__in=[o.pk for o in objs]).order_by("id")
        return [(r.created_at, r.action[2:], r.data, r.ip, r.is_success) for r in rows]

    assert read(mine) == read(theirs)
    assert read(mine)[0] == (at, "0", {"i": 0, "名": "王"}, None, True)
    assert read(mine)[2][3] == "10.0.0.2"


def test_times_are_written_as_bulk_create_writes_them():
    """An aware time from another zone is the same instant; a naive one is read in the current time zone
    with Django's warning, by insert() as by bulk_create (insert passes aware ones to the driver as they
    are on PostgreSQL and leaves the rest to the field)."""
    moments = [
        dt.datetime(2026, 11, 22, 9, 30, 15, 123456, tzinfo=SHANGHAI),
        dt.datetime(2026, 11, 22, 1, 30, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 21, 20, 30, tzinfo=ZoneInfo("America/New_York")),
        dt.datetime(2026, 11, 22, 9, 30),  # naive
    ]

    def entries(tag):
        return [AuditLog(created_at=at, hash=f"{tag}{i}", object_id="") for i, at in enumerate(moments)]

    mine, theirs = entries("x"), entries("y")
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        insert(mine)
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        AuditLog.objects.bulk_create(theirs)

    def read(objs):
        return list(
            AuditLog.objects.filter(pk__in=[o.pk for o in objs]).order_by("id").values_list("created_at")
        )

    assert read(mine) == read(theirs)
    assert [at for (at,) in read(mine)[:3]] == [moments[0], moments[1], moments[1]]
    assert read(mine)[3][0] == dt.datetime(2026, 11, 22, 9, 30, tzinfo=SHANGHAI)  # TIME_ZONE is Shanghai


def test_insert_fills_auto_now_and_foreign_keys_saved_after_assignment():
    """A natural primary key is written as given; auto_now is set; a foreign key assigned before the
    related row was saved gets its id (as bulk_create does)."""
    first, second = Parameter(key="t.one", value=[1, 2]), Parameter(key="t.two", value={"a": "b"})
    user = get_user_model()(username="param_editor")
    first.updated_by = user
    user.save()
    insert([first, second])

    saved = {p.key: p for p in Parameter.objects.filter(key__startswith="t.")}
    assert saved["t.one"].value == [1, 2]
    assert saved["t.two"].value == {"a": "b"}
    assert saved["t.one"].updated_by_id == user.pk
    assert saved["t.one"].updated_at is not None
    assert first.updated_at == saved["t.one"].updated_at


def test_insert_refuses_objects_with_an_id_or_of_two_models():
    existing = AuditLog.objects.create(created_at=dt.datetime(2026, 1, 1, tzinfo=SHANGHAI), hash="h1")
    with pytest.raises(ValueError, match="primary key"):
        insert([AuditLog(created_at=existing.created_at, hash="h2", pk=existing.pk + 100)])
    with pytest.raises(ValueError, match="one model"):
        insert(
            [AuditLog(created_at=existing.created_at, hash="h3"), Sequence(prefix="X", day=dt.date.today())]
        )
    assert AuditLog.objects.count() == 1
    assert Sequence.objects.count() == 0
    assert insert([]) == []


def test_insert_splits_what_one_statement_cannot_hold(monkeypatch):
    monkeypatch.setattr(compiled, "_MAX_PARAMS", 30)  # AuditLog has 12 columns besides id: 2 rows a statement
    entries = [AuditLog(created_at=dt.datetime(2026, 1, 1, tzinfo=SHANGHAI), hash=f"s{i}") for i in range(5)]

    with CaptureQueriesContext(connection) as statements:
        insert(entries)

    assert len(statements) == 3
    assert [e.hash for e in AuditLog.objects.order_by("id")] == [f"s{i}" for i in range(5)]
    assert [e.pk for e in entries] == list(AuditLog.objects.order_by("id").values_list("pk", flat=True))


def test_insert_can_skip_rows_that_break_a_unique_constraint():
    Sequence.objects.create(prefix="XSDD", day=dt.date(2026, 11, 22), last_value=7)
    rows = [
        Sequence(prefix="XSDD", day=dt.date(2026, 11, 22), last_value=1),  # taken: skipped
        Sequence(prefix="XSDD", day=dt.date(2026, 11, 23), last_value=2),
    ]

    insert(rows, ignore_conflicts=True)

    assert sorted(Sequence.objects.values_list("day", "last_value")) == [
        (dt.date(2026, 11, 22), 7),
        (dt.date(2026, 11, 23), 2),
    ]
    with pytest.raises(IntegrityError):
        insert([Sequence(prefix="XSDD", day=dt.date(2026, 11, 22), last_value=3)])


def test_insert_refuses_a_foreign_key_to_an_unsaved_row():
    entry = AuditLog(created_at=dt.datetime(2026, 1, 1, tzinfo=SHANGHAI), hash="u1")
    entry.actor = get_user_model()(username="never_saved")

    with pytest.raises(ValueError, match="unsaved related object"):
        insert([entry])
    assert AuditLog.objects.count() == 0


@pytest.mark.parametrize(
    "build",
    [
        lambda p: Sequence.objects.filter(prefix=p.prefix).values("day"),
        lambda p: Sequence.objects.filter(prefix=p.prefix).values_list("day", flat=True),
        lambda p: Sequence.objects.annotate(n=F("last_value")).filter(prefix=p.prefix).values_list("n"),
    ],
    ids=["values", "flat", "annotated values_list"],
)
def test_rows_other_than_models_or_plain_values_list_are_refused(build):
    with pytest.raises(ValueError, match="values_list"):
        CompiledQuery(build).all(prefix="XSDD")


def _user(name):
    return get_user_model()(username=name)


def test_insert_together_writes_the_queued_inserts_in_one_statement_on_postgresql():
    """Given users, audit entries pointing at them (unsaved when assigned) and rows that may conflict,
    inserted in one ``insert_together`` block; then PostgreSQL gets one statement (elsewhere one per
    ``insert``), the ids are set in row order, the keys point at the right rows, the conflict is
    skipped."""
    Sequence.objects.create(prefix="XSDD", day=dt.date(2026, 11, 22), last_value=7)
    at = dt.datetime(2026, 11, 22, 9, 30, tzinfo=SHANGHAI)
    users = [_user("together_1"), _user("together_2")]
    entries = [
        AuditLog(created_at=at, hash="t0", actor=users[1], object_id=""),
        AuditLog(created_at=at, hash="t1", actor=users[0], object_id=""),
        AuditLog(created_at=at, hash="t2", object_id=""),
    ]
    days = [Sequence(prefix="XSDD", day=dt.date(2026, 11, d), last_value=1) for d in (22, 23)]
    with CaptureQueriesContext(connection) as statements, compiled.insert_together():
        insert(users)
        insert(entries)
        insert(days, ignore_conflicts=True)
    assert len(statements) == (1 if connection.vendor == "postgresql" else 3)
    by_name = dict(
        get_user_model().objects.filter(username__startswith="together_").values_list("username", "pk")
    )
    assert [u.pk for u in users] == [by_name["together_1"], by_name["together_2"]]
    assert [e.actor_id for e in entries] == [users[1].pk, users[0].pk, None]
    saved = AuditLog.objects.order_by("id")
    assert [(e.pk, e.hash, e.actor_id) for e in saved] == [(e.pk, e.hash, e.actor_id) for e in entries]
    assert all(not obj._state.adding for obj in [*users, *entries])
    assert sorted(Sequence.objects.values_list("day", "last_value")) == [
        (dt.date(2026, 11, 22), 7),
        (dt.date(2026, 11, 23), 1),
    ]


def test_insert_together_keeps_nothing_queued_when_the_block_raises():
    def queue_then_fail():
        with compiled.insert_together():
            insert([_user("never_1")])
            raise RuntimeError("stop")

    with CaptureQueriesContext(connection) as statements, pytest.raises(RuntimeError):
        queue_then_fail()
    written = get_user_model().objects.filter(username="never_1").count()
    # PostgreSQL: queued, never sent; elsewhere it ran when called (the caller's transaction undoes it)
    assert (len(statements), written) == ((0, 0) if connection.vendor == "postgresql" else (1, 1))


def test_insert_together_runs_one_insert_after_the_other_past_the_parameter_limit(monkeypatch):
    monkeypatch.setattr(compiled, "_MAX_PARAMS", 30)
    user = _user("together_big")
    entries = [
        AuditLog(created_at=dt.datetime(2026, 1, 1, tzinfo=SHANGHAI), hash=f"b{i}", actor=user)
        for i in range(3)
    ]
    with CaptureQueriesContext(connection) as statements, compiled.insert_together():
        insert([user])
        insert(entries)  # 2 rows a statement at this limit: 2 statements
    assert len(statements) == 3
    assert list(AuditLog.objects.order_by("id").values_list("actor_id", flat=True)) == [user.pk] * 3


def test_insert_together_refuses_a_key_to_an_unsaved_row_it_does_not_hold():
    entry = AuditLog(
        created_at=dt.datetime(2026, 1, 1, tzinfo=SHANGHAI), hash="u2", actor=_user("not_queued")
    )
    with pytest.raises(ValueError, match="unsaved related object"), compiled.insert_together():
        insert([entry])
    assert AuditLog.objects.count() == 0


def test_insert_together_names_a_queued_row_by_its_id_as_text():
    """An audit entry about an object queued in the same block (``object_id`` = ``PkText``) stores the
    object's id as text once the block is written; an object neither saved nor queued is refused."""
    user = _user("named_later")
    entry = AuditLog(
        created_at=dt.datetime(2026, 1, 1, tzinfo=SHANGHAI),
        hash="p1",
        object_id=compiled.PkText(user),  # type: ignore[misc]
    )
    with CaptureQueriesContext(connection) as statements, compiled.insert_together():
        insert([user])
        insert([entry])
    assert len(statements) == (1 if connection.vendor == "postgresql" else 2)
    assert entry.object_id == str(user.pk)
    assert AuditLog.objects.get(pk=entry.pk).object_id == str(user.pk)
    orphan = AuditLog(created_at=entry.created_at, hash="p2", object_id=compiled.PkText(_user("nowhere")))  # type: ignore[misc]
    with pytest.raises(ValueError, match="not saved or queued"):
        insert([orphan])


def test_a_late_value_is_taken_when_the_rows_go_in():
    """Given a value that rows carry but that is taken last (a gapless number, whose counter row stays
    locked until commit); then on PostgreSQL it is taken once, when the ``insert_together`` block is
    written — after every row was built — and elsewhere at the first ``insert()`` that carries it; every
    row and object carries the same value once written."""
    taken: list[str] = []

    def take() -> str:
        taken.append("XSDD20261123-0042")
        return taken[-1]

    number = compiled.Late(take)
    at = dt.datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI)
    user = _user("late_1")
    user.first_name = number  # type: ignore[assignment]
    entries = [AuditLog(created_at=at, hash=f"l{i}", object_repr=number, object_id="") for i in range(2)]  # type: ignore[misc]
    with compiled.insert_together():
        insert([user])
        taken_after_first_insert = len(taken)
        insert(entries)
        taken_before_the_block_ends = len(taken)
    on_postgresql = connection.vendor == "postgresql"
    assert (taken_after_first_insert, taken_before_the_block_ends) == ((0, 0) if on_postgresql else (1, 1))
    assert taken == ["XSDD20261123-0042"]
    assert number.value == "XSDD20261123-0042"
    assert user.first_name == "XSDD20261123-0042"
    assert [e.object_repr for e in entries] == ["XSDD20261123-0042"] * 2
    assert get_user_model().objects.get(pk=user.pk).first_name == "XSDD20261123-0042"
    assert (
        list(AuditLog.objects.order_by("id").values_list("object_repr", flat=True))
        == ["XSDD20261123-0042"] * 2
    )


def test_a_late_value_is_not_taken_when_the_block_raises():
    taken: list[int] = []

    def take() -> str:
        taken.append(1)
        return "XSDD20261123-0001"

    number = compiled.Late(take)
    user = _user("late_never")
    user.first_name = number  # type: ignore[assignment]

    def queue_then_fail() -> None:
        with compiled.insert_together():
            insert([user])
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        queue_then_fail()
    assert taken == ([] if connection.vendor == "postgresql" else [1])


def test_a_late_value_goes_only_into_a_column_that_takes_it_as_it_is():
    entry = AuditLog(
        created_at=compiled.Late(lambda: dt.datetime(2026, 1, 1, tzinfo=SHANGHAI)),  # type: ignore[misc]
        hash="l9",
        object_id="",
    )
    with pytest.raises(ValueError, match="created_at"):
        insert([entry])
    assert AuditLog.objects.count() == 0


def test_a_late_value_with_sql_is_taken_by_the_blocks_own_statement():
    """Given a late value that has a statement of its own; then on PostgreSQL the block's one statement
    takes it (nothing is sent before it, ``produce`` is not called) and every row carries it; elsewhere
    ``produce`` gives it at the first insert."""
    called: list[int] = []

    def produce() -> str:
        called.append(1)
        return "made-by-produce"

    sql_value = compiled.Late(produce, sql=("SELECT CAST(%s AS text) || '-by-sql' AS value", ["v"]))
    user = _user("late_sql")
    user.first_name = sql_value  # type: ignore[assignment]
    at = dt.datetime(2026, 11, 23, 9, 30, tzinfo=SHANGHAI)
    entries = [AuditLog(created_at=at, hash=f"s{i}", object_repr=sql_value, object_id="") for i in range(2)]  # type: ignore[misc]
    with CaptureQueriesContext(connection) as statements, compiled.insert_together():
        insert([user])
        insert(entries)
    expected = "v-by-sql" if connection.vendor == "postgresql" else "made-by-produce"
    assert len(statements) == (1 if connection.vendor == "postgresql" else 2)
    assert called == ([] if connection.vendor == "postgresql" else [1])
    assert sql_value.value == user.first_name == expected
    assert [e.object_repr for e in entries] == [expected] * 2
    assert get_user_model().objects.get(pk=user.pk).first_name == expected
    assert set(AuditLog.objects.values_list("object_repr", flat=True)) == {expected}
    assert all(e.pk is not None for e in entries)


def test_reads_ahead_run_together_and_each_is_taken_once_with_its_arguments():
    """Given two reads ahead; then on PostgreSQL both run when the block begins, the first call of each
    with the same arguments takes their rows (no statement), a call with other arguments and a second
    call run as usual; elsewhere nothing runs ahead. The rows are those of a plain call."""
    by_code = CompiledQuery(_district)
    names = CompiledQuery(lambda p: Region.objects.filter(code=p.code).values_list("name"))
    expected = (by_code.first(code="440305"), names.all(code="110105"))
    ahead = connection.vendor == "postgresql"
    with (
        CaptureQueriesContext(connection) as at_start,
        compiled.read_ahead(by_code.call(code="440305"), names.call(code="110105"), None),
    ):
        assert len(at_start) == (2 if ahead else 0)
        with CaptureQueriesContext(connection) as taken:
            nanshan = by_code.first(code="440305")
            beijing = names.all(code="110105")
        assert len(taken) == (0 if ahead else 2)
        with CaptureQueriesContext(connection) as again:
            assert by_code.first(code="440305").pk == nanshan.pk  # taken once: read again
            assert names.all(code="110000") == [("北京市",)]  # other arguments
        assert len(again) == 2
    assert (nanshan.code, nanshan.parent.parent.name) == (expected[0].code, "广东省")
    assert beijing == expected[1] == [("朝阳区",)]
    with CaptureQueriesContext(connection) as after:
        by_code.first(code="440305")
    assert len(after) == 1  # the block is over


def test_reads_ahead_inside_a_transaction_see_its_rows():
    """In a transaction, the reads ahead are part of it (their pipeline carries its BEGIN): they see
    what it wrote before the block."""
    from django.db import transaction

    count = CompiledQuery(lambda p: Sequence.objects.filter(prefix=p.prefix).values_list("last_value"))
    with transaction.atomic():
        Sequence.objects.create(prefix="RA", day=dt.date(2026, 11, 23), last_value=41)
        with compiled.read_ahead(count.call(prefix="RA")):
            assert count.all(prefix="RA") == [(41,)]
