from django.core.management.base import BaseCommand

from programs.library import read_library, sync_library
from programs.models import Exercise, ExerciseMuscle


class Command(BaseCommand):
    help = "Create or update the shipped exercise library from programs/data/exercises.json."

    def handle(self, *args, **options):
        created, updated = sync_library(Exercise, ExerciseMuscle, read_library())
        self.stdout.write(f"Exercise library: {created} added, {updated} updated.")
