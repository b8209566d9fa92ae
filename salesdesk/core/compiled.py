"""Querysets compiled to SQL once per process, run many times with new parameters.

Building a queryset (``filter``, ``select_related``, lookups) and compiling it to SQL costs the ORM
0.5–1 ms of CPU per read, several times what PostgreSQL needs to answer a read by key
(``bench/orm_overhead.py``). The reads of order entry have a fixed shape and run on every order, so
they are written as ordinary querysets whose changing values are ``Param`` placeholders; the first
call compiles them, later calls only bind the values, run the SQL and build the rows the way the ORM
does (model instances with their ``select_related`` objects and annotations). The rule stays in the
queryset, in one place; only the compilation is remembered.

    _CUSTOMER = CompiledQuery(
        lambda p: Customer.objects.select_related("owner").filter(pk=p.customer_id)[:1]
    )
    customer = _CUSTOMER.first(customer_id=7)

A query whose SHAPE depends on a value (a data scope, the number of ids in an ``IN``) takes that value
as a positional ``shape`` argument: each shape is compiled once (``field__in=p.many("ids", n)`` gives ``n``
placeholders for a list of ``n`` values).

Values are bound as the ORM would bind them for the field they are compared with when the placeholder
names it (``Param("since", models.DateTimeField())``: time zone and SQLite text form); without a field
they go to the driver as they are (ids, strings).
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import operator
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, models, router
from django.db.models.constants import OnConflict
from django.db.models.expressions import Expression
from django.db.models.fields import AutoFieldMixin
from django.db.models.query import (  # type: ignore[attr-defined]
    ModelIterable,
    QuerySet,
    ValuesListIterable,
    get_related_populators,
)


@dataclass(frozen=True)
class _Slot:
    """Where a bound value goes: the parameter's name and, for ``many``, the position in its list."""

    name: str
    index: int | None
    field: models.Field[Any, Any] | None


class Param(Expression):
    """A placeholder for a value bound when the compiled query runs."""

    def __init__(self, name: str, output_field: models.Field[Any, Any] | None = None):
        super().__init__(output_field=output_field)
        self.name = name

    def __repr__(self) -> str:
        return f"Param({self.name!r})"

    @property
    def identity(self) -> tuple[Any, ...]:
        return (Param, self.name)

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        field = getattr(self, "_output_field_or_none", None)
        return "%s", [_Slot(self.name, None, field)]


class ParamList(Expression):
    """``count`` placeholders for a list of ``count`` values: the right side of an ``__in``."""

    def __init__(self, name: str, count: int, output_field: models.Field[Any, Any] | None = None):
        if count < 1:
            raise ValueError("a list of placeholders needs at least one")
        super().__init__(output_field=output_field)
        self.name = name
        self.count = count

    def __repr__(self) -> str:
        return f"ParamList({self.name!r}, {self.count})"

    @property
    def identity(self) -> tuple[Any, ...]:
        return (ParamList, self.name, self.count)

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        field = getattr(self, "_output_field_or_none", None)
        return ", ".join(["%s"] * self.count), [_Slot(self.name, i, field) for i in range(self.count)]


class _Params:
    """``p.name`` → ``Param("name")``; ``p.many("ids", 3)`` → three placeholders for a list of three."""

    def __getattr__(self, name: str) -> Param:
        if name.startswith("_"):
            raise AttributeError(name)
        return Param(name)

    def typed(self, name: str, field: models.Field[Any, Any]) -> Param:
        return Param(name, output_field=field)

    def many(self, name: str, count: int) -> ParamList:
        return ParamList(name, count)


@dataclass
class _Plan:
    sql: str
    params: list[Any]
    alias: str
    compiler: Any
    converters: Any
    col_count: int
    trim: bool
    model: type[models.Model] | None
    init_list: list[str]
    model_start: int
    model_end: int
    populators: list[Any]
    annotation_col_map: dict[str, int]


class CompiledQuery:
    """A queryset built by ``build(p, *shape)`` and compiled once per shape (and process)."""

    def __init__(self, build: Callable[..., QuerySet[Any]]):
        self._build = build
        self._plans: dict[Hashable, _Plan] = {}

    def _plan(self, shape: tuple[Hashable, ...]) -> _Plan:
        plan = self._plans.get(shape)
        if plan is not None:
            return plan
        queryset = self._build(_Params(), *shape)
        alias = queryset.db
        if queryset._known_related_objects or queryset._prefetch_related_lookups:  # type: ignore[attr-defined]
            raise ValueError("a compiled query can't carry known related objects or prefetches")
        model_rows = queryset._iterable_class is ModelIterable  # type: ignore[attr-defined]
        if not model_rows and (
            queryset._iterable_class is not ValuesListIterable  # type: ignore[attr-defined]
            or queryset.query.annotation_select
            or queryset.query.extra_select
        ):  # values(), flat or named rows, or columns the ORM would reorder: not supported
            raise ValueError("a compiled query gives model instances or values_list() tuples of fields")
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
        converters = compiler.get_converters(fields)
        model: type[models.Model] | None = None
        init_list: list[str] = []
        start = end = 0
        populators: list[Any] = []
        if model_rows:
            klass_info = compiler.klass_info
            model = klass_info["model"]
            select_fields = klass_info["select_fields"]
            start, end = select_fields[0], select_fields[-1] + 1
            init_list = [f[0].target.attname for f in compiler.select[start:end]]
            populators = get_related_populators(klass_info, compiler.select, alias)
        plan = _Plan(
            sql=sql,
            params=list(params),
            alias=alias,
            compiler=compiler,
            converters=converters,
            col_count=compiler.col_count,
            trim=bool(compiler.has_extra_select),
            model=model,
            init_list=init_list,
            model_start=start,
            model_end=end,
            populators=populators,
            annotation_col_map=dict(compiler.annotation_col_map or {}),
        )
        self._plans[shape] = plan
        return plan

    def _bind(self, plan: _Plan, values: dict[str, Any]) -> list[Any]:
        connection = connections[plan.alias]
        bound = []
        for item in plan.params:
            if isinstance(item, _Slot):
                try:
                    value = values[item.name] if item.index is None else values[item.name][item.index]
                except KeyError:
                    raise TypeError(f"compiled query: no value for {item.name!r}") from None
                if item.field is not None:
                    value = item.field.get_db_prep_value(value, connection, prepared=False)
                bound.append(value)
            else:
                bound.append(item)
        return bound

    def _rows(self, plan: _Plan, shape: tuple[Hashable, ...], values: dict[str, Any]) -> Iterator[Any]:
        rows = _taken_ahead(self, shape, values)
        if rows is None:
            bound = self._bind(plan, values)
            with connections[plan.alias].cursor() as cursor:
                cursor.execute(plan.sql, bound)
                rows = cursor.fetchall()
        if plan.trim:
            rows = [r[: plan.col_count] for r in rows]
        if plan.converters:
            return iter(plan.compiler.apply_converters((list(r) for r in rows), plan.converters))
        return iter(rows)

    def all(self, *shape: Hashable, **values: Any) -> list[Any]:
        """Every row: model instances for a model queryset, tuples for ``values_list``."""
        plan = self._plan(shape)
        rows = self._rows(plan, shape, values)
        if plan.model is None:
            return [tuple(row) for row in rows]
        out = []
        from_db = plan.model.from_db
        for row in rows:
            obj = from_db(plan.alias, plan.init_list, row[plan.model_start : plan.model_end])
            for populator in plan.populators:
                populator.populate(row, obj)
            for attr, pos in plan.annotation_col_map.items():
                setattr(obj, attr, row[pos])
            out.append(obj)
        return out

    def call(self, *shape: Hashable, **values: Any) -> Read:
        """This read with these arguments, not run: for ``read_ahead``."""
        return Read(self, shape, values)

    def first(self, *shape: Hashable, **values: Any) -> Any:
        """The first row or None (the queryset should say its order and ``[:1]``)."""
        found = self.all(*shape, **values)
        return found[0] if found else None


# --- reads ahead ---------------------------------------------------------------------------------


@dataclass
class Read:
    """A compiled read and its arguments (``CompiledQuery.call``)."""

    query: CompiledQuery
    shape: tuple[Hashable, ...]
    values: dict[str, Any]


_ahead: ContextVar[list[tuple[Read, list[Any]]] | None] = ContextVar("reads_ahead", default=None)


def _taken_ahead(query: CompiledQuery, shape: tuple[Hashable, ...], values: dict[str, Any]) -> Any:
    """The rows ``read_ahead`` fetched for exactly this read, once (then forgotten); None otherwise."""
    ahead = _ahead.get()
    if not ahead:
        return None
    for i, (read, rows) in enumerate(ahead):
        if read.query is query and read.shape == shape and read.values == values:
            del ahead[i]
            return rows
    return None


@contextmanager
def read_ahead(*reads: Read | None, using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Run these reads now, in one round trip (a psycopg pipeline, on PostgreSQL), and let the first
    call in the block of each with the same arguments take its rows instead of running it again.
    Reads that do not depend on each other's results — known from the request before the code that
    makes them runs — then cost one round trip together instead of one each; inside a transaction
    the pipeline also carries its ``BEGIN``. ``None`` entries are skipped (a read that the input
    does not allow to know ahead).

    The caller's contract: nothing in the block writes, before a read ahead is taken, what that read
    would see (the rows are those of the moment the block began). Not for locking reads. A call with
    other arguments, a second call, and every call outside PostgreSQL run as they would without the
    block; so does everything when a block is already open."""
    wanted = [read for read in reads if read is not None]
    connection = connections[using]
    if not wanted or connection.vendor != "postgresql" or _ahead.get() is not None:
        yield
        return
    plans = [(read, read.query._plan(read.shape)) for read in wanted]
    if any(plan.alias != using for _, plan in plans):
        raise ValueError("read_ahead(): every read must use the block's database")
    connection.ensure_connection()
    cursors = []
    try:
        with connection.wrap_database_errors:
            with connection.connection.pipeline():  # sent when it ends, with one Sync: one round trip
                for read, plan in plans:
                    cursor = connection.cursor()
                    cursors.append(cursor)
                    cursor.execute(plan.sql, read.query._bind(plan, read.values))
            fetched = [(read, cursor.fetchall()) for (read, _), cursor in zip(plans, cursors, strict=True)]
    finally:
        for cursor in cursors:
            cursor.close()
    token = _ahead.set(fetched)
    try:
        yield
    finally:
        _ahead.reset(token)


# --- inserts ------------------------------------------------------------------------------------


@dataclass
class _Table:
    fields: list[models.Field[Any, Any]]
    getters: list[Callable[[Any], Any]]
    as_is: list[Callable[[Any], bool] | None]
    relations: list[Any]  # the foreign keys, or None: let Django check every object (generic relations)
    head: str
    tail: str
    rows: dict[int, str]


def _pre_save(field: models.Field[Any, Any], obj: models.Model) -> Any:
    return field.pre_save(obj, True)


_INTEGERS = (
    models.AutoField,
    models.BigAutoField,
    models.SmallAutoField,
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveBigIntegerField,
    models.PositiveSmallIntegerField,
)


def _is_int(value: Any) -> bool:
    return type(value) is int


def _is_str(value: Any) -> bool:
    return type(value) is str


def _is_bool(value: Any) -> bool:
    return type(value) is bool


def _is_finite_decimal(value: Any) -> bool:
    # DecimalField.to_python refuses NaN and infinities, which a numeric column would take
    return type(value) is decimal.Decimal and value.is_finite()


def _is_aware_datetime(value: Any) -> bool:
    # a naive one is made aware by the field (with a warning); an aware one goes to psycopg as it is
    return type(value) is dt.datetime and value.utcoffset() is not None


def _is_date(value: Any) -> bool:
    return type(value) is dt.date


def _as_is(field: models.Field[Any, Any], vendor: str) -> Callable[[Any], bool] | None:
    """Which values (besides None) this field hands to the driver unchanged, so ``get_db_prep_save``
    can be skipped for them: a test of the value, or None. Exact classes only: a subclass may prepare
    its values (an IP address field on PostgreSQL, JSON, money are left to Django). Decimals go as
    they are on every backend (``adapt_decimalfield_value`` returns them; SQLite's adapter makes them
    text), dates and aware times on PostgreSQL only (psycopg adapts them; SQLite stores text)."""
    kind = type(field)
    if isinstance(field, models.ForeignKey) and type(field.target_field) in _INTEGERS:
        return _is_int
    if kind in _INTEGERS:
        return _is_int
    if kind in (models.CharField, models.TextField):
        return _is_str
    if kind is models.BooleanField:
        return _is_bool
    if kind is models.DecimalField:
        return _is_finite_decimal
    if vendor == "postgresql" and kind is models.DateTimeField:
        return _is_aware_datetime
    if vendor == "postgresql" and kind is models.DateField:
        return _is_date
    return None


_TAKES_LATE = (_is_int, _is_str, _is_bool)  # a late value is written as it is taken: text, integers

_TABLES: dict[tuple[type[models.Model], str, bool, bool], _Table] = {}


def _table(model: type[models.Model], alias: str, auto_pk: bool, ignore_conflicts: bool) -> _Table:
    key = (model, alias, auto_pk, ignore_conflicts)
    table = _TABLES.get(key)
    if table is not None:
        return table
    connection = connections[alias]
    opts = model._meta
    quote = connection.ops.quote_name
    fields = [
        f
        for f in opts.concrete_fields
        if not getattr(f, "generated", False) and not (auto_pk and f is opts.pk)
    ]
    on_conflict = OnConflict.IGNORE if ignore_conflicts else None
    statement = connection.ops.insert_statement(on_conflict=on_conflict)
    suffix = connection.ops.on_conflict_suffix_sql(fields, on_conflict, None, None)
    returning = auto_pk and not ignore_conflicts  # as bulk_create: no ids when rows may be skipped
    getters: list[Callable[[Any], Any]] = []
    for f in fields:
        if type(f).pre_save is models.Field.pre_save:  # the value as it is on the object
            getters.append(operator.attrgetter(f.attname))
        else:  # auto_now, auto_now_add, files: the field computes it
            getters.append(functools.partial(_pre_save, f))
    relations: Any = None if opts.private_fields else [f for f in fields if f.is_relation]
    table = _Table(
        fields=fields,
        getters=getters,
        as_is=[_as_is(f, connection.vendor) for f in fields],
        relations=relations,
        head=f"{statement} {quote(opts.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES ",
        tail=(f" {suffix}" if suffix else "")
        + (f" RETURNING {quote(opts.db_table)}.{quote(opts.pk.column)}" if returning else ""),
        rows={},
    )
    _TABLES[key] = table
    return table


M = TypeVar("M", bound=models.Model)
_UNSET = object()
_MAX_PARAMS = 30_000  # PostgreSQL takes 65,535, SQLite (3.32 and later) 32,766


def insert(objs: Sequence[M], *, ignore_conflicts: bool = False) -> Sequence[M]:
    """Insert new objects of one model in one statement, as ``bulk_create`` does (no signals, ``save()``
    not called, primary keys set from ``RETURNING``), with the statement's text kept per model and row
    count. Values are prepared by their fields (``pre_save``, ``get_db_prep_save``) as the ORM prepares
    them; only the compiling of the INSERT is skipped. ``ignore_conflicts``: rows that would break a
    unique constraint are skipped (and, as with bulk_create, no ids are read back).

    Inside ``insert_together()`` on PostgreSQL the rows are queued instead, and their ids are set when
    that block ends."""
    if not objs:
        return objs
    model = type(objs[0])
    opts = model._meta
    auto_pk = isinstance(opts.pk, AutoFieldMixin)
    if auto_pk and any(obj.pk is not None for obj in objs):
        raise ValueError("insert(): objects with an auto primary key must not have one yet")
    alias = router.db_for_write(model)
    connection = connections[alias]
    returning = auto_pk and not ignore_conflicts
    if returning and not connection.features.can_return_rows_from_bulk_insert:
        return model._default_manager.bulk_create(objs)  # pragma: no cover - every supported database can
    table = _table(model, alias, auto_pk, ignore_conflicts)
    batch = _batch.get()
    if batch is not None and batch.alias != alias:
        batch = None
    per_statement = max(1, _MAX_PARAMS // len(table.fields))
    if len(objs) > per_statement:  # the databases' limit on parameters in one statement
        for start in range(0, len(objs), per_statement):
            insert(objs[start : start + per_statement], ignore_conflicts=ignore_conflicts)
        return objs
    params: list[Any] = []
    refs: list[tuple[int, models.Field[Any, Any], _Ref | Late, int]] = []  # row, field, value, parameter
    prepared: dict[tuple[int, str], Any] = {}  # a text value repeated over the rows (an IP) prepared once
    for index, obj in enumerate(objs):
        if type(obj) is not model:
            raise ValueError("insert(): objects of one model only")
        # a foreign key assigned before its row was saved takes the row's id now (or an unsaved one is
        # refused), as in bulk_create; Django's check runs only when a key is missing its id
        keys: dict[models.Field[Any, Any], _Ref] = {}
        if table.relations is None or any(
            getattr(obj, f.attname) is None and f.is_cached(obj) for f in table.relations
        ):
            if batch is not None and table.relations is not None:
                keys = batch.keys(obj, table.relations)
            else:
                obj._prepare_related_fields_for_save(operation_name="insert")  # type: ignore[attr-defined]
        for position, (field, get, as_is) in enumerate(
            zip(table.fields, table.getters, table.as_is, strict=True)
        ):
            if keys and field in keys:
                refs.append((index, field, keys[field], len(params)))
                params.append(keys[field])
                continue
            value = get(obj)
            if type(value) is Late:
                if as_is not in _TAKES_LATE:
                    raise ValueError(f"insert(): {field.name} does not take a Late value as it is")
                if batch is None:  # written now: the value is taken now
                    setattr(obj, field.attname, value.value)
                    value = value.value
                else:
                    refs.append((index, field, value, len(params)))
                    params.append(value)
                    continue
            if value is None or (as_is is not None and as_is(value)):
                params.append(value)
            elif type(value) is PkText:
                if value.obj.pk is not None:
                    setattr(obj, field.attname, str(value.obj.pk))
                    params.append(str(value.obj.pk))
                    continue
                where = batch.queued.get(id(value.obj)) if batch is not None else None
                if where is None:
                    raise ValueError(f"insert(): {field.name} names a row that is not saved or queued")
                ref = _Ref(*where, text=True)
                refs.append((index, field, ref, len(params)))
                params.append(ref)
            elif type(value) is str:
                known = prepared.get((position, value), _UNSET)
                if known is _UNSET:
                    known = prepared[position, value] = field.get_db_prep_save(value, connection)
                params.append(known)
            else:
                params.append(field.get_db_prep_save(value, connection))
    group = _Group(table, objs, params, refs, returning)
    if batch is not None:
        batch.add(group)
    else:
        _run(group, alias)
    return objs


class PkText:
    """The primary key of ``obj`` as text, for a text column that names a row (an audit entry's
    ``object_id``) when ``obj`` may still be queued in the same ``insert_together`` block."""

    __slots__ = ("obj",)

    def __init__(self, obj: models.Model) -> None:
        self.obj = obj

    def __str__(self) -> str:
        return "" if self.obj.pk is None else str(self.obj.pk)


class Late:
    """A value that rows carry but that is taken only when they are written: on PostgreSQL inside
    ``insert_together``, when the block ends, just before its one statement (after every row was
    built); elsewhere at the first ``insert()`` that carries it. For a value whose taking locks
    something until the transaction ends (a gapless number's counter row): the lock is then held for
    the statement and the commit only, not while the rows are being built.

    ``produce`` is called once; ``value`` gives the value (taking it if need be). Only for columns that
    take their values as they are (text, integers); each object that carries it holds the value once
    its row is written.

    ``sql``: (statement, parameters) that takes the same value on PostgreSQL, returning it as text in
    one row, column ``value``. Inside ``insert_together`` the statement then runs as part of the
    block's one statement (a common table expression the rows read it from) instead of ``produce``: no
    round trip, and nothing of the client's between taking it and writing the rows."""

    __slots__ = ("_produce", "_value", "sql", "taken")

    def __init__(self, produce: Callable[[], Any], sql: tuple[str, list[Any]] | None = None) -> None:
        self._produce = produce
        self._value: Any = None
        self.taken = False
        self.sql = sql

    def _set(self, value: Any) -> None:
        self._value, self.taken = value, True

    @property
    def value(self) -> Any:
        if not self.taken:
            self._value = self._produce()
            self.taken = True
        return self._value

    def __repr__(self) -> str:
        return f"Late({self._value!r})" if self.taken else "Late(not taken)"

    def __str__(self) -> str:  # loud, not early: text made of it before the rows are written is a bug
        raise TypeError("a Late value is known once its rows are written; read .value after that")


@dataclass(frozen=True)
class _Ref:
    """A foreign key to a row queued earlier in the same ``insert_together`` block (its group, row);
    ``text``: that row's id as text (``PkText``)."""

    group: int
    row: int
    text: bool = False


@dataclass
class _Group:
    """One ``insert()``: its rows' values (``_Ref`` where a key points at a queued row)."""

    table: _Table
    objs: Sequence[Any]
    params: list[Any]
    refs: list[tuple[int, models.Field[Any, Any], _Ref | Late, int]]  # row, field, value, parameter
    returning: bool

    def done(self, alias: str, groups: Sequence[_Group] = ()) -> None:
        """The rows are in: mark the objects saved, fill the keys that pointed at queued rows and the
        late values."""
        for index, field, ref, _ in self.refs:
            if type(ref) is Late:
                setattr(self.objs[index], field.attname, ref.value)
                continue
            assert isinstance(ref, _Ref)
            target = groups[ref.group].objs[ref.row]
            if ref.text:
                setattr(self.objs[index], field.attname, str(target.pk))
            else:
                setattr(self.objs[index], field.attname, getattr(target, field.target_field.attname))  # type: ignore[attr-defined]
        for obj in self.objs:
            obj._state.adding = False
            obj._state.db = alias


def _resolved(ref: _Ref, groups: Sequence[_Group]) -> Any:
    pk = groups[ref.group].objs[ref.row].pk
    return str(pk) if ref.text else pk


def _run(group: _Group, alias: str, groups: Sequence[_Group] = ()) -> None:
    """Execute one group's INSERT (keys to earlier groups resolved to their ids) and set the ids."""
    table, objs = group.table, group.objs
    params = group.params
    if group.refs:
        params = [
            _resolved(v, groups) if isinstance(v, _Ref) else v.value if type(v) is Late else v
            for v in params  # a key: the earlier group ran first
        ]
    sql = table.rows.get(len(objs))
    if sql is None:
        one = "(" + ", ".join(["%s"] * len(table.fields)) + ")"
        sql = table.rows[len(objs)] = table.head + ", ".join([one] * len(objs)) + table.tail
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        ids = cursor.fetchall() if group.returning else []
    if group.returning:
        for i, obj in enumerate(objs):
            obj.pk = ids[i][0]
    group.done(alias, groups)


class _Batch:
    """The inserts queued by ``insert_together`` on one database."""

    def __init__(self, alias: str) -> None:
        self.alias = alias
        self.groups: list[_Group] = []
        self.queued: dict[int, tuple[int, int]] = {}  # id(object) → (group, row), for rows with ids

    def keys(self, obj: Any, relations: list[Any]) -> dict[models.Field[Any, Any], _Ref]:
        """The foreign keys of ``obj`` that point at queued rows; the other keys missing their id take
        it from their saved object (an unsaved one is refused, as Django refuses it)."""
        found: dict[models.Field[Any, Any], _Ref] = {}
        for field in relations:
            if getattr(obj, field.attname) is not None or not field.is_cached(obj):
                continue
            related = field.get_cached_value(obj)
            if related is None:
                continue
            where = self.queued.get(id(related))
            if where is not None:
                found[field] = _Ref(*where)
            elif related.pk is None:
                raise ValueError(
                    f"insert() prohibited to prevent data loss due to unsaved related object '{field.name}'."
                )
            else:
                setattr(obj, field.attname, getattr(related, field.target_field.attname))
        return found

    def add(self, group: _Group) -> None:
        number = len(self.groups)
        self.groups.append(group)
        if group.returning:
            for row, obj in enumerate(group.objs):
                self.queued[id(obj)] = (number, row)

    def flush(self) -> None:
        groups = self.groups
        in_sql: list[Late] = []  # late values the statement takes itself, in order of first use
        for group in groups:
            for _, _, v, _ in group.refs:
                if type(v) is Late and v.sql is not None and not v.taken and all(v is not x for x in in_sql):
                    in_sql.append(v)
        if (len(groups) < 2 and not in_sql) or sum(len(g.params) for g in groups) > _MAX_PARAMS:
            for group in groups:  # in order: a key to an earlier group finds its id set
                _run(group, self.alias, groups)
            return
        connection = connections[self.alias]
        sql = _together_sql(groups, connection.ops.quote_name, in_sql)
        values = [p for late in in_sql for p in late.sql[1]]  # type: ignore[index]
        late_at: list[tuple[int, Late]] = []  # late values sent as parameters: taken last, below
        for group in groups:
            if not group.refs:
                values += group.params
                continue
            params = list(group.params)
            for _, _, v, position in group.refs:
                if isinstance(v, _Ref) or any(v is late for late in in_sql):
                    params[position] = _SKIP  # written in the statement's text
                else:
                    late_at.append((len(values) + position, v))
            values += params
        for at, late in late_at:  # taken now, once everything else is ready: the last thing
            values[at] = late.value
        values = [v for v in values if v is not _SKIP]
        with connection.cursor() as cursor:
            cursor.execute(sql, values)
            rows = cursor.fetchall()
        next_row = [0] * len(groups)
        for number, pk, text in rows:  # each group's ids in the order of its rows; then the late values
            if number < 0:
                in_sql[pk]._set(text)
                continue
            groups[number].objs[next_row[number]].pk = pk
            next_row[number] += 1
        for group in groups:
            group.done(self.alias, groups)


_SKIP = object()
_TOGETHER: dict[tuple[Any, ...], str] = {}


def _together_sql(groups: Sequence[_Group], quote: Callable[[str], str], in_sql: Sequence[Late] = ()) -> str:
    """``WITH m0 AS (INSERT … RETURNING id), m1 AS (INSERT … VALUES (…, (SELECT id FROM m0 LIMIT 1
    OFFSET k), …)) … SELECT 0, id, NULL FROM m0 UNION ALL …``: every group's rows in one statement, a key
    to a queued row read from that row's group, the new ids by group in row order. Late values taken by
    the statement (``in_sql``) come first as ``l0 AS (…)``, the rows read them (``(SELECT value FROM
    l0)``) and the statement returns them last as ``(-1, k, value)``. The statement's text is kept by
    its shape, which only the groups' tables, row counts and keys and late values decide."""
    late_index = {id(late): k for k, late in enumerate(in_sql)}
    in_text = [
        {
            position: (v.group, v.row, v.text) if isinstance(v, _Ref) else late_index[id(v)]
            for _, _, v, position in g.refs
            if isinstance(v, _Ref) or id(v) in late_index
        }
        for g in groups
    ]
    shape = (
        tuple(late.sql[0] for late in in_sql),  # type: ignore[index]
        tuple(
            (id(g.table), len(g.objs), tuple(cells.items())) for g, cells in zip(groups, in_text, strict=True)
        ),
    )
    sql = _TOGETHER.get(shape)
    if sql is not None:
        return sql
    parts = [f"l{k} AS ({late.sql[0]})" for k, late in enumerate(in_sql)]  # type: ignore[index]
    selects = []
    for number, (group, special) in enumerate(zip(groups, in_text, strict=True)):
        width = len(group.table.fields)
        cells = []
        for position, v in enumerate(group.params):
            if position not in special:
                cells.append("%s")
            elif isinstance(v, _Ref):
                cells.append(_ref_sql(v, groups, quote))
            else:
                cells.append(f"(SELECT value FROM l{special[position]})")
        rows = ", ".join("(" + ", ".join(cells[i : i + width]) + ")" for i in range(0, len(cells), width))
        parts.append(f"m{number} AS ({group.table.head}{rows}{group.table.tail})")
        if group.returning:
            pk = quote(type(group.objs[0])._meta.pk.column)
            selects.append(f"SELECT {number}, {pk}, CAST(NULL AS text) FROM m{number}")
    selects += [f"SELECT -1, {k}, CAST(value AS text) FROM l{k}" for k in range(len(in_sql))]
    tail = " UNION ALL ".join(selects) if selects else "SELECT 0, 0, CAST(NULL AS text) WHERE false"
    sql = "WITH " + ", ".join(parts) + " " + tail
    if len(_TOGETHER) > 500:  # shapes differ by row counts; keep the set bounded
        _TOGETHER.clear()
    _TOGETHER[shape] = sql
    return sql


def _ref_sql(ref: _Ref, groups: Sequence[_Group], quote: Callable[[str], str]) -> str:
    pk = quote(type(groups[ref.group].objs[0])._meta.pk.column)
    row = f"(SELECT {pk} FROM m{ref.group} LIMIT 1 OFFSET {ref.row})"
    return f"CAST({row} AS text)" if ref.text else row


_batch: ContextVar[_Batch | None] = ContextVar("insert_batch", default=None)


@contextmanager
def insert_together(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """The ``insert()`` calls made in this block go to the database as ONE statement when it ends, on
    PostgreSQL (a data-modifying ``WITH`` per call, each returning its new ids); elsewhere, and when a
    block is already open, each runs when it is called. One round trip and one statement's overhead
    instead of one per table, for rows written together (an order's lines, ledger, plan, timeline).

    A foreign key to an object queued in the block (``PlanStep(plan=plan)`` after ``insert([plan])``)
    is written as a reference to that row in the statement. Ids, and keys filled from them, are set
    when the block ends: nothing in it may need them before (the caller's contract). When the block
    raises, nothing queued is written."""
    if _batch.get() is not None or connections[using].vendor != "postgresql":
        yield
        return
    batch = _Batch(using)
    token = _batch.set(batch)
    try:
        yield
    finally:
        _batch.reset(token)
    batch.flush()
