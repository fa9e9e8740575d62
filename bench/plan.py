"""Who requests what in the page benchmarks: the same rules at every size, so that sizes compare.

Clinics are taken evenly across the network (--clinics of them). In each: its first clinic admin (flag queue
and the floor), its physiotherapist with the biggest caseload (dashboard), the patient with the most
check-ins, seen by their physiotherapist (patient detail: a year of reports), and a few patients with a
program in force who check in (the POST). Needs a Django-configured process (bench.common.configure).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

# Each page, then its own floor (bench/floors/: the same rows by hand-written SQL, the HTML by string building).
PAGES = [
    "floor",
    "flag_queue",
    "flag_queue_floor",
    "dashboard",
    "dashboard_floor",
    "patient_detail",
    "patient_detail_floor",
    "outcomes",
    "outcomes_floor",
    "checkin",
    "checkin_floor",
]
LABELS = {
    "floor": "Trivial view, same stack",
    "flag_queue": "Admin's flag queue (one row per patient)",
    "flag_queue_floor": "Its floor",
    "dashboard": "Physiotherapist's dashboard",
    "dashboard_floor": "Its floor",
    "patient_detail": "Patient detail (a year of reports)",
    "patient_detail_floor": "Its floor",
    "outcomes": "Clinic outcomes",
    "outcomes_floor": "Its floor",
    "checkin": "Check-in POST",
    "checkin_floor": "Its floor",
}
FLOOR_OF = {page: f"{page}_floor" for page in PAGES if f"{page}_floor" in PAGES}


@dataclass
class Request:
    page: str
    user_id: int
    method: str
    path: str
    form: dict = field(default_factory=dict)  # POST fields, without the idempotency key and CSRF token


@dataclass
class Plan:
    requests: dict[str, list[Request]]
    clinics: int
    detail_reports: list[int]  # reports of each patient-detail patient

    def users(self) -> set[int]:
        return {r.user_id for requests in self.requests.values() for r in requests}


def _local_today(time_zone: str, now: datetime):
    return now.astimezone(ZoneInfo(time_zone)).date()


def make_plan(clinics: int = 20, checkins_per_clinic: int = 5) -> Plan:
    from django.db.models import Count, Min
    from django.urls import reverse
    from django.utils import timezone

    from checkins.models import CheckIn as SessionReport
    from patients.models import Patient, Pause
    from programs.models import Program, ProgramVersion
    from rehab.models import Clinic, User

    now = timezone.now()
    all_clinics = list(Clinic.objects.order_by("id").values_list("id", "time_zone"))
    step = max(1, len(all_clinics) // clinics)
    chosen = all_clinics[::step][:clinics]
    requests: dict[str, list[Request]] = {page: [] for page in PAGES}
    detail_reports = []
    for clinic_id, time_zone in chosen:
        admin = User.objects.filter(clinic_id=clinic_id, role=User.Role.CLINIC_ADMIN).order_by("id").first()
        requests["floor"].append(Request("floor", admin.pk, "GET", reverse("bench_floor")))
        requests["flag_queue"].append(Request("flag_queue", admin.pk, "GET", reverse("flags:queue")))
        requests["flag_queue_floor"].append(Request("flag_queue_floor", admin.pk, "GET", reverse("bench_queue")))
        requests["outcomes"].append(Request("outcomes", admin.pk, "GET", reverse("outcomes:clinic")))
        requests["outcomes_floor"].append(Request("outcomes_floor", admin.pk, "GET", reverse("bench_outcomes")))
        physio = (
            User.objects.filter(clinic_id=clinic_id, role=User.Role.PHYSIO)
            .annotate(n=Count("caseload"))
            .order_by("-n", "id")
            .first()
        )
        requests["dashboard"].append(Request("dashboard", physio.pk, "GET", reverse("flags:dashboard")))
        requests["dashboard_floor"].append(Request("dashboard_floor", physio.pk, "GET", reverse("bench_dashboard")))
        busiest = (
            SessionReport.objects.filter(patient__clinic_id=clinic_id)
            .values("patient_id")
            .annotate(n=Count("id"), first=Min("session_date"))
            .order_by("-n", "patient_id")
            .first()
        )
        patient = Patient.objects.get(pk=busiest["patient_id"])
        detail_reports.append(busiest["n"])
        requests["patient_detail"].append(
            Request("patient_detail", patient.physiotherapist_id, "GET", reverse("patients:detail", args=[patient.pk]))
        )
        requests["patient_detail_floor"].append(
            Request(
                "patient_detail_floor", patient.physiotherapist_id, "GET", reverse("bench_patient", args=[patient.pk])
            )
        )
        # Check-ins: patients whose program is in force today, who are not paused, in a clinic whose day does
        # not end during the benchmark (the form only takes today's date, and then only until midnight).
        local_now = now.astimezone(ZoneInfo(time_zone))
        if (local_now + timedelta(minutes=45)).date() != local_now.date():
            continue
        today = local_now.date()
        paused = Pause.objects.filter(starts_on__lte=today, ends_on__gte=today).values("patient_id")
        versions = (
            ProgramVersion.objects.filter(
                status=ProgramVersion.Status.ACTIVE,
                program__status=Program.Status.ACTIVE,
                program__patient__clinic_id=clinic_id,
                start_date__lte=today - timedelta(days=7),
            )
            .exclude(program__patient_id__in=paused)
            .select_related("program")
            .order_by("program__patient_id")[:checkins_per_clinic]
        )
        for version in versions:
            patient_user = User.objects.get(patient__pk=version.program.patient_id)
            form = {
                "version": str(version.pk),
                "session_date": today.isoformat(),
                **{f"exercise_{item_id}": "done" for item_id in version.items.values_list("pk", flat=True)},
                "max_pain": "1",
                "pain_now": "0",
                "sharp_pain": "no",
                "symptoms": "none",
                "note": "Benchmark session.",
            }
            requests["checkin"].append(Request("checkin", patient_user.pk, "POST", reverse("checkins:create"), form))
            requests["checkin_floor"].append(
                Request("checkin_floor", patient_user.pk, "POST", reverse("bench_checkin"), form)
            )
    return Plan(requests=requests, clinics=len(chosen), detail_reports=detail_reports)


def create_sessions(user_ids: set[int]) -> dict[int, str]:
    """A logged-in session per user, made server-side the way django.contrib.auth.login stores it."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from rehab.models import User

    keys = {}
    for user in User.objects.filter(pk__in=user_ids):
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        keys[user.pk] = session.session_key
    return keys


def delete_sessions(keys: dict[int, str]) -> None:
    from django.contrib.sessions.models import Session

    Session.objects.filter(session_key__in=list(keys.values())).delete()


def csrf_secret() -> str:
    from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
    from django.utils.crypto import get_random_string

    return get_random_string(CSRF_SECRET_LENGTH, CSRF_ALLOWED_CHARS)


def form_body(form: dict, *, idempotency_key: str, csrf_token: str) -> str:
    return urlencode({**form, "idempotency_key": idempotency_key, "csrfmiddlewaretoken": csrf_token})
