"""Queries compiled once per process: the ORM writes a hot query's SQL the first time, later calls send that SQL with
new values.

Building a queryset (resolving each filter and annotation) and compiling it into SQL cost the same on every request,
whatever the rows: on the physiotherapist's dashboard, "Ready to progress" spent several times longer being built
and compiled than PostgreSQL took to answer it (bench/README.md, issue 23). A query whose SQL does not change from
call to call, only its values, is written once:

    @prepared(shape=("episodes",))
    def caseload_query(*, clinic_id: int, physio_id: int, today: date, episodes: str) -> QuerySet: ...

    rows = caseload_query(clinic_id=1, physio_id=2, today=date.today(), episodes="active")   # a list

How the values are found in the SQL. The first call (per database, shape and kinds of values) builds the query twice
more, with made-up values of the same types (sentinels): once in one order, once in the reverse order, each set far
from the other, each under an active time zone of its own. The two SQL texts must be the same; each parameter that
differs between them must be, in both, the same argument's sentinel (as given; as the backend adapts a moment; as
its text: SQLite keeps dates as text; or in the backend's wrapper type). Any other difference means the query does not
just take its arguments as values: an argument changes the SQL, a value is worked out from one (a day before
`today`, say), two are compared in Python, or the build reads the active time zone. Such a query is not prepared: it
is built and compiled on every call, as before, and a warning says why (a test asserts that none of the queries the
staff pages run falls back). Values worked out from arguments are passed as arguments of their own; an argument that
changes the SQL (a time zone, a page's bounds, a filter's choice) is named in `shape`, and each of its values gets
SQL of its own.

What two builds cannot tell: a value the build reads from elsewhere (the clock, a setting) would be kept from the
first call; a branch on a value that both sets of sentinels take alike (`if count > 0`, a value in a list of
choices), and a value worked out that comes out the same for both (a weekday, say). The build function must use its
arguments as values only and depend on nothing else; with settings.PREPARED_QUERIES_CHECK (on in the test suite and
in DEBUG), every call also builds and compiles the query as usual and fails unless both give the same SQL and values.

Values are ints, strings, dates and datetimes, or tuples of these; each kind (a tuple's length too, a datetime with or
without a time zone) has SQL of its own, and so has an argument left out or None (a shape of its own: Django writes
IS NULL, and a build may leave out the filter). An empty tuple, a tuple with None in it and an integer too large for
an integer column are written by Django in ways of their own (nothing matches): a call with one is built as usual.
The rows come back as the queryset would give them: model instances, with select_related and annotations, dicts or
tuples; prefetch_related lookups are followed (a Prefetch with a queryset of its own is not prepared).
"""

import functools
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.utils import timezone

logger = logging.getLogger(__name__)

FIRST_ZONE, SECOND_ZONE = ZoneInfo("Pacific/Chatham"), ZoneInfo("Pacific/Marquesas")  # active while each set builds
_SCALARS = (int, str, date)


def _sentinel(value, k: int, *, second: bool):
    """The k-th made-up value of `value`'s type: the first set ascending, the second descending and apart from it."""
    if isinstance(value, ZoneInfo):
        raise TypeError("A time zone goes in a prepared query's shape: the backend sends some zones by another name.")
    if isinstance(value, bool) or not isinstance(value, _SCALARS):
        raise TypeError(f"A prepared query takes ints, strings, dates and datetimes as values, not {value!r}.")
    if isinstance(value, int):
        return 820_000_000 - 6_007 * k if second else 910_000_000 + 7_919 * k
    if isinstance(value, str):  # with LIKE's wildcards and escape in it, as a value may have
        return f"\x1fsentinel%_\\-{'b' if second else 'a'}-{k}\x1f"
    if isinstance(value, datetime):
        start = datetime(2250, 12, 31, 13, 14, 15, 161718) if second else datetime(2150, 1, 1, 10, 11, 12, 131415)
        step = timedelta(days=-89, seconds=-3571) if second else timedelta(days=97, seconds=3607)
        return (start + step * k).replace(tzinfo=value.tzinfo)
    return date(2250, 12, 31) - timedelta(days=89 * k) if second else date(2150, 1, 1) + timedelta(days=97 * k)


def _sentinels(values: dict, *, second: bool) -> tuple[dict, dict]:
    """Made-up values for every argument, and for each (argument, position in its tuple or None) its sentinel."""
    made, index, k = {}, {}, 0
    for name in sorted(values):
        value = values[name]
        if isinstance(value, tuple):
            items = []
            for position, item in enumerate(value):
                items.append(_sentinel(item, k, second=second))
                index[(name, position)] = items[-1]
                k += 1
            made[name] = tuple(items)
        else:
            made[name] = _sentinel(value, k, second=second)
            index[(name, None)] = made[name]
            k += 1
    return made, index


def _as_given(value):
    return value


def _forms(param, alias: str) -> tuple:
    """How an argument may stand in the parameters: as given, as the backend adapts a moment (SQLite keeps it as text
    in UTC), as its text (SQLite keeps a date so), or wrapped in the type the backend gives the parameter (psycopg's
    Int4 for an integer column, say)."""
    forms = (_as_given, functools.partial(_adapted_moment, alias), str)
    wrapped = type(param)
    if wrapped in (int, str, date, datetime) or not isinstance(param, (int, str)):
        return forms
    return (*forms, wrapped)


def _adapted_moment(alias: str, value):
    if not isinstance(value, datetime):
        raise TypeError("only a moment is adapted so")
    return connections[alias].ops.adapt_datetimefield_value(value)


def _same(one, other) -> bool:
    return type(one) is type(other) and one == other


def _fits(form, sentinel, param) -> bool:
    try:
        return _same(form(sentinel), param)
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class _Compiled:
    """One prepared query's SQL, its parameters (sentinels replaced by None), where each argument goes, and what the
    compiler worked out about the rows (needed to turn them into what the queryset gives)."""

    sql: str
    params: tuple
    slots: tuple  # ((index in params, argument, position in its tuple or None, form), ...)
    query: Any
    compiler_class: type
    select: Any
    klass_info: Any
    annotation_col_map: Any
    col_count: int
    has_extra_select: bool
    iterable_class: type
    fields: Any
    prefetch: tuple
    model: type

    def params_for(self, values: dict) -> list:
        params = list(self.params)
        for index, name, position, form in self.slots:
            value = values[name] if position is None else values[name][position]
            params[index] = form(value)
        return params


class _FrozenQuery:
    """Stands for the prepared query where a queryset's iterable reads it: its compiler sends the SQL as prepared,
    with this call's values; everything else is the prepared query's."""

    def __init__(self, compiled: _Compiled, params: list):
        self._compiled = compiled
        self._params = params

    def get_compiler(self, using=None, connection=None, elide_empty=True):
        compiled = self._compiled
        connection = connection or connections[using]
        compiler = compiled.compiler_class(compiled.query, connection, using, elide_empty)
        compiler.select, compiler.klass_info = compiled.select, compiled.klass_info
        compiler.annotation_col_map, compiler.col_count = compiled.annotation_col_map, compiled.col_count
        compiler.has_extra_select = compiled.has_extra_select
        sql, params = compiled.sql, self._params
        compiler.as_sql = lambda *args, **kwargs: (sql, params)
        return compiler

    def __getattr__(self, name):
        return getattr(self._compiled.query, name)


class NotPrepared(Exception):
    """Why a query's SQL cannot be written once: it is built every time instead."""


def _compile(queryset: QuerySet):
    compiler = queryset.query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    return compiler, sql, tuple(params)


def _prepare(build, values: dict, shape: dict, alias: str) -> _Compiled:
    first, first_index = _sentinels(values, second=False)
    second, second_index = _sentinels(values, second=True)
    # Each set built under a time zone of its own: a build that reads the active one shows it in its SQL or values.
    with timezone.override(FIRST_ZONE):
        first_qs = build(**first, **shape)
    if not isinstance(first_qs, QuerySet):
        raise TypeError(f"{build.__qualname__} must return a QuerySet, not {type(first_qs).__name__}.")
    with timezone.override(SECOND_ZONE):
        second_qs = build(**second, **shape)
    first_qs, second_qs = first_qs.using(alias), second_qs.using(alias)
    if any(
        isinstance(lookup, Prefetch) and lookup.queryset is not None for lookup in first_qs._prefetch_related_lookups
    ):
        raise NotPrepared("a Prefetch with a queryset of its own would keep the made-up values")
    try:
        with timezone.override(FIRST_ZONE):
            compiler, sql, params = _compile(first_qs)
        with timezone.override(SECOND_ZONE):
            _compiler, second_sql, second_params = _compile(second_qs)
    except EmptyResultSet as empty:
        raise NotPrepared("its query matches nothing whatever its values") from empty
    if sql != second_sql or len(params) != len(second_params):
        raise NotPrepared("its SQL changes with its arguments' values (name such an argument in shape)")
    slots, reached = [], set()
    for i, (one, other) in enumerate(zip(params, second_params, strict=True)):
        if _same(one, other):
            continue
        found = [
            (key, form)
            for key, sentinel in first_index.items()
            for form in _forms(one, alias)
            if _fits(form, sentinel, one) and _fits(form, second_index[key], other)
        ]
        if not found:
            raise NotPrepared(f"its parameter {i + 1} ({one!r}) is worked out from its arguments, not one of them")
        (name, position), form = found[0]
        slots.append((i, name, position, form))
        reached.add((name, position))
    if missing := set(first_index) - reached:
        raise NotPrepared(f"{sorted(name for name, _position in missing)} reach no parameter of its SQL")
    filled = {index for index, _name, _position, _form in slots}
    return _Compiled(
        sql=sql,
        params=tuple(None if i in filled else p for i, p in enumerate(params)),
        slots=tuple(slots),
        query=first_qs.query,
        compiler_class=type(compiler),
        select=compiler.select,
        klass_info=compiler.klass_info,
        annotation_col_map=compiler.annotation_col_map,
        col_count=compiler.col_count,
        has_extra_select=compiler.has_extra_select,
        iterable_class=first_qs._iterable_class,
        fields=first_qs._fields,
        prefetch=tuple(first_qs._prefetch_related_lookups),
        model=first_qs.model,
    )


REGISTRY: list["PreparedQuery"] = []  # every prepared query of the app, for the test that each one is prepared
# Shapes kept per query (each value of a `shape` argument, each length of a tuple): past this, a new shape is built
# on every call, so that requests cannot make a process keep SQL without end (a page number, say).
MOST_SHAPES = 64


class PreparedQuery:
    """A function that builds a queryset from its keyword arguments, run as a list of rows whose SQL is compiled
    once per database, shape and length of its tuples (see the module's docstring)."""

    def __init__(self, build, shape: tuple[str, ...] = ()):
        self.build = build
        self.shape = frozenset(shape)
        self._compiled: dict[tuple, _Compiled | None] = {}
        self.not_prepared: dict[tuple, str] = {}  # why, for each key whose SQL could not be written once
        functools.update_wrapper(self, build)
        REGISTRY.append(self)

    def _key(self, values: dict, shape: dict, alias: str) -> tuple:
        """The SQL's key: the database, the shape's values, the arguments given (one left out for its default may
        change the SQL), and the kind of each (a tuple's length and its items' kinds): a value of another kind than
        the one the SQL was prepared with is adapted differently, so it gets SQL of its own."""
        kinds = tuple((name, _kind(value)) for name, value in sorted(values.items()))
        return (alias, tuple(sorted(shape.items())), kinds)

    def compiled(self, alias: str = "default", **kwargs) -> _Compiled | None:
        """The prepared SQL for these arguments' shape, or None if it could not be prepared (not yet asked: None)."""
        values, shape = self._split(kwargs)
        return self._compiled.get(self._key(values, shape, alias))

    def _split(self, kwargs: dict) -> tuple[dict, dict]:
        """The values, and the shape: the arguments named in it, and any that is None (Django writes IS NULL for it,
        and a build may leave out what it filters on)."""
        shape = {name: value for name, value in kwargs.items() if name in self.shape or value is None}
        values = {name: value for name, value in kwargs.items() if name not in shape}
        return values, shape

    def __call__(self, *, using: str = "default", **kwargs) -> list:
        values, shape = self._split(kwargs)
        if any(_built_as_usual(value) for value in values.values()):
            return list(self.build(**kwargs).using(using))
        key = self._key(values, shape, using)
        try:
            compiled = self._compiled[key]
        except KeyError:
            if len(self._compiled) >= MOST_SHAPES:
                return list(self.build(**kwargs).using(using))
            try:
                compiled = _prepare(self.build, values, shape, using)
            except NotPrepared as reason:
                logger.warning("%s is built on every call: %s.", self.build.__qualname__, reason)
                self.not_prepared[key] = str(reason)
                compiled = None
            self._compiled[key] = compiled
        if compiled is None:
            return list(self.build(**kwargs).using(using))
        params = compiled.params_for(values)
        if getattr(settings, "PREPARED_QUERIES_CHECK", False):
            _check(self.build(**kwargs).using(using), compiled.sql, params)
        queryset = QuerySet(model=compiled.model, query=_FrozenQuery(compiled, params), using=using)
        queryset._iterable_class, queryset._fields = compiled.iterable_class, compiled.fields
        rows = list(compiled.iterable_class(queryset))
        if compiled.prefetch:
            prefetch_related_objects(rows, *compiled.prefetch)
        return rows


def _check(fresh: QuerySet, sql: str, params: list) -> None:
    _compiler, fresh_sql, fresh_params = _compile(fresh)
    if fresh_sql != sql or [*fresh_params] != params:
        raise AssertionError(
            f"The prepared SQL differs from the query built afresh:\nprepared: {sql}\n{params!r}\n"
            f"afresh:   {fresh_sql}\n{list(fresh_params)!r}"
        )


INT_RANGE = range(-(2**31), 2**31)  # an integer column's; a larger id is left to Django (it matches no row)


def _built_as_usual(value) -> bool:
    """A value whose query Django writes in its own way: an integer too large for an integer column (nothing matches
    it), an empty tuple (nothing is in it), a tuple with None in it (left out of an IN)."""
    if isinstance(value, tuple):
        return not value or any(item is None or _built_as_usual(item) for item in value)
    return isinstance(value, int) and not isinstance(value, bool) and value not in INT_RANGE


def _kind(value):
    if isinstance(value, tuple):
        return (len(value), frozenset(map(_kind, value)))
    if isinstance(value, datetime):
        return (datetime, value.tzinfo is not None)
    return type(value)


def prepared(build=None, *, shape: tuple[str, ...] = ()):
    """Decorator: `build` (keyword arguments -> QuerySet) becomes a PreparedQuery, called with the same arguments and
    giving the list of rows. `shape` names the arguments whose values change the SQL itself."""
    if build is None:
        return lambda function: PreparedQuery(function, shape)
    return PreparedQuery(build, shape)


def with_parent(rows: list, field: str, parent) -> list:
    """Rows read by a prepared query for one object (`parent`), each with its foreign key `field` set to it, as rows
    read through the parent's relation have it: reading row.<field> costs no query."""
    for row in rows:
        setattr(row, field, parent)
    return rows


def keep_as_prefetched(obj, relation: str, rows: list) -> None:
    """Rows of obj's reverse relation `relation` read by a prepared query, kept as prefetch_related keeps them: each
    row knows obj (with_parent), obj.<relation>.all() gives them without a query, and a further filter on it queries
    afresh, on obj's rows."""
    manager = getattr(obj, relation)
    with_parent(rows, manager.field.name, obj)
    kept = manager.get_queryset()  # filtered on obj (lazily, as Django's own prefetch does), not read
    kept._result_cache, kept._prefetch_done = rows, True
    obj.__dict__.setdefault("_prefetched_objects_cache", {})[manager.field.remote_field.cache_name] = kept
