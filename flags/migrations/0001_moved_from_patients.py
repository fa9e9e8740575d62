# Flags move from the patients app into their own, with every row: the tables are renamed in place. A flag
# event's check-in becomes a foreign key, and the rule behind each flag is named by what it checks.

import re

import django.db.models.deletion
from django.db import migrations, models

from rehab.migration_operations import MoveModel

BATCH = 1000
NUMBERED = re.compile(r"^Rule \d+: ")


def forwards(apps, schema_editor):
    """Each flag's details name its rule in words ("Pain over the patient's threshold", not "Rule 3: pain over
    the patient's threshold"); the check-in that raised it is on its "raised" event, not in its details too."""
    Flag = apps.get_model("flags", "Flag")
    last = 0
    while True:
        flags = list(Flag.objects.filter(pk__gt=last).order_by("pk").only("details")[:BATCH])
        if not flags:
            return
        changed = []
        for flag in flags:
            details = dict(flag.details or {})
            rule = details.get("rule", "")
            words = NUMBERED.sub("", rule)
            if words != rule or "report_id" in details:
                details.pop("report_id", None)
                details["rule"] = words[:1].upper() + words[1:]
                flag.details = details
                changed.append(flag)
        Flag.objects.bulk_update(changed, ["details"])
        last = flags[-1].pk


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("patients", "0005_flag_event_corrected"),
        ("checkins", "0001_moved_from_programs"),
    ]

    operations = [
        MoveModel("patients", "Flag", "flags"),
        MoveModel("patients", "FlagEvent", "flags"),
        migrations.RemoveConstraint(model_name="flagevent", name="flag_event_once_per_report"),
        migrations.RenameField(model_name="flagevent", old_name="report_id", new_name="checkin"),
        migrations.AlterField(model_name="flagevent", name="checkin", field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="flag_events", to="checkins.checkin")),
        migrations.AddConstraint(
            model_name="flagevent",
            constraint=models.UniqueConstraint(condition=models.Q(("checkin__isnull", False), ("kind__in", ["raised", "evidence"])), fields=("flag", "checkin"), name="flag_event_once_per_checkin"),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True),
    ]
