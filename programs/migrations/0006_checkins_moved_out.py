# Check-ins moved to their own app (checkins 0001): later migrations of this app come after that move.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("programs", "0005_one_new_program"),
        ("checkins", "0001_moved_from_programs"),
    ]

    operations = []
