"""Reads about the exercise library and programs, always starting from what the user may see. By sub-domain:
`library` (exercises and their media), `programs` (programs, versions, the version in force), `flare_ups` (rule 18:
the flare-up on a day and what the patient does today) and `feeds` (the calendar feed)."""

from .feeds import (
    calendar_feed_by_token,
    calendar_feed_of,
    calendar_schedule,
)
from .flare_ups import (
    flare_up_in_force,
    flare_up_to_ask_about,
    flare_ups_on,
    flare_ups_visible_to,
    kept_plan,
    patient_flare_ups,
    plan_in_force,
    program_version_and_flare_up,
    version_in_force,
)
from .library import (
    clinic_media,
    exercise_detail,
    exercise_library,
    exercises_visible_to,
    media_visible_to,
)
from .programs import (
    active_version_for,
    balance_for,
    first_start,
    items_visible_to,
    last_version_for,
    patient_programs,
    program_start_date,
    programs_visible_to,
    progression_for,
    starting_warnings_for,
    templates_visible_to,
    version_items,
    version_program_start,
    versions_visible_to,
    weekly_volume_of,
)

__all__ = [
    "exercises_visible_to",
    "media_visible_to",
    "clinic_media",
    "exercise_library",
    "exercise_detail",
    "programs_visible_to",
    "versions_visible_to",
    "items_visible_to",
    "templates_visible_to",
    "version_items",
    "balance_for",
    "weekly_volume_of",
    "progression_for",
    "starting_warnings_for",
    "patient_programs",
    "first_start",
    "active_version_for",
    "program_start_date",
    "version_program_start",
    "last_version_for",
    "flare_ups_visible_to",
    "flare_ups_on",
    "flare_up_in_force",
    "plan_in_force",
    "program_version_and_flare_up",
    "version_in_force",
    "kept_plan",
    "flare_up_to_ask_about",
    "patient_flare_ups",
    "calendar_feed_of",
    "calendar_feed_by_token",
    "calendar_schedule",
]
