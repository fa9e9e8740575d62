"""HTML for the rows of the busiest staff pages, built as strings: the same escaping and URLs as Django's
format_html and reverse, without their per-call overhead.

A queue page draws 25 patients' rows with several flags each, and every value in them is escaped and most carry a
link: through format_html (whose escaping goes through Django's lazy-string wrappers) and reverse (a resolver walk
per link), that was about half of the rows' cost (measured in bench/, issue 23). Escaping here is html.escape, as
Django's own; a link is reversed once per URL name and then filled in with the object's id.
"""

from functools import lru_cache
from html import escape
from operator import index

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import dateformat
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.safestring import SafeString

# Stands for the id while a URL is reversed: digits, so that it matches an <int:pk> converter, and long enough
# never to occur elsewhere in a path.
_PLACEHOLDER = 918273645546372819


def esc(value) -> SafeString:
    """`value` escaped for HTML, or as it is if it is already safe HTML, as safe HTML: escaped once, whatever it is
    passed on to (django.utils.html.conditional_escape)."""
    if hasattr(value, "__html__"):
        return SafeString(value.__html__())
    return SafeString(escape(str(value)))


def html(template: str, *args, **kwargs) -> SafeString:
    """`template` with each argument escaped into it, as safe HTML (django.utils.html.format_html)."""
    return SafeString(template.format(*map(esc, args), **{name: esc(value) for name, value in kwargs.items()}))


@lru_cache(maxsize=256)
def _around_id(name: str, prefix: str, urlconf) -> tuple[str, str]:
    url = reverse(name, args=[_PLACEHOLDER], urlconf=urlconf)
    before, found, after = url.partition(str(_PLACEHOLDER))
    if not found:  # pragma: no cover - a URL whose id is not in its path: the caller should use reverse()
        raise ValueError(f"The URL {name!r} does not carry its id in its path.")
    return before, after


def url_with_id(name: str, pk: int) -> str:
    """reverse(name, args=[pk]) for a URL that takes one integer id, its pattern looked up once per URL name. Only a
    whole number of at least 0 is an id, as the URL's converter has it (not a string, a float or a bool)."""
    number = index(pk)  # a TypeError for anything that is not an integer
    if isinstance(pk, bool) or number < 0:
        raise ValueError(f"Not an id: {pk!r}")
    before, after = _around_id(name, get_script_prefix(), get_urlconf())
    return f"{before}{number}{after}"


@receiver(setting_changed)
def _forget_urls(*, setting, **kwargs):
    if setting == "ROOT_URLCONF":
        _around_id.cache_clear()


# Django's date format letters these rows use, each as a function of the date or datetime (django.utils.dateformat:
# the same text, the month and weekday names translated as there). Django's own formatter builds an object and walks
# the format for every value; the queue formats two or three moments per flag.
_DATE_PARTS = {
    "j": lambda value: str(value.day),
    "M": lambda value: str(MONTHS_3[value.month]).title(),
    "D": lambda value: str(WEEKDAYS_ABBR[value.weekday()]),
    "Y": lambda value: f"{value.year:04d}",
    "H": lambda value: f"{value.hour:02d}",
    "i": lambda value: f"{value.minute:02d}",
}


@lru_cache(maxsize=64)
def _date_format(fmt: str) -> tuple | None:
    """`fmt` as a list of literal text and part functions, or None if it has a letter (or an escape) not handled
    here."""
    parts = []
    for char in fmt:
        if char in _DATE_PARTS:
            parts.append(_DATE_PARTS[char])
        elif char.isalpha() or char == "\\":
            return None
        else:
            parts.append(char)
    return tuple(parts)


def date_format(value, fmt: str) -> str:
    """`value` (a date, or a datetime already in the time zone wanted) formatted as django.utils.dateformat.format
    does, quicker for the letters j M D Y H i; any other format goes to Django's."""
    parts = _date_format(fmt)
    if parts is None:
        return dateformat.format(value, fmt)
    return "".join(part if isinstance(part, str) else part(value) for part in parts)
