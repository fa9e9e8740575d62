"""Queries compiled once per process: the ORM writes a hot query's SQL the first time, later calls send that SQL with
new values.

Building a queryset (resolving each filter and annotation) and compiling it into SQL cost the same on every request,
whatever the rows: on the physiotherapist's dashboard, "Ready to progress" spent several times longer being built
and compiled than PostgreSQL took to answer it (bench/README.md, issue 23). A query whose SQL does not change from
call to call, only its values, is written once:

    @prepared(shape=("episodes",))
    def caseload_query(*, clinic_id: int, physio_id: int, today: date, episodes: str) -> QuerySet: ...

    rows = caseload_query(clinic_id=1, physio_id=2, today=date.today(), episodes="active")   # a list

How the values are found in the SQL. The first call (per database and shape) builds the query twice more, with made-up
values of the same types (sentinels): once in one order, once in the reverse order, each set far from the other.
The two SQL texts must be the same; each parameter that differs between them must be, in both, the same argument's
sentinel (as given; as its text: SQLite keeps dates as text, a time zone goes as its name; as the backend adapts
a moment; or in the backend's wrapper type). Any other difference
means the query does not just take its arguments as values: an argument changes the SQL, or a value is worked out from
one (a day before `today`, say), or two are compared in Python. Such a query is not prepared: it is built and
compiled on every call, as before, and a warning says why (a test asserts each of the app's prepared queries is).
Values worked out from arguments are passed as arguments of their own; an argument that changes the SQL is named in
`shape`, and each of its values gets SQL of its own.

What cannot be checked that way: a value the build reads from elsewhere (the clock, the active time zone, a setting)
would be kept from the first call. The build function must depend on its arguments alone; with
settings.PREPARED_QUERIES_CHECK (on in the test suite and in DEBUG), every call also builds and compiles the query as
usual and fails unless both give the same SQL and values.

Arguments are ints, strings, dates, datetimes and time zones, or tuples of these (a tuple's length is part of the
shape). The rows come back as the queryset would give them: model instances, with select_related and annotations,
dicts or tuples; prefetch_related lookups are followed.
"""

import functools
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connections
from django.db.models import QuerySet, prefetch_related_objects

logger = logging.getLogger(__name__)

_A_ZONES = ("Pacific/Chatham", "Asia/Kathmandu", "America/St_Johns", "Australia/Eucla", "Asia/Yangon")
_B_ZONES = ("Pacific/Marquesas", "Asia/Colombo", "Australia/Lord_Howe", "Asia/Tehran", "Pacific/Norfolk")
_SCALARS = (int, str, date, ZoneInfo)


def _sentinel(value, k: int, *, second: bool):
    """The k-th made-up value of `value`'s type: the first set ascending, the second descending and apart from it."""
    if isinstance(value, bool) or not isinstance(value, _SCALARS):
        raise TypeError(f"A prepared query takes ints, strings, dates, datetimes and time zones, not {value!r}.")
    if isinstance(value, int):
        return 820_000_000 - 6_007 * k if second else 910_000_000 + 7_919 * k
    if isinstance(value, str):
        return f"\x1fsentinel-{'b' if second else 'a'}-{k}\x1f"
    if isinstance(value, ZoneInfo):
        return ZoneInfo((_B_ZONES if second else _A_ZONES)[k % len(_A_ZONES)])
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
    """How an argument may stand in the parameters: as given, as its text, as the backend adapts a date or a moment
    (SQLite keeps them as text, a moment in UTC), or wrapped in the type the backend gives the parameter (psycopg's
    Int4 for an integer column, say)."""
    forms = (_as_given, str, functools.partial(_adapted, alias, "adapt_datetimefield_value"))
    wrapped = type(param)
    if wrapped in (int, str, date, datetime) or not isinstance(param, (int, str)):
        return forms
    return (*forms, wrapped)


def _adapted(alias: str, adapter: str, value):
    if not isinstance(value, datetime):
        raise TypeError("only a moment is adapted so")
    return getattr(connections[alias].ops, adapter)(value)


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


def _prepare(build, values: dict, shape: dict) -> _Compiled:
    first, first_index = _sentinels(values, second=False)
    second, second_index = _sentinels(values, second=True)
    first_qs, second_qs = build(**first, **shape), build(**second, **shape)
    if not isinstance(first_qs, QuerySet):
        raise TypeError(f"{build.__qualname__} must return a QuerySet, not {type(first_qs).__name__}.")
    compiler, sql, params = _compile(first_qs)
    _compiler, second_sql, second_params = _compile(second_qs)
    if sql != second_sql or len(params) != len(second_params):
        raise NotPrepared("its SQL changes with its arguments' values (name such an argument in shape)")
    slots, reached = [], set()
    for i, (one, other) in enumerate(zip(params, second_params, strict=True)):
        if _same(one, other):
            continue
        found = [
            (key, form)
            for key, sentinel in first_index.items()
            for form in _forms(one, first_qs.db)
            if _fits(form, sentinel, one) and _fits(form, second_index[key], other)
        ]
        if not found:
            raise NotPrepared(f"its parameter {i + 1} ({one!r}) is worked out from its arguments, not one of them")
        (name, position), form = found[0]
        slots.append((i, name, position, form))
        reached.add((name, position))
    if missing := set(first_index) - reached:
        raise NotPrepared(f"{sorted(name for name, _position in missing)} reach no parameter of its SQL")
    return _Compiled(
        sql=sql,
        params=tuple(None if any(slot[0] == i for slot in slots) else p for i, p in enumerate(params)),
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
        change the SQL) and the length of each tuple."""
        lengths = tuple((name, len(v) if isinstance(v, tuple) else None) for name, v in sorted(values.items()))
        return (alias, tuple(sorted(shape.items())), lengths)

    def compiled(self, alias: str = "default", **kwargs) -> _Compiled | None:
        """The prepared SQL for these arguments' shape, or None if it could not be prepared (not yet asked: None)."""
        values, shape = self._split(kwargs)
        return self._compiled.get(self._key(values, shape, alias))

    def _split(self, kwargs: dict) -> tuple[dict, dict]:
        values = {name: value for name, value in kwargs.items() if name not in self.shape}
        shape = {name: value for name, value in kwargs.items() if name in self.shape}
        return values, shape

    def __call__(self, *, using: str = "default", **kwargs) -> list:
        values, shape = self._split(kwargs)
        key = self._key(values, shape, using)
        try:
            compiled = self._compiled[key]
        except KeyError:
            if len(self._compiled) >= MOST_SHAPES:
                return list(self.build(**kwargs))
            try:
                compiled = _prepare(self.build, values, shape)
            except NotPrepared as reason:
                logger.warning("%s is built on every call: %s.", self.build.__qualname__, reason)
                self.not_prepared[key] = str(reason)
                compiled = None
            self._compiled[key] = compiled
        if compiled is None:
            return list(self.build(**kwargs))
        params = compiled.params_for(values)
        if getattr(settings, "PREPARED_QUERIES_CHECK", False):
            _check(self.build, kwargs, compiled.sql, params)
        queryset = QuerySet(model=compiled.model, query=_FrozenQuery(compiled, params), using=using)
        queryset._iterable_class, queryset._fields = compiled.iterable_class, compiled.fields
        rows = list(compiled.iterable_class(queryset))
        if compiled.prefetch:
            prefetch_related_objects(rows, *compiled.prefetch)
        return rows


def _check(build, kwargs: dict, sql: str, params: list) -> None:
    _compiler, fresh_sql, fresh_params = _compile(build(**kwargs))
    if fresh_sql != sql or [*fresh_params] != params:
        raise AssertionError(
            f"{build.__qualname__}: the prepared SQL differs from the query built afresh for {kwargs!r}:\n"
            f"prepared: {sql}\n{params!r}\nafresh:   {fresh_sql}\n{list(fresh_params)!r}"
        )


def prepared(build=None, *, shape: tuple[str, ...] = ()):
    """Decorator: `build` (keyword arguments -> QuerySet) becomes a PreparedQuery, called with the same arguments and
    giving the list of rows. `shape` names the arguments whose values change the SQL itself."""
    if build is None:
        return lambda function: PreparedQuery(function, shape)
    return PreparedQuery(build, shape)


def keep_as_prefetched(obj, relation: str, rows: list) -> None:
    """Rows of obj's reverse relation `relation` read by a prepared query, kept as prefetch_related keeps them:
    obj.<relation>.all() gives them without a query, and a further filter on it queries afresh, on obj's rows."""
    manager = getattr(obj, relation)
    kept = manager.get_queryset()  # filtered on obj (lazily, as Django's own prefetch does), not read
    kept._result_cache, kept._prefetch_done = rows, True
    obj.__dict__.setdefault("_prefetched_objects_cache", {})[manager.field.remote_field.cache_name] = kept
