from datetime import date

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def rest_counts(apps, schema_editor):
    """Open rest flags keep the last session and day count they were raised with, now in columns of their own
    (the sweep keeps the count current from here on)."""
    Flag = apps.get_model("flags", "Flag")
    for flag in Flag.objects.filter(reason="rest").exclude(status="resolved").iterator():
        values = (flag.details or {}).get("values", {})
        if "last_session" in values:
            flag.rest_since = date.fromisoformat(values["last_session"])
            flag.rest_days = values.get("rest_days")
            flag.save(update_fields=["rest_since", "rest_days"])


class Migration(migrations.Migration):

    dependencies = [
        ('checkins', '0002_symptom_report'),
        ('flags', '0001_moved_from_patients'),
        ('patients', '0007_phone_and_threshold_phase'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='flag',
            name='flag_reason_valid',
        ),
        migrations.RemoveConstraint(
            model_name='flagevent',
            name='flag_event_kind_valid',
        ),
        migrations.AddField(
            model_name='flag',
            name='rest_days',
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='flag',
            name='rest_since',
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='flagevent',
            name='symptom_report',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='flag_events', to='checkins.symptomreport'),
        ),
        migrations.AlterField(
            model_name='flag',
            name='reason',
            field=models.CharField(choices=[('warning_symptoms', 'Warning symptoms'), ('pain', 'Pain over threshold'), ('sharp_pain', 'Sharp or intense pain'), ('worsening', 'Pain getting worse'), ('rest', 'Resting too long'), ('new_symptom', 'New symptom reported')], max_length=20),
        ),
        migrations.AlterField(
            model_name='flagevent',
            name='kind',
            field=models.CharField(choices=[('raised', 'Raised'), ('evidence', 'New evidence'), ('notified', 'Physiotherapist notified'), ('escalated', 'Escalated to clinic admins'), ('acknowledged', 'Acknowledged'), ('resolved', 'Resolved'), ('reassigned', 'Patient reassigned'), ('corrected', 'Report corrected by the patient'), ('reopened', 'Needs acknowledging again')], max_length=20),
        ),
        migrations.RunPython(rest_counts, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name='flag',
            constraint=models.CheckConstraint(condition=models.Q(('reason__in', ['warning_symptoms', 'pain', 'sharp_pain', 'worsening', 'rest', 'new_symptom'])), name='flag_reason_valid'),
        ),
        migrations.AddConstraint(
            model_name='flagevent',
            constraint=models.UniqueConstraint(condition=models.Q(('symptom_report__isnull', False), ('kind__in', ['raised', 'evidence'])), fields=('flag', 'symptom_report'), name='flag_event_once_per_symptom_report'),
        ),
        migrations.AddConstraint(
            model_name='flagevent',
            constraint=models.CheckConstraint(condition=models.Q(('checkin__isnull', True), ('symptom_report__isnull', True), _connector='OR'), name='flag_event_one_source'),
        ),
        migrations.AddConstraint(
            model_name='flagevent',
            constraint=models.CheckConstraint(condition=models.Q(('kind__in', ['raised', 'evidence', 'notified', 'escalated', 'acknowledged', 'resolved', 'reassigned', 'corrected', 'reopened'])), name='flag_event_kind_valid'),
        ),
    ]
