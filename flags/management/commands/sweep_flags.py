from django.core.management.base import BaseCommand

from flags import services


class Command(BaseCommand):
    help = "Evaluate lost check-ins and flag patients resting too long: the periodic sweep, run now."

    def handle(self, *args, **options):
        result = services.flags_sweep()
        self.stdout.write(f"Check-ins evaluated: {result['evaluated']}; rest flags raised: {result['rest_flags']}.")
