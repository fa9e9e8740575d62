"""The programs app's tables, by sub-domain: the exercise library and clinics' own media (`library`), programs with
their versions and the clinics' templates (`programs`), flare-ups (`flareups`) and calendar links (`calendar`)."""

from .calendar import CalendarFeed
from .flareups import FlareUp
from .library import Category, Dosage, Equipment, Exercise, ExerciseMedia, ExerciseMuscle, MuscleGroup
from .programs import Program, ProgramExercise, ProgramTemplate, ProgramVersion, Schedule, TemplateExercise

__all__ = [
    "CalendarFeed",
    "Category",
    "Dosage",
    "Equipment",
    "Exercise",
    "ExerciseMedia",
    "ExerciseMuscle",
    "FlareUp",
    "MuscleGroup",
    "Program",
    "ProgramExercise",
    "ProgramTemplate",
    "ProgramVersion",
    "Schedule",
    "TemplateExercise",
]
