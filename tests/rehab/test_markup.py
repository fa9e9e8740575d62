"""rehab.markup: the row builders' escaping and links are Django's own, only quicker."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import clear_script_prefix, reverse, set_script_prefix
from django.utils import dateformat, translation
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

from rehab.markup import date_format, esc, html, url_with_id

HOSTILE = [
    "<script>alert(1)</script>",
    'O\'Brien & "Sons"',
    "plain",
    42,
    None,
    "\u00e9t\u00e9 <b>",
    mark_safe("<em>already safe</em>"),  # noqa: S308 - a test value
]

URL_NAMES = [
    "flags:detail",
    "flags:acknowledge",
    "flags:resolve",
    "flags:patient_acknowledge",
    "flags:patient_resolve",
    "patients:detail",
    "programs:patient",
]


@pytest.mark.parametrize("value", HOSTILE, ids=repr)
def test_esc_escapes_as_django_does_and_leaves_safe_html_alone(value):
    assert esc(value) == conditional_escape(value)
    assert isinstance(esc(value), SafeString)  # so that what it escaped is never escaped again
    assert html("{}", esc(value)) == conditional_escape(value)


def test_html_fills_a_template_as_format_html_does_and_is_safe():
    template = '<a href="/x/{}" title="{}">{}</a>{}'
    args = HOSTILE[:3] + [HOSTILE[-1]]
    built = html(template, *args)
    assert built == format_html(template, *args)
    assert isinstance(built, SafeString)
    assert html("<p>{}</p>", built).count("&lt;script&gt;") == 1  # a built piece is not escaped twice


@pytest.mark.parametrize("name", URL_NAMES)
@pytest.mark.parametrize("pk", [1, 7, 123456789, 9_000_000_000])
def test_url_with_id_is_reverse(name, pk):
    assert url_with_id(name, pk) == reverse(name, args=[pk])


def test_url_with_id_follows_the_script_prefix():
    try:
        set_script_prefix("/clinic-app/")
        assert url_with_id("flags:detail", 5) == reverse("flags:detail", args=[5])
        assert url_with_id("flags:detail", 5).startswith("/clinic-app/")
    finally:
        clear_script_prefix()
    assert url_with_id("flags:detail", 5) == reverse("flags:detail", args=[5])


@pytest.mark.parametrize("pk", ["5/../../admin", "5", 5.9, True, -5, None])
def test_url_with_id_refuses_what_is_not_an_id(pk):
    with pytest.raises((TypeError, ValueError)):
        url_with_id("flags:detail", pk)


def test_url_with_id_follows_a_changed_url_configuration():
    from django.test import override_settings

    before = url_with_id("flags:detail", 5)
    with override_settings(ROOT_URLCONF="tests.rehab.urls_elsewhere"):
        assert url_with_id("flags:detail", 5) == reverse("flags:detail", args=[5])
        assert url_with_id("flags:detail", 5).startswith("/elsewhere/")
    assert url_with_id("flags:detail", 5) == before == reverse("flags:detail", args=[5])


# Every format the row builders use, and some that go to Django's own formatter (other letters, an escape).
DATE_FORMATS = ["j M Y, H:i", "j M, H:i", "j M Y", "j M", "D j M Y", "H:i", "N j, Y", "jS F", "j \\M Y", ""]
MOMENTS = [
    datetime(2026, 1, 1, 0, 0, tzinfo=ZoneInfo("Europe/London")) + timedelta(days=37 * n, hours=5 * n, minutes=7 * n)
    for n in range(40)
] + [datetime(987, 3, 9, 23, 59), datetime(2026, 12, 31, 9, 5, tzinfo=ZoneInfo("Pacific/Auckland"))]


@pytest.mark.parametrize("fmt", DATE_FORMATS)
def test_date_format_is_djangos(fmt):
    for moment in MOMENTS:
        assert date_format(moment, fmt) == dateformat.format(moment, fmt), (moment, fmt)
    for day in (date(2026, 2, 28), date(2024, 2, 29), date(2026, 12, 7), date(5, 1, 1)):
        if "H" not in fmt and "i" not in fmt:
            assert date_format(day, fmt) == dateformat.format(day, fmt), (day, fmt)


def test_date_format_names_months_and_days_in_the_active_language():
    moment = datetime(2026, 3, 2, 14, 30)
    with translation.override("fr"):
        assert date_format(moment, "D j M Y") == dateformat.format(moment, "D j M Y")
    assert date_format(moment, "D j M Y, H:i") == "Mon 2 Mar 2026, 14:30"
