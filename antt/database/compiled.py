"""Querysets compiled to SQL once per process (issue 23, round 5).

Building and compiling a queryset costs ~0.5-1 ms of CPU per query, more than PostgreSQL's own
work for a lookup by id, and the pages read during a deadline (the entry form, the officer's
home) run the same few lookups all day. ``Compiled(build)`` calls ``build`` once per database
with stand-ins for its arguments and keeps the compiled SQL with its compiler; each call then
runs that SQL with the caller's values and makes the model instances as ``QuerySet`` does
(``ModelIterable``: the row's converters, ``select_related`` objects, annotations). The
queryset stays the one description of the query: no SQL written by hand, and nothing of the
rows is kept (a change shows at the next call, whoever wrote it).

For lookups by ids and years: integer arguments compared as they are (an argument changed before
use, ``year - 1``, is refused when compiling), in a query whose shape does not depend on their
values; a few ids in a list (``lambda *ids: ….filter(pk__in=ids)``, at most eight) are compiled
once per number of ids. The kept compiler converts the values of other threads' rows too (its
connection's converters hold no state; the SQL runs on the caller's connection). Order and slice in ``build`` (``.order_by("pk")[:1]`` for a
``first()``). Ids out of the database's range are the caller's to refuse (the ORM would find
nothing, the database refuses them).

A row lock (``select_for_update``, round 6: the lock of a write service) is read from the
database of writes and, as the ORM has it, only inside a transaction (``TransactionManagementError``
otherwise: a lock in autocommit would end with the statement).

On PostgreSQL the kept SQL runs as a prepared statement of the connection (round 7): parsed and
planned once per connection, not at every call. The assessment with its unit, campaign, set and
decision cost PostgreSQL ~0.8 ms per call to plan and ~0.1 ms prepared. Django turns psycopg's
prepared statements off (``prepare_threshold`` None, for connection poolers that do not keep
them); ``DATABASE_PREPARED_STATEMENTS`` (antt/settings.py) turns them on for these statements
only (Django's own cursors bind on the client and never prepare).

``raw_instances(Model, sql, params)`` (round 7) is ``list(Model.objects.raw(sql, params))`` for
plain SQL that a queryset cannot say (the officer's units on the home page): the same instances,
with the columns' order and converters worked out once per process for each list of columns
(``RawQuerySet`` works them out at every call, reading the cursor's columns again for each field
of the model: ~0.3 ms for 34 units).

``KeptUpdate`` and ``KeptInsert`` (issue 23, round 9) are the writes of a save and a submission
kept the same way: the SQL of an UPDATE of one row by primary key, or of an INSERT of any number
of rows, built by Django's own compilers once per database (and set of columns) and run prepared
through ``_cursor``. They are ``QuerySet.update()`` and ``bulk_create()`` without the per-call
work of making and compiling the query (~0.3-0.6 ms each): the values are still converted by
their fields (``get_db_prep_save``), and, like ``update()``/``bulk_create()``, they send no model
signals (``pre_save``/``post_save``) and set no ``auto_now`` field by themselves: the caller
passes ``updated_at``. No receiver in the project listens to the models written this way
(``Assessment``, ``Answer``, ``AuditEvent``; the receivers are on users, units and roles).
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import psycopg
from django.core.exceptions import FieldDoesNotExist
from django.db import connections, router
from django.db.backends.utils import CursorWrapper
from django.db.models import Expression, Field, Model, QuerySet
from django.db.models.query import get_related_populators
from django.db.models.sql import InsertQuery, Query, UpdateQuery
from django.db.models.sql.compiler import SQLCompiler
from django.db.transaction import TransactionManagementError

# The arguments' stand-ins of two compilations: a parameter that follows them is that argument,
# one that does not change is a constant (valid values of any integer field, small ones included).
_FIRST = tuple(10_001 + i for i in range(8))
_SECOND = tuple(20_001 + i for i in range(8))

# The SQL, each parameter ((index of the argument, None) or (None, constant)), how rows become
# instances.
Kept = tuple[str, list[tuple[int | None, Any]], "_Reader"]


class Compiled[M: Model]:
    def __init__(self, build: Callable[..., QuerySet[M]]) -> None:
        self._build = build
        self._model: type[M] | None = None
        self._for_update = False
        self._kept: dict[tuple[str, int], Kept] = {}  # by database alias and number of arguments

    def __call__(self, *args: int) -> list[M]:
        if len(args) > len(_FIRST):
            raise ValueError(f"Compiled: at most {len(_FIRST)} arguments")
        model = self._model or self._compile_model(len(args))
        using = router.db_for_write(model) if self._for_update else router.db_for_read(model)
        if self._for_update and connections[using].get_autocommit():
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        key = (using, len(args))
        if key not in self._kept:
            self._kept[key] = self._compile(using, len(args))
        sql, slots, reader = self._kept[key]
        params = [args[i] if i is not None else constant for i, constant in slots]
        with _cursor(using) as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return reader.instances(rows)

    def _compile_model(self, arity: int) -> type[M]:
        queryset = self._build(*_FIRST[:arity])
        self._for_update = queryset.query.select_for_update
        self._model = queryset.model
        return self._model

    def _sql(self, using: str, stand_ins: tuple[int, ...]) -> tuple[str, tuple[Any, ...], SQLCompiler]:
        queryset = self._build(*stand_ins)
        if queryset._prefetch_related_lookups or queryset._known_related_objects:  # type: ignore[attr-defined]
            raise ValueError("Compiled: a plain queryset only (no prefetch_related, no related manager)")
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        return sql, tuple(params), compiler

    def _compile(self, using: str, arity: int) -> Kept:
        first, second = _FIRST[:arity], _SECOND[:arity]
        sql, params, compiler = self._sql(using, first)
        again, other_params, _other = self._sql(using, second)
        if again != sql or len(other_params) != len(params):
            raise ValueError("Compiled: the query's shape depends on the arguments")
        slots: list[tuple[int | None, Any]] = []
        for p, q in zip(params, other_params, strict=True):
            if p == q:
                slots.append((None, p))
            elif p in first and q in second and first.index(p) == second.index(q):
                slots.append((first.index(p), None))
            else:
                raise ValueError("Compiled: an argument is not used as it is")
        if {i for i, _constant in slots if i is not None} != set(range(arity)):
            raise ValueError("Compiled: an argument is not used as it is")
        return sql, slots, _Reader(compiler, using)


class _PreparedCursor(psycopg.Cursor[Any]):
    """A server-binding cursor running each statement prepared (psycopg keeps the connection's
    prepared statements, ``prepared_max`` of them, and prepares again what it dropped)."""

    def execute(self, query: Any, params: Any = None, **_options: Any) -> "_PreparedCursor":
        return super().execute(query, params, prepare=True)


def _cursor(using: str) -> CursorWrapper:
    """A cursor of ``using`` as ``connection.cursor()`` gives it (the same checks and execute
    wrappers), prepared on a psycopg connection that allows it. While queries are logged (DEBUG,
    a test capturing them) the connection's own cursor: the log shows each SQL with its values,
    which a prepared statement's execution does not give back."""
    db = connections[using]
    db.close_if_health_check_failed()
    db.ensure_connection()
    raw = db.connection
    if not isinstance(raw, psycopg.Connection) or raw.prepare_threshold is None or db.queries_logged:
        return db.cursor()
    db.validate_thread_sharing()
    with db.wrap_database_errors:
        cursor = _PreparedCursor(raw)
    return db.make_cursor(cursor)


class _Reader:
    """Makes the model instances of a kept query's rows as ``django.db.models.query.
    ModelIterable`` does, with what depends only on the query worked out once (round 7): the
    columns' converters (``SQLCompiler.get_converters``, ~200 calls of ``get_db_converters`` per
    submission when asked at each call), the fields' names, the ``select_related`` populators and
    the annotations' columns. None of them keeps anything of a row."""

    def __init__(self, compiler: SQLCompiler, db: str) -> None:
        select, klass_info = compiler.select, compiler.klass_info
        assert klass_info is not None  # a query of model instances
        fields = [s[0] for s in select[: compiler.col_count]]
        if compiler.has_composite_fields(fields):
            raise ValueError("Compiled: no composite primary key")
        self._db = db
        self._connection = compiler.connection
        self._col_count = compiler.col_count if compiler.has_extra_select else None
        self._converters = list(compiler.get_converters(fields).items())
        self._model = klass_info["model"]
        select_fields = klass_info["select_fields"]
        self._start, self._end = select_fields[0], select_fields[-1] + 1
        self._init_list = [f[0].target.attname for f in select[self._start : self._end]]
        self._populators = get_related_populators(klass_info, select, db)
        self._annotations = list((compiler.annotation_col_map or {}).items())

    def instances(self, rows: list[Any]) -> list[Any]:
        db, connection, converters = self._db, self._connection, self._converters
        model, init_list, start, end = self._model, self._init_list, self._start, self._end
        found = []
        for fetched in rows:
            row = list(fetched[: self._col_count] if self._col_count is not None else fetched)
            for pos, (convs, expression) in converters:
                value = row[pos]
                for converter in convs:
                    value = converter(value, expression, connection)
                row[pos] = value
            obj = model.from_db(db, init_list, row[start:end])
            for populator in self._populators:
                populator.populate(row, obj)
            for attr_name, col_pos in self._annotations:
                setattr(obj, attr_name, row[col_pos])
            found.append(obj)
        return found


_RAW_KEPT_MAX = 64
_RAW: dict[tuple[type[Model], str, tuple[str, ...]], "_RawReader"] = {}


def raw_instances[M: Model](
    model: type[M], sql: str, params: Any = None, *, using: str | None = None, prepare: bool = False
) -> list[M]:
    """``list(model.objects.raw(sql, params, using=using))``: the row's columns that are the model's
    fields make the instance (the others are deferred), every other column is an attribute.
    ``prepare``: run as a prepared statement of the connection, as the kept querysets are (round 8:
    for SQL whose plan does not depend on its values; the same conditions as ``_cursor``'s)."""
    using = using or router.db_for_read(model)
    connection = connections[using]
    adapt = connection.ops.adapt_unknown_value  # as ``RawQuery`` passes the values
    if isinstance(params, dict):
        params = {name: adapt(value) for name, value in params.items()}
    elif params is not None:
        params = tuple(adapt(value) for value in params)
    with _cursor(using) if prepare else connection.cursor() as cursor:
        cursor.execute(sql, params)
        convert = connection.introspection.identifier_converter
        columns = tuple(convert(column[0]) for column in cursor.description or ())
        rows = cursor.fetchall()
    key = (model, using, columns)
    reader = _RAW.get(key)
    if reader is None:
        reader = _RawReader(model, using, columns)
        if len(_RAW) >= _RAW_KEPT_MAX:
            _RAW.clear()
        _RAW[key] = reader
    return reader.instances(rows)


class _RawReader:
    """``django.db.models.query.RawModelIterable`` with its per-query work done once."""

    def __init__(self, model: type[Model], db: str, columns: tuple[str, ...]) -> None:
        connection = connections[db]
        convert = connection.introspection.identifier_converter
        by_column = {convert(f.column): f for f in model._meta.fields}
        init = [f for f in model._meta.fields if convert(f.column) in columns]
        if model._meta.pk is None or model._meta.pk.attname not in [f.attname for f in init]:
            raise FieldDoesNotExist("Raw query must include the primary key")
        cols = [f.get_col(f.model._meta.db_table) if f else None for f in (by_column.get(c) for c in columns)]
        compiler = Query(model).get_compiler(connection=connection)
        if compiler.has_composite_fields(cols):
            raise ValueError("raw_instances: no composite primary key")
        self._db, self._connection, self._model = db, connection, model
        self._converters = list(compiler.get_converters(cols).items())
        self._names = [f.attname for f in init]
        self._positions = [columns.index(convert(f.column)) for f in init]
        self._annotations = [(c, i) for i, c in enumerate(columns) if c not in by_column]

    def instances(self, rows: list[Any]) -> list[Any]:
        db, connection, model, names, positions = (
            self._db,
            self._connection,
            self._model,
            self._names,
            self._positions,
        )
        found = []
        for fetched in rows:
            row = list(fetched)
            for pos, (convs, expression) in self._converters:
                value = row[pos]
                for converter in convs:
                    value = converter(value, expression, connection)
                row[pos] = value
            obj = model.from_db(db, names, [row[p] for p in positions])
            for column, pos in self._annotations:
                setattr(obj, column, row[pos])
            found.append(obj)
        return found


def prepared_value(sql: str, params: Any, *, using: str = "default") -> Any:
    """The first column of the first row of plain SQL (None without a row), run as a prepared
    statement of the connection under ``_cursor``'s conditions (issue 23, round 9: the keys of
    kept pages, read at every reload)."""
    with _cursor(using) as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None


class _Slot(Expression):
    """Where a value goes in a kept write: compiled as one placeholder whose parameter is the
    slot itself, found again in the compiled parameters (the value is converted at each call)."""

    def __init__(self, index: int, field: "Field[Any, Any]") -> None:
        super().__init__(output_field=field)
        self.index = index

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        return "%s", [self]


# The statement, each parameter (a value's index, None: the row's primary key) and the fields
# converting the values, for the row updated first (``also``) and for the row itself.
KeptWrite = tuple[str, list[tuple[int | None, int | None]], list["Field[Any, Any]"]]


class KeptUpdate[M: Model]:
    """``Model.objects.filter(pk=pk).update(**values)`` compiled once per database and set of
    field names (a field's name or its ``attname``: ``decision_id`` for the decision). ``also``:
    a row of another model updated by the same statement, as a data-modifying ``WITH`` (the
    version of an assessment bumped with its answer: one statement, not two; two statements on a
    database without them, SQLite). Returns how many
    rows of ``model`` were updated. No signals, no ``auto_now`` (see the module's docstring)."""

    def __init__(self, model: type[M]) -> None:
        self.model = model
        self._kept: dict[tuple[Any, ...], KeptWrite] = {}

    def __call__(
        self,
        pk: int,
        values: Mapping[str, Any],
        *,
        also: "tuple[KeptUpdate[Any], int, Mapping[str, Any]] | None" = None,
    ) -> int:
        using = router.db_for_write(self.model)
        names = tuple(values)
        key: tuple[Any, ...] = (using, names)
        if also is not None:
            other, other_pk, other_values = also
            if router.db_for_write(other.model) != using:
                raise ValueError("KeptUpdate: both rows in one database")
            if connections[using].vendor != "postgresql":  # no UPDATE inside WITH (SQLite)
                other(other_pk, other_values)
                return self(pk, values)
            key += (other.model, tuple(other_values))
        kept = self._kept.get(key)
        if kept is None:
            kept = self._kept[key] = self._compile(using, names, also)
        sql, slots, fields = kept
        connection = connections[using]
        given = [*values.values()]
        pks = [pk]
        if also is not None:
            given = [*also[2].values(), *given]
            pks = [also[1], pk]
        converted = [
            field.get_db_prep_save(value, connection) for field, value in zip(fields, given, strict=True)
        ]
        params = [converted[i] if i is not None else pks[p or 0] for i, p in slots]
        with _cursor(using) as cursor:
            cursor.execute(sql, params)
            return int(cursor.rowcount)

    def _statement(
        self, using: str, names: tuple[str, ...], offset: int, which: int
    ) -> tuple[str, list[tuple[int | None, int | None]], list["Field[Any, Any]"]]:
        opts = self.model._meta
        fields: list[Field[Any, Any]] = []
        for name in names:
            field = opts.get_field(name)
            if not isinstance(field, Field) or not field.concrete or field.primary_key:
                raise ValueError(f"KeptUpdate: {name} is not a column of {opts.label}")
            if field.model._meta.concrete_model is not opts.concrete_model:
                raise ValueError(f"KeptUpdate: {name} is a column of a parent model")
            fields.append(field)
        query = self.model._base_manager.filter(pk=_FIRST[0]).query.chain(UpdateQuery)
        query.add_update_fields([(f, None, _Slot(offset + i, f)) for i, f in enumerate(fields)])
        sql, params = query.get_compiler(using=using).as_sql()
        slots: list[tuple[int | None, int | None]] = []
        for param in params:
            if isinstance(param, _Slot):
                slots.append((param.index, None))
            elif param == _FIRST[0]:
                slots.append((None, which))
            else:
                raise ValueError("KeptUpdate: a parameter that is neither a value nor the key")
        if [i for i, _p in slots if i is not None] != list(range(offset, offset + len(fields))):
            raise ValueError("KeptUpdate: the values are not in the order given")
        if [p for i, p in slots if i is None] != [which]:
            raise ValueError("KeptUpdate: one row by its primary key only")
        return sql, slots, fields

    def _compile(
        self,
        using: str,
        names: tuple[str, ...],
        also: "tuple[KeptUpdate[Any], int, Mapping[str, Any]] | None",
    ) -> KeptWrite:
        if also is None:
            return self._statement(using, names, 0, 0)
        other = also[0]
        first_sql, first_slots, first_fields = other._statement(using, tuple(also[2]), 0, 0)
        sql, slots, fields = self._statement(using, names, len(first_fields), 1)
        qn = connections[using].ops.quote_name
        return f"WITH {qn('also')} AS ({first_sql}) {sql}", first_slots + slots, first_fields + fields


class KeptInsert[M: Model]:
    """``Model.objects.bulk_create(objs)`` of every concrete field but the automatic primary key,
    the instances getting their ids: on PostgreSQL one statement for any number of rows, kept and
    prepared (``INSERT … SELECT * FROM UNNEST(<one array per column>) RETURNING id``, the SQL
    Django writes for two rows or more); elsewhere ``bulk_create`` itself. No signals, no
    ``auto_now``/``auto_now_add`` (see the module's docstring): the caller sets every value."""

    def __init__(self, model: type[M]) -> None:
        self.model = model
        self._kept: dict[str, tuple[str, list[Field[Any, Any]]] | None] = {}

    def __call__(self, objs: Sequence[M]) -> None:
        if not objs:
            return
        using = router.db_for_write(self.model)
        if using not in self._kept:
            self._kept[using] = self._compile(using)
        kept = self._kept[using]
        if kept is None:
            self.model._base_manager.using(using).bulk_create(objs)
            return
        sql, fields = kept
        connection = connections[using]
        params = [
            [field.get_db_prep_save(getattr(obj, field.attname), connection) for obj in objs]
            for field in fields
        ]
        with _cursor(using) as cursor:
            cursor.execute(sql, params)
            ids = [row[0] for row in cursor.fetchall()]
        pk = self.model._meta.pk
        assert pk is not None and len(ids) == len(objs)
        for obj, found in zip(objs, ids, strict=True):
            setattr(obj, pk.attname, found)
            obj._state.adding, obj._state.db = False, using

    def _compile(self, using: str) -> tuple[str, list["Field[Any, Any]"]] | None:
        opts = self.model._meta
        if opts.pk is None or opts.pk not in opts.db_returning_fields:
            raise ValueError("KeptInsert: a model with an automatic primary key only")
        fields = [f for f in opts.concrete_fields if f not in opts.db_returning_fields and not f.generated]
        statements = []
        for rows in (2, 3):  # the same statement for two rows and three: one for any number
            query = InsertQuery(self.model)
            query.insert_values(fields, [self.model() for _ in range(rows)])
            compiler = query.get_compiler(using=using)
            compiler.returning_fields = [opts.pk]
            statements.append(compiler.as_sql())
        two, three = statements
        if len(two) != 1 or len(three) != 1 or two[0][0] != three[0][0] or "UNNEST(" not in two[0][0]:
            return None  # a statement per row or per number of rows: bulk_create's own
        sql, params = two[0]
        if len(params) != len(fields):  # one array per column, nothing returned as a parameter
            return None
        return sql, fields
