"""Scripted set-up: a new clinic and its first admin, who is emailed a link to set a password."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from rehab.services import clinic_create


class Command(BaseCommand):
    help = "Create a clinic with its first clinic admin (they receive an email to set their password)."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--time-zone", default="Europe/London", help="An IANA name, e.g. Europe/Dublin.")
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-first-name", required=True)
        parser.add_argument("--admin-last-name", required=True)

    def handle(self, *args, name, time_zone, admin_email, admin_first_name, admin_last_name, **options):
        try:
            admin = clinic_create(
                name=name,
                time_zone=time_zone,
                admin_email=admin_email,
                admin_first_name=admin_first_name,
                admin_last_name=admin_last_name,
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"Clinic '{admin.clinic.name}' created; {admin.email} has been emailed a set-password link.")
