"""The paginator of the busiest lists: the same pages as Django's, the number of rows read with the page."""

import pytest
from django.core.paginator import Paginator
from django.db.models import Count
from django.utils.functional import SimpleLazyObject

from rehab import prepared as prepared_module
from rehab.models import User
from rehab.pagination import CountedPaginator, with_total
from rehab.prepared import PreparedQuery
from tests.factories import PhysioFactory
from tests.helpers import count_queries

pytestmark = pytest.mark.django_db


def ordered(clinic):
    return User.objects.filter(clinic=clinic, role=User.Role.PHYSIO).order_by("last_name", "pk")


@pytest.fixture
def seven(clinic):
    for n in range(7):
        PhysioFactory(clinic=clinic, last_name=f"Name {n % 3}")
    return ordered(clinic)


def summary(page) -> tuple:
    return (
        [row.pk if hasattr(row, "pk") else row for row in page.object_list],
        page.number,
        page.paginator.count,
        page.paginator.num_pages,
        page.has_next(),
        page.has_previous(),
        page.start_index(),
        page.end_index(),
    )


@pytest.mark.parametrize(
    "number", [None, "", "1", 2, "3", "4", "99", "0", "-1", "2.0", "two", 1.5, "1000000000000000000", 10**40]
)
def test_the_same_pages_as_djangos(seven, number):
    assert summary(CountedPaginator(seven, 3).get_page(number)) == summary(Paginator(seven, 3).get_page(number))


@pytest.mark.parametrize("number", ["2", None, "two"])
def test_a_page_with_rows_is_one_query(seven, number):
    with count_queries() as one:
        page = CountedPaginator(seven, 3).get_page(number)
        assert (page.paginator.count, page.paginator.num_pages, len(page)) == (7, 3, 3)
        assert page.has_next() and page.paginator.page_range == range(1, 4)
    assert len(one.captured_queries) == 1


def test_a_page_past_the_end_counts(seven):
    with count_queries() as past:
        page = CountedPaginator(seven, 3).get_page("9")
    assert len(past.captured_queries) == 2  # the empty page, then the count (the last page is read when listed)
    assert page.number == 3 and len(page) == 1  # the last page, as Django shows it


def test_nothing_to_list_and_grouped_values(clinic, seven):
    empty = CountedPaginator(User.objects.none(), 3).get_page(1)
    assert (empty.number, empty.paginator.count, list(empty.object_list)) == (1, 0, [])
    grouped = seven.order_by().values("last_name").annotate(n=Count("pk")).order_by("last_name")
    page = CountedPaginator(grouped, 2).get_page(2)
    assert [(row["last_name"], row["n"]) for row in page.object_list] == [("Name 2", 2)]
    assert (page.paginator.count, page.paginator.num_pages) == (3, 2)


def test_orphans_are_refused(seven):
    with pytest.raises(ValueError, match="orphans"):
        CountedPaginator(seven, 3, orphans=1)


def test_a_distinct_query_is_counted_as_django_counts_it(seven):
    distinct = User.objects.filter(pk__in=seven.values("pk")).values("last_name").distinct().order_by("last_name")
    with count_queries() as queries:
        page = CountedPaginator(distinct, 2).get_page(1)
        assert (page.paginator.count, [row["last_name"] for row in page.object_list]) == (3, ["Name 0", "Name 1"])
    assert len(queries.captured_queries) == 2  # Django's count, then the page


@pytest.mark.parametrize("number", [None, "2", "3", "9", "two"])
def test_pages_read_by_a_prepared_query_are_djangos_and_the_list_is_built_only_past_the_end(clinic, seven, number):
    built = []

    def build():
        built.append(True)
        return ordered(clinic)

    def read(*, clinic_id: int, bottom: int, top: int):
        return with_total(
            User.objects.filter(clinic_id=clinic_id, role=User.Role.PHYSIO).order_by("last_name", "pk"), bottom, top
        )

    read_page = PreparedQuery(read, shape=("bottom", "top"))
    prepared_module.REGISTRY.remove(read_page)
    paginator = CountedPaginator(
        SimpleLazyObject(build), 3, read_page=lambda bottom, top: read_page(clinic_id=clinic.pk, bottom=bottom, top=top)
    )
    assert summary(paginator.get_page(number)) == summary(Paginator(seven, 3).get_page(number))
    assert bool(built) == (number == "9")
    assert read_page.not_prepared == {}
