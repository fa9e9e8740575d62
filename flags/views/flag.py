"""A flag's own page and the actions on one flag: acknowledge, resolve (or discharge), reassign."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from checkins import selectors as checkin_selectors
from patients import rules as patient_rules
from patients import services as patient_services
from patients.forms import ReassignForm
from patients.models import DischargeReason
from programs import selectors as program_selectors
from rehab.forms import run_service
from rehab.permissions import staff_required

from .. import progress, rules, services
from ..forms import DISCHARGE, ResolveForm
from ..models import Flag
from .common import back, get_flag, row_response, wants_row

RECENT_CHECKINS = 5


def _checkins_context(flag: Flag) -> dict:
    """Beside the flag: the pain chart with the check-ins that fired it marked, recent check-ins, the program."""
    patient = flag.patient
    version = program_selectors.active_version_for(patient)
    marked = sorted({event.checkin_id for event in flag.events.all() if event.checkin_id})
    return {
        "version": version,
        "items": program_selectors.version_items(version) if version else [],
        "series": checkin_selectors.pain_series(patient=patient),
        "marked": ",".join(str(pk) for pk in marked),
        "page": {"object_list": checkin_selectors.latest_checkins(patient=patient, count=RECENT_CHECKINS)},
        "show_corrections": True,
    }


def _flag_page(request, flag: Flag, *, resolve_form=None):
    patient = flag.patient
    today = patient.clinic.local_today()
    flare_ups = [event.flare_up for event in flag.events.all() if event.flare_up_id]
    return render(
        request,
        "flags/detail.html",
        {
            "flag": flag,
            "patient": patient,
            "phase": patient_rules.condition_phase(patient.onset_date, today),
            "now": timezone.now(),
            "today": today,
            "resolve_form": resolve_form
            or ResolveForm(flag=flag, user=request.user, versions=progress.versions_led_to(flag)),
            "reassign_form": ReassignForm(clinic=patient.clinic),
            "offers_ease_off": flag.is_open and flag.reason in rules.EASE_OFF_REASONS,
            "flare_ups": flare_ups,
            **_checkins_context(flag),
        },
    )


@staff_required
def flag_detail(request, pk: int):
    return _flag_page(request, get_flag(request, pk))


@require_POST
@staff_required
def flag_acknowledge(request, pk: int):
    flag = get_flag(request, pk)
    try:
        services.flag_acknowledge(flag=flag, by=request.user)
    except ValidationError as exc:
        if wants_row(request):
            return row_response(request, flag, error=" ".join(exc.messages))
        messages.error(request, " ".join(exc.messages))
        return back(request, reverse("flags:detail", args=[flag.pk]))
    if wants_row(request):
        return row_response(request, flag)
    messages.success(request, "Flag acknowledged.")
    return back(request, reverse("flags:detail", args=[flag.pk]))


def _open_discharge(request, flag: Flag, note: str):
    """A rest flag's "stopped attending: discharge": the discharge page, which resolves the flag when confirmed."""
    url = (
        reverse("patients:discharge", args=[flag.patient_id])
        + "?"
        + urlencode({"reason": DischargeReason.STOPPED_ATTENDING, "note": note})
    )
    if request.htmx:  # from a row of the queue or the dashboard: the whole page goes there
        return HttpResponse(status=204, headers={"HX-Redirect": url})
    return redirect(url)


@require_POST
@staff_required
def flag_resolve(request, pk: int):
    flag = get_flag(request, pk)
    form = ResolveForm(request.POST, flag=flag, user=request.user, versions=progress.versions_led_to(flag))
    if form.is_valid() and form.cleaned_data["outcome"] == DISCHARGE:
        return _open_discharge(request, flag, form.cleaned_data["note"])
    if form.is_valid():
        resolved = run_service(
            form,
            services.flag_resolve,
            flag=flag,
            by=request.user,
            outcome=form.cleaned_data["outcome"],
            note=form.cleaned_data["note"],
            changed_to=form.cleaned_data.get("changed_to"),
        )
        if resolved is not None:
            if wants_row(request):
                return row_response(request, flag)
            messages.success(request, f"Flag resolved: {resolved.get_outcome_display().lower()}.")
            return back(request, reverse("flags:detail", args=[flag.pk]))
    if wants_row(request):
        return row_response(request, flag, resolve_form=form)
    return _flag_page(request, flag, resolve_form=form)


@require_POST
@staff_required
def flag_reassign(request, pk: int):
    flag = get_flag(request, pk)
    form = ReassignForm(request.POST, clinic=flag.patient.clinic)
    if form.is_valid():
        patient = run_service(
            form,
            patient_services.patient_reassign,
            patient=flag.patient,
            physiotherapist=form.cleaned_data["physiotherapist"],
            by=request.user,
            note=form.cleaned_data["note"],
        )
        if patient is not None:
            messages.success(
                request, f"{patient.full_name} is now looked after by {patient.physiotherapist.get_full_name()}."
            )
            return redirect("flags:detail", pk=flag.pk)
    messages.error(request, "Not reassigned: " + " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("flags:detail", pk=flag.pk)
