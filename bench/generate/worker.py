"""One simulating process: a share of the clinics, each set up with its staff and templates, then its patients one
after the other, every row written to the worker's own table files.

What a patient's simulation does is split by sub-domain into the mixins the Worker is made of: people (accounts,
registration, threshold reviews, pauses), prescribing (templates, programs and their versions, flare-up plans),
history (the days walked, the check-ins), flagging (the app's flag rules along that history) and care (courses of care
and their outcome questionnaires). They share the worker's one random generator: the draws happen in the order the
simulation makes them, so that the same seed gives the same network.
"""

import json
import random
from datetime import UTC, datetime

from bench.generate.care import CareMixin
from bench.generate.flagging import FlagsMixin
from bench.generate.history import HistoryMixin
from bench.generate.load import TableFile, ts_text
from bench.generate.network import Clinic, ClinicContext, LocalClock
from bench.generate.people import PeopleMixin
from bench.generate.prescribing import PrescribingMixin


class Worker(PeopleMixin, PrescribingMixin, HistoryMixin, FlagsMixin, CareMixin):
    """Simulates a share of the clinics and writes their rows. Worker k of n uses the ids k+1, k+1+n, ..."""

    def __init__(self, *, index, workers, args, now, out_dir, specs, library, password, instruments):
        self.index, self.workers, self.args, self.now = index, workers, args, now
        self.rng = random.Random(args.seed * 1000 + index)
        self.files = {key: TableFile(out_dir / f"{key}.{index}.tsv", spec.tail) for key, spec in specs.items()}
        self.library = library
        self.instruments = instruments  # shipped instrument ids by key
        self.by_id = {e["id"]: e for e in library}
        self.by_key = {e["key"]: e for e in library}
        self.password = password
        self._next = dict.fromkeys(specs, index + 1)
        self.stats = {"expected_rest_candidates": 0, "unevaluated_reports": 0}
        self.unevaluated_owed = 0
        from flags import rules as program_rules
        from patients import rules as patient_rules

        self.patient_rules, self.program_rules = patient_rules, program_rules

    def next_id(self, key: str) -> int:
        value = self._next[key]
        self._next[key] = value + self.workers
        return value

    def run(self, clinics: list[Clinic]) -> dict:
        for clinic in clinics:
            self.clinic(clinic)
        for f in self.files.values():
            f.close()
        return self.stats

    def clinic(self, c: Clinic) -> None:
        rng = self.rng
        clock = LocalClock(c.time_zone)
        local_now = datetime.fromtimestamp(self.now, UTC).astimezone(clock.tz)
        today = local_now.date().toordinal()
        created = clock.ts(today - self.args.days - 60, 10 * 60)
        self.files["clinic"].row(
            c.id, c.name, c.time_zone, ts_text(created), c.ack_hours, 10, c.rest_days_allowed, c.urgent_ack_minutes
        )
        admins = [f"admin{n + 1}@c{c.id:04d}.bench.example" for n in range(1 if c.size < 200 else 2)]
        for email in admins:
            self.user(c.id, "clinic_admin", email, created)
        physios = []
        for n in range(max(2, round(c.size / 30))):
            email = f"physio{n + 1}@c{c.id:04d}.bench.example"
            physios.append((self.user(c.id, "physio", email, created), json.dumps({"to": email})))
        weights = [rng.uniform(0.6, 1.4) for _ in physios]
        self.templates(c.id, created, physios[0][0])
        context = ClinicContext(
            clinic=c,
            clock=clock,
            today=today,
            now_minute=local_now.hour * 60 + local_now.minute,
            today_start=clock.ts(today, 0),
            escalation_json=json.dumps({"to": admins}),
            pending=self.args.pending_zones == "all" or c.time_zone in self.args.pending_zones.split(","),
        )
        for _ in range(c.size):
            physio, email_json = rng.choices(physios, weights)[0]
            self.patient(context, physio, email_json)


def _work(job) -> dict:
    worker = Worker(**job["worker"])
    return worker.run(job["clinics"])
