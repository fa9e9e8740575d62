"""Template helpers every app's pages use."""

from django import template
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince

from rehab.markup import esc

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key, "")


@register.filter
def ago(moment, now=None):
    """'3 hours, 5 minutes ago', or 'just now' within the first minute."""
    now = now or timezone.now()
    if (now - moment).total_seconds() < 60:
        return "just now"
    return f"{timesince(moment, now)} ago"


@register.simple_tag
def choice_options(field):
    """The <option>s of a single-value field with flat choices, its current value selected, in one step.

    The queue draws one outcome list per row; as template nodes they cost more than the rest of the row.
    """
    chosen = field.value()
    chosen = None if chosen is None else str(chosen)
    options = (
        f'<option value="{esc(value)}"{" selected" if str(value) == chosen else ""}>{esc(label)}</option>'
        for value, label in field.field.choices
    )
    return mark_safe("".join(options))  # noqa: S308 - every value and label is escaped above
