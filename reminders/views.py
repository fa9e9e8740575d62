import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from patients.selectors import own_patient
from rehab.audit import mark_refused
from rehab.forms import run_service
from rehab.permissions import patient_required

from . import links, panels, rules, services
from .forms import PushSubscriptionForm, PushUnsubscribeForm, ReminderSettingsForm
from .models import ReminderSent


def _patient(request):
    patient = own_patient(request.user)
    if patient is None:
        raise Http404("No patient record for this account.")
    return patient


@require_POST
@patient_required
def reminder_settings(request):
    """Saved from My details; a form with a mistake comes back on a page of its own, its message beside the field."""
    patient = _patient(request)
    form = ReminderSettingsForm(request.POST, clinic=patient.clinic)
    if form.is_valid() and run_service(form, services.reminder_settings_save, patient=patient, **form.cleaned_data):
        messages.success(request, "Your reminders are saved.")
        return redirect("patients:my_details")
    section = panels.my_reminders(request=request, patient=patient, form=form)
    return render(request, "reminders/settings.html", {"section": section})


def _subscription_data(request) -> dict:
    """A PushSubscription's JSON as the browser gives it ({endpoint, keys: {p256dh, auth}}), flattened; or the same
    three as form fields."""
    if request.content_type != "application/json":
        return {name: request.POST.get(name) for name in ("endpoint", "p256dh", "auth")}
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    if not isinstance(body, dict):
        return {}
    keys = body.get("keys") if isinstance(body.get("keys"), dict) else {}
    return {"endpoint": body.get("endpoint"), "p256dh": keys.get("p256dh"), "auth": keys.get("auth")}


def _refused(message: str, status: int = 400) -> JsonResponse:
    return mark_refused(JsonResponse({"error": message}, status=status))


@require_POST
@patient_required
def push_subscription(request):
    """A browser of the signed-in patient's turns notifications on: its subscription is theirs, whatever it says."""
    patient = _patient(request)
    form = PushSubscriptionForm(_subscription_data(request))
    if not form.is_valid():
        return _refused("This browser's subscription could not be read; nothing was saved.")
    try:
        created = services.push_subscription_save(patient=patient, **form.cleaned_data)
    except ValidationError as error:
        return _refused(" ".join(error.messages), status=409)
    return JsonResponse({"saved": True, "new": created})


@require_POST
@patient_required
def push_unsubscription(request):
    patient = _patient(request)
    form = PushUnsubscribeForm(_subscription_data(request))
    if not form.is_valid():
        return _refused("This browser's subscription could not be read; nothing was changed.")
    services.push_subscription_delete(patient=patient, endpoint=form.cleaned_data["endpoint"])
    return JsonResponse({"saved": True})


def _not_working(request):
    return render(request, "reminders/stop_not_working.html", status=404)


@csrf_exempt  # the signed link is the credential: mail services post to it without a session (RFC 8058 one-click)
@require_http_methods(["GET", "POST"])
def stop(request, token: str):
    """A reminder's stop link. Opening it asks (links in e-mails are opened by scanners too); the button, or a mail
    service's one-click POST, stops that kind of reminder. Once: a used, forged or stale link changes nothing."""
    link = links.read_stop_token(token)
    if link is None:
        return _not_working(request)
    used = not ReminderSent.objects.filter(
        pk=link.reminder_id, patient_id=link.patient_id, kind=link.kind, stopped_at__isnull=True
    ).exists()
    if used:
        return _not_working(request)
    texts = rules.TEXTS[link.kind]
    if request.method == "POST":
        if not services.reminder_stop(link=link):
            return _not_working(request)
        return render(request, "reminders/stopped.html", {"texts": texts})
    return render(request, "reminders/stop.html", {"texts": texts})
