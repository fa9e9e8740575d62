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
from .library import exercise_create
from .media import exercise_media_attach, exercise_media_remove
from .templates import template_create_from_version

__all__ = [
    "exercise_create",
    "exercise_media_attach",
    "exercise_media_remove",
    "program_activate",
    "program_add_exercise",
    "program_create",
    "program_discard_draft",
    "program_move_item",
    "program_remove_item",
    "program_revise",
    "program_set_schedule",
    "program_swap_variant",
    "program_update_item",
    "programs_end_at_discharge",
    "template_create_from_version",
]
