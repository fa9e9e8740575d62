from django.core.management.base import BaseCommand

from programs import services


class Command(BaseCommand):
    help = "Evaluate missed reports and flag patients resting too long: the periodic sweep, run now."

    def handle(self, *args, **options):
        result = services.flags_sweep()
        self.stdout.write(f"Reports evaluated: {result['evaluated']}; rest flags raised: {result['rest_flags']}.")
