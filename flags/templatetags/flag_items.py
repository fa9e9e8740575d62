"""A patient's flags on their page, a list item per flag built in one step (bench/, issue 23: a year of care can
hold dozens of flags, each a link, three dates and four choices' words as template nodes)."""

from django import template
from django.utils.safestring import mark_safe

from flags.models import FlagStatus
from rehab.markup import html, url_with_id

from .flag_rows import OUTCOME, REASON, STATUS, local_time

register = template.Library()


def _day(moment) -> str:
    return local_time(moment, "j M Y")


@register.simple_tag
def patient_flag_items(flags) -> str:
    """Each flag: urgent or not, its reason, a link to it by its status, when it was raised (and resolved, how),
    and why it was raised."""
    out = []
    for flag in flags:
        reason, raised = REASON[flag.reason], _day(flag.opened_at)
        resolved = ""
        if flag.status == FlagStatus.RESOLVED:
            resolved = f", resolved {_day(flag.resolved_at)}: {OUTCOME.get(flag.outcome, flag.outcome or '').lower()}"
        out.append(
            html(
                '<li class="mb-2">{}<span class="badge reason-{}">{}</span>\n'
                '        <a href="{}"><span class="visually-hidden">{} flag raised {}: </span>{}</a>\n'
                '        <span class="small text-muted">raised {}{}</span>\n'
                '        <div class="small">{}</div></li>\n',
                mark_safe('<span class="badge text-bg-danger">Urgent</span> ') if flag.urgent else "",  # noqa: S308 - fixed markup
                flag.reason,
                reason,
                url_with_id("flags:detail", flag.pk),
                reason,
                raised,
                STATUS[flag.status],
                raised,
                resolved,
                flag.explanation,
            )
        )
    return mark_safe("".join(out))  # noqa: S308 - every value is escaped above (rehab.markup)
