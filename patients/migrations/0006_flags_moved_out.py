# Flags moved to their own app (flags 0001): later migrations of this app come after that move.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("patients", "0005_flag_event_corrected"),
        ("flags", "0001_moved_from_patients"),
    ]

    operations = []
