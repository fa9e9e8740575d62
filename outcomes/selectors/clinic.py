"""The clinic's outcomes over a period, per physiotherapist and for the whole clinic, and a course of care's summary.

The clinic's figures come from a fixed number of set-based queries whatever the number of courses of care: the
courses of care discharged in the period with their flags counted (one query, through the clinic's discharge-date
index, with the names of the physiotherapists who looked after them), their scored measures (one) and their
adherence (three: checkins.selectors.adherence_over)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from statistics import median

from django.db.models import OuterRef, QuerySet
from django.db.models.functions import Coalesce

from checkins import rules as checkin_rules
from checkins.selectors import adherence_over, pain_series
from flags.models import Flag
from patients.models import DischargeReason, Episode
from patients.selectors import episodes_visible_to
from rehab.db import count_of
from rehab.models import User
from rehab.prepared import prepared

from .. import rules
from ..models import Measurement, QuestionnaireStatus
from .results import measure_results

CLINIC = "clinic"  # the whole clinic's row, beside one per physiotherapist


@dataclass
class MeasureFigures:
    """One measure over a group's courses of care: the change from the first score to the last of each."""

    key: str
    name: str
    improvements: list[Decimal] = field(default_factory=list)
    reached: int = 0

    @property
    def count(self) -> int:
        return len(self.improvements)

    @property
    def median_improvement(self) -> Decimal | None:
        return rules.as_score(median(self.improvements)) if self.improvements else None

    @property
    def share_reached(self) -> int | None:
        """Percentage of the courses of care whose change reached the minimal clinically important difference."""
        return round(self.reached * 100 / self.count) if self.count else None


@dataclass
class Group:
    """The figures of one physiotherapist's discharged courses of care, or the whole clinic's."""

    key: object
    name: str
    episodes: int = 0
    by_reason: dict = field(default_factory=lambda: dict.fromkeys(DischargeReason.values, 0))
    adherence: list[int] = field(default_factory=list)
    flags: int = 0
    measures: dict = field(default_factory=dict)

    @property
    def median_adherence(self) -> int | None:
        return round(median(self.adherence)) if self.adherence else None

    @property
    def flags_per_episode(self) -> Decimal | None:
        return (Decimal(self.flags) / self.episodes).quantize(Decimal("0.1")) if self.episodes else None


def _flags_during_episode() -> Coalesce:
    """How many flags were raised for the patient while the course of care was open."""
    return count_of(
        Flag.objects.filter(
            patient_id=OuterRef("patient_id"),
            opened_at__gte=OuterRef("opened_at"),
            opened_at__lte=OuterRef("discharged_at"),
        ),
        by="patient_id",
    )


def _discharged(*, clinic_id: int, start: date, end: date, physiotherapist_id: int | None = None):
    episodes = Episode.objects.filter(clinic_id=clinic_id, discharged_on__gte=start, discharged_on__lte=end)
    if physiotherapist_id is not None:
        episodes = episodes.filter(physiotherapist_id=physiotherapist_id)
    return episodes


# The page's two reads as prepared queries (rehab.prepared): without a physiotherapist (None), SQL of its own.
@prepared
def _discharged_rows(*, clinic_id: int, start: date, end: date, physiotherapist_id: int | None = None) -> QuerySet:
    return (
        _discharged(clinic_id=clinic_id, start=start, end=end, physiotherapist_id=physiotherapist_id)
        .annotate(flags=_flags_during_episode())
        .order_by("pk")
        .values(
            "pk",
            "patient_id",
            "physiotherapist_id",
            "physiotherapist__first_name",
            "physiotherapist__last_name",
            "discharge_reason",
            "referral_date",
            "discharged_on",
            "flags",
        )
    )


@prepared
def _scores_of(*, clinic_id: int, start: date, end: date, physiotherapist_id: int | None = None) -> QuerySet:
    episodes = _discharged(clinic_id=clinic_id, start=start, end=end, physiotherapist_id=physiotherapist_id)
    return (
        Measurement.objects.filter(
            questionnaire__episode__in=episodes.values("pk"),
            questionnaire__status=QuestionnaireStatus.COMPLETED,
            score__isnull=False,
        )
        .order_by("questionnaire__completed_at", "pk")
        .values_list(
            "questionnaire__episode_id",
            "instrument__key",
            "instrument__name",
            "instrument__higher_is_better",
            "instrument__mcid",
            "instrument__compares_with_start",
            "score",
        )
    )


def clinic_outcomes(*, user: User, start: date, end: date, physiotherapist_id: int | None = None) -> dict[str, object]:
    """The clinic's courses of care discharged from `start` to `end` (inclusive): per physiotherapist who looked
    after them and for the whole clinic, how many were discharged and why, the median change of each measure from
    its first score to its last with the share that reached the minimal clinically important difference, the median
    adherence, and the flags raised per course of care. For clinic admins; nothing for anybody else."""
    if user.role != User.Role.CLINIC_ADMIN or user.clinic_id is None:
        return {"groups": [], "measures": []}
    period = {"clinic_id": user.clinic_id, "start": start, "end": end, "physiotherapist_id": physiotherapist_id}
    rows = _discharged_rows(**period)
    scores: dict[int, dict[str, list]] = defaultdict(dict)
    instruments = {}
    for episode_id, key, name, higher, mcid, compares, score in _scores_of(**period) if rows else ():
        instruments.setdefault(key, (name, higher, mcid, compares))
        scores[episode_id].setdefault(key, []).append(score)
    adherence = adherence_over({r["pk"]: (r["patient_id"], r["referral_date"], r["discharged_on"]) for r in rows})
    groups: dict[object, Group] = {CLINIC: Group(CLINIC, "Whole clinic")}
    for row in rows:
        physio = row["physiotherapist_id"]
        if physio not in groups:  # named as User.get_full_name has it
            name = f"{row['physiotherapist__first_name']} {row['physiotherapist__last_name']}".strip()
            groups[physio] = Group(physio, name if physio else "No physiotherapist recorded")
        mine = groups[physio]
        for group in (groups[CLINIC], mine):
            group.episodes += 1
            group.by_reason[row["discharge_reason"]] += 1
            group.flags += row["flags"]
            percent = adherence[row["pk"]]["percent"]
            if percent is not None:
                group.adherence.append(percent)
        for key, values in scores.get(row["pk"], {}).items():
            name, higher, mcid, compares = instruments[key]
            if compares and len(values) < 2:
                continue  # one score: no change to measure
            first = values[0] if compares else Decimal(0)
            better = rules.improvement(start=first, score=values[-1], higher_is_better=higher)
            status = rules.change_status(start=first, score=values[-1], mcid=mcid, higher_is_better=higher)
            for group in (groups[CLINIC], mine):
                figures = group.measures.setdefault(key, MeasureFigures(key, name))
                figures.improvements.append(better)
                figures.reached += status == rules.Status.REACHED
    ordered = [groups[CLINIC], *sorted((g for k, g in groups.items() if k != CLINIC), key=lambda g: g.name)]
    measures = sorted(instruments, key=lambda key: instruments[key][0])
    return {
        "groups": ordered,
        "measures": [(key, instruments[key][0]) for key in measures],
    }


# --- A course of care's summary ------------------------------------------------------------------------------


def episode_summary(*, user: User, pk: int) -> dict:
    """What the printable summary of a course of care shows, for its patient and their referrer: dates, sessions done
    and adherence, the pain trend by week, each measure from its first score to its last, and the advice.
    Episode.DoesNotExist for a course of care the user may not see."""
    episode = (
        episodes_visible_to(user)
        .select_related(
            "patient__user", "patient__clinic", "patient__physiotherapist", "physiotherapist", "discharged_by"
        )
        .get(pk=pk)
    )
    patient = episode.patient
    end = episode.discharged_on or patient.clinic.local_today()
    adherence = adherence_over({episode.pk: (patient.pk, episode.referral_date, end)})[episode.pk]
    points = [
        (date.fromisoformat(p["date"]), p["pain"])
        for p in pain_series(patient=patient, since=episode.referral_date)
        if date.fromisoformat(p["date"]) <= end
    ]
    weeks = checkin_rules.pain_by_week(points, start=episode.referral_date)
    return {
        "episode": episode,
        "patient": patient,
        "end": end,
        "weeks_of_care": max(1, round(((end - episode.referral_date).days + 1) / 7)),
        "adherence": adherence,
        "pain_weeks": weeks,
        "pain_first": weeks[0] if weeks else None,
        "pain_last": weeks[-1] if len(weeks) > 1 else None,
        "measures": measure_results(episode=episode),
        "physiotherapist": episode.physiotherapist or patient.physiotherapist,
    }
