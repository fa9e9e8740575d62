"""The clinic's flag queue, a flag's own page, the actions on a flag, and the physiotherapist's dashboard.

Actions are plain POST forms that work without JavaScript; from a row of the queue or the dashboard, htmx swaps
only that row (and the queue's counts)."""

from urllib.parse import urlsplit

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_POST

from checkins import selectors as checkin_selectors
from patients import rules as patient_rules
from patients import selectors as patient_selectors
from patients import services as patient_services
from patients.forms import ReassignForm
from patients.models import DischargeReason, Patient
from programs import selectors as program_selectors
from programs.views.common import open_prepared
from rehab.audit import mark_refused
from rehab.forms import run_service
from rehab.permissions import clinic_admin_required, physio_required, staff_required

from . import progress, rules, selectors, services
from .forms import DISCHARGE, BulkResolveForm, FlagFilterForm, ResolveForm
from .models import Flag, FlagReason, FlagStatus

RECENT_CHECKINS = 5

QUEUE_PAGE_SIZE = 25


def _get_flag(request, pk: int) -> Flag:
    try:
        return selectors.flag_detail(user=request.user, pk=pk)
    except Flag.DoesNotExist as exc:
        raise Http404("No such flag.") from exc


def _back(request, default: str):
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(default)


def _wants_row(request) -> bool:
    """An htmx action from a row of the queue or the dashboard (the detail page swaps itself whole)."""
    return bool(request.htmx) and request.POST.get("view") in ("row", "dash")


def _row_response(request, flag: Flag, *, error: str = "", resolve_form=None):
    """The queue row of one flag after an htmx action, with the counts at the top refreshed too."""
    flag = selectors.flag_detail(user=request.user, pk=flag.pk)
    now = timezone.now()
    in_queue = request.POST.get("view") == "row"  # only the queue shows the counts
    context = {
        "flag": flag,
        "now": now,
        "row_error": error,
        "resolve_form": resolve_form or ResolveForm(),
        "counts": selectors.flag_counts(user=request.user, now=now) if in_queue else None,
        "oob": in_queue,
        "dash_counts": _dashboard_counts(request.user, flag.patient_id) if request.POST.get("view") == "dash" else None,
        "next": request.POST.get("next", ""),
        "show_checkbox": request.POST.get("view") == "row",
    }
    response = render(request, "flags/_row_response.html", context)
    return mark_refused(response) if error or (resolve_form is not None and resolve_form.errors) else response


def _queue_filters(form: FlagFilterForm) -> dict:
    data = form.cleaned_data
    return {
        "search": data["q"],
        "reason": data["reason"],
        "status": data["status"],
        "physiotherapist_id": data["physiotherapist"].pk if data["physiotherapist"] else None,
        "escalated": data["escalated"],
        "opened_from": data["opened_from"],
        "opened_to": data["opened_to"],
    }


def _queue_page(request, params, *, bulk_form=None, selected=()):
    """The queue under the filters in `params` (a QueryDict): one row per patient, or per flag (`rows=flag`).

    Filters that do not make sense (a range that ends before it starts) list nothing, and say why beside the field:
    a half-applied filter would list flags the admin did not ask for as if they had."""
    clinic = request.user.clinic
    form = FlagFilterForm(params or None, clinic=clinic)
    invalid = form.is_bound and not form.is_valid()
    filters = _queue_filters(form) if form.is_bound and not invalid else {}
    per_flag = form.is_bound and params.get("rows") == "flag"
    now = timezone.now()
    if invalid:
        page = Paginator([], QUEUE_PAGE_SIZE).get_page(1)
    elif per_flag:
        page = Paginator(selectors.flag_queue(user=request.user, **filters), QUEUE_PAGE_SIZE).get_page(
            params.get("page")
        )
    else:
        page = Paginator(selectors.queue_patients(user=request.user, now=now, **filters), QUEUE_PAGE_SIZE).get_page(
            params.get("page")
        )
    patient_rows = []
    if not invalid and not per_flag:
        patient_rows = selectors.queue_patient_rows(
            flags=selectors.queue_flags(user=request.user, **filters),
            patient_ids=[row["patient_id"] for row in page.object_list],
            now=now,
        )
    query = params.copy()
    query.pop("page", None)
    others = params.copy()
    for name in ("page", "rows"):
        others.pop(name, None)
    response = render(
        request,
        "flags/queue.html",
        {
            "form": form,
            "invalid": invalid,
            "per_flag": per_flag,
            "page": page,
            "patient_rows": patient_rows,
            "now": now,
            "counts": selectors.flag_counts(user=request.user, now=now),
            "query": query.urlencode(),
            "other_filters": others.urlencode(),
            "filtered": any(v not in ("", None) for v in filters.values()),
            "resolve_form": ResolveForm(),
            "bulk_form": bulk_form or ResolveForm(prefix="bulk"),
            "selected": set(selected),
            "show_checkbox": True,
            "next": request.path + ("?" + params.urlencode() if params else ""),
        },
    )
    return mark_refused(response) if bulk_form is not None else response


@clinic_admin_required
def flag_queue(request):
    return _queue_page(request, request.GET)


def _dashboard_counts(user, patient_id: int) -> dict:
    """What the dashboard counts that an action on one flag changes: the physiotherapist's open flags, and the
    patient's in their caseload row."""
    return {
        "own": selectors.own_open_flags(physio=user).count(),
        "patient_id": patient_id,
        "patient": selectors.flags_visible_to(user)
        .filter(patient_id=patient_id)
        .exclude(status=FlagStatus.RESOLVED)
        .count(),
    }


# --- One patient's row of the queue: its actions act on every flag the row lists ----------------------


def _row_patient(request, patient_pk: int) -> Patient:
    try:
        return patient_selectors.patients_visible_to(request.user).get(pk=patient_pk)
    except Patient.DoesNotExist as exc:
        raise Http404("No such patient.") from exc


def _patient_row_response(request, patient: Patient, flag_ids, *, error: str = "", resolve_form=None):
    """The queue row of one patient after an htmx action: the flags it acted on and the patient's other unresolved
    flags, with the counts at the top refreshed too."""
    now = timezone.now()
    flags = selectors.flags_visible_to(request.user).filter(
        Q(pk__in=flag_ids) | ~Q(status=FlagStatus.RESOLVED), patient=patient
    )
    rows = selectors.queue_patient_rows(flags=flags, patient_ids=[patient.pk], now=now)
    response = render(
        request,
        "flags/_patient_row_response.html",
        {
            "row": rows[0] if rows else None,
            "patient": patient,
            "now": now,
            "row_error": error,
            "resolve_form": resolve_form or ResolveForm(),
            "counts": selectors.flag_counts(user=request.user, now=now),
            "next": request.POST.get("next", ""),
            "show_checkbox": True,
        },
    )
    return mark_refused(response) if error or (resolve_form is not None and resolve_form.errors) else response


def _acted(flags: list[Flag], verb: str) -> str:
    reasons = ", ".join(
        flag.get_reason_display().lower() for flag in selectors.flags_worst_first(flags, timezone.now())
    )
    return f"{len(flags)} flag{pluralize(len(flags))} {verb}: {reasons}."


@require_POST
@clinic_admin_required
def patient_flags_acknowledge(request, patient_pk: int):
    patient = _row_patient(request, patient_pk)
    flag_ids = _posted_ids(request)
    try:
        flags = services.patient_flags_acknowledge(patient=patient, flag_ids=flag_ids, by=request.user)
    except ValidationError as exc:
        if request.htmx:
            return _patient_row_response(request, patient, flag_ids, error=" ".join(exc.messages))
        messages.error(request, " ".join(exc.messages))
        return _back(request, reverse("flags:queue"))
    if request.htmx:
        return _patient_row_response(request, patient, flag_ids)
    messages.success(request, _acted(flags, "acknowledged"))
    return _back(request, reverse("flags:queue"))


@require_POST
@clinic_admin_required
def patient_flags_resolve(request, patient_pk: int):
    patient = _row_patient(request, patient_pk)
    flag_ids = _posted_ids(request)
    form = ResolveForm(request.POST)
    flags = None
    if form.is_valid():
        flags = run_service(
            form,
            services.patient_flags_resolve,
            patient=patient,
            flag_ids=flag_ids,
            by=request.user,
            outcome=form.cleaned_data["outcome"],
            note=form.cleaned_data["note"],
        )
    if request.htmx:
        error = " ".join(form.non_field_errors())
        return _patient_row_response(request, patient, flag_ids, error=error, resolve_form=None if flags else form)
    if flags:
        messages.success(request, _acted(flags, "resolved"))
    else:
        messages.error(request, "Nothing was resolved: " + " ".join(e for errs in form.errors.values() for e in errs))
    return _back(request, reverse("flags:queue"))


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
        "page": {"object_list": list(checkin_selectors.checkin_list(patient=patient)[:RECENT_CHECKINS])},
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
    return _flag_page(request, _get_flag(request, pk))


@require_POST
@staff_required
def flag_acknowledge(request, pk: int):
    flag = _get_flag(request, pk)
    try:
        services.flag_acknowledge(flag=flag, by=request.user)
    except ValidationError as exc:
        if _wants_row(request):
            return _row_response(request, flag, error=" ".join(exc.messages))
        messages.error(request, " ".join(exc.messages))
        return _back(request, reverse("flags:detail", args=[flag.pk]))
    if _wants_row(request):
        return _row_response(request, flag)
    messages.success(request, "Flag acknowledged.")
    return _back(request, reverse("flags:detail", args=[flag.pk]))


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
    flag = _get_flag(request, pk)
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
            if _wants_row(request):
                return _row_response(request, flag)
            messages.success(request, f"Flag resolved: {resolved.get_outcome_display().lower()}.")
            return _back(request, reverse("flags:detail", args=[flag.pk]))
    if _wants_row(request):
        return _row_response(request, flag, resolve_form=form)
    return _flag_page(request, flag, resolve_form=form)


@require_POST
@clinic_admin_required
def flag_bulk_resolve(request):
    rest_flags = (
        selectors.flags_visible_to(request.user).filter(reason=FlagReason.REST).exclude(status=FlagStatus.RESOLVED)
    )
    # The checkboxes sit in the queue's rows, outside the prefixed form: read them by their own name.
    data = request.POST.copy()
    data.setlist("bulk-flags", request.POST.getlist("flags"))
    allowed = list(rest_flags.values_list("pk", flat=True))
    form = BulkResolveForm(data, prefix="bulk", flag_ids=allowed)
    if form.is_valid():
        resolved = run_service(
            form,
            services.flag_bulk_resolve,
            flag_ids=form.cleaned_data["flags"],
            by=request.user,
            outcome=form.cleaned_data["outcome"],
            note=form.cleaned_data["note"],
        )
        if resolved is not None:
            messages.success(request, f"{len(resolved)} rest flag{'s' if len(resolved) != 1 else ''} resolved.")
            return _back(request, reverse("flags:queue"))
    # Shown again, under the filters it was sent from, with the boxes still ticked and the errors beside the fields.
    errors = [e for name, field_errors in form.errors.items() if name != "outcome" for e in field_errors]
    messages.error(request, "Nothing was resolved. " + " ".join(errors))
    selected = set(_posted_ids(request)) & set(allowed)
    return _queue_page(request, _next_query(request), bulk_form=form, selected=selected)


def _posted_ids(request) -> list[int]:
    return [int(value) for value in request.POST.getlist("flags") if value.isdigit()]


def _next_query(request) -> QueryDict:
    """The queue's filters from the page an action was sent from (its `next`), when that page was the queue."""
    target = urlsplit(request.POST.get("next") or "")
    if target.path != reverse("flags:queue"):
        return QueryDict()
    return QueryDict(target.query)


@require_POST
@staff_required
def flag_reassign(request, pk: int):
    flag = _get_flag(request, pk)
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


DASHBOARD_PAGE_SIZE = 25


@physio_required
def dashboard(request):
    physio = request.user
    today = physio.clinic.local_today()
    discharged = request.GET.get("episodes") == patient_selectors.DISCHARGED
    episodes = patient_selectors.DISCHARGED if discharged else patient_selectors.ACTIVE
    page = Paginator(selectors.caseload(physio=physio, episodes=episodes), DASHBOARD_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    patients = list(page.object_list)
    reviews = list(patient_selectors.threshold_reviews_due(physio=physio))
    return render(
        request,
        "flags/dashboard.html",
        {
            "page": page,
            "rows": selectors.caseload_rows(patients=patients, today=today),
            "flags": list(selectors.own_open_flags(physio=physio)),
            "ready": progress.ready_to_progress(physio=physio, today=today),
            "without_program": selectors.caseload_without_program(physio=physio),
            "reviews": reviews,
            "resolve_form": ResolveForm(),
            "now": timezone.now(),
            "next": request.get_full_path(),
            "today": today,
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
        back=_back(request, reverse("flags:dashboard")).url,
    )


@require_POST
@physio_required
def ease_off(request, pk: int):
    """From a pain, sharp-pain or worsening flag's page: a draft easier than the program in force, in the builder."""
    flag = _get_flag(request, pk)
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
