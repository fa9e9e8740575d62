"""The physiotherapist's side of flare-ups (docs/clinical-rules.md, rule 18): start a flare-up plan for the program in
force (finished and kept ready in the builder), and end a patient's flare-up early. The patient's side is on Today
(checkins.views)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from rehab.permissions import physio_required

from .. import selectors, services
from .common import open_prepared, or_404


@require_POST
@physio_required
def flare_plan_new(request, pk: int):
    program = or_404(lambda: selectors.programs_visible_to(request.user).get(pk=pk))
    return open_prepared(
        request,
        services.flare_plan_prepare,
        program=program,
        created_by=request.user,
        done="A flare-up plan is prepared from the program in force, made easier: check it, then keep it ready.",
        back=reverse("programs:patient", kwargs={"patient_pk": program.patient_id}),
    )


@require_POST
@physio_required
def flare_up_end(request, pk: int):
    flare_up = or_404(lambda: selectors.flare_ups_visible_to(request.user).get(pk=pk))
    try:
        services.flare_up_end(flare_up=flare_up, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "The flare-up is ended: the usual program is back from today.")
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(reverse("programs:patient", kwargs={"patient_pk": flare_up.patient_id}))
