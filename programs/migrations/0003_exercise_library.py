from django.db import migrations

from programs.library import read_library, sync_library


def load(apps, schema_editor):
    sync_library(apps.get_model("programs", "Exercise"), apps.get_model("programs", "ExerciseMuscle"), read_library())


class Migration(migrations.Migration):
    dependencies = [("programs", "0002_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
