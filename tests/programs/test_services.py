from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from patients.services import pause_create, pause_resume
from programs import services
from programs.models import Program, ProgramExercise, ProgramTemplate, ProgramVersion
from programs.selectors import progression_for, starting_warnings_for
from tests.factories import ClinicFactory, PhysioFactory, make_patient
from tests.helpers import BALANCED, add_exercises

pytestmark = pytest.mark.django_db


def test_create_program_starts_as_draft_version_1(draft):
    assert draft.number == 1
    assert draft.status == ProgramVersion.Status.DRAFT
    assert draft.program.status == Program.Status.DRAFT
    assert draft.weekdays == [0, 2, 4]


@pytest.mark.parametrize("days_from_today", [None, -366, 366])  # None: 1 January 1900
def test_a_program_cannot_be_created_to_start_more_than_a_year_from_today_either_way(patient, physio, days_from_today):
    today = patient.clinic.local_today()
    day = date(1900, 1, 1) if days_from_today is None else today + timedelta(days=days_from_today)
    with pytest.raises(ValidationError) as refused:
        services.program_create(patient=patient, created_by=physio, title="P", start_date=day, weekdays=[0, 2])
    assert "start_date" in refused.value.message_dict
    assert not Program.objects.filter(patient=patient).exists()


def test_add_move_remove_keep_positions_dense(draft, library):
    a, b, c = add_exercises(draft, library, "dead-bug", "clamshell", "bird-dog")
    services.program_move_item(item=c, direction="up")
    assert [i.exercise.key for i in draft.items.order_by("position")] == ["dead-bug", "bird-dog", "clamshell"]
    services.program_move_item(item=a, direction="up")  # already first: nothing happens
    services.program_remove_item(item=draft.items.get(exercise__key="bird-dog"))
    assert list(draft.items.order_by("position").values_list("exercise__key", "position")) == [
        ("dead-bug", 1),
        ("clamshell", 2),
    ]


def test_activate_requires_an_exercise(draft, physio):
    with pytest.raises(ValidationError, match="at least one exercise"):
        services.program_activate(version=draft, activated_by=physio)
    draft.refresh_from_db()
    assert draft.status == ProgramVersion.Status.DRAFT


def test_a_program_whose_start_has_passed_is_not_put_in_force(draft, physio, library):
    """A draft left for a few days: put in force as it is, the sweep would count the days since its start as
    rest. A revision's start, on the other hand, does not move the program's first day."""
    add_exercises(draft, library, *BALANCED)
    today = draft.program.patient.clinic.local_today()
    draft.start_date = today - timedelta(days=4)
    draft.save(update_fields=["start_date"])
    with pytest.raises(ValidationError) as refused:
        services.program_activate(version=draft, activated_by=physio)
    assert "has passed" in refused.value.message_dict["start_date"][0]
    draft.refresh_from_db()
    assert (draft.status, draft.program.status) == (ProgramVersion.Status.DRAFT, Program.Status.DRAFT)
    draft.start_date = today
    draft.save(update_fields=["start_date"])
    services.program_activate(version=draft, activated_by=physio)
    revision = services.program_revise(program=draft.program, created_by=physio)
    revision.start_date = today - timedelta(days=2)  # a revision drafted a while ago
    revision.save(update_fields=["start_date"])
    assert services.program_activate(version=revision, activated_by=physio).status == ProgramVersion.Status.ACTIVE


def test_activate_then_revise_keeps_old_version_intact(draft, physio, library):
    add_exercises(draft, library, *BALANCED)
    services.program_activate(version=draft, activated_by=physio)
    program = draft.program
    program.refresh_from_db()
    assert program.status == Program.Status.ACTIVE
    v1_items = list(draft.items.values_list("exercise__key", "sets", "reps", "hold_seconds"))

    v2 = services.program_revise(program=program, created_by=physio)
    assert (v2.number, v2.based_on, v2.status) == (2, draft, ProgramVersion.Status.DRAFT)
    assert services.program_revise(program=program, created_by=physio) == v2  # one draft at a time
    item = v2.items.get(exercise__key="dead-bug")
    services.program_update_item(
        item=item, sets=item.sets, reps=(item.reps or 5) + 1, hold_seconds=None, rest_seconds=30, notes="Slowly"
    )
    services.program_swap_variant(item=v2.items.get(exercise__key="clamshell"), direction="harder")
    # One more repetition of the dead bug and the banded clamshell's repetitions: more than 10% more repetitions.
    services.program_activate(
        version=v2, activated_by=physio, change_note="Progressing the clamshell", progression_reason="Coping well"
    )

    draft.refresh_from_db()
    assert draft.status == ProgramVersion.Status.SUPERSEDED and draft.superseded_at
    assert list(draft.items.values_list("exercise__key", "sets", "reps", "hold_seconds")) == v1_items
    v2.refresh_from_db()
    assert v2.status == ProgramVersion.Status.ACTIVE
    assert v2.items.filter(exercise__key="banded-clamshell").exists()
    assert v2.change_note == "Progressing the clamshell"


def test_a_draft_cannot_be_edited_once_active(draft, physio, library):
    (item,) = add_exercises(draft, library, "dead-bug")
    services.program_activate(version=draft, activated_by=physio)
    with pytest.raises(ValidationError, match="Only a draft"):
        services.program_update_item(item=item, sets=5, reps=5, hold_seconds=None, rest_seconds=30, notes="")


def test_over_extending_revision_needs_a_reason(draft, physio, library):
    (item,) = add_exercises(draft, library, "glute-bridge")
    services.program_update_item(item=item, sets=2, reps=10, hold_seconds=None, rest_seconds=30, notes="")
    services.program_activate(version=draft, activated_by=physio)
    v2 = services.program_revise(program=draft.program, created_by=physio)
    item2 = v2.items.get()
    # 2 x 11 = 22 against 20: exactly 10% more passes without a reason.
    services.program_update_item(item=item2, sets=2, reps=11, hold_seconds=None, rest_seconds=30, notes="")
    from programs.selectors import progression_for

    assert not progression_for(v2).needs_confirmation
    # 2 x 12 = 24: 20% more needs a reason.
    services.program_update_item(item=item2, sets=2, reps=12, hold_seconds=None, rest_seconds=30, notes="")
    with pytest.raises(ValidationError) as exc:
        services.program_activate(version=v2, activated_by=physio)
    assert "progression_reason" in exc.value.message_dict
    v2.refresh_from_db()
    assert v2.status == ProgramVersion.Status.DRAFT
    services.program_activate(version=v2, activated_by=physio, progression_reason="Tolerating well for 3 weeks")
    v2.refresh_from_db()
    assert v2.progression_reason == "Tolerating well for 3 weeks"


def test_two_level_jump_warns(draft, physio, library):
    add_exercises(draft, library, "glute-bridge")
    services.program_activate(version=draft, activated_by=physio)
    v2 = services.program_revise(program=draft.program, created_by=physio)
    item = v2.items.get()
    services.program_swap_variant(item=item, direction="harder")
    item.refresh_from_db()
    services.program_swap_variant(item=item, direction="harder")
    from programs.selectors import progression_for

    check = progression_for(v2)
    assert any("difficulty levels" in w for w in check.warnings)


def test_swap_without_variant(draft, library):
    (item,) = add_exercises(draft, library, "pelvic-tilt")
    assert library["pelvic-tilt"].easier is None
    with pytest.raises(ValidationError, match="no easier variant"):
        services.program_swap_variant(item=item, direction="easier")


def test_an_exercise_appears_once_in_a_program(draft, library):
    clamshell, _bridge = add_exercises(draft, library, "clamshell", "glute-bridge")
    harder = library["clamshell"].harder
    add_exercises(draft, library, harder.key)
    with pytest.raises(ValidationError, match="Clamshell is already in this program: change its dose instead."):
        services.program_add_exercise(version=draft, exercise=library["clamshell"])
    with pytest.raises(ValidationError, match="already in this program"):
        services.program_swap_variant(item=clamshell, direction="harder")
    assert list(draft.items.values_list("exercise__key", flat=True)) == ["clamshell", "glute-bridge", harder.key]


def test_new_program_replaces_active_one(draft, physio, patient, library):
    add_exercises(draft, library, "dead-bug")
    services.program_activate(version=draft, activated_by=physio)
    other = services.program_create(
        patient=patient, created_by=physio, title="Second", start_date=patient.clinic.local_today(), weekdays=[1, 3, 5]
    )
    add_exercises(other.versions.get(), library, "bird-dog")
    services.program_activate(version=other.versions.get(), activated_by=physio, progression_reason="New block")
    assert list(Program.objects.filter(patient=patient, status=Program.Status.ACTIVE)) == [other]
    draft.program.refresh_from_db()
    assert draft.program.status == Program.Status.ENDED


def test_template_round_trip(draft, physio, patient, library):
    add_exercises(draft, library, *BALANCED)
    template = services.template_create_from_version(version=draft, created_by=physio, name="Early stage, balanced")
    assert list(template.items.values_list("exercise__key", flat=True)) == list(BALANCED)
    with pytest.raises(ValidationError, match="already has a template"):
        services.template_create_from_version(version=draft, created_by=physio, name="EARLY STAGE, balanced")
    newcomer = make_patient(physio=physio)
    program = services.program_create(
        patient=newcomer,
        created_by=physio,
        title="From template",
        start_date=newcomer.clinic.local_today(),
        weekdays=[],
        template=template,
    )
    version = program.versions.get()
    assert version.weekdays == [0, 2, 4]
    assert list(version.items.values_list("exercise__key", "position")) == [(k, i + 1) for i, k in enumerate(BALANCED)]


def test_template_of_another_clinic_refused(draft, physio, library):
    add_exercises(draft, library, "dead-bug")
    template = services.template_create_from_version(version=draft, created_by=physio, name="Ours")
    outsider = PhysioFactory(clinic=ClinicFactory(name="Elsewhere"))
    stranger = make_patient(physio=outsider)
    with pytest.raises(ValidationError) as exc:
        services.program_create(
            patient=stranger,
            created_by=outsider,
            title="x",
            start_date=stranger.clinic.local_today(),
            weekdays=[0, 2, 4],
            template=template,
        )
    assert "template" in exc.value.message_dict
    assert not Program.objects.filter(patient=stranger).exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"start_date": 366}, "start_date"),
        ({"weekdays": []}, "weekdays"),
        ({"weekdays": [], "sessions_per_week": 9}, "sessions_per_week"),
        ({"weekdays": [7]}, "weekdays"),
        ({"weekdays": [0, 2], "sessions_per_week": 3}, "sessions_per_week"),
    ],
)
def test_bad_schedule(patient, physio, kwargs, field):
    today = patient.clinic.local_today()
    args = {"title": "x", "start_date": today, "weekdays": [0, 2, 4]}
    args.update(kwargs)
    if isinstance(args["start_date"], int):
        args["start_date"] = today + timedelta(days=args["start_date"])
    with pytest.raises(ValidationError) as exc:
        services.program_create(patient=patient, created_by=physio, **args)
    assert field in exc.value.message_dict
    assert not Program.objects.exists()


@pytest.mark.parametrize(
    ("dose", "field"),
    [
        ({"sets": 0}, "sets"),
        ({"sets": -2}, "sets"),
        ({"reps": 101}, "reps"),
        ({"hold_seconds": 301, "reps": None}, "hold_seconds"),
        ({"reps": None, "hold_seconds": None}, "reps"),
    ],
)
def test_bad_dose_stores_nothing(draft, library, dose, field):
    (item,) = add_exercises(draft, library, "dead-bug")
    before = (item.sets, item.reps, item.hold_seconds)
    args = {"sets": 2, "reps": 10, "hold_seconds": None, "rest_seconds": 30, "notes": ""} | dose
    with pytest.raises(ValidationError) as exc:
        services.program_update_item(item=item, **args)
    assert field in exc.value.message_dict
    item.refresh_from_db()
    assert (item.sets, item.reps, item.hold_seconds) == before


class TestDatabaseConstraints:
    @pytest.mark.parametrize(
        "values", [{"sets": 0}, {"reps": 101}, {"hold_seconds": 301}, {"reps": None, "hold_seconds": None}]
    )
    def test_dose_ranges(self, draft, library, values):
        (item,) = add_exercises(draft, library, "dead-bug")
        with pytest.raises(IntegrityError), transaction.atomic():
            ProgramExercise.objects.filter(pk=item.pk).update(**values)

    def test_one_active_program_per_patient(self, draft, physio, patient, library):
        add_exercises(draft, library, "dead-bug")
        services.program_activate(version=draft, activated_by=physio)
        with pytest.raises(IntegrityError), transaction.atomic():
            Program.objects.create(patient=patient, created_by=physio, status=Program.Status.ACTIVE)

    def test_template_name_unique_per_clinic(self, physio):
        ProgramTemplate.objects.create(clinic=physio.clinic, name="Core", created_by=physio)
        with pytest.raises(IntegrityError), transaction.atomic():
            ProgramTemplate.objects.create(clinic=physio.clinic, name="core", created_by=physio)


class TestPauses:
    def test_pause_and_resume(self, patient, physio):
        today = patient.clinic.local_today()
        pause = pause_create(
            patient=patient, created_by=physio, starts_on=today, ends_on=today + timedelta(days=7), reason="Holiday"
        )
        assert pause.covers(today)
        with pytest.raises(ValidationError, match="overlap"):
            pause_create(
                patient=patient,
                created_by=physio,
                starts_on=today + timedelta(days=3),
                ends_on=today + timedelta(days=10),
                reason="Flu",
            )
        pause_resume(pause=pause, resumed_by=physio)
        pause.refresh_from_db()
        assert not pause.covers(today)
        assert pause.ends_on == today + timedelta(days=7)  # the plan stays on record

    def test_a_pause_called_off_before_it_began_leaves_its_days_free(self, patient, physio):
        today = patient.clinic.local_today()
        days = {"starts_on": today + timedelta(days=10), "ends_on": today + timedelta(days=14)}
        trip = pause_create(patient=patient, created_by=physio, reason="Trip", **days)
        trip = pause_resume(pause=trip, resumed_by=physio)
        longer = {"starts_on": today + timedelta(days=5), "ends_on": today + timedelta(days=20)}
        again = pause_create(patient=patient, created_by=physio, reason="A longer trip after all", **longer)
        assert again.covers(today + timedelta(days=12)) and not trip.covers(today + timedelta(days=12))

    @pytest.mark.parametrize(
        ("start", "end", "reason", "field"),
        [
            (5, 2, "Holiday", "ends_on"),
            (-10, -1, "Past", "ends_on"),
            (0, 3, "", "reason"),
            (400, 401, "x", "starts_on"),
            (0, 56, "Long trip", "ends_on"),  # 57 days: over the clinic's 8 weeks
        ],
    )
    def test_bad_pause(self, patient, physio, start, end, reason, field):
        today = patient.clinic.local_today()
        with pytest.raises(ValidationError) as exc:
            pause_create(
                patient=patient,
                created_by=physio,
                starts_on=today + timedelta(days=start),
                ends_on=today + timedelta(days=end),
                reason=reason,
            )
        assert field in exc.value.message_dict
        assert not patient.pauses.exists()


def test_new_program_is_compared_with_the_one_in_force(draft, physio, patient, library):
    from programs.selectors import progression_for

    add_exercises(draft, library, "glute-bridge")
    services.program_activate(version=draft, activated_by=physio)
    replacement = services.program_create(
        patient=patient, created_by=physio, title="Harder", start_date=patient.clinic.local_today(), weekdays=[0, 2, 4]
    ).versions.get()
    add_exercises(replacement, library, "single-leg-bridge", "glute-bridge", "dead-bug")
    check = progression_for(replacement)
    assert check is not None and check.needs_confirmation
    with pytest.raises(ValidationError) as exc:
        services.program_activate(version=replacement, activated_by=physio)
    assert "progression_reason" in exc.value.message_dict


def test_one_new_program_at_a_time_in_the_database(draft, physio, patient):
    with pytest.raises(IntegrityError), transaction.atomic():
        Program.objects.create(patient=patient, created_by=physio, status=Program.Status.DRAFT)


class TestStartingGently:
    """Rule 16: an exercise above the phase's starting ceiling warns and needs a reason, first version included."""

    def test_a_first_program_with_a_five_of_five_exercise_for_an_acute_patient(self, physio, library, client):
        acute = make_patient(physio=physio, onset_days=20)
        draft = services.program_create(
            patient=acute, created_by=physio, title="First", start_date=acute.clinic.local_today(), weekdays=[0, 2, 4]
        ).versions.get()
        add_exercises(draft, library, "dead-bug", "copenhagen-plank-long")
        client.force_login(physio)
        page = client.get(reverse("programs:builder", args=[draft.pk])).content.decode()
        assert "Copenhagen plank, long lever is difficulty 5/5, above the starting ceiling of 2/5" in page
        assert 'name="progression_reason"' in page
        with pytest.raises(ValidationError) as refused:
            services.program_activate(version=draft, activated_by=physio)
        assert refused.value.message_dict["progression_reason"] == [
            "An exercise is harder than this phase's starting ceiling: give the reason."
        ]
        draft.refresh_from_db()
        assert draft.status == ProgramVersion.Status.DRAFT
        services.program_activate(version=draft, activated_by=physio, progression_reason="Trained athlete, no pain")
        draft.refresh_from_db()
        assert (draft.status, draft.progression_reason) == (ProgramVersion.Status.ACTIVE, "Trained athlete, no pain")

    def test_within_the_ceiling_needs_no_reason(self, physio, library):
        acute = make_patient(physio=physio, onset_days=20)
        draft = services.program_create(
            patient=acute, created_by=physio, title="First", start_date=acute.clinic.local_today(), weekdays=[0, 2, 4]
        ).versions.get()
        add_exercises(draft, library, "dead-bug", "bridge-march")  # 2/5 each
        services.program_activate(version=draft, activated_by=physio)

    def test_a_revision_swapping_a_one_for_a_three_needs_a_reason(self, draft, physio, library):
        """The old version had a 4/5 exercise elsewhere: the jump is still judged along the bridge's variants."""
        add_exercises(draft, library, "glute-bridge", "plank-leg-lift")
        services.program_activate(version=draft, activated_by=physio, progression_reason="Strong core already")
        v2 = services.program_revise(program=draft.program, created_by=physio)
        services.program_remove_item(item=v2.items.get(exercise__key="glute-bridge"))
        (added,) = add_exercises(v2, library, "single-leg-bridge")
        services.program_update_item(item=added, sets=1, reps=5, hold_seconds=None, rest_seconds=30, notes="")
        check = progression_for(v2)
        assert check.difficulty_warnings == (
            "Single-leg bridge moves up 2 difficulty levels (1 to 3); step up one level at a time.",
        )
        with pytest.raises(ValidationError) as refused:
            services.program_activate(version=v2, activated_by=physio)
        assert "progression_reason" in refused.value.message_dict

    def test_what_the_patient_already_does_is_not_judged_again(self, draft, physio, library):
        add_exercises(draft, library, "plank-leg-lift")  # 4/5 for a subacute patient: a reason at the start
        services.program_activate(version=draft, activated_by=physio, progression_reason="Strong core already")
        v2 = services.program_revise(program=draft.program, created_by=physio)
        assert starting_warnings_for(v2) == ()
        services.program_activate(version=v2, activated_by=physio)
