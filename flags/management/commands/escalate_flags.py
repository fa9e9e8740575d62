from django.core.management.base import BaseCommand

from flags import services


class Command(BaseCommand):
    help = "Email clinic admins about flags nobody acknowledged in time (the periodic task, run now)."

    def handle(self, *args, **options):
        self.stdout.write(f"Flags escalated: {services.flag_escalate_overdue()}.")
