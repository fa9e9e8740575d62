from django.core.management.base import BaseCommand

from reminders import services


class Command(BaseCommand):
    help = "Send the session reminders whose time has come: the beat task, run now (a rerun sends nothing twice)."

    def handle(self, *args, **options):
        self.stdout.write(f"Session reminders sent: {services.reminders_send_sessions()}.")
