from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from outcomes import instruments
from outcomes.services import instrument_load
from rehab.models import Clinic


class Command(BaseCommand):
    help = (
        "Load outcome instruments from their files: with no file, the shipped ones (free to use, for every clinic); "
        "with --clinic, an instrument whose licence that clinic holds, for that clinic only."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", type=Path, help="instrument files (JSON); none: the shipped ones")
        parser.add_argument("--clinic", help="the clinic, by name, that holds the licence of these instruments")

    def handle(self, *args, files, clinic, **options):
        owner = None
        if clinic:
            owner = Clinic.objects.filter(name=clinic).first()
            if owner is None:
                raise CommandError(f"No clinic is called {clinic!r}.")
        elif files:
            raise CommandError(
                "Give --clinic: an instrument that is not shipped is loaded for the clinic that holds its licence."
            )
        paths = files or sorted(instruments.SHIPPED_DIR.glob("*.json"))
        for path in paths:
            try:
                instrument, created = instrument_load(data=instruments.read_file(path), clinic=owner)
            except ValidationError as exc:
                raise CommandError("Not loaded:\n  " + "\n  ".join(exc.messages)) from exc
            state = "loaded" if created else "already loaded, unchanged"
            self.stdout.write(f"{instrument.name}, version {instrument.version}: {state}.")
