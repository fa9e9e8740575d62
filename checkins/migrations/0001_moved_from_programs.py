# Check-ins move from the programs app into their own, with every row: the tables are renamed in place, and
# the patient's session report takes one name, the check-in, from URL to model. Constraints and indexes are
# renamed in place too (nothing is rebuilt, so this takes moments on a table of millions of rows).

import django.db.models.deletion
import django.db.models.functions.text
import django.db.models.lookups
from django.db import migrations, models

from rehab.migration_operations import MoveModel, RestateConstraints

PAIN = {name: models.Q((f"{name}__gte", 0), (f"{name}__lte", 5)) for name in ("max_pain", "pain_now")}
NOTE_LENGTH = django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length("note"), 2000)
MOVED = [("programs", "sessionreport", "checkin"), ("programs", "exerciseresult", "exerciseresult"), ("programs", "reportcorrection", "checkincorrection")]


def rename_content_types(apps, schema_editor, backwards=False):
    """Content types (and so permissions and admin history) follow the models, as Django's own RenameModel does."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    for old_app, old, new in MOVED:
        source, target = (("checkins", new), (old_app, old)) if backwards else ((old_app, old), ("checkins", new))
        if not ContentType.objects.filter(app_label=target[0], model=target[1]).exists():
            ContentType.objects.filter(app_label=source[0], model=source[1]).update(app_label=target[0], model=target[1])


def check(name, condition):
    return models.CheckConstraint(condition=condition, name=name)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("programs", "0005_one_new_program"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        MoveModel("programs", "SessionReport", "checkins", "CheckIn"),
        MoveModel("programs", "ExerciseResult", "checkins"),
        MoveModel("programs", "ReportCorrection", "checkins", "CheckInCorrection"),
        RestateConstraints(
            "exerciseresult",
            [(models.UniqueConstraint(fields=("report", "item"), name="exercise_result_unique"), models.UniqueConstraint(fields=("checkin", "item"), name="exercise_result_unique"))],
            [migrations.RenameField(model_name="exerciseresult", old_name="report", new_name="checkin")],
        ),
        migrations.RenameField(model_name="checkincorrection", old_name="report", new_name="checkin"),
        migrations.RenameIndex(model_name="checkin", new_name="checkin_patient_date_idx", old_name="report_patient_date_idx"),
        migrations.RenameIndex(model_name="checkin", new_name="checkin_unevaluated_idx", old_name="report_unevaluated_idx"),
        RestateConstraints(
            "checkin",
            [
                (check("report_max_pain_range", PAIN["max_pain"]), check("checkin_max_pain_range", PAIN["max_pain"])),
                (check("report_pain_now_range", PAIN["pain_now"]), check("checkin_pain_now_range", PAIN["pain_now"])),
                (check("report_note_length", NOTE_LENGTH), check("checkin_note_length", NOTE_LENGTH)),
            ],
        ),
        migrations.AlterModelOptions(name="checkin", options={"ordering": ["-session_date", "-submitted_at"], "verbose_name": "check-in"}),
        migrations.AlterField(model_name="checkin", name="evaluated_at", field=models.DateTimeField(blank=True, help_text="When the flag rules last ran on this check-in; empty until they have.", null=True)),
        migrations.AlterField(model_name="checkin", name="patient", field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="checkins", to="patients.patient")),
        migrations.AlterField(model_name="checkin", name="version", field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="checkins", to="programs.programversion")),
        migrations.AlterField(model_name="checkincorrection", name="previous", field=models.JSONField(help_text="The check-in's values before this correction.")),
        migrations.RunPython(rename_content_types, lambda apps, editor: rename_content_types(apps, editor, backwards=True)),
    ]
