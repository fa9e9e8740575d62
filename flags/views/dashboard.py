"""The physiotherapist's dashboard, and progress that follows the response: stepping up or easing off."""

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from checkins.rules import ADHERENCE_WINDOW_DAYS
from patients import selectors as patient_selectors
from patients.models import Patient
from programs.views.common import open_prepared
from rehab.permissions import physio_required

from .. import progress, selectors, services
from ..forms import ResolveForm
from .common import back, get_flag

DASHBOARD_PAGE_SIZE = 25


@physio_required
def dashboard(request):
    physio = request.user
    today = physio.clinic.local_today()
    discharged = request.GET.get("episodes") == patient_selectors.DISCHARGED
    episodes = patient_selectors.DISCHARGED if discharged else patient_selectors.ACTIVE
    page = selectors.caseload_paginator(physio=physio, episodes=episodes, per_page=DASHBOARD_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    patients = list(page.object_list)
    aside = selectors.caseload_aside(physio=physio, today=today)
    return render(
        request,
        "flags/dashboard.html",
        {
            "page": page,
            "rows": selectors.caseload_rows(patients=patients, today=today),
            "flags": selectors.own_open_flag_rows(physio=physio),
            "ready": progress.ready_to_progress(physio=physio, today=today),
            "without_program": aside["without_program"],
            "reviews": aside["reviews"],
            "resolve_form": ResolveForm(),
            "now": timezone.now(),
            "next": request.get_full_path(),
            "today": today,
            "adherence_days": ADHERENCE_WINDOW_DAYS,
            "discharged": discharged,
            "query": "episodes=discharged" if discharged else "",
        },
    )


# --- Progress that follows the response (docs/clinical-rules.md, rule 17) -----------------------


@require_POST
@physio_required
def step_up(request, patient_pk: int):
    """From the dashboard's "Ready to progress": a draft one step up, opened in the builder. The criteria are
    checked again first; nothing is put in force until the physiotherapist activates it."""
    try:
        patient = patient_selectors.patient_detail(user=request.user, pk=patient_pk)
    except Patient.DoesNotExist as exc:
        raise Http404("No such patient.") from exc
    return open_prepared(
        request,
        services.patient_prepare_step_up,
        patient=patient,
        by=request.user,
        done="A step up is prepared: check it, change what you like, and put it in force when you agree.",
        back=back(request, reverse("flags:dashboard")).url,
    )


@require_POST
@physio_required
def ease_off(request, pk: int):
    """From a pain, sharp-pain or worsening flag's page: a draft easier than the program in force, in the builder."""
    flag = get_flag(request, pk)
    return open_prepared(
        request,
        services.flag_prepare_ease_off,
        flag=flag,
        by=request.user,
        done=(
            "An easier version is prepared: check it and put it in force, then resolve the flag with “Program changed”."
        ),
        back=reverse("flags:detail", args=[flag.pk]),
    )
