import django.core.validators
import django.db.models.deletion
import django.db.models.functions.text
import django.db.models.lookups
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('checkins', '0001_moved_from_programs'),
        ('patients', '0006_flags_moved_out'),
    ]

    operations = [
        migrations.CreateModel(
            name='SymptomReport',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('bladder_bowel', models.BooleanField(default=False, verbose_name='new problems controlling bladder or bowel')),
                ('saddle_numbness', models.BooleanField(default=False, verbose_name='numbness between the legs or around the bottom')),
                ('leg_weakness', models.BooleanField(default=False, verbose_name='new weakness in both legs')),
                ('sharp_pain', models.BooleanField(default=False, verbose_name='a flare of sharp or intense pain')),
                ('note', models.TextField(blank=True, validators=[django.core.validators.MaxLengthValidator(2000)])),
                ('idempotency_key', models.UUIDField(editable=False, unique=True)),
                ('form_key', models.UUIDField(blank=True, editable=False, help_text="The check-in form it came from (that form's idempotency key), when the rest of the form still needed answers.", null=True)),
                ('reported_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('evaluated_at', models.DateTimeField(blank=True, help_text='When the flag rules last ran on this report; empty until they have.', null=True)),
                ('patient', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='symptom_reports', to='patients.patient')),
            ],
            options={
                'ordering': ['-reported_at', '-id'],
                'indexes': [models.Index(fields=['patient', 'reported_at'], name='symptom_report_patient_idx'), models.Index(condition=models.Q(('form_key__isnull', False)), fields=['form_key'], name='symptom_report_form_idx'), models.Index(condition=models.Q(('evaluated_at__isnull', True)), fields=['reported_at'], name='symptom_report_unevaluated_idx')],
                'constraints': [models.CheckConstraint(condition=models.Q(('bladder_bowel', True), ('saddle_numbness', True), ('leg_weakness', True), ('sharp_pain', True), models.Q(('note', ''), _negated=True), _connector='OR'), name='symptom_report_says_something', violation_error_message='Tick what you noticed, or describe it in the note.'), models.CheckConstraint(condition=django.db.models.lookups.LessThanOrEqual(django.db.models.functions.text.Length('note'), 2000), name='symptom_report_note_length')],
            },
        ),
    ]
