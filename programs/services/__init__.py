"""Every write about the exercise library, programs and templates, one module per part; the names are
importable from here as before."""

from .builder import (
    program_activate,
    program_add_exercise,
    program_create,
    program_discard_draft,
    program_move_item,
    program_remove_item,
    program_revise,
    program_set_schedule,
    program_swap_variant,
    program_update_item,
    programs_end_at_discharge,
)
from .calendar import calendar_feed_reset
from .flare_ups import flare_plan_keep, flare_up_answer, flare_up_end, flare_up_start
from .library import exercise_create
from .media import exercise_media_attach, exercise_media_remove
from .prepared import flare_plan_prepare, program_prepare_ease_off, program_prepare_step_up
from .templates import template_create_from_version

__all__ = [
    "calendar_feed_reset",
    "exercise_create",
    "exercise_media_attach",
    "exercise_media_remove",
    "flare_plan_keep",
    "flare_plan_prepare",
    "flare_up_answer",
    "flare_up_end",
    "flare_up_start",
    "program_activate",
    "program_add_exercise",
    "program_create",
    "program_discard_draft",
    "program_move_item",
    "program_prepare_ease_off",
    "program_prepare_step_up",
    "program_remove_item",
    "program_revise",
    "program_set_schedule",
    "program_swap_variant",
    "program_update_item",
    "programs_end_at_discharge",
    "template_create_from_version",
]
