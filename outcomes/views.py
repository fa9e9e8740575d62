"""The patient's questionnaire (one question per request, so that it works on any phone without JavaScript), the
summary of a course of care, the clinic's outcomes with their CSV export, and the clinic's choice of measures."""

import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from patients.models import DischargeReason, Episode
from rehab.forms import run_service
from rehab.models import User
from rehab.permissions import clinic_admin_required, patient_required, role_required

from . import rules, selectors, services
from .forms import PeriodForm, ScheduleForm
from .models import Questionnaire, QuestionnaireStatus

# --- The patient's questionnaire ---------------------------------------------------------------------------------


def _steps(questionnaire: Questionnaire) -> list[tuple]:
    """Every question of the questionnaire in order, as (measurement, question, step id), as its answers stand."""
    steps = []
    for measurement in questionnaire.measurements.all():
        for question in selectors.questions_of(measurement, episode_id=questionnaire.episode_id):
            steps.append((measurement, question, f"{measurement.pk}:{question.key}"))
    return steps


def _unanswered(measurement, question) -> bool:
    return question.key not in measurement.answers


def _value(request, question):
    """The answer the form sent, as the service takes it: a choice's value (None: no answer or skipped), or names."""
    if question.names:
        return request.POST.getlist("names")
    if "skip" in request.POST:
        return None
    raw = request.POST.get("answer", "").strip()
    try:
        return int(raw) if raw else None
    except ValueError:
        return "not an answer"  # refused by the service with the patient's words


@patient_required
def questionnaire(request, pk: int):
    try:
        questionnaire = selectors.own_questionnaire(user=request.user, pk=pk)
    except Questionnaire.DoesNotExist as exc:
        raise Http404("No such questionnaire.") from exc
    here = reverse("outcomes:questionnaire", args=[questionnaire.pk])
    if request.method == "POST" and "send" in request.POST:
        try:
            services.questionnaire_send(questionnaire=questionnaire)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect(here)
    if questionnaire.status != QuestionnaireStatus.DUE:
        return render(request, "outcomes/questionnaire_done.html", {"questionnaire": questionnaire})
    steps = _steps(questionnaire)
    wanted = request.POST.get("step") or request.GET.get("step")
    index = next((i for i, step in enumerate(steps) if step[2] == wanted), None)
    if index is None:
        index = next((i for i, (m, q, _id) in enumerate(steps) if _unanswered(m, q)), None)
    if index is None:
        return render(request, "outcomes/questionnaire_review.html", {"questionnaire": questionnaire, "steps": steps})
    measurement, question, step = steps[index]
    error = ""
    if request.method == "POST":
        try:
            services.questionnaire_answer(
                questionnaire=questionnaire,
                measurement_id=measurement.pk,
                key=question.key,
                value=_value(request, question),
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
            if not hasattr(exc, "error_dict"):  # not about the answer: the questionnaire itself is closed
                messages.error(request, error)
                return redirect(here)
        else:
            return redirect(here)
    value = measurement.answers.get(question.key)
    if request.method == "POST" and not question.names:
        value = request.POST.get("answer", "")
    names = list(value or []) if question.names else []
    return render(
        request,
        "outcomes/questionnaire.html",
        {
            "questionnaire": questionnaire,
            "measurement": measurement,
            "question": question,
            "step": step,
            "number": index + 1,
            "total": len(steps),
            "previous": steps[index - 1][2] if index else None,
            "first_of_measure": index == 0 or steps[index - 1][0].pk != measurement.pk,
            "value": "" if value is None else str(value),
            "names": names + [""] * (question.names - len(names)),
            "error": error,
        },
        status=200,
    )


# --- A course of care's summary ----------------------------------------------------------------------------------


@role_required(User.Role.PHYSIO, User.Role.CLINIC_ADMIN, User.Role.PATIENT)
def episode_summary(request, pk: int):
    try:
        context = selectors.episode_summary(user=request.user, pk=pk)
    except Episode.DoesNotExist as exc:
        raise Http404("No such course of care.") from exc
    return render(request, "outcomes/summary.html", {**context, "Status": rules.Status})


# --- The clinic's outcomes ---------------------------------------------------------------------------------------


def _outcomes(request):
    form = PeriodForm(request.GET, clinic=request.user.clinic)
    period = form.period()
    return form, period, selectors.clinic_outcomes(user=request.user, **period)


@clinic_admin_required
def clinic_outcomes(request):
    form, period, outcomes = _outcomes(request)
    return render(
        request,
        "outcomes/clinic.html",
        {
            "form": form,
            "period": period,
            "reasons": DischargeReason.choices,
            "query": request.GET.urlencode(),
            **outcomes,
        },
    )


def csv_rows(outcomes: dict, *, reasons) -> list[list]:
    """The clinic's outcomes as rows of a spreadsheet: a header, then the clinic and each physiotherapist."""
    header = ["Physiotherapist", "Courses of care discharged", *[f"Discharged: {label}" for _v, label in reasons]]
    for _key, name in outcomes["measures"]:
        header += [f"{name}: courses with a change", f"{name}: median change", f"{name}: % reaching the MCID"]
    header += ["Median adherence (%)", "Flags per course of care"]
    rows = [header]
    for group in outcomes["groups"]:
        row = [group.name, group.episodes, *[group.by_reason[value] for value, _label in reasons]]
        for key, _name in outcomes["measures"]:
            figures = group.measures.get(key)
            row += [figures.count, figures.median_improvement, figures.share_reached] if figures else [0, "", ""]
        row += [
            "" if group.median_adherence is None else group.median_adherence,
            "" if group.flags_per_episode is None else group.flags_per_episode,
        ]
        rows.append(["" if value is None else value for value in row])
    return rows


@clinic_admin_required
def clinic_outcomes_csv(request):
    _form, period, outcomes = _outcomes(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="outcomes-{period["start"]:%Y-%m-%d}-to-{period["end"]:%Y-%m-%d}.csv"'
    )
    writer = csv.writer(response)
    for row in csv_rows(outcomes, reasons=DischargeReason.choices):
        # A cell a spreadsheet would run as a formula is written as text (names come from staff accounts).
        writer.writerow(f"'{v}" if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v for v in row)
    return response


# --- The clinic's choice of measures -----------------------------------------------------------------------------


@clinic_admin_required
def schedule(request):
    clinic = request.user.clinic
    instruments = selectors.instruments_for([clinic.pk])[clinic.pk]
    current = selectors.schedule_for(clinic.pk)
    form = ScheduleForm(request.POST or None, instruments=instruments, schedule=current)
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(
            form,
            services.schedule_update,
            clinic=clinic,
            by=request.user,
            follow_up_weeks=form.cleaned_data["follow_up_weeks"],
            measures=form.measures(),
        )
        is not None
    ):
        messages.success(request, "The clinic's outcome measures are saved: they apply to questionnaires due from now.")
        return redirect("outcomes:schedule")
    return render(request, "outcomes/schedule.html", {"form": form, "schedule": current})
