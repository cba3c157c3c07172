"""Querysets compiled once: the ORM stays the one definition of a hot query.

A few reads run on every request of the night — the token's user, the item and the bidder's guest
of a bid, the rows a bid locks, the event under the catalogue and the check-in search. Building
and compiling their querysets cost more than the database took to run them (a joined
``select_related`` read: ~0.4-0.7 ms of Python for a ~0.1 ms statement). :class:`CompiledQuery`
builds such a queryset once per process, database and *shape*, with placeholder values, and keeps
what Django's compiler produced: the SQL, the parameters, where each placeholder landed in them,
and the compiler (its converters and the map from columns to model fields). Each call then only
binds the new values and runs the statement — on PostgreSQL through a cursor that keeps it
prepared on the server (``apps.core.db.postgresql``), so it is planned once per connection too —
and builds the rows as the queryset's own iterable would (model instances with their
``select_related`` rows and annotations, ``values()`` dicts, ``values_list()`` tuples).

The queryset is the definition: :meth:`CompiledQuery.queryset` builds the same queryset with the
real values, and a test compares the two for every compiled query in the project
(:data:`REGISTRY`). What a compiled query cannot vary is the shape of its SQL — a slice's bounds,
how many ids an ``IN`` list holds — so those make a *shape*: positional arguments of the builder,
and the length of each list parameter. One statement is kept per distinct shape, with a small cap.

How the placeholders are found: each parameter is declared with a type (``uuid.UUID``, ``str`` or
``int``; ``[uuid.UUID]`` for a list of them); the queryset is built once with a distinctive value of
that type in each place, compiled, and the positions where that value (as the database adapter
will receive it: a UUID is hex text on SQLite) appear in the compiled parameters are recorded. A
placeholder the builder read that lands nowhere — transformed beyond recognition (``__contains``
wraps its value in ``%``: use an expression such as ``Upper(Value(word))``, which binds the value
as it is) — is an error when the query is compiled.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django.db.models.query import (  # type: ignore[attr-defined]  # get_related_populators: not in the stubs
    FlatValuesListIterable,
    ModelIterable,
    ValuesIterable,
    ValuesListIterable,
    get_related_populators,
)
from django.db.transaction import TransactionManagementError

T = TypeVar("T")

#: Every compiled query of the project, by name: the equivalence test walks it.
REGISTRY: dict[str, CompiledQuery[Any]] = {}

#: How many shapes one query keeps compiled (each a few kB: SQL text and a compiler).
MAX_SHAPES = 64

_INT_LOW, _INT_HIGH = 1_900_000_000, 2_100_000_000  # inside every backend's 32-bit integer range
_SCALARS = (uuid.UUID, str, int)


class Values:
    """The ``p`` a builder receives: ``p.<name>`` is the value of one parameter (a list for a list
    parameter). Remembers which parameters the builder read: a shape may use only some of them."""

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values
        self.read: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        try:
            value = self._values[name]
        except KeyError:
            raise AttributeError(f"no parameter {name!r}") from None
        self.read.add(name)
        return value


#: Where a value goes: (parameter name, index in its list or None, position, adapter).
Slot = tuple[str, "int | None", int, Callable[[Any], Any]]


class _Statement:
    """One compiled shape: SQL, parameter template, placeholder positions, and how to build rows."""

    def __init__(self, queryset: QuerySet[Any], placeholders: dict[str, Any], used: set[str], using: str) -> None:
        compiler = queryset.query.get_compiler(using=using)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:  # e.g. an empty IN list: nothing to run, no rows
            sql, params = "", ()
        self.sql, self.params = sql, list(params)
        self.compiler = compiler
        self.locks = bool(queryset.query.select_for_update)
        self.iterable = queryset._iterable_class  # type: ignore[attr-defined]
        self.slots: list[Slot] = []
        for name, (placeholder, kind) in placeholders.items():
            if name not in used or not sql:
                continue
            items: list[tuple[int | None, Any]] = (
                list(enumerate(placeholder)) if isinstance(placeholder, list) else [(None, placeholder)]
            )
            for index, value in items:
                found = False
                for position, param in enumerate(self.params):
                    adapt = _adapter(value, kind, param)
                    if adapt is not None:
                        self.slots.append((name, index, position, adapt))
                        found = True
                if not found:
                    raise ValueError(
                        f"Parameter {name!r} does not appear as a bound value in the compiled query "
                        f"({sql}); bind it directly (e.g. an exact lookup or Value(...)), not through a "
                        "lookup that rewrites it."
                    )
        # What results_iter works out on every call, once: the converters of each selected column.
        fields = [column[0] for column in compiler.select[0 : compiler.col_count]] if sql else []
        self.converters = compiler.get_converters(fields)
        self.composite = compiler.has_composite_fields(fields)
        # Columns the compiler added for an ORDER BY (``has_extra_select``) are not the row's.
        self.width = compiler.col_count if sql and compiler.has_extra_select else None
        if self.iterable is ModelIterable:
            info = compiler.klass_info
            assert info is not None
            fields = info["select_fields"]
            self.model = info["model"]
            self.model_slice = slice(fields[0], fields[-1] + 1)
            select = compiler.select
            self.init_list = [column[0].target.attname for column in select[self.model_slice]]
            self.populators = get_related_populators(info, select, using)
            self.annotations = dict(compiler.annotation_col_map or {})
        else:
            query = queryset.query  # the names as ValuesIterable takes them
            self.names = (
                list(query.selected)
                if query.selected
                else [*query.extra_select, *query.values_select, *query.annotation_select]
            )

    def bind(self, values: dict[str, Any]) -> list[Any]:
        """The parameters with ``values`` in the placeholders' places."""
        params = list(self.params)
        for name, index, position, adapt in self.slots:
            value = values[name]
            params[position] = adapt(value if index is None else value[index])
        return params

    def build(self, rows: list[Any], using: str) -> list[Any]:
        if self.width is not None:
            rows = [row[: self.width] for row in rows]
        converted: Any = self.compiler.apply_converters(rows, self.converters) if self.converters else rows
        if self.composite:  # pragma: no cover - no composite primary keys in the project
            converted = self.compiler.composite_fields_to_tuples(converted, [c[0] for c in self.compiler.select])
        if self.iterable is ModelIterable:
            out = []
            for row in converted:
                obj = self.model.from_db(using, self.init_list, row[self.model_slice])
                for populator in self.populators:
                    populator.populate(row, obj)
                for name, position in self.annotations.items():
                    setattr(obj, name, row[position])
                out.append(obj)
            return out
        if self.iterable is ValuesIterable:
            return [dict(zip(self.names, row, strict=False)) for row in converted]
        if self.iterable is FlatValuesListIterable:
            return [row[0] for row in converted]
        if self.iterable is ValuesListIterable:
            return [tuple(row) for row in converted]
        raise TypeError(f"CompiledQuery does not build {self.iterable.__name__} rows")  # pragma: no cover


def _adapter(placeholder: Any, kind: type, param: Any) -> Callable[[Any], Any] | None:
    """How a value of ``kind`` becomes what the adapter receives at ``param``'s place, if ``param``
    is ``placeholder`` as compiled; ``None`` if it is another parameter."""
    if kind is uuid.UUID:
        if param == placeholder:
            return _as_uuid
        if param == placeholder.hex:  # SQLite stores UUIDs as 32 hex digits
            return lambda value: _as_uuid(value).hex
        return None
    if kind is int and isinstance(param, int) and not isinstance(param, bool) and param == placeholder:
        wrapper = type(param)  # psycopg's Int4/Int8 (Django picks the column's width): kept
        return lambda value: wrapper(int(value))
    if kind is str and isinstance(param, str) and param == placeholder:
        return str
    return None


def _as_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _placeholder(kind: type, rng: random.Random) -> Any:
    if kind is uuid.UUID:
        return uuid.UUID(int=rng.getrandbits(128))
    if kind is int:
        return rng.randint(_INT_LOW, _INT_HIGH)
    return f"\x1fparam-{rng.getrandbits(64):016x}\x1f"


def _element(declared: Any) -> tuple[type, bool]:
    """``(type, is_list)`` of a declared parameter type (``uuid.UUID`` or ``[uuid.UUID]``)."""
    is_list = isinstance(declared, list)
    kind = declared[0] if is_list else declared
    if kind not in _SCALARS or (is_list and len(declared) != 1):
        raise TypeError(f"CompiledQuery parameters are uuid.UUID, int or str (or a list of one), not {declared!r}")
    return kind, is_list


class CompiledQuery(Generic[T]):
    """A queryset (``build(p, *shape)``, reading each parameter as ``p.<name>``) compiled once per
    database and shape, then run with new values. See the module docstring.

    ``name`` registers it in :data:`REGISTRY` (unique). Row locks (``select_for_update``) are
    refused outside a transaction, as the ORM refuses them."""

    def __init__(self, name: str, build: Callable[..., QuerySet[Any, T]], /, **params: Any) -> None:
        if name in REGISTRY:
            raise ValueError(f"A compiled query named {name!r} exists already")
        self.name, self.build_queryset = name, build
        self.params = {param: _element(declared) for param, declared in params.items()}
        self._statements: dict[tuple[Any, ...], _Statement] = {}
        self._lock = threading.Lock()
        REGISTRY[name] = self

    def queryset(self, *shape: Any, **values: Any) -> QuerySet[Any]:
        """The same query as a plain queryset of ``values`` (for tests and one-off reads)."""
        return self.build_queryset(Values(values), *shape)

    def statement(self, *shape: Hashable, lengths: tuple[int, ...] = (), using: str = DEFAULT_DB_ALIAS) -> _Statement:
        """The compiled statement of ``shape`` (and of ``lengths``: one per list parameter, in
        declaration order)."""
        key = (using, shape, lengths)
        statement = self._statements.get(key)
        if statement is None:
            rng = random.Random(hash((self.name, shape, lengths)))  # noqa: S311 - placeholders, not secrets
            sizes = iter(lengths)
            placeholders: dict[str, Any] = {}
            for name, (kind, is_list) in self.params.items():
                if is_list:
                    placeholders[name] = ([_placeholder(kind, rng) for _ in range(next(sizes))], kind)
                else:
                    placeholders[name] = (_placeholder(kind, rng), kind)
            values = Values({name: placeholder for name, (placeholder, _) in placeholders.items()})
            queryset = self.build_queryset(values, *shape)
            statement = _Statement(queryset.using(using), placeholders, values.read, using)
            with self._lock:
                if len(self._statements) >= MAX_SHAPES:
                    self._statements.clear()
                self._statements[key] = statement
        return statement

    def all(self, *shape: Hashable, using: str = DEFAULT_DB_ALIAS, **values: Any) -> list[T]:
        """Every row for ``values`` (instances, dicts or tuples, as the queryset yields them)."""
        lengths = tuple(len(values.get(name) or ()) for name, (_, is_list) in self.params.items() if is_list)
        statement = self.statement(*shape, lengths=lengths, using=using)
        missing = {slot[0] for slot in statement.slots} - set(values)
        if missing:
            raise TypeError(f"{self.name}: missing parameters {sorted(missing)}")
        if not statement.sql:
            return []
        connection = connections[using]
        if statement.locks and connection.get_autocommit():
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        opener = getattr(connection, "prepared_cursor", None)
        with opener() if opener is not None else connection.cursor() as cursor:
            cursor.execute(statement.sql, statement.bind(values))
            rows = cursor.fetchall()
        return statement.build(rows, using) if rows else []

    def first(self, *shape: Hashable, using: str = DEFAULT_DB_ALIAS, **values: Any) -> T | None:
        """The first row, or ``None`` (slice the queryset to one row in ``build``: this reads all)."""
        rows = self.all(*shape, using=using, **values)
        return rows[0] if rows else None
