"""Which outcome pages are audited, and how each finds its patient."""

from patients.models import Episode
from rehab import audit

from .models import Questionnaire

LABELS = {  # names of pages and actions: the trail's own column says whether they were viewed or changed
    "outcomes:questionnaire": "Questionnaire",
    "outcomes:summary": "Course of care summary",
}


def register() -> None:
    audit.LABELS.update(LABELS)
    audit.register("outcomes:questionnaire", patient_of=audit.patient_via(Questionnaire))
    audit.register("outcomes:summary", patient_of=audit.patient_via(Episode))
