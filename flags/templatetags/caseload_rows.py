"""The dashboard's caseload table, a row per patient built in one step (measured in bench/, issue 23: as template
nodes, a URL, a phase, a date and a sparkline per row cost more than the caseload's queries)."""

from django import template
from django.utils import dateformat
from django.utils.safestring import mark_safe

from patients.rules import condition_phase
from rehab.markup import esc, html, url_with_id

register = template.Library()


@register.simple_tag
def caseload_row(row: dict, today) -> str:
    """One patient of flags.selectors.caseload_rows: name and open flags, phase, threshold, last report and pain,
    adherence, and the last pains as a small line against the threshold."""
    p = row["patient"]
    pk = p.pk
    out = [
        html(
            '<tr>\n  <td><a href="{}">{}, {}</a><span id="open-flags-{}">',
            url_with_id("patients:detail", pk),
            p.user.last_name,
            p.user.first_name,
            pk,
        )
    ]
    n = int(p.open_flags)
    if n:
        out.append(f' <span class="badge text-bg-danger">{n} open flag{"s" if n != 1 else ""}</span>')
    out.append("</span>")
    if not p.has_program:
        out.append(' <span class="badge text-bg-secondary">no program</span>')
    phase = condition_phase(p.onset_date, today)
    out.append(html('</td>\n  <td><span class="badge phase-{}">{}</span></td>\n', phase.value, phase.label))
    out.append(f"  <td>{int(p.pain_threshold)}/5</td>\n")
    out.append(f"  <td>{esc(dateformat.format(p.last_date, 'j M')) if p.last_date else '–'}</td>\n")
    out.append(f"  <td>{'–' if p.last_pain is None else f'{int(p.last_pain)}/5'}</td>\n")
    adherence = row["adherence"]
    out.append(f"  <td>{'–' if adherence is None else f'{int(adherence)}%'}</td>\n  <td>")
    spark = row["spark"]
    if spark:
        pains = row["pains"]
        width, height = spark["width"], spark["height"]
        out.append(
            html(
                '<svg class="sparkline" width="{}" height="{}" viewBox="0 -2 {} {}" role="img" '
                'aria-label="Last {} highest pains: {}"><line x1="0" x2="{}" y1="{}" y2="{}" stroke="#b45309" '
                'stroke-dasharray="3 2"/><polyline fill="none" stroke="#0b5563" stroke-width="2" points="{}"/></svg>',
                width,
                height,
                width,
                height + 4,
                len(pains),
                ", ".join(map(str, pains)),
                width,
                spark["threshold_y"],
                spark["threshold_y"],
                spark["points"],
            )
        )
    else:
        out.append('<span class="text-muted small">no reports</span>')
    out.append("</td>\n</tr>\n")
    return mark_safe("".join(out))  # noqa: S308 - every value is escaped above (rehab.markup) or a whole number
