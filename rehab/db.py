"""Database helpers the apps share."""

from collections.abc import Callable, Iterable, Iterator

from django.db.models import Count, QuerySet, Subquery
from django.db.models.functions import Coalesce

# PostgreSQL takes at most 65,535 parameters in one statement, and the app's connections bind parameters on
# the server (settings: server_side_binding), so a long list of ids is sent a slice at a time.
ID_SLICE = 10_000
# Rows per bulk_create / bulk_update statement: each row sends a parameter per field (bulk_update about two).
BULK_BATCH = 1_000


def id_slices(ids: Iterable[int], size: int | None = None) -> Iterator[list[int]]:
    """The ids in lists of at most `size` (default ID_SLICE), in their order; nothing for no ids."""
    ids, size = list(ids), size or ID_SLICE
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def count_of(queryset: QuerySet, *, by: str) -> Coalesce:
    """How many rows of `queryset` (filtered on an OuterRef) each row of the outer query has, 0 for none, as an
    expression to annotate with: one grouped COUNT subquery, `by` naming the column the rows share."""
    return Coalesce(Subquery(queryset.order_by().values(by).annotate(n=Count("pk")).values("n")), 0)


def read_once(obj, name: str, read: Callable):
    """`read()`, kept on `obj` as `name`: the parts of one page that ask for the same thing on the same object (a
    patient, a course of care) share one read. Only for objects that live as long as a request and are not written
    to in it."""
    if not hasattr(obj, name):
        setattr(obj, name, read())
    return getattr(obj, name)
