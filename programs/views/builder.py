"""The program builder. Its actions are plain POST forms that work without JavaScript (they redirect back to the
builder); with htmx they swap only the builder's content in place."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from rehab.audit import mark_refused
from rehab.forms import run_service
from rehab.permissions import physio_required

from .. import selectors, services
from ..forms import ActivateForm, ItemForm, ScheduleForm, TemplateForm
from ..models import MuscleGroup, ProgramExercise, ProgramVersion
from .common import or_404

PICKER_LIMIT = 12


def _draft(request, pk: int) -> ProgramVersion:
    version = or_404(lambda: selectors.versions_visible_to(request.user).get(pk=pk))
    if version.status != ProgramVersion.Status.DRAFT:
        raise Http404("This version is not being built.")
    return version


def _item(request, pk: int) -> ProgramExercise:
    item = or_404(lambda: selectors.items_visible_to(request.user).get(pk=pk))
    if item.version.status != ProgramVersion.Status.DRAFT:
        raise Http404("This version is not being built.")
    return item


def _picker_results(request):
    """The library search beside the builder: its first matches, whether there are more, and the search.
    An Add posts the search along, so that the list the physiotherapist was looking at stays."""
    params = request.GET if request.method == "GET" else request.POST
    q = params.get("q", "").strip()[:100]
    group = params.get("group", "")
    if group not in MuscleGroup.values:
        group = ""
    found = list(selectors.exercise_library(user=request.user, search=q, group=group)[: PICKER_LIMIT + 1])
    return found[:PICKER_LIMIT], len(found) > PICKER_LIMIT, q, group


def _builder_context(request, version: ProgramVersion, *, item_errors=None, **forms):
    items = selectors.version_items(version)
    counts = selectors.balance_for(items)
    missing = [group for group, count in counts.items() if count == 0]
    item_errors = item_errors or {}
    item_rows = [
        (
            item,
            item_errors.get(item.pk)
            or ItemForm(
                prefix=f"item-{item.pk}",
                initial={
                    "sets": item.sets,
                    "reps": item.reps,
                    "hold_seconds": item.hold_seconds,
                    "rest_seconds": item.rest_seconds,
                    "notes": item.notes,
                },
            ),
        )
        for item in items
    ]
    results, more_results, q, group = _picker_results(request)
    labels = dict(MuscleGroup.choices)
    context = {
        "version": version,
        "program": version.program,
        "patient": version.program.patient,
        "item_rows": item_rows,
        "balance": [(labels[g], count) for g, count in counts.items()],
        "missing": [labels[g] for g in missing],
        "frequency_warning": version.frequency_warning,
        "start_warning": version.past_start_error,
        "progression": selectors.progression_for(version, items),
        "starting_warnings": selectors.starting_warnings_for(version, items),
        "weekly_volume": selectors.weekly_volume_of(version, items),
        "results": results,
        "more_results": more_results,
        "in_program": {item.exercise_id for item in items},
        "picker_q": q,
        "picker_group": group,
        "muscle_groups": MuscleGroup.choices,
        "schedule_form": forms.get("schedule_form")
        or ScheduleForm(
            initial={
                "title": version.program.title,
                "start_date": version.start_date,
                "weekdays": version.weekdays,
                "sessions_per_week": version.sessions_per_week,
            }
        ),
        "activate_form": forms.get("activate_form") or ActivateForm(initial={"change_note": version.change_note}),
        "template_form": forms.get("template_form") or TemplateForm(),
        "action_error": forms.get("action_error"),
    }
    return context


def _builder_response(request, version: ProgramVersion, *, ok: bool, **forms):
    """After a builder action: htmx gets the builder fragment, a plain form post a redirect (or the errors)."""
    if request.htmx:
        response = render(request, "programs/_builder.html", _builder_context(request, version, **forms))
        return response if ok else mark_refused(response)
    if ok:
        search = {key: request.POST[key] for key in ("q", "group") if request.POST.get(key)}
        url = reverse("programs:builder", args=[version.pk])
        return redirect(f"{url}?{urlencode(search)}" if search else url)
    return render(request, "programs/builder.html", _builder_context(request, version, **forms), status=200)


def _builder_action(request, draft: ProgramVersion, service, /, **kwargs):
    """Run one builder action; a refusal (say the draft was activated a moment ago) is shown, not a 500."""
    try:
        service(**kwargs)
    except ValidationError as exc:
        return _builder_response(request, draft, ok=False, action_error=" ".join(exc.messages))
    return _builder_response(request, draft, ok=True)


@physio_required
def builder(request, pk: int):
    version = _draft(request, pk)
    template = "programs/_picker.html" if request.htmx and request.GET.get("picker") else "programs/builder.html"
    return render(request, template, _builder_context(request, version))


@require_POST
@physio_required
def builder_schedule(request, pk: int):
    version = _draft(request, pk)
    form = ScheduleForm(request.POST)
    ok = form.is_valid() and run_service(form, services.program_set_schedule, version=version, **form.cleaned_data)
    return _builder_response(request, version, ok=bool(ok), schedule_form=None if ok else form)


@require_POST
@physio_required
def builder_add(request, pk: int):
    version = _draft(request, pk)
    exercise_id = request.POST.get("exercise", "")
    if not exercise_id.isdigit():
        raise Http404("Choose an exercise from the library.")
    exercise = or_404(lambda: selectors.exercises_visible_to(request.user).get(pk=int(exercise_id)))
    return _builder_action(request, version, services.program_add_exercise, version=version, exercise=exercise)


@require_POST
@physio_required
def item_update(request, pk: int):
    item = _item(request, pk)
    form = ItemForm(request.POST, prefix=f"item-{item.pk}")
    ok = form.is_valid() and run_service(form, services.program_update_item, item=item, **form.cleaned_data)
    return _builder_response(request, item.version, ok=bool(ok), item_errors=None if ok else {item.pk: form})


@require_POST
@physio_required
def item_move(request, pk: int, direction: str):
    if direction not in ("up", "down"):
        raise Http404
    item = _item(request, pk)
    return _builder_action(request, item.version, services.program_move_item, item=item, direction=direction)


@require_POST
@physio_required
def item_swap(request, pk: int, direction: str):
    if direction not in ("easier", "harder"):
        raise Http404
    item = _item(request, pk)
    return _builder_action(request, item.version, services.program_swap_variant, item=item, direction=direction)


@require_POST
@physio_required
def item_remove(request, pk: int):
    item = _item(request, pk)
    return _builder_action(request, item.version, services.program_remove_item, item=item)


@require_POST
@physio_required
def builder_activate(request, pk: int):
    version = _draft(request, pk)
    form = ActivateForm(request.POST)
    if version.is_flare_up_plan:  # kept ready for a flare-up, never put in force as the program
        service, by, done = services.flare_plan_keep, {"by": request.user}, "The flare-up plan is kept ready"
    else:
        service, by = services.program_activate, {"activated_by": request.user}
        done = f"Version {version.number} of the program is now in force"
    activated = form.is_valid() and run_service(form, service, version=version, **by, **form.cleaned_data)
    if activated:
        messages.success(request, f"{done}.")
        target = reverse("programs:patient", kwargs={"patient_pk": version.program.patient_id})
        return HttpResponseClientRedirect(target) if request.htmx else redirect(target)
    return _builder_response(request, version, ok=False, activate_form=form)


@require_POST
@physio_required
def builder_discard(request, pk: int):
    version = _draft(request, pk)
    patient_pk = version.program.patient_id
    try:
        services.program_discard_draft(version=version)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("programs:patient", patient_pk=patient_pk)
    messages.success(request, "The draft is discarded.")
    return redirect("programs:patient", patient_pk=patient_pk)


@require_POST
@physio_required
def builder_save_template(request, pk: int):
    version = _draft(request, pk)
    form = TemplateForm(request.POST)
    template = form.is_valid() and run_service(
        form, services.template_create_from_version, version=version, created_by=request.user, **form.cleaned_data
    )
    if template:
        messages.success(request, f"Saved as the clinic template '{template.name}'.")
    return _builder_response(request, version, ok=bool(template), template_form=None if template else form)
