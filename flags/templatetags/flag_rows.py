"""The rows of the busiest staff pages, each built in one step: a patient's row of the queue, and one flag's row on
the dashboard and in the queue's per-flag view.

As template nodes (an include, loops, filters and URL reversals per flag, two forms per row) they cost most of those
pages (measured in bench/, issue 23). The markup is the one their templates had, with every value escaped through
format_html or conditional_escape.
"""

from django import template
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

from flags.forms import DISCHARGE, DISCHARGE_LABEL, offers_discharge
from flags.models import FlagReason, FlagStatus
from rehab.templatetags.rehab_tags import ago, choice_options

register = template.Library()


# --- The queue's row of one patient, built in one step ----------------------------------------------------------
# The queue shows 25 of these, each with several flags and two forms: as template nodes (an include, loops, filters
# and URL reversals per flag) they cost most of the page; measured in bench/ (issue 23). The markup is the one
# the patient row's template had, with every value escaped.


def _reasons(flags) -> str:
    return ", ".join(flag.get_reason_display().lower() for flag in flags)


def _flag_item(flag, now) -> str:
    pk = flag.pk
    is_open = flag.is_open
    parts = [f'<li class="mb-1" id="flag-{pk}">']
    if flag.urgent and is_open:
        parts.append('<span class="badge text-bg-danger">Urgent</span> ')
    parts.append(
        format_html(
            '<a class="badge reason-{}" href="{}">{}</a> <span class="small">{}, raised <span title="{}">{}</span>',
            flag.reason,
            reverse("flags:detail", args=[pk]),
            flag.get_reason_display(),
            flag.get_status_display().lower(),
            dateformat.format(timezone.localtime(flag.opened_at), "j M Y, H:i"),
            ago(flag.opened_at, now),
        )
    )
    if flag.acknowledged_at and flag.status == FlagStatus.ACKNOWLEDGED:
        by = flag.acknowledged_by.get_full_name() if flag.acknowledged_by_id else ""
        parts.append(format_html(" (acknowledged by {})", by or "–"))
    if flag.status == FlagStatus.RESOLVED:
        parts.append(format_html(": {}", flag.get_outcome_display().lower()))
    parts.append("</span>")
    if flag.is_overdue(now):
        due = dateformat.format(timezone.localtime(flag.ack_due_at), "j M, H:i")
        parts.append(f' <span class="badge text-bg-danger">Overdue</span> <span class="small">due {due}</span>')
    if flag.escalated_at and is_open:
        escalated = dateformat.format(timezone.localtime(flag.escalated_at), "j M, H:i")
        parts.append(f' <span class="small">escalated {escalated}</span>')
    parts.append(format_html('<div class="small">{}</div>', flag.explanation))
    if is_open and flag.last_evidence_at > flag.opened_at:
        parts.append(
            format_html(
                '<div class="small fw-semibold">New evidence {}: see the flag.</div>', ago(flag.last_evidence_at, now)
            )
        )
    parts.append("</li>")
    return "".join(parts)


@register.simple_tag(takes_context=True)
def patient_row(context, row):
    """A patient's row of the queue: every flag listed, and the actions that act on the flags they name."""
    now = context.get("now")
    patient, pk = row.patient, row.patient.pk
    token = conditional_escape(context.get("csrf_token", ""))
    hidden = format_html(
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}"><input type="hidden" name="next" value="{}">',
        token,
        context.get("next", ""),
    )
    selected = context.get("selected") or ()
    name = patient.full_name
    rest = row.rest_flag
    box = ""
    if rest is not None:
        box = format_html(
            '<input class="form-check-input" type="checkbox" name="flags" value="{}" form="bulk-form" id="select-{}" '
            'aria-label="Select the rest flag of {}"{}>',
            rest.pk,
            rest.pk,
            name,
            " checked" if rest.pk in selected else "",
        )
    html = [
        f'<tr id="patient-row-{pk}" class="'
        + ("table-danger overdue-row" if row.overdue else "table-warning" if row.urgent else "")
        + f'">\n  <td>{box}</td>\n  <td>',
        format_html('<a href="{}">{}</a>', reverse("patients:detail", args=[pk]), name),
    ]
    if patient.phone:
        html.append(format_html('<div class="small">{}</div>', phone_link(patient)))
    html.append(
        format_html(
            '<div class="small text-muted">{}</div></td>\n  <td><ul class="list-unstyled mb-0 patient-flags">',
            patient.physiotherapist.get_full_name(),
        )
    )
    html += [_flag_item(flag, now) for flag in row.flags]
    html.append('</ul></td>\n  <td class="flag-actions">')
    error = context.get("row_error")
    if error:
        html.append(format_html('<div class="text-danger small mb-1" role="alert">{}</div>', error))
    unacknowledged, unresolved = row.unacknowledged, row.unresolved
    if unacknowledged:
        n = len(unacknowledged)
        url = reverse("flags:patient_acknowledge", args=[pk])
        html.append(
            format_html(
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
        url = reverse("flags:patient_resolve", args=[pk])
        error_html = "".join(
            format_html('<div class="invalid-feedback d-block" id="outcome-error-patient-{}">{}</div>', pk, e)
            for e in errors or ()
        )
        html.append(
            format_html(
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
                format_html(' aria-describedby="outcome-error-patient-{}"', pk) if errors else "",
                choice_options(form["outcome"]) if form is not None else "",
                mark_safe(error_html),  # noqa: S308 - built with format_html above
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
        html.append('<span class="small text-muted">Every flag listed is resolved.</span>')
    html.append("</td>\n</tr>")
    return mark_safe("".join(html))  # noqa: S308 - every value is escaped above (format_html, conditional_escape)


def _flag_inputs(flags) -> str:
    return mark_safe("".join(f'<input type="hidden" name="flags" value="{flag.pk}">' for flag in flags))  # noqa: S308 - integers


@register.simple_tag
def phone_link(patient) -> str:
    """The patient's number as a tap-to-call link (templates/patients/_phone.html, for a patient with a number)."""
    return format_html(
        '<a href="tel:{}" class="text-nowrap" aria-label="Call {} on {}">{}</a>',
        patient.phone.as_e164,
        patient.full_name,
        patient.phone.as_international,
        patient.phone.as_international,
    )


# --- One flag's row, on the dashboard and in the queue's per-flag view, built in one step ----------------------
# The markup a flag row's template had as template nodes; the dashboard lists every open flag of the caseload.


def _local(moment, fmt: str) -> str:
    return dateformat.format(timezone.localtime(moment), fmt)


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
    html = [f'<tr id="flag-{pk}" class="{css}">\n']
    if show_checkbox:
        box = ""
        if flag.reason == FlagReason.REST and is_open:
            box = format_html(
                '<input class="form-check-input" type="checkbox" name="flags" value="{}" form="bulk-form" '
                'id="select-{}" aria-label="Select the rest flag of {}"{}>',
                pk,
                pk,
                name,
                " checked" if pk in (context.get("selected") or ()) else "",
            )
        html.append(f"  <td>{box}</td>\n")
    html.append("  <td>\n    ")
    if flag.urgent:
        html.append('<span class="badge text-bg-danger">Urgent</span> ')
    html.append(
        format_html(
            '<span class="badge reason-{}">{}</span>\n    <div class="small">{}</div>\n',
            flag.reason,
            flag.get_reason_display(),
            flag.explanation,
        )
    )
    if is_open and flag.last_evidence_at > flag.opened_at:
        html.append(
            format_html(
                '    <div class="small fw-semibold">New evidence {}: see the flag.</div>\n',
                ago(flag.last_evidence_at, now),
            )
        )
    html.append(format_html('  </td>\n  <td><a href="{}">{}</a>', reverse("flags:detail", args=[pk]), name))
    if patient.phone:
        html.append(format_html('<div class="small">{}</div>', phone_link(patient)))
    html.append(
        format_html(
            '<div class="small text-muted">{}</div></td>\n  <td><span title="{}">{}</span>\n',
            patient.physiotherapist.get_full_name(),
            _local(flag.opened_at, "j M Y, H:i"),
            ago(flag.opened_at, now),
        )
    )
    due = _local(flag.ack_due_at, "j M, H:i")
    if is_overdue:
        html.append(
            f'    <div><span class="badge text-bg-danger">Overdue</span> <span class="small">due {due}</span></div>\n'
        )
    elif flag.status == FlagStatus.OPEN:
        html.append(f'    <div class="small text-muted">due {due}</div>\n')
    if flag.escalated_at:
        html.append(f'    <div class="small">Escalated {_local(flag.escalated_at, "j M, H:i")}</div>\n')
    html.append(
        format_html('  </td>\n  <td class="flag-status">\n    <strong>{}</strong>\n', flag.get_status_display())
    )
    if flag.acknowledged_at:
        by = flag.acknowledged_by.get_full_name() if flag.acknowledged_by_id else ""
        html.append(format_html('    <div class="small">by {}</div>\n', by or "–"))
    if flag.status == FlagStatus.RESOLVED:
        html.append(format_html('    <div class="small">{}</div>\n', flag.get_outcome_display()))
    html.append('  </td>\n  <td class="flag-actions">\n')
    error = context.get("row_error")
    if error:
        html.append(format_html('    <div class="text-danger small mb-1" role="alert">{}</div>\n', error))
    hidden = format_html(
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}"><input type="hidden" name="next" value="{}">'
        '<input type="hidden" name="view" value="{}">',
        context.get("csrf_token", ""),
        context.get("next", ""),
        row_view,
    )
    if flag.status == FlagStatus.OPEN:
        url = reverse("flags:acknowledge", args=[pk])
        html.append(
            format_html(
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
            discharge = format_html('<option value="{}">{}</option>', DISCHARGE, DISCHARGE_LABEL)
        url = reverse("flags:resolve", args=[pk])
        html.append(
            format_html(
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
                format_html(' aria-describedby="outcome-error-{}"', pk) if errors else "",
                choice_options(form["outcome"]) if form is not None else "",
                discharge,
                mark_safe(  # noqa: S308 - built with format_html
                    "".join(
                        format_html('<div class="invalid-feedback d-block" id="outcome-error-{}">{}</div>', pk, e)
                        for e in errors or ()
                    )
                ),
                pk,
                pk,
                (form["note"].value() or "") if form is not None else "",
                pk,
            )
        )
    html.append("  </td>\n</tr>")
    return mark_safe("".join(html))  # noqa: S308 - every value is escaped above (format_html)
