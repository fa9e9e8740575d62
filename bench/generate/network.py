"""The network's plan: its clinics, each in its time zone with its own limits; a clinic's local clock, and the moment
of the generation as the clinic sees it."""

import random
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bench.generate.vocabulary import CITIES, DAY, HOUR, TIME_ZONES, UNIX_EPOCH_ORDINAL


@dataclass
class Clinic:
    id: int
    name: str
    time_zone: str
    rest_days_allowed: int
    ack_hours: int
    urgent_ack_minutes: int
    size: int


def plan_clinics(patients: int, seed: int) -> list[Clinic]:
    rng = random.Random(seed)
    zones = [z for z, _ in TIME_ZONES]
    weights = [w for _, w in TIME_ZONES]
    clinics, remaining = [], patients
    while remaining > 0:
        size = min(remaining, rng.randint(100, 300))
        if remaining - size < 50:
            size = remaining
        remaining -= size
        number = len(clinics) + 1
        zone = rng.choices(zones, weights)[0]
        clinics.append(
            Clinic(
                id=number,
                name=f"{rng.choice(CITIES[zone])} Spine & Physio {number:04d}",
                time_zone=zone,
                rest_days_allowed=rng.choices([2, 3, 1], [80, 15, 5])[0],
                ack_hours=rng.choices([24, 48, 12], [70, 20, 10])[0],
                urgent_ack_minutes=rng.choices([60, 30], [70, 30])[0],
                size=size,
            )
        )
    return clinics


class LocalClock:
    """Local wall-clock times of one clinic as UTC epoch seconds, with the UTC offset cached per day and hour."""

    def __init__(self, time_zone: str):
        self.tz = ZoneInfo(time_zone)
        self._offsets: dict[tuple[int, int], int] = {}

    def ts(self, day: int, minute: int) -> int:
        hour = minute // 60
        offset = self._offsets.get((day, hour))
        if offset is None:
            d = date.fromordinal(day)
            offset = int(datetime(d.year, d.month, d.day, hour, tzinfo=self.tz).utcoffset().total_seconds())
            self._offsets[(day, hour)] = offset
        return (day - UNIX_EPOCH_ORDINAL) * DAY + minute * 60 - offset

    def day_of(self, ts: int) -> int:
        """The local date (ordinal) of a UTC epoch second."""
        day = ts // DAY + UNIX_EPOCH_ORDINAL
        offset = (day - UNIX_EPOCH_ORDINAL) * DAY + 12 * HOUR - self.ts(day, 12 * 60)
        return (ts + offset) // DAY + UNIX_EPOCH_ORDINAL


@dataclass
class ClinicContext:
    clinic: Clinic
    clock: LocalClock
    today: int  # local date (ordinal) when the data was generated
    now_minute: int  # local minute of the day then
    today_start: int  # UTC epoch seconds of today's local midnight
    escalation_json: str
    pending: bool  # today's first sweep has not run yet in this clinic (its rest flags are the sweep's work)
