from django.core.management.base import BaseCommand

from flags import services


class Command(BaseCommand):
    help = "Send each physiotherapist the digest of their patients' new rest flags (the daily task, run now)."

    def handle(self, *args, **options):
        self.stdout.write(f"Rest flags sent in digests: {services.flag_send_rest_digests()}.")
