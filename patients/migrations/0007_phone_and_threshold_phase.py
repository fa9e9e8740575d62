import zoneinfo
from datetime import timedelta

import phonenumber_field.modelfields
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import migrations, models


def phase_of_each_decision(apps, schema_editor):
    """Each threshold decision already made was made for the phase the patient was in on its day (the rules of
    patients.rules.condition_phase as they were when this migration was written)."""
    ThresholdChange = apps.get_model("patients", "ThresholdChange")
    for change in ThresholdChange.objects.select_related("patient__clinic").iterator():
        day = change.changed_at.astimezone(zoneinfo.ZoneInfo(change.patient.clinic.time_zone)).date()
        onset = change.patient.onset_date
        if onset > day - timedelta(weeks=6):
            phase = "acute"
        elif onset > day - relativedelta(months=6):
            phase = "subacute"
        else:
            phase = "long_term"
        ThresholdChange.objects.filter(pk=change.pk).update(phase=phase)


class Migration(migrations.Migration):

    dependencies = [
        ('patients', '0006_flags_moved_out'),
        ('rehab', '0006_clinic_phone'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='patient',
            name='phone',
            field=phonenumber_field.modelfields.PhoneNumberField(blank=True, help_text='Stored in international (E.164) form, for staff to call the patient.', max_length=128, region=None, verbose_name='phone number'),
        ),
        migrations.AddField(
            model_name='thresholdchange',
            name='phase',
            field=models.CharField(blank=True, choices=[('acute', 'Acute'), ('subacute', 'Subacute'), ('long_term', 'Long-term')], max_length=10),
        ),
        migrations.RunPython(phase_of_each_decision, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name='thresholdchange',
            index=models.Index(fields=['patient', 'changed_at'], name='threshold_change_patient_idx'),
        ),
        migrations.AddConstraint(
            model_name='patient',
            constraint=models.CheckConstraint(condition=models.Q(('phone', ''), ('phone__regex', '^\\+[1-9][0-9]{6,14}$'), _connector='OR'), name='patient_phone_e164'),
        ),
        migrations.AddConstraint(
            model_name='thresholdchange',
            constraint=models.CheckConstraint(condition=models.Q(('phase__in', ['', 'acute', 'subacute', 'long_term'])), name='threshold_change_phase_valid'),
        ),
    ]
