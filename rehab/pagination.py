"""A paginator that reads a page and the number of rows in one query, for the busiest staff lists.

Django's Paginator counts the rows (a COUNT query of its own) before it reads the page. Here the page's query also
carries the number of rows matched (COUNT(*) OVER (), which the database computes before LIMIT and OFFSET), so a page
that has rows costs one query. A page past the end, or a list with nothing in it, falls back to Django's way (a
count, then the last page), which those rare requests can afford; so do a page number too large to be a row's
offset, and a DISTINCT or combined (UNION) query, whose rows a window count would miscount or could not carry.
PostgreSQL and SQLite both have window functions.
"""

from django.core.paginator import Paginator
from django.db.models import Count, QuerySet, Window

TOTAL = "paginator_total_rows"
# Pages read by `read_page` (a prepared query keeps SQL for each page's bounds): past these, the page is built as usual,
# so that page numbers cannot fill a process with SQL.
READ_PAGES = 10
MOST_PAGES = 1_000_000  # past this, a page number goes Django's way (an OFFSET must stay a 64-bit number)


def with_total(queryset: QuerySet, bottom: int, top: int) -> QuerySet:
    """Rows bottom to top of `queryset`, each carrying the number of rows in all (TOTAL)."""
    return queryset.annotate(**{TOTAL: Window(Count("*"))})[bottom:top]


class CountedPaginator(Paginator):
    """Paginator(queryset, per_page) whose get_page reads the number of rows with the page's rows.

    `read_page(bottom, top)`, if given, reads those rows for the first READ_PAGES pages (with_total of the same
    queryset: a prepared query, say, rehab.prepared); `object_list` may then be lazy (SimpleLazyObject), built only
    for a later page or one with no rows."""

    def __init__(self, object_list: QuerySet, per_page: int, *, read_page=None, **kwargs):
        if kwargs.get("orphans"):
            raise ValueError("CountedPaginator does not take orphans: a page's bounds must not depend on the count.")
        self.read_page = read_page
        super().__init__(object_list, per_page, **kwargs)

    def _check_object_list_is_ordered(self):
        if self.read_page is None:  # read_page's query is the one that must be ordered
            super()._check_object_list_is_ordered()

    def get_page(self, number):
        try:  # as Django reads a page number: anything but a whole number is page 1
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            wanted = int(number)
        except (TypeError, ValueError):
            wanted = 1
        query = None if self.read_page else self.object_list.query
        if 1 <= wanted <= MOST_PAGES and (query is None or not (query.distinct or query.combinator)):
            bottom = (wanted - 1) * self.per_page
            if self.read_page is not None and wanted <= READ_PAGES:
                rows = self.read_page(bottom, bottom + self.per_page)
            else:
                rows = list(with_total(self.object_list, bottom, bottom + self.per_page))
            if rows:
                first = rows[0]
                self.count = first[TOTAL] if isinstance(first, dict) else getattr(first, TOTAL)
                return self._get_page(rows, wanted, self)
        return super().get_page(number)  # nothing on that page: count, and show the last page (or page 1)
