# Flags move from the patients app into their own, with every row: the tables are renamed in place. A flag
# event's check-in becomes a foreign key, each flag names its rule by what it checks, and the events that noted a
# patient's correction say which correction they noted.

import django.db.models.deletion
from django.db import migrations, models

from rehab.migration_operations import MoveModel, RestateConstraints

KINDS = ["raised", "evidence"]
# Each rule in the words the flags app names it by (flags.rules.rule_name, as it is at this migration).
RULES = {
    "warning_symptoms": "Any warning symptom",
    "pain": "Pain over the patient's threshold",
    "sharp_pain": "Sharp or intense pain",
    "worsening": "Pain rising over 3 check-ins in a row, the last over the threshold",
}
REST_SQL = "'More than ' || ({allowed}) || ' whole rest day' || CASE WHEN ({allowed}) = '1' THEN '' ELSE 's' END || ' in a row'"
DETAILS_SQL = """
UPDATE flags_flag SET details = jsonb_set(details - 'report_id', '{{rule}}', to_jsonb(CASE reason
    WHEN 'rest' THEN """ + REST_SQL.format(allowed="COALESCE(details -> 'values' ->> 'allowed', '2')") + """
    {whens}
    ELSE details ->> 'rule' END))
"""
BATCH = 2000


def rule_in_words(reason: str, details: dict) -> str:
    if reason == "rest":
        allowed = str((details.get("values") or {}).get("allowed", 2))
        return f"More than {allowed} whole rest day{'' if allowed == '1' else 's'} in a row"
    return RULES.get(reason, details.get("rule", ""))


def check_events_point_at_check_ins(apps, schema_editor):
    """A flag event's check-in becomes a foreign key: say plainly which events name one that does not exist."""
    FlagEvent = apps.get_model("patients", "FlagEvent")
    CheckIn = apps.get_model("checkins", "CheckIn")
    lost = FlagEvent.objects.filter(report_id__isnull=False).exclude(report_id__in=CheckIn.objects.values("pk"))
    if lost.exists():
        ids = list(lost.values_list("pk", flat=True)[:20])
        raise RuntimeError(f"Flag events {ids} name check-ins that do not exist; put them right before migrating.")


def name_rules_in_words(apps, schema_editor):
    """Each flag names its rule by what it checks ("Pain over the patient's threshold", not "Rule 3: ..."); the
    check-in that raised it is on its "raised" event, no longer in its details too."""
    if schema_editor.connection.vendor == "postgresql":  # one statement, whatever the number of flags
        whens = "\n    ".join(f"WHEN '{reason}' THEN %s" for reason in RULES)
        schema_editor.execute(DETAILS_SQL.format(whens=whens), list(RULES.values()))
        return
    Flag = apps.get_model("flags", "Flag")
    last = 0
    while flags := list(Flag.objects.filter(pk__gt=last).order_by("pk")[:BATCH]):
        for flag in flags:
            flag.details = {k: v for k, v in (flag.details or {}).items() if k != "report_id"}
            flag.details["rule"] = rule_in_words(flag.reason, flag.details)
        Flag.objects.bulk_update(flags, ["details"])
        last = flags[-1].pk


def mark_corrections_told(apps, schema_editor):
    """An event that noted a correction says which one: the correction of its check-in made at the same moment
    (the event and the correction were written together, with one time)."""
    FlagEvent = apps.get_model("flags", "FlagEvent")
    Correction = apps.get_model("checkins", "CheckInCorrection")
    events = list(FlagEvent.objects.filter(kind="corrected", checkin__isnull=False))
    made = {
        (checkin_id, at): pk
        for pk, checkin_id, at in Correction.objects.filter(checkin_id__in={e.checkin_id for e in events}).values_list(
            "pk", "checkin_id", "corrected_at"
        )
    }
    for event in events:
        correction = made.get((event.checkin_id, event.at))
        if correction is not None and "correction" not in event.values:
            event.values = {**event.values, "correction": correction}
    FlagEvent.objects.bulk_update(events, ["values"], batch_size=BATCH)


def rename_content_types(apps, schema_editor, backwards=False):
    """Content types (and so permissions and admin history) follow the models, as Django's own RenameModel does."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in ("flag", "flagevent"):
        source, target = ("flags", "patients") if backwards else ("patients", "flags")
        if not ContentType.objects.filter(app_label=target, model=model).exists():
            ContentType.objects.filter(app_label=source, model=model).update(app_label=target)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("patients", "0005_flag_event_corrected"),
        ("checkins", "0001_moved_from_programs"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(check_events_point_at_check_ins, migrations.RunPython.noop),
        MoveModel("patients", "Flag", "flags"),
        MoveModel("patients", "FlagEvent", "flags"),
        RestateConstraints(
            "flagevent",
            [
                (
                    models.UniqueConstraint(condition=models.Q(("report_id__isnull", False), ("kind__in", KINDS)), fields=("flag", "report_id"), name="flag_event_once_per_report"),
                    models.UniqueConstraint(condition=models.Q(("checkin__isnull", False), ("kind__in", KINDS)), fields=("flag", "checkin"), name="flag_event_once_per_checkin"),
                ),
            ],
            [
                migrations.RenameField(model_name="flagevent", old_name="report_id", new_name="checkin"),
                migrations.AlterField(model_name="flagevent", name="checkin", field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="flag_events", to="checkins.checkin")),
            ],
        ),
        migrations.RunPython(name_rules_in_words, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(mark_corrections_told, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(rename_content_types, lambda apps, editor: rename_content_types(apps, editor, backwards=True)),
    ]
