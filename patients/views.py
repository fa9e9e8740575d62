from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.module_loading import import_string
from django.views.decorators.http import require_POST

from rehab.forms import run_service
from rehab.models import User
from rehab.permissions import clinic_admin_required, patient_required, physio_required, staff_required
from rehab.services import user_forget_other_devices, user_log_out_everywhere

from . import rules, selectors, services
from .forms import (
    DischargeForm,
    MyDetailsForm,
    PatientFilterForm,
    PatientForm,
    ReassignForm,
    ReferralForm,
    ThresholdForm,
    ThresholdReviewForm,
)
from .models import DischargeReason, Patient

PAGE_SIZE = 25
THIS_DEVICE_MAX = 2048  # a push endpoint is a URL: longer than any the reminders app keeps


def _get_patient(request, pk: int) -> Patient:
    try:
        return selectors.patient_detail(user=request.user, pk=pk)
    except Patient.DoesNotExist as exc:
        raise Http404("No such patient.") from exc


@staff_required
def patient_list(request):
    clinic = request.user.clinic
    form = PatientFilterForm(request.GET or None, clinic=clinic)
    filters = {}
    if form.is_bound and form.is_valid():
        physio = form.cleaned_data["physiotherapist"]
        filters = {
            "search": form.cleaned_data["q"],
            "phase": form.cleaned_data["phase"],
            "physiotherapist_id": physio.pk if physio else None,
            "episodes": form.cleaned_data["episodes"] or selectors.ACTIVE,
        }
    patients = selectors.patient_list(user=request.user, **filters)
    page = Paginator(patients, PAGE_SIZE).get_page(request.GET.get("page"))
    today = clinic.local_today()
    rows = [(p, rules.condition_phase(p.onset_date, today)) for p in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "patients/list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query": query.urlencode(),
            "filtered": any(v not in ("", None, selectors.ACTIVE) for v in filters.values()),
            "discharged": filters.get("episodes") == selectors.DISCHARGED,
        },
    )


@physio_required
def patient_create(request):
    clinic = request.user.clinic
    form = PatientForm(request.POST or None, clinic=clinic, initial={"physiotherapist": request.user})
    if request.method == "POST" and form.is_valid():
        patient = run_service(
            form, services.patient_register, clinic=clinic, registered_by=request.user, **form.cleaned_data
        )
        if patient is not None:
            messages.success(
                request,
                f"{patient.full_name} is registered. We have emailed {patient.user.email} a link to set a password.",
            )
            return redirect("patients:detail", pk=patient.pk)
    return render(request, "patients/form.html", {"form": form, "title": "Register a patient"})


@physio_required
def patient_edit(request, pk: int):
    patient = _get_patient(request, pk)
    initial = {
        "first_name": patient.user.first_name,
        "last_name": patient.user.last_name,
        "email": patient.user.email,
        "date_of_birth": patient.date_of_birth,
        "onset_date": patient.onset_date,
        "condition": patient.condition,
        "physiotherapist": patient.physiotherapist,
        "phone": patient.phone.as_national if patient.phone else "",
    }
    form = PatientForm(request.POST or None, clinic=patient.clinic, initial=initial, editing=True)
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(form, services.patient_update, patient=patient, by=request.user, **form.cleaned_data)
        is not None
    ):
        messages.success(request, "The patient's details are saved.")
        return redirect("patients:detail", pk=patient.pk)
    return render(
        request, "patients/form.html", {"form": form, "title": f"Edit {patient.full_name}", "patient": patient}
    )


@staff_required
def patient_detail(request, pk: int):
    patient = _get_patient(request, pk)
    today = patient.clinic.local_today()
    episode = selectors.latest_episode(patient)
    # A discharged patient's threshold waits for a new course of care, which sets it afresh.
    review = selectors.threshold_review_for(patient=patient, today=today) if episode and episode.is_open else None
    context = {
        "review": review,
        "review_default": rules.default_threshold(review) if review else None,
        "review_form": ThresholdReviewForm(patient=patient, phase=review, initial={"phase": review})
        if review
        else None,
        "patient": patient,
        "today": today,
        "phase": rules.condition_phase(patient.onset_date, today),
        "threshold_words": rules.PAIN_WORDS[patient.pain_threshold],
        "history": selectors.threshold_history(patient=patient),
        "threshold_form": ThresholdForm(initial={"value": patient.pain_threshold}),
        "episode": episode,
        "threshold_notes": [
            import_string(path)(request=request, patient=patient) for path in settings.PATIENT_THRESHOLD_NOTES
        ],
        "panels": [import_string(path)(request=request, patient=patient) for path in settings.PATIENT_DETAIL_PANELS],
        "can_resend_link": services.can_resend_link(user=request.user, patient=patient),
    }
    return render(request, "patients/detail.html", context)


@require_POST
@staff_required
def resend_link(request, pk: int):
    """Send a patient who has not set a password a new link (the patient's physiotherapist or a clinic admin)."""
    patient = _get_patient(request, pk)
    if not services.can_resend_link(user=request.user, patient=patient):
        raise PermissionDenied
    try:
        services.patient_resend_set_password_link(patient=patient, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            f"A new link to set a password is on its way to {patient.user.email}. The links sent before no longer "
            "work.",
        )
    return redirect("patients:detail", pk=patient.pk)


@physio_required
def patient_discharge(request, pk: int):
    """End the patient's course of care (a flag's "stopped attending: discharge" lands here with the reason)."""
    patient = _get_patient(request, pk)
    episode = selectors.open_episode(patient)
    today = patient.clinic.local_today()
    reason = request.GET.get("reason", "")
    initial = {
        "discharged_on": today,
        "advice": rules.DEFAULT_SELF_MANAGEMENT_ADVICE,
        "reason": reason if reason in DischargeReason.values else None,
        "note": request.GET.get("note", "")[: rules.DISCHARGE_NOTE_MAX],
    }
    form = DischargeForm(request.POST or None, initial=initial)
    if request.method == "POST" and episode is not None and form.is_valid():
        done = run_service(form, services.episode_discharge, patient=patient, by=request.user, **form.cleaned_data)
        if done is not None:
            messages.success(
                request,
                f"{patient.full_name} is discharged ({done.get_discharge_reason_display().lower()}). Their program "
                "has ended and their open flags are closed; they can still log in and read their history.",
            )
            return redirect("patients:detail", pk=patient.pk)
    return render(
        request, "patients/discharge.html", {"patient": patient, "episode": episode, "form": form, "today": today}
    )


@physio_required
def patient_refer(request, pk: int):
    """A new referral of a discharged patient: a new course of care."""
    patient = _get_patient(request, pk)
    episode = selectors.open_episode(patient)
    today = patient.clinic.local_today()
    form = ReferralForm(request.POST or None, initial={"referral_date": today})
    if request.method == "POST" and episode is None and form.is_valid():
        opened = run_service(form, services.episode_open, patient=patient, by=request.user, **form.cleaned_data)
        if opened is not None:
            patient.refresh_from_db()
            messages.success(
                request,
                f"A new course of care is open for {patient.full_name}: the pain threshold starts at "
                f"{patient.pain_threshold}/5 for the {rules.condition_phase(patient.onset_date, today).label.lower()} "
                "phase. Build their program next.",
            )
            return redirect("patients:detail", pk=patient.pk)
    return render(request, "patients/referral.html", {"patient": patient, "episode": episode, "form": form})


@physio_required
def patient_threshold(request, pk: int):
    patient = _get_patient(request, pk)
    form = ThresholdForm(request.POST or None, initial={"value": patient.pain_threshold})
    if request.method == "POST" and form.is_valid():
        change = run_service(
            form,
            services.patient_change_threshold,
            patient=patient,
            changed_by=request.user,
            value=form.cleaned_data["value"],
            reason=form.cleaned_data["reason"],
        )
        if change is not None:
            messages.success(request, f"The pain threshold is now {change.value} ({rules.PAIN_WORDS[change.value]}).")
            return redirect("patients:detail", pk=patient.pk)
    return render(request, "patients/threshold_form.html", {"form": form, "patient": patient})


@require_POST
@physio_required
def threshold_review(request, pk: int):
    """The decision asked for when the patient's phase changed: apply the new default, or keep the threshold."""
    patient = _get_patient(request, pk)
    form = ThresholdReviewForm(request.POST)
    if form.is_valid():
        change = run_service(
            form,
            services.patient_review_threshold,
            patient=patient,
            by=request.user,
            apply=form.cleaned_data["decision"] == "apply",
            phase=form.cleaned_data["phase"],
            reason=form.cleaned_data["reason"],
        )
        if change is not None:
            kept = change.value == change.previous_value
            what = f"kept at {change.value}/5" if kept else f"now {change.value}/5"
            messages.success(request, f"{patient.full_name}: threshold {what}, recorded in its history.")
            target = request.POST.get("next") or ""
            if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                return redirect(target)
            return redirect("patients:detail", pk=patient.pk)
    phase = rules.Phase(form.data.get("phase")) if form.data.get("phase") in rules.PHASE_VALUES else patient.phase()
    return render(
        request,
        "patients/threshold_review.html",
        {"form": ThresholdReviewForm(request.POST, patient=patient, phase=phase), "patient": patient, "review": phase},
    )


@require_POST
@clinic_admin_required
def reassign_all(request, physio_pk: int):
    """Give every patient of one physiotherapist to another (a departing or deactivated one, usually)."""
    clinic = request.user.clinic
    try:
        departing = selectors.clinic_physio(user=request.user, pk=physio_pk)
    except User.DoesNotExist as exc:
        raise Http404("No such physiotherapist in your clinic.") from exc
    form = ReassignForm(request.POST, clinic=clinic)
    if form.is_valid():
        try:
            moved = services.patients_reassign_all(
                from_physio=departing, to_physio=form.cleaned_data["physiotherapist"], by=request.user
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            target = form.cleaned_data["physiotherapist"].get_full_name()
            messages.success(request, f"{moved} patient{'s' if moved != 1 else ''} moved to {target}.")
    else:
        messages.error(request, "Not reassigned: " + " ".join(e for errs in form.errors.values() for e in errs))
    return redirect("staff_list")


AUDIT_PAGE_SIZE = 50


@clinic_admin_required
def audit_trail(request, pk: int):
    """Who looked at or changed this patient's data. Read-only: nobody can edit the trail."""
    patient = _get_patient(request, pk)
    events = selectors.audit_events(user=request.user, patient=patient)
    page = Paginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "patients/audit.html", {"patient": patient, "page": page})


def _me(request) -> Patient:
    patient = selectors.own_patient(request.user)
    if patient is None:
        raise Http404("No patient record for this account.")
    return patient


def _my_details_page(request, patient: Patient, *, form=None, password_form=None, status: int = 200):
    """ "My details": the patient's phone number, password, devices, and what higher apps add (their calendar link:
    settings.PATIENT_MY_DETAILS_PANELS)."""
    if form is None:
        initial = {"phone": patient.phone.as_national if patient.phone else ""}
        form = MyDetailsForm(clinic=patient.clinic, initial=initial)
    return render(
        request,
        "patients/my_details.html",
        {
            "form": form,
            "password_form": password_form or PasswordChangeForm(request.user),
            "patient": patient,
            "panels": [
                import_string(path)(request=request, patient=patient) for path in settings.PATIENT_MY_DETAILS_PANELS
            ],
        },
        status=status,
    )


@patient_required
def my_details(request):
    """A patient's own details, changed by themselves."""
    patient = _me(request)
    if request.method != "POST":
        return _my_details_page(request, patient)
    form = MyDetailsForm(request.POST, clinic=patient.clinic)
    if form.is_valid():
        saved = run_service(form, services.patient_set_phone, patient=patient, phone=form.cleaned_data["phone"])
        if saved is not None:
            messages.success(request, "Your details are saved.")
            return redirect("patients:my_details")
    return _my_details_page(request, patient, form=form)


@require_POST
@patient_required
def my_password(request):
    """The patient changes their password (Django's PasswordChangeForm: the old one, the new one twice). This session
    stays signed in; every other one ends, as a new password always ends them."""
    patient = _me(request)
    form = PasswordChangeForm(request.user, request.POST)
    if not form.is_valid():
        return _my_details_page(request, patient, password_form=form)
    with transaction.atomic():  # the new password and what stops reaching the other devices, together
        user = form.save()
        user_forget_other_devices(user=user, keep_endpoint=_this_device(request))
    update_session_auth_hash(request, user)
    messages.success(
        request, "Your password is changed. You are still logged in here; on your other devices, log in again."
    )
    return redirect(reverse("patients:my_details") + "#password")


def _this_device(request) -> str:
    """The push endpoint of the browser a form was sent from (filled in by static/js/push-subscribe.js), if any."""
    return request.POST.get("keep_endpoint", "")[:THIS_DEVICE_MAX]


@require_POST
@patient_required
def my_devices_log_out(request):
    """ "Log out on all devices": every session of the account ends but this one (rehab.services)."""
    _me(request)
    user = user_log_out_everywhere(user=request.user, keep_endpoint=_this_device(request))
    update_session_auth_hash(request, user)
    messages.success(
        request,
        "You are logged out on every other device, and they no longer show your reminders. You are still logged in "
        "here.",
    )
    return redirect(reverse("patients:my_details") + "#devices")
