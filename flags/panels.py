"""The flags section of the staff's patient page (patients cannot import flags): a panel listed in
settings.PATIENT_DETAIL_PANELS, a function (request, patient) -> HTML."""

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from . import selectors


def patient_flags(*, request, patient) -> str:
    return render_to_string(
        "flags/_patient_panel.html", {"flags": selectors.patient_flags(patient=patient)}, request=request
    )


def _day(moment) -> str:
    return f"{moment.day} {moment:%b %Y}"


def version_flags(*, request, versions) -> dict[int, str]:
    """Beside each version in a program's history, the flags resolved with "program changed" that led to it
    (settings.PROGRAM_VERSION_NOTES): version id -> HTML. One query."""
    by_version: dict[int, list] = {}
    flags = (
        selectors.flags_visible_to(request.user)
        .filter(changed_to__in=[version.pk for version in versions])
        .only("changed_to", "reason", "opened_at", "patient__clinic__time_zone")
        .select_related("patient__clinic")
        .order_by("opened_at", "pk")
    )
    for flag in flags:
        by_version.setdefault(flag.changed_to_id, []).append(flag)
    return {
        version_id: format_html(
            "Made after {}",
            format_html_join(
                ", ",
                '<a href="{}">the flag “{}” of {}</a>',
                (
                    (
                        reverse("flags:detail", args=[flag.pk]),
                        flag.get_reason_display(),
                        _day(flag.opened_at.astimezone(flag.patient.clinic.tzinfo)),
                    )
                    for flag in version_flags
                ),
            ),
        )
        for version_id, version_flags in by_version.items()
    }
