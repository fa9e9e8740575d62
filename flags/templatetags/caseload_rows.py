"""The dashboard's caseload table, a row per patient built in one step, and its threshold review cards, a card per
patient (measured in bench/, issue 23: as template nodes, a URL, a phase, a date and a sparkline per row cost more
than the caseload's queries, and a physiotherapist may have a dozen reviews due at once)."""

from django import template
from django.utils.safestring import mark_safe

from patients.rules import condition_phase
from rehab.markup import date_format, esc, html, url_with_id

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
    out.append(f"  <td>{esc(date_format(p.last_date, 'j M')) if p.last_date else '–'}</td>\n")
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


@register.simple_tag
def review_card(patient, csrf_token, next_url) -> str:
    """One patient of patients.selectors.threshold_reviews_due, with the review's form written out unbound (one
    crispy form per patient cost more than the rest of the dashboard). A refused answer is shown again on the
    review's own page."""
    pk = int(patient.pk)
    name = f"{patient.user.first_name} {patient.user.last_name}"
    phase = patient.review_phase
    label = phase.label.lower()
    default = int(patient.review_default)
    threshold = int(patient.pain_threshold)
    description = str(phase.description)
    return html(
        '<div class="col-md-6 col-xl-4" id="review-{pk}"><div class="card h-100"><div class="card-body">\n'
        '  <h3 class="h6"><a href="{url}">{name}</a>: now {label}</h3>\n'
        '  <p class="small mb-2">{description}; threshold {threshold}/5, the {label} default {default}/5.</p>\n'
        '  <form method="post" action="{action}" novalidate class="threshold-review" '
        'aria-label="Threshold review for {name}">\n'
        '    <input type="hidden" name="csrfmiddlewaretoken" value="{csrf}"><input type="hidden" name="next" '
        'value="{next}"><input type="hidden" name="phase" value="{phase}">\n'
        '    <fieldset class="mb-2"><legend class="form-label small mb-1">Your decision</legend>\n'
        '      <div class="form-check"><input class="form-check-input" type="radio" name="decision" value="apply" '
        'id="decision-apply-{pk}" required><label class="form-check-label" for="decision-apply-{pk}">Apply the '
        "{label} default: {default}/5</label></div>\n"
        '      <div class="form-check"><input class="form-check-input" type="radio" name="decision" value="keep" '
        'id="decision-keep-{pk}" required><label class="form-check-label" for="decision-keep-{pk}">Keep '
        "{threshold}/5</label></div>\n"
        "    </fieldset>\n"
        '    <label class="form-label small mb-0" for="reason-{pk}">Reason</label>\n'
        '    <textarea class="form-control form-control-sm mb-2" name="reason" id="reason-{pk}" rows="2" '
        'maxlength="300" required></textarea>\n'
        '    <button type="submit" class="btn btn-primary btn-sm">Record my decision</button>\n'
        "  </form>\n"
        "</div></div></div>\n",
        pk=pk,
        url=url_with_id("patients:detail", pk),
        name=name,
        label=label,
        description=description[:1].upper() + description[1:],
        threshold=threshold,
        default=default,
        action=url_with_id("patients:threshold_review", pk),
        csrf=csrf_token,
        next=next_url,
        phase=phase.value,
    )
