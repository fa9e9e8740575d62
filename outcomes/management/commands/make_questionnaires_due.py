from django.core.management.base import BaseCommand

from outcomes.services import questionnaires_make_due


class Command(BaseCommand):
    help = "Ask the follow-up questionnaires whose day has come, in every clinic (what beat runs every hour)."

    def handle(self, *args, **options):
        done = questionnaires_make_due()
        self.stdout.write(
            f"{done['due']} follow-up questionnaires due, {done['not_asked']} with nothing to ask, "
            f"{done['planned']} planned."
        )
