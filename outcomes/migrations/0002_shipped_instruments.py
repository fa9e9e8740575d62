from django.db import migrations

from outcomes.instruments import shipped, sync_instrument


def load(apps, schema_editor):
    instrument = apps.get_model("outcomes", "Instrument")
    for data in shipped():
        sync_instrument(instrument, data)


class Migration(migrations.Migration):
    dependencies = [("outcomes", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
