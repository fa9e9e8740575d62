"""Load the demo clinic: an admin, two physiotherapists and eight patients. Safe to run again."""

import uuid
from datetime import date, datetime, time, timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from checkins import services as checkin_services
from checkins.models import CheckIn, ExerciseResult
from flags import services as flag_services
from flags.models import Flag
from outcomes import services as outcome_services
from outcomes.models import Questionnaire
from patients import services as patient_services
from patients.models import Episode, Patient, ThresholdChange
from programs import services as program_services
from programs.models import Exercise, ExerciseMedia, Program, ProgramTemplate, ProgramVersion
from rehab.models import AuditEvent, Clinic, User
from rehab.services import audit_record, user_create
from reminders import rules as reminder_rules
from reminders import services as reminder_services

from ...data import (
    ACTIVITIES,
    CLINIC_NAME,
    CLINIC_PHOTO_OF,
    DEMO_PASSWORD,
    HISTORIES,
    OUTCOMES,
    PATIENTS,
    PROGRAM,
    STAFF,
    clinic_photo,
)


class Command(BaseCommand):
    help = "Create the demo clinic with its staff and patients (nothing is duplicated on a second run)."

    @transaction.atomic
    def handle(self, *args, **options):
        clinic, _ = Clinic.objects.get_or_create(
            name=CLINIC_NAME,
            defaults={"time_zone": "Europe/London", "phone": "020 7946 0321"},  # a number reserved for fiction
        )
        staff = {}
        for email, first, last, role in STAFF:
            user = User.objects.filter(email=email).first() or user_create(
                clinic=clinic, role=role, email=email, first_name=first, last_name=last, password=DEMO_PASSWORD
            )
            staff[email] = user
        today = clinic.local_today()
        created = 0
        patients = {}
        for index, (email, first, last, days, age, condition, physio_email) in enumerate(PATIENTS):
            if User.objects.filter(email=email).exists():
                continue
            born = date(today.year - age, 1 + (index * 5) % 12, 1 + (index * 11) % 28)  # birthdays spread out
            patient = patient_services.patient_register(
                clinic=clinic,
                registered_by=staff[physio_email],
                first_name=first,
                last_name=last,
                email=email,
                date_of_birth=born,
                onset_date=today - timedelta(days=days),
                condition=condition,
                physiotherapist=staff[physio_email],
                password=DEMO_PASSWORD,  # the published one: no set-password e-mail
            )
            created += 1
            patients[email] = patient
        programs = self._programs(clinic, staff)
        self._clinic_photo(clinic, staff["alex.morgan@riverside.example"])
        self._safety_examples(clinic, patients)
        self._outcomes(clinic, staff, new=set(patients))
        self._progress_examples(clinic)
        self._every_reason(clinic)
        self._clinic_template(clinic)
        self._audit_history(clinic)
        self._reminders(patients)
        if created or programs:
            self.stdout.write(f"Demo clinic '{clinic.name}': {created} patients and {programs} programs loaded.")
        else:
            self.stdout.write(f"Demo clinic '{clinic.name}': already loaded, nothing added.")
        if options["verbosity"] >= 1:
            self.stdout.write(logins())

    def _reminders(self, patients) -> None:
        """Reminders on for the newly registered demo patients, by e-mail (kept in var/mail) and by notification in
        any browser they turn them on in; Maria Lopez at 07:30, the others at the clinic's 18:00."""
        for email, patient in patients.items():
            reminder_services.reminder_settings_save(
                patient=patient,
                time=time(7, 30) if email == "maria.lopez@example.com" else reminder_rules.DEFAULT_TIME,
                sessions=True,
                nudges=True,
                email=True,
                push=True,
            )

    def _clinic_photo(self, clinic, physio) -> None:
        from django.core.files.uploadedfile import SimpleUploadedFile

        exercise = Exercise.objects.get(clinic=None, key=CLINIC_PHOTO_OF)
        if not ExerciseMedia.objects.filter(clinic=clinic, exercise=exercise).exists():
            upload = SimpleUploadedFile("glute-bridge.png", clinic_photo(), content_type="image/png")
            program_services.exercise_media_attach(clinic=clinic, exercise=exercise, upload=upload, uploaded_by=physio)

    def _safety_examples(self, clinic, patients) -> None:
        """For newly registered demo patients: a phone number, a calendar link, a threshold review waiting for the
        physiotherapist, and a symptom report sent without a session."""
        if "maria.lopez@example.com" in patients:
            patient_services.patient_set_phone(patient=patients["maria.lopez@example.com"], phone="020 7946 0958")
            program_services.calendar_feed_reset(patient=patients["maria.lopez@example.com"])
        if "peter.novak@example.com" in patients:
            patient_services.patient_set_phone(patient=patients["peter.novak@example.com"], phone="020 7946 0417")
        aisha = patients.get("aisha.khan@example.com")
        if aisha is not None:
            # Registered three weeks ago while still acute (threshold 2/5); subacute since: a review is due.
            ThresholdChange.objects.filter(patient=aisha).update(
                phase="acute", value=2, changed_at=timezone.now() - timedelta(days=21)
            )
            Patient.objects.filter(pk=aisha.pk).update(pain_threshold=2)
        peter = patients.get("peter.novak@example.com")
        if peter is not None:
            report, _ = checkin_services.symptom_report_create(
                patient=peter,
                idempotency_key=uuid.uuid5(uuid.NAMESPACE_URL, "demo-symptom-report-peter"),
                sharp_pain=True,
                note="A sharp twinge in my lower back lifting the shopping this morning; easier now.",
            )
            flag_services.symptom_report_evaluate(report_id=report.pk)

    def _progress_examples(self, clinic) -> None:
        """Progress and flare-ups: Grace Lee ready to progress on Alex Morgan's dashboard, a flare-up plan kept ready
        for Lena Schmidt (she can tap "I'm having a flare-up"), and Tom Becker in a flare-up now. Nothing twice."""
        grace = Patient.objects.select_related("physiotherapist", "clinic").get(user__email="grace.lee@example.com")
        if not grace.programs.exists():
            self._steady_program(clinic, grace)
        for email, now in (("lena.schmidt@example.com", False), ("tom.becker@example.com", True)):
            patient = Patient.objects.select_related("physiotherapist", "clinic").get(user__email=email)
            program = patient.programs.filter(status=Program.Status.ACTIVE).first()
            if program is None or program.versions.exclude(kind=ProgramVersion.Kind.PROGRAM).exists():
                continue
            draft = program_services.flare_plan_prepare(program=program, created_by=patient.physiotherapist)
            program_services.flare_plan_keep(version=draft, by=patient.physiotherapist)
            if now:
                flare_up, _ = program_services.flare_up_start(patient=patient)
                flag_services.flare_up_flag(flare_up_id=flare_up.pk)

    def _every_reason(self, clinic) -> None:
        """Flags of the reasons the programs' check-ins do not raise: warning symptoms (Omar Haddad, between sessions)
        and a new symptom (Lena Schmidt's note); the outcome questionnaires raise Omar's "outcome worse". Two open flags
        are past their acknowledgement deadline (raised yesterday evening, not acknowledged since). Nothing twice."""
        reports = (
            ("omar.haddad@example.com", "demo-warning-omar", {"leg_weakness": True}, "Both legs feel weak on stairs."),
            ("lena.schmidt@example.com", "demo-new-symptom-lena", {}, "A tingling down my left thigh since Sunday."),
        )
        for email, key, symptoms, note in reports:
            patient = Patient.objects.get(user__email=email)
            report, created = checkin_services.symptom_report_create(
                patient=patient, idempotency_key=uuid.uuid5(uuid.NAMESPACE_URL, key), note=note, **symptoms
            )
            if created:
                flag_services.symptom_report_evaluate(report_id=report.pk)
                # Raised yesterday evening, and nobody has acknowledged it since.
                earlier = timezone.now() - timedelta(hours=20)
                Flag.objects.filter(events__symptom_report=report).update(
                    opened_at=earlier, ack_due_at=earlier + timedelta(hours=1)
                )

    def _clinic_template(self, clinic) -> None:
        """The clinic's own template, made from Maria Lopez's first program: a starting point for a new program."""
        if ProgramTemplate.objects.filter(clinic=clinic).exists():
            return
        version = ProgramVersion.objects.filter(
            program__patient__user__email="maria.lopez@example.com", status=ProgramVersion.Status.ACTIVE
        ).first()
        if version is not None:
            program_services.template_create_from_version(
                version=version,
                created_by=User.objects.get(email="alex.morgan@riverside.example"),
                name="Early-stage back strength",
                description="Core, adductors, abductors and side muscles, three days a week: for a first program.",
            )

    def _steady_program(self, clinic, patient) -> None:
        """Three weeks and a half on Monday, Wednesday and Friday sessions, every one within the threshold."""
        today, tz, now = clinic.local_today(), clinic.tzinfo, timezone.now()
        start = today - timedelta(days=24)
        physio = patient.physiotherapist
        program = program_services.program_create(
            patient=patient, created_by=physio, title="Hip mobility and core", start_date=today, weekdays=[0, 2, 4]
        )
        version = program.versions.get()
        exercises = {e.key: e for e in Exercise.objects.filter(clinic=None, key__in=PROGRAM)}
        for key in PROGRAM[:4]:
            program_services.program_add_exercise(version=version, exercise=exercises[key])
        program_services.program_activate(version=version, activated_by=physio, change_note="First program")
        version.start_date = start
        version.activated_at = min(datetime.combine(start, time(9, 30), tz), now)
        version.save(update_fields=["start_date", "activated_at"])
        items = list(version.items.all())
        days = [start + timedelta(days=n) for n in range(25) if (start + timedelta(days=n)).weekday() in (0, 2, 4)]
        for index, day in enumerate(days):
            pain = 2 if index < 3 else 1  # easing as she goes
            checkin = CheckIn.objects.create(
                patient=patient,
                version=version,
                session_date=day,
                max_pain=pain,
                pain_now=pain - 1,
                sharp_pain=False,
                idempotency_key=uuid.uuid5(uuid.NAMESPACE_URL, f"demo-steady-{patient.pk}-{day}"),
                submitted_at=min(datetime.combine(day, time(18, 30), tz), now),
            )
            ExerciseResult.objects.bulk_create(
                ExerciseResult(checkin=checkin, item=item, outcome="done") for item in items
            )
            flag_services.checkin_evaluate(checkin_id=checkin.pk)

    def _programs(self, clinic, staff) -> int:
        """Programs with three weeks of check-ins for most demo patients, and the flags they raise."""
        today = clinic.local_today()
        exercises = {e.key: e for e in Exercise.objects.filter(clinic=None, key__in=PROGRAM)}
        made = 0
        for email, pains in HISTORIES.items():
            patient = Patient.objects.select_related("physiotherapist", "clinic").get(user__email=email)
            if patient.programs.exists():
                continue
            physio = patient.physiotherapist
            start = today - timedelta(days=len(pains) - 1)
            program = program_services.program_create(
                patient=patient,
                created_by=physio,
                title="Back strength, stage 1",
                start_date=today,
                weekdays=[0, 2, 4] if email != "tom.becker@example.com" else [0, 3],
            )
            version = program.versions.get()
            for key in PROGRAM[: 4 + made % 3]:
                program_services.program_add_exercise(version=version, exercise=exercises[key])
            program_services.program_activate(version=version, activated_by=physio, change_note="First program")
            # As if the program had been put in force on its first morning, weeks ago (a program is put in force
            # from today on), and each session reported that evening.
            tz, now = clinic.tzinfo, timezone.now()
            version.start_date = start
            version.activated_at = min(datetime.combine(start, time(9, 30), tz), now)
            version.save(update_fields=["start_date", "activated_at"])
            items = list(version.items.all())
            for offset, pain in enumerate(pains):
                if pain is None:
                    continue
                # Seeded history goes further back than a patient may check in, so it is stored directly.
                checkin = CheckIn.objects.create(
                    patient=patient,
                    version=version,
                    session_date=start + timedelta(days=offset),
                    max_pain=pain,
                    pain_now=max(0, pain - 1),
                    sharp_pain=pain >= 4,
                    idempotency_key=uuid.uuid4(),
                    note="Felt a twinge getting up afterwards." if pain >= 3 else "",
                    submitted_at=min(datetime.combine(start + timedelta(days=offset), time(18, 30), tz), now),
                )
                ExerciseResult.objects.bulk_create(
                    ExerciseResult(checkin=checkin, item=item, outcome="done" if pain < 3 or i < 2 else "partly")
                    for i, item in enumerate(items)
                )
                flag_services.checkin_evaluate(checkin_id=checkin.pk)
            made += 1
        flag_services.flags_sweep_rest()
        return made

    def _outcomes(self, clinic, staff, *, new: set[str]) -> None:
        """Questionnaires answered over a course of care for two patients (registered in this run), one of them
        discharged with the summary that goes with it."""
        tz = clinic.tzinfo
        today = clinic.local_today()
        for email, (weeks, answers, discharge) in OUTCOMES.items():
            if email not in new:
                continue
            patient = Patient.objects.select_related("physiotherapist").get(user__email=email)
            start = today - timedelta(weeks=weeks)
            Episode.objects.filter(patient=patient).update(
                referral_date=start, opened_at=min(datetime.combine(start, time(10), tz), timezone.now())
            )
            names = ACTIVITIES[email]
            for number, (ratings, pain) in enumerate(answers):
                day = start + timedelta(weeks=4 * number)
                if number == 0:
                    questionnaire = Questionnaire.objects.get(patient=patient, timepoint="intake")
                    Questionnaire.objects.filter(pk=questionnaire.pk).update(due_on=day)
                else:  # the planned follow-up, brought due on its day (seeded history is back-dated)
                    planned = Questionnaire.objects.get(patient=patient, timepoint="follow_up", status="scheduled")
                    Questionnaire.objects.filter(pk=planned.pk).update(due_on=day)
                    outcome_services.questionnaires_make_due(now=datetime.combine(day, time(9), tz))
                    questionnaire = Questionnaire.objects.get(pk=planned.pk)
                psfs = {f"activity-{i}": rating for i, rating in enumerate(ratings, start=1)}
                self._answer(
                    questionnaire,
                    {"psfs": {**({"activities": names} if number == 0 else {}), **psfs}, "pain-week": {"pain": pain}},
                    now=datetime.combine(day, time(19), tz),
                )
            if discharge is not None:
                ratings, pain, change = discharge
                patient_services.episode_discharge(
                    patient=patient,
                    by=patient.physiotherapist,
                    reason="goals_met",
                    note="Back to gardening and walking the dog every day; pain settled to 1-2 out of 10.",
                )
                self._answer(
                    Questionnaire.objects.get(patient=patient, timepoint="discharge"),
                    {
                        "psfs": {f"activity-{i}": rating for i, rating in enumerate(ratings, start=1)},
                        "pain-week": {"pain": pain},
                        "grc": {"change": change},
                    },
                    now=timezone.now(),
                )

    @staticmethod
    def _answer(questionnaire, answers: dict, *, now) -> None:
        for measurement in questionnaire.measurements.select_related("instrument"):
            for key, value in answers.get(measurement.instrument.key, {}).items():
                outcome_services.questionnaire_answer(
                    questionnaire=questionnaire, measurement_id=measurement.pk, key=key, value=value
                )
        outcome_services.questionnaire_send(questionnaire=questionnaire, now=min(now, timezone.now()))

    def _audit_history(self, clinic) -> None:
        """A few days of Maria Lopez's audit trail, as requests would have written it: her physiotherapist reading her
        pages, the admin's flag queue, and a refused attempt (the admin opening the form that edits her details)."""
        maria = Patient.objects.select_related("user").get(user__email=PATIENTS[0][0])
        if AuditEvent.objects.filter(patient_id=maria.pk).exists():
            return
        alex = User.objects.get(email="alex.morgan@riverside.example")
        admin = User.objects.get(email="admin@riverside.example")
        now = timezone.now()
        history = [  # (hours ago, who, action, outcome, URL name, path, about Maria)
            (50, alex, "viewed", "allowed", "patients:detail", f"/patients/{maria.pk}/", True),
            (49, alex, "viewed", "allowed", "programs:patient", f"/programs/patient/{maria.pk}/", True),
            (26, admin, "viewed", "allowed", "flags:queue", "/flags/", False),
            (25, admin, "viewed", "refused", "patients:edit", f"/patients/{maria.pk}/edit/", True),
            (3, alex, "viewed", "allowed", "patients:detail", f"/patients/{maria.pk}/", True),
        ]
        for hours, user, action, outcome, what, path, about in history:
            audit_record(
                user=user,
                clinic_id=clinic.pk,
                action=action,
                outcome=outcome,
                what=what,
                object_id=maria.pk if about else None,
                patient_id=maria.pk if about else None,
                path=path,
                method="GET",
                ip_address="192.0.2.10",  # an address kept for documentation (RFC 5737)
                at=now - timedelta(hours=hours),
            )


def logins() -> str:
    """The demo's accounts, as `make demo` and this command tell them."""
    lines = [f"Every demo account's password: {DEMO_PASSWORD}"]
    lines += [f"  {User.Role(role).label:<16} {email}" for email, _first, _last, role in STAFF]
    lines.append(f"  {'Patient':<16} {PATIENTS[0][0]}  (and {len(PATIENTS) - 1} more, as listed in README)")
    return "\n".join(lines)
