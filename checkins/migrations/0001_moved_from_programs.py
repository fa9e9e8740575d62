# Check-ins move from the programs app into their own, with every row: the tables are renamed in place, and
# the patient's session report takes one name, the check-in, from URL to model.

import django.db.models.deletion
import django.db.models.functions.text
import django.db.models.lookups
from django.db import migrations, models

from rehab.migration_operations import MoveModel

PAIN = {name: models.Q((f"{name}__gte", 0), (f"{name}__lte", 5)) for name in ("max_pain", "pain_now")}
NOTE_LENGTH = django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length("note"), 2000)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("programs", "0005_one_new_program"),
    ]

    operations = [
        MoveModel("programs", "SessionReport", "checkins", "CheckIn"),
        MoveModel("programs", "ExerciseResult", "checkins"),
        MoveModel("programs", "ReportCorrection", "checkins", "CheckInCorrection"),
        migrations.RemoveConstraint(model_name="exerciseresult", name="exercise_result_unique"),
        migrations.RenameField(model_name="exerciseresult", old_name="report", new_name="checkin"),
        migrations.AddConstraint(model_name="exerciseresult", constraint=models.UniqueConstraint(fields=("checkin", "item"), name="exercise_result_unique")),
        migrations.RenameField(model_name="checkincorrection", old_name="report", new_name="checkin"),
        migrations.RenameIndex(model_name="checkin", new_name="checkin_patient_date_idx", old_name="report_patient_date_idx"),
        migrations.RenameIndex(model_name="checkin", new_name="checkin_unevaluated_idx", old_name="report_unevaluated_idx"),
        migrations.RemoveConstraint(model_name="checkin", name="report_max_pain_range"),
        migrations.RemoveConstraint(model_name="checkin", name="report_pain_now_range"),
        migrations.RemoveConstraint(model_name="checkin", name="report_note_length"),
        migrations.AddConstraint(model_name="checkin", constraint=models.CheckConstraint(condition=PAIN["max_pain"], name="checkin_max_pain_range")),
        migrations.AddConstraint(model_name="checkin", constraint=models.CheckConstraint(condition=PAIN["pain_now"], name="checkin_pain_now_range")),
        migrations.AddConstraint(model_name="checkin", constraint=models.CheckConstraint(condition=NOTE_LENGTH, name="checkin_note_length")),
        migrations.AlterModelOptions(name="checkin", options={"ordering": ["-session_date", "-submitted_at"], "verbose_name": "check-in"}),
        migrations.AlterField(model_name="checkin", name="evaluated_at", field=models.DateTimeField(blank=True, help_text="When the flag rules last ran on this check-in; empty until they have.", null=True)),
        migrations.AlterField(model_name="checkin", name="patient", field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="checkins", to="patients.patient")),
        migrations.AlterField(model_name="checkin", name="version", field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="checkins", to="programs.programversion")),
        migrations.AlterField(model_name="checkincorrection", name="previous", field=models.JSONField(help_text="The check-in's values before this correction.")),
    ]
