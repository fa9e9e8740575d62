from django.core.management.base import BaseCommand

from reminders import services


class Command(BaseCommand):
    help = "Send the nudges before the rest limit whose time has come: the beat task, run now (once per rest)."

    def handle(self, *args, **options):
        self.stdout.write(f"Nudges sent: {services.reminders_send_nudges()}.")
