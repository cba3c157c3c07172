"""Model rows from a precompiled SELECT, converted as the ORM converts them (issue 13).

Every authenticated API request reads its user, and the hot reads under an event read the event
with the caller's role: each is one short statement written out once (the ORM's query compiler
cost more than the round trip). ``QuerySet.raw()`` ran them, but it re-derives on every call what
never changes between calls — which column is which field, and each field's converters (for
SQLite's text UUIDs and datetimes, a JSON column). :class:`PreparedRead` works that out once per
database connection alias and then only runs the statement, applies the converters and builds the
instances with ``Model.from_db``, exactly as ``raw()`` does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections
from django.db.models import Field, Model
from django.db.transaction import TransactionManagementError

Converter = Callable[[Any, Any, Any], Any]


def field_converters(fields: Sequence[Field[Any, Any] | None], using: str) -> list[tuple[int, Any, list[Converter]]]:
    """``(position, column, converters)`` for each of ``fields`` (the statement's columns in order;
    ``None`` for a computed one, e.g. a count) whose value the backend or the field converts — what
    the ORM's compiler applies to every row it reads."""
    connection = connections[using]
    out = []
    for position, field in enumerate(fields):
        if field is None:
            continue
        column = field.get_col(field.model._meta.db_table)
        found = connection.ops.get_db_converters(column) + field.get_db_converters(connection)  # type: ignore[attr-defined]
        if found:
            out.append((position, column, found))
    return out


def convert(row: Sequence[Any], converters: list[tuple[int, Any, list[Converter]]], using: str) -> list[Any]:
    """``row`` with :func:`field_converters`' converters applied."""
    connection = connections[using]
    values = list(row)
    for position, column, functions in converters:
        value = values[position]
        for function in functions:
            value = function(value, column, connection)
        values[position] = value
    return values


class PreparedRead:
    """``attnames`` of ``model`` (put in the model's field order, which ``Model.from_db`` needs for a
    partial row) followed by ``extra`` columns that are set as attributes (e.g. ``caller_role``).

    The caller writes the statement with :meth:`select_list` as its first columns, then the extra
    ones, and passes every value as a parameter."""

    def __init__(self, model: type[Model], attnames: Sequence[str], extra: Sequence[str] = ()) -> None:
        fields = [f for f in model._meta.concrete_fields if f.attname in set(attnames)]
        missing = set(attnames) - {f.attname for f in fields}
        if missing:
            raise ValueError(f"{model.__name__} has no columns {sorted(missing)}")
        self.model, self.fields, self.extra = model, fields, tuple(extra)
        self.attnames = [f.attname for f in fields]
        self._converters: dict[str, list[tuple[int, Any, list[Converter]]]] = {}
        self._by_pk_sql: dict[tuple[str, str | None], str] = {}

    def select_list(self, alias: str, using: str = "default") -> str:
        """The model's columns of the statement, qualified by the table ``alias`` and quoted."""
        quote = connections[using].ops.quote_name
        return ", ".join(f"{alias}.{quote(f.column)}" for f in self.fields)

    def _converters_for(self, using: str) -> list[tuple[int, Any, list[Converter]]]:
        converters = self._converters.get(using)
        if converters is None:
            converters = self._converters[using] = field_converters(self.fields, using)
        return converters

    def by_pk(self, pk: Any, *, lock: str | None = None, using: str = "default") -> Any:
        """The row whose primary key is ``pk`` (its columns only, no extra ones), or None.

        ``lock``: ``"update"`` or ``"no_key_update"`` adds ``FOR [NO KEY] UPDATE`` (nothing on
        SQLite, like ``select_for_update``) and, like it, refuses to run outside a transaction, where
        the lock would be released with the statement."""
        connection = connections[using]
        if lock is not None:
            require_transaction(using)
        sql = self._by_pk_sql.get((using, lock))
        if sql is None:
            features, quote, meta = connection.features, connection.ops.quote_name, self.model._meta
            clause = ""
            if lock == "no_key_update" and features.has_select_for_no_key_update:
                clause = " FOR NO KEY UPDATE"
            elif lock is not None and features.has_select_for_update:
                clause = " FOR UPDATE"
            # Identifiers from the model's _meta, quoted; the key is a parameter.
            sql = self._by_pk_sql[(using, lock)] = (
                f"SELECT {self.select_list('t', using)} FROM {quote(meta.db_table)} t "  # noqa: S608
                f"WHERE t.{quote(meta.pk.column)} = %s{clause}"  # type: ignore[union-attr]
            )
        rows = self.rows(sql, [self.model._meta.pk.get_db_prep_value(pk, connection)], using)  # type: ignore[union-attr]
        return rows[0] if rows else None

    def build(self, values: Sequence[Any], using: str = "default") -> Any:
        """One instance from ``values``: this read's columns, then its extra ones."""
        values = convert(values, self._converters_for(using), using)
        count = len(self.fields)
        instance = self.model.from_db(using, self.attnames, values[:count])
        for name, value in zip(self.extra, values[count:], strict=True):
            setattr(instance, name, value)
        return instance

    @property
    def width(self) -> int:
        return len(self.fields) + len(self.extra)

    def rows(self, sql: str, params: Sequence[Any], using: str = "default") -> list[Any]:
        """The instances the statement returns (with the extra columns as attributes)."""
        return [self.build(row, using) for row in fetch_prepared(sql, params, using)]


def fetch_prepared(sql: str, params: Sequence[Any], using: str = "default") -> list[Any]:
    """Every row of a fixed statement, which the database keeps prepared where the backend offers
    it (``apps.core.db.postgresql``: PostgreSQL plans it once per connection); a plain cursor
    elsewhere. Only for statements whose plan does not depend on the values (keys, equality): a
    prepared statement may be run with a generic plan."""
    with _cursor(using) as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _cursor(using: str) -> Any:
    """A cursor whose statements the database keeps prepared where the backend offers it."""
    connection = connections[using]
    opener = getattr(connection, "prepared_cursor", None)
    return opener() if opener is not None else connection.cursor()


def require_transaction(using: str = "default") -> None:
    """Refuse a row lock outside a transaction, where it would be released with the statement
    (as ``select_for_update`` does)."""
    if connections[using].get_autocommit():
        raise TransactionManagementError("A row lock outside a transaction would be released at once.")


class PreparedInsert:
    """``INSERT`` of new ``model`` instances as one precompiled statement, for the few rows every
    accepted bid writes (its bid rows, the audit entry, the outbox row).

    The values are the ones the ORM's insert would send — each concrete field's ``pre_save(obj,
    add=True)`` (``auto_now_add``…) then ``get_db_prep_save`` (JSON, UUID, money) — and the columns
    the database generates (an auto-increment key) are read back with ``RETURNING`` and set, as
    ``Model.save()`` and ``bulk_create()`` do; the instances are then marked saved. What it does not
    do is what ``Model.save()`` adds around the insert: ``pre_save``/``post_save`` signals (none of
    these models has a receiver; ``bulk_create`` sends none either) and the unsaved-relation check
    (the callers pass saved rows). Measured in-process on PostgreSQL, 500 rows in one transaction:
    ``AuditEntry.objects.create()`` 0.92-1.01 ms a row, most of it building the statement, against
    0.48-0.67 ms for the same row here."""

    def __init__(self, model: type[Model]) -> None:
        meta = model._meta
        self.model = model
        self.returning = list(meta.db_returning_fields)
        self.fields = [f for f in meta.concrete_fields if f not in self.returning]
        self._sql: dict[tuple[str, int], str] = {}

    def insert(self, objs: Sequence[Model], using: str = "default") -> None:
        """Insert ``objs`` (new instances of the model), in one statement."""
        if not objs:
            return
        connection = connections[using]
        sql = self._sql.get((using, len(objs)))
        if sql is None:
            quote = connection.ops.quote_name
            row = f"({', '.join(['%s'] * len(self.fields))})"
            returning = ", ".join(quote(f.column) for f in self.returning)
            # Identifiers from the model's _meta, quoted; every value is a parameter.
            sql = self._sql[(using, len(objs))] = (
                f"INSERT INTO {quote(self.model._meta.db_table)} "  # noqa: S608
                f"({', '.join(quote(f.column) for f in self.fields)}) VALUES {', '.join([row] * len(objs))}"
                + (f" RETURNING {returning}" if returning else "")
            )
        params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for obj in objs for f in self.fields]
        if self.returning:
            for obj, generated in zip(objs, fetch_prepared(sql, params, using), strict=True):
                for field, value in zip(self.returning, generated, strict=True):
                    setattr(obj, field.attname, value)
        else:
            with _cursor(using) as cursor:
                cursor.execute(sql, params)
        for obj in objs:
            obj._state.adding, obj._state.db = False, using


def joined_rows(reads: Sequence[PreparedRead], sql: str, params: Sequence[Any], using: str = "default") -> list[Any]:
    """A statement whose rows are several reads side by side (``SELECT <first's columns>, <second's
    columns>, … FROM … JOIN …``): one tuple of instances per row, in the order of ``reads``."""
    fetched = fetch_prepared(sql, params, using)
    out = []
    for row in fetched:
        instances, start = [], 0
        for read in reads:
            instances.append(read.build(row[start : start + read.width], using))
            start += read.width
        out.append(tuple(instances))
    return out
