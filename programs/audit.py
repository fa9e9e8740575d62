"""Which programs pages are audited, and how each finds its patient."""

from patients.models import Pause
from patients.selectors import own_patient
from rehab import audit

from .models import CalendarFeed, FlareUp, Program, ProgramExercise, ProgramVersion

LABELS = {  # names of pages and actions: the trail's own column says whether they were viewed or changed
    "programs:patient": "Exercise program page",
    "programs:new": "New program",
    "programs:pause": "Program pause",
    "programs:version": "Program version",
    "programs:handout": "Printable handout",
    "programs:builder": "Program builder",
    "programs:builder_schedule": "Builder: schedule",
    "programs:builder_add": "Builder: exercise added",
    "programs:builder_activate": "Builder: program put in force",
    "programs:builder_discard": "Builder: draft discarded",
    "programs:builder_template": "Builder: saved as a clinic template",
    "programs:item_update": "Builder: an exercise's dose",
    "programs:item_move": "Builder: exercise order",
    "programs:item_swap": "Builder: easier or harder variant",
    "programs:item_remove": "Builder: exercise removed",
    "programs:revise": "Program revision",
    "programs:pause_resume": "Pause ended early",
    "programs:flare_plan_new": "Flare-up plan prepared",
    "programs:flare_up_end": "Flare-up ended by the physiotherapist",
    "programs:calendar_feed": "Calendar feed",
    "programs:calendar_reset": "Calendar link made or reset by the patient",
}


def _own_patient(*, request, **_):
    patient = own_patient(request.user)
    return patient.pk if patient is not None else None


def _feed_patient(*, object_id, **_):
    return CalendarFeed.objects.filter(token=object_id).values_list("patient_id", flat=True).first()


def register() -> None:
    audit.LABELS.update(LABELS)
    for name in ("programs:patient", "programs:new", "programs:pause"):
        audit.register(name, object_kwarg="patient_pk", patient_of=audit.patient_in_url, object_is_patient=True)
    for name in (
        "programs:version",
        "programs:handout",
        "programs:builder",
        "programs:builder_schedule",
        "programs:builder_add",
        "programs:builder_activate",
        "programs:builder_discard",
        "programs:builder_template",
    ):
        audit.register(name, patient_of=audit.patient_via(ProgramVersion, "program__patient_id"))
    for name in ("programs:item_update", "programs:item_move", "programs:item_swap", "programs:item_remove"):
        audit.register(name, patient_of=audit.patient_via(ProgramExercise, "version__program__patient_id"))
    audit.register("programs:revise", patient_of=audit.patient_via(Program))
    audit.register("programs:flare_plan_new", patient_of=audit.patient_via(Program))
    audit.register("programs:flare_up_end", patient_of=audit.patient_via(FlareUp))
    audit.register("programs:pause_resume", patient_of=audit.patient_via(Pause))
    # The feed is fetched by calendars with no session: only a signed-in user's request to it is recorded.
    audit.register("programs:calendar_feed", object_kwarg="token", patient_of=_feed_patient, object_is_patient=True)
    audit.register("programs:calendar_reset", object_kwarg=None, patient_of=_own_patient)
