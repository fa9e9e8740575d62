"""Load the demo clinic: an admin, two physiotherapists and eight patients. Safe to run again."""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction

from patients import services as patient_services
from rehab.models import Clinic, User
from rehab.services import user_create

DEMO_PASSWORD = "rehab-demo-2026"  # noqa: S105 - demo accounts on a local SQLite file only
CLINIC_NAME = "Riverside Spine & Physio"

STAFF = [
    ("admin@riverside.example", "Jordan", "Reyes", User.Role.CLINIC_ADMIN),
    ("alex.morgan@riverside.example", "Alex", "Morgan", User.Role.PHYSIO),
    ("sam.patel@riverside.example", "Sam", "Patel", User.Role.PHYSIO),
]

# email, first, last, days since onset, years old, condition, physiotherapist email
PATIENTS = [
    (
        "maria.lopez@example.com",
        "Maria",
        "Lopez",
        9,
        41,
        "Acute low-back strain after lifting a suitcase; stiff in the mornings.",
        "alex.morgan@riverside.example",
    ),
    (
        "tom.becker@example.com",
        "Tom",
        "Becker",
        25,
        33,
        "Low-back pain after a long drive, no pain into the legs.",
        "sam.patel@riverside.example",
    ),
    (
        "aisha.khan@example.com",
        "Aisha",
        "Khan",
        55,
        52,
        "Recurring lower-back ache since returning to desk work.",
        "alex.morgan@riverside.example",
    ),
    (
        "peter.novak@example.com",
        "Peter",
        "Novak",
        110,
        60,
        "Lumbar disc irritation, pain into the right buttock, improving.",
        "sam.patel@riverside.example",
    ),
    (
        "lena.schmidt@example.com",
        "Lena",
        "Schmidt",
        150,
        29,
        "Pain on the left side of the lower back after a running injury.",
        "alex.morgan@riverside.example",
    ),
    (
        "david.okafor@example.com",
        "David",
        "Okafor",
        240,
        47,
        "Long-standing mechanical low-back pain; wants to return to gardening.",
        "sam.patel@riverside.example",
    ),
    (
        "grace.lee@example.com",
        "Grace",
        "Lee",
        400,
        68,
        "Chronic low-back stiffness with reduced hip mobility.",
        "alex.morgan@riverside.example",
    ),
    (
        "omar.haddad@example.com",
        "Omar",
        "Haddad",
        900,
        55,
        "Long-term back pain after an old fall; flare-ups a few times a year.",
        "sam.patel@riverside.example",
    ),
]


class Command(BaseCommand):
    help = "Create the demo clinic with its staff and patients (nothing is duplicated on a second run)."

    @transaction.atomic
    def handle(self, *args, **options):
        clinic, _ = Clinic.objects.get_or_create(name=CLINIC_NAME, defaults={"time_zone": "Europe/London"})
        staff = {}
        for email, first, last, role in STAFF:
            user = User.objects.filter(email=email).first() or user_create(
                clinic=clinic, role=role, email=email, first_name=first, last_name=last, password=DEMO_PASSWORD
            )
            staff[email] = user
        today = clinic.local_today()
        created = 0
        for email, first, last, days, age, condition, physio_email in PATIENTS:
            if User.objects.filter(email=email).exists():
                continue
            patient = patient_services.patient_register(
                clinic=clinic,
                registered_by=staff[physio_email],
                first_name=first,
                last_name=last,
                email=email,
                date_of_birth=today.replace(year=today.year - age, day=min(today.day, 28)),
                onset_date=today - timedelta(days=days),
                condition=condition,
                physiotherapist=staff[physio_email],
            )
            patient.user.set_password(DEMO_PASSWORD)
            patient.user.save(update_fields=["password"])
            created += 1
        self.stdout.write(f"Demo clinic '{clinic.name}': {created} new patients (others were already there).")
        self.stdout.write(self.style.SUCCESS(f"\nDemo logins (password for every account: {DEMO_PASSWORD})"))
        for email, _first, _last, role in STAFF:
            self.stdout.write(f"  {User.Role(role).label:<16} {email}")
        self.stdout.write(f"  {'Patient':<16} {PATIENTS[0][0]}  (and the other demo patients)\n")
