"""The rows of the busiest staff pages, each built in one step: a patient's row of the queue, and one flag's row on
the dashboard and in the queue's per-flag view.

As template nodes (an include, loops, filters and URL reversals per flag, two forms per row) they cost most of those
pages (measured in bench/, issue 23). The markup is the one their templates had, with every value escaped
(rehab.markup: Django's escaping, without its per-call overhead).
"""

from django import template
from django.utils import timezone
from django.utils.safestring import mark_safe

from flags.forms import DISCHARGE, DISCHARGE_LABEL, offers_discharge
from flags.models import FlagOutcome, FlagReason, FlagStatus
from rehab.markup import date_format, esc, html, url_with_id
from rehab.templatetags.rehab_tags import ago, choice_options

register = template.Library()

# The words of each choice, looked up directly (a model's get_FOO_display rebuilds its choices' mapping per call).
REASON = dict(FlagReason.choices)
STATUS = dict(FlagStatus.choices)
OUTCOME = dict(FlagOutcome.choices)


# --- The queue's row of one patient, built in one step ----------------------------------------------------------
# The queue shows 25 of these, each with several flags and two forms: as template nodes (an include, loops, filters
# and URL reversals per flag) they cost most of the page; measured in bench/ (issue 23). The markup is the one
# the patient row's template had, with every value escaped.


def _reasons(flags) -> str:
    return ", ".join(REASON[flag.reason].lower() for flag in flags)


def _flag_item(flag, now) -> str:
    pk = flag.pk
    is_open = flag.is_open
    parts = [f'<li class="mb-1" id="flag-{pk}">']
    if flag.urgent and is_open:
        parts.append('<span class="badge text-bg-danger">Urgent</span> ')
    parts.append(
        html(
            '<a class="badge reason-{}" href="{}">{}</a> <span class="small">{}, raised <span title="{}">{}</span>',
            flag.reason,
            url_with_id("flags:detail", pk),
            REASON[flag.reason],
            STATUS[flag.status].lower(),
            local_time(flag.opened_at, "j M Y, H:i"),
            ago(flag.opened_at, now),
        )
    )
    if flag.acknowledged_at and flag.status == FlagStatus.ACKNOWLEDGED:
        by = flag.acknowledged_by.get_full_name() if flag.acknowledged_by_id else ""
        parts.append(html(" (acknowledged by {})", by or "–"))
    if flag.status == FlagStatus.RESOLVED:
        parts.append(html(": {}", OUTCOME.get(flag.outcome, flag.outcome).lower()))
    parts.append("</span>")
    if flag.is_overdue(now):
        due = local_time(flag.ack_due_at, "j M, H:i")
        parts.append(f' <span class="badge text-bg-danger">Overdue</span> <span class="small">due {due}</span>')
    if flag.escalated_at and is_open:
        escalated = local_time(flag.escalated_at, "j M, H:i")
        parts.append(f' <span class="small">escalated {escalated}</span>')
    parts.append(html('<div class="small">{}</div>', flag.explanation))
    if is_open and flag.last_evidence_at > flag.opened_at:
        parts.append(
            html('<div class="small fw-semibold">New evidence {}: see the flag.</div>', ago(flag.last_evidence_at, now))
        )
    parts.append("</li>")
    return "".join(parts)


@register.simple_tag(takes_context=True)
def patient_row(context, row):
    """A patient's row of the queue: every flag listed, and the actions that act on the flags they name."""
    now = context.get("now")
    patient, pk = row.patient, row.patient.pk
    token = esc(context.get("csrf_token", ""))
    hidden = html(
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}"><input type="hidden" name="next" value="{}">',
        token,
        context.get("next", ""),
    )
    selected = context.get("selected") or ()
    name = patient.full_name
    rest = row.rest_flag
    box = ""
    if rest is not None:
        box = html(
            '<input class="form-check-input" type="checkbox" name="flags" value="{}" form="bulk-form" id="select-{}" '
            'aria-label="Select the rest flag of {}"{}>',
            rest.pk,
            rest.pk,
            name,
            " checked" if rest.pk in selected else "",
        )
    out = [
        f'<tr id="patient-row-{pk}" class="'
        + ("table-danger overdue-row" if row.overdue else "table-warning" if row.urgent else "")
        + f'">\n  <td>{box}</td>\n  <td>',
        html('<a href="{}">{}</a>', url_with_id("patients:detail", pk), name),
    ]
    if has_phone(patient):
        out.append(html('<div class="small">{}</div>', phone_link(patient)))
    out.append(
        html(
            '<div class="small text-muted">{}</div></td>\n  <td><ul class="list-unstyled mb-0 patient-flags">',
            patient.physiotherapist.get_full_name(),
        )
    )
    out += [_flag_item(flag, now) for flag in row.flags]
    out.append('</ul></td>\n  <td class="flag-actions">')
    error = context.get("row_error")
    if error:
        out.append(html('<div class="text-danger small mb-1" role="alert">{}</div>', error))
    unacknowledged, unresolved = row.unacknowledged, row.unresolved
    if unacknowledged:
        n = len(unacknowledged)
        url = url_with_id("flags:patient_acknowledge", pk)
        out.append(
            html(
                '<form method="post" action="{}" hx-post="{}" hx-target="#patient-row-{}" hx-swap="outerHTML" '
                'class="d-inline">{}{}<button class="btn btn-sm btn-outline-primary mb-1" type="submit" '
                'id="ack-patient-{}">Acknowledge {} flag{}: {}</button></form>',
                url,
                url,
                pk,
                hidden,
                _flag_inputs(unacknowledged),
                pk,
                n,
                "s" if n != 1 else "",
                _reasons(unacknowledged),
            )
        )
    if unresolved:
        n = len(unresolved)
        form = context.get("resolve_form")
        errors = form.errors.get("outcome") if form is not None and form.is_bound else None
        url = url_with_id("flags:patient_resolve", pk)
        error_html = "".join(
            html('<div class="invalid-feedback d-block" id="outcome-error-patient-{}">{}</div>', pk, e)
            for e in errors or ()
        )
        out.append(
            html(
                '<details class="d-inline-block resolve-details"{}><summary class="btn btn-sm btn-outline-primary">'
                "Resolve {} flag{}…</summary>"
                '<form method="post" action="{}" hx-post="{}" hx-target="#patient-row-{}" hx-swap="outerHTML" '
                'class="mt-2 resolve-form" novalidate>{}{}'
                '<label class="form-label small mb-0" for="outcome-patient-{}">Outcome</label>'
                '<select class="form-select form-select-sm{}" name="outcome" id="outcome-patient-{}"{}>{}</select>{}'
                '<label class="form-label small mb-0 mt-1" for="note-patient-{}">Note</label>'
                '<textarea class="form-control form-control-sm" name="note" id="note-patient-{}" rows="2" '
                'maxlength="2000">{}</textarea>'
                '<button class="btn btn-sm btn-primary mt-1" type="submit" id="resolve-patient-{}">Resolve {} flag{}: '
                "{}</button></form></details>",
                " open" if errors else "",
                n,
                "s" if n != 1 else "",
                url,
                url,
                pk,
                hidden,
                _flag_inputs(unresolved),
                pk,
                " is-invalid" if errors else "",
                pk,
                html(' aria-describedby="outcome-error-patient-{}"', pk) if errors else "",
                _outcome_options(form),
                mark_safe(error_html),  # noqa: S308 - built with html() above
                pk,
                pk,
                (form["note"].value() or "") if form is not None else "",
                pk,
                n,
                "s" if n != 1 else "",
                _reasons(unresolved),
            )
        )
    else:
        out.append('<span class="small text-muted">Every flag listed is resolved.</span>')
    out.append("</td>\n</tr>")
    return mark_safe("".join(out))  # noqa: S308 - every value is escaped above (rehab.markup)


def _outcome_options(form) -> str:
    """The outcome list's options, drawn once per form: every row of a page shows the same list."""
    if form is None:
        return ""
    options = getattr(form, "_row_outcome_options", None)
    if options is None:
        options = form._row_outcome_options = choice_options(form["outcome"])
    return options


def _flag_inputs(flags) -> str:
    return mark_safe("".join(f'<input type="hidden" name="flags" value="{flag.pk}">' for flag in flags))  # noqa: S308 - integers


def has_phone(patient) -> bool:
    """Whether the patient has a number, without asking the number itself: a stored number's truth is worked out by
    validating and formatting it (phonenumber_field), and a patient without one has an empty string."""
    return not isinstance(patient.phone, str | None)


@register.simple_tag
def phone_link(patient) -> str:
    """The patient's number as a tap-to-call link (templates/patients/_phone.html, for a patient with a number)."""
    phone = patient.phone
    international = phone.as_international  # formatting a number is the costly part: once
    return html(
        '<a href="tel:{}" class="text-nowrap" aria-label="Call {} on {}">{}</a>',
        phone.as_e164,
        patient.full_name,
        international,
        international,
    )


# --- One flag's row, on the dashboard and in the queue's per-flag view, built in one step ----------------------
# The markup a flag row's template had as template nodes; the dashboard lists every open flag of the caseload.


def local_time(moment, fmt: str) -> str:
    """`moment` in the current time zone (the clinic's), formatted as Django's date filter does."""
    return date_format(timezone.localtime(moment), fmt)


@register.simple_tag(takes_context=True)
def flag_row(context, flag):
    now = context.get("now")
    pk = flag.pk
    is_open, is_overdue = flag.is_open, flag.is_overdue(now)
    show_checkbox = context.get("show_checkbox")
    row_view = "row" if show_checkbox else "dash"
    patient = flag.patient
    name = patient.full_name
    css = "table-danger overdue-row" if is_overdue else "table-warning" if flag.urgent and is_open else ""
    out = [f'<tr id="flag-{pk}" class="{css}">\n']
    if show_checkbox:
        box = ""
        if flag.reason == FlagReason.REST and is_open:
            box = html(
                '<input class="form-check-input" type="checkbox" name="flags" value="{}" form="bulk-form" '
                'id="select-{}" aria-label="Select the rest flag of {}"{}>',
                pk,
                pk,
                name,
                " checked" if pk in (context.get("selected") or ()) else "",
            )
        out.append(f"  <td>{box}</td>\n")
    out.append("  <td>\n    ")
    if flag.urgent:
        out.append('<span class="badge text-bg-danger">Urgent</span> ')
    out.append(
        html(
            '<span class="badge reason-{}">{}</span>\n    <div class="small">{}</div>\n',
            flag.reason,
            REASON[flag.reason],
            flag.explanation,
        )
    )
    if is_open and flag.last_evidence_at > flag.opened_at:
        out.append(
            html(
                '    <div class="small fw-semibold">New evidence {}: see the flag.</div>\n',
                ago(flag.last_evidence_at, now),
            )
        )
    out.append(html('  </td>\n  <td><a href="{}">{}</a>', url_with_id("flags:detail", pk), name))
    if has_phone(patient):
        out.append(html('<div class="small">{}</div>', phone_link(patient)))
    out.append(
        html(
            '<div class="small text-muted">{}</div></td>\n  <td><span title="{}">{}</span>\n',
            patient.physiotherapist.get_full_name(),
            local_time(flag.opened_at, "j M Y, H:i"),
            ago(flag.opened_at, now),
        )
    )
    due = local_time(flag.ack_due_at, "j M, H:i")
    if is_overdue:
        out.append(
            f'    <div><span class="badge text-bg-danger">Overdue</span> <span class="small">due {due}</span></div>\n'
        )
    elif flag.status == FlagStatus.OPEN:
        out.append(f'    <div class="small text-muted">due {due}</div>\n')
    if flag.escalated_at:
        out.append(f'    <div class="small">Escalated {local_time(flag.escalated_at, "j M, H:i")}</div>\n')
    out.append(html('  </td>\n  <td class="flag-status">\n    <strong>{}</strong>\n', STATUS[flag.status]))
    if flag.acknowledged_at:
        by = flag.acknowledged_by.get_full_name() if flag.acknowledged_by_id else ""
        out.append(html('    <div class="small">by {}</div>\n', by or "–"))
    if flag.status == FlagStatus.RESOLVED:
        out.append(html('    <div class="small">{}</div>\n', OUTCOME.get(flag.outcome, flag.outcome)))
    out.append('  </td>\n  <td class="flag-actions">\n')
    error = context.get("row_error")
    if error:
        out.append(html('    <div class="text-danger small mb-1" role="alert">{}</div>\n', error))
    hidden = html(
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}"><input type="hidden" name="next" value="{}">'
        '<input type="hidden" name="view" value="{}">',
        context.get("csrf_token", ""),
        context.get("next", ""),
        row_view,
    )
    if flag.status == FlagStatus.OPEN:
        url = url_with_id("flags:acknowledge", pk)
        out.append(
            html(
                '    <form method="post" action="{}" hx-post="{}" hx-target="#flag-{}" hx-swap="outerHTML" '
                'class="d-inline">\n      {}\n      <button class="btn btn-sm btn-outline-primary" type="submit" '
                'id="ack-{}">Acknowledge</button>\n    </form>\n',
                url,
                url,
                pk,
                hidden,
                pk,
            )
        )
    if is_open:
        form = context.get("resolve_form")
        errors = form.errors.get("outcome") if form is not None and form.is_bound else None
        user = context.get("user")
        discharge = ""
        if offers_discharge(flag, user) and not getattr(form, "offers_discharge", False):
            discharge = html('<option value="{}">{}</option>', DISCHARGE, DISCHARGE_LABEL)
        url = url_with_id("flags:resolve", pk)
        out.append(
            html(
                '    <details class="d-inline-block resolve-details"{}>\n'
                '      <summary class="btn btn-sm btn-outline-primary">Resolve…</summary>\n'
                '      <form method="post" action="{}" hx-post="{}" hx-target="#flag-{}" hx-swap="outerHTML" '
                'class="mt-2 resolve-form" novalidate>\n        {}\n'
                '        <label class="form-label small mb-0" for="outcome-{}">Outcome</label>\n'
                '        <select class="form-select form-select-sm{}" name="outcome" id="outcome-{}"{}>\n'
                "          {}{}\n        </select>\n        {}\n"
                '        <label class="form-label small mb-0 mt-1" for="note-{}">Note</label>\n'
                '        <textarea class="form-control form-control-sm" name="note" id="note-{}" rows="2" '
                'maxlength="2000">{}</textarea>\n'
                '        <button class="btn btn-sm btn-primary mt-1" type="submit" id="resolve-{}">Resolve</button>\n'
                "      </form>\n    </details>\n",
                " open" if form is not None and form.errors else "",
                url,
                url,
                pk,
                hidden,
                pk,
                " is-invalid" if errors else "",
                pk,
                html(' aria-describedby="outcome-error-{}"', pk) if errors else "",
                _outcome_options(form),
                discharge,
                mark_safe(  # noqa: S308 - built with html()
                    "".join(
                        html('<div class="invalid-feedback d-block" id="outcome-error-{}">{}</div>', pk, e)
                        for e in errors or ()
                    )
                ),
                pk,
                pk,
                (form["note"].value() or "") if form is not None else "",
                pk,
            )
        )
    out.append("  </td>\n</tr>")
    return mark_safe("".join(out))  # noqa: S308 - every value is escaped above (rehab.markup)
