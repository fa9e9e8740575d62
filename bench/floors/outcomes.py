"""The clinic outcomes page's floor (its default view: the courses of care discharged in the last 90 days, per
physiotherapist and for the whole clinic)."""

from datetime import date
from decimal import Decimal
from html import escape
from statistics import median

from django.http import Http404, HttpResponse
from django.utils import timezone

from checkins import rules as checkin_rules
from outcomes import rules as outcome_rules
from outcomes.forms import DEFAULT_PERIOD
from outcomes.templatetags.outcome_tags import signed
from patients.models import DischargeReason

from .common import HEAD, TAIL, fetch, paused_days, read_json

# Every course of care discharged in the period with all its figures come from one statement: its flags counted, the
# versions of its patient's programs in force during it, their pauses and their days reported, and its scored
# measures in the order they were answered (scores as text, so that they stay exact).
EPISODES_SQL = """
    SELECT e.physiotherapist_id, u.first_name, u.last_name, e.discharge_reason, e.referral_date, e.discharged_on,
           (SELECT count(*) FROM flags_flag f
            WHERE f.patient_id = e.patient_id AND f.opened_at >= e.opened_at AND f.opened_at <= e.discharged_at),
           (SELECT json_agg(json_build_array(v.start_date, v.weekdays, v.sessions_per_week)
                            ORDER BY v.activated_at, v.id)
            FROM programs_programversion v JOIN programs_program pr ON pr.id = v.program_id
            WHERE pr.patient_id = e.patient_id AND v.activated_at IS NOT NULL AND v.start_date <= e.discharged_on),
           (SELECT json_agg(json_build_array(pa.starts_on, pa.ends_on, pa.resumed_on)) FROM patients_pause pa
            WHERE pa.patient_id = e.patient_id AND pa.starts_on <= e.discharged_on AND pa.ends_on >= e.referral_date),
           (SELECT array_agg(DISTINCT c.session_date) FROM checkins_checkin c
            WHERE c.patient_id = e.patient_id AND c.session_date BETWEEN e.referral_date AND e.discharged_on),
           (SELECT json_agg(json_build_array(q.completed_at, m.id, i.key, i.name, i.higher_is_better, i.mcid::text,
                                             i.compares_with_start, m.score::text) ORDER BY q.completed_at, m.id)
            FROM outcomes_questionnaire q JOIN outcomes_measurement m ON m.questionnaire_id = q.id
            JOIN outcomes_instrument i ON i.id = m.instrument_id
            WHERE q.episode_id = e.id AND q.status = 'completed' AND m.score IS NOT NULL)
    FROM patients_episode e LEFT JOIN rehab_user u ON u.id = e.physiotherapist_id
    WHERE e.clinic_id = %s AND e.discharged_on >= %s AND e.discharged_on <= %s
    ORDER BY e.id
"""


def _adherence(versions, pauses, reported, start: date, end: date) -> int | None:
    """Days reported against sessions planned by each version while it was in force, paused days left out (the app's
    own pure rule, checkins.rules.adherence_over_versions, on what the floor read)."""
    return checkin_rules.adherence_over_versions(
        versions=[(date.fromisoformat(starts), weekdays, per_week) for starts, weekdays, per_week in versions or []],
        start=start,
        end=end,
        reported_days=reported or (),
        paused_days=frozenset(paused_days(pauses, until=end)),
    )["percent"]


class _Group:
    def __init__(self, name: str):
        self.name, self.episodes, self.flags = name, 0, 0
        self.by_reason = dict.fromkeys(DischargeReason.values, 0)
        self.adherence: list[int] = []
        self.measures: dict[str, list] = {}  # key: [improvements, reached]

    def cells(self, measures) -> str:
        html = [f"<td>{self.episodes}</td>", *(f"<td>{n}</td>" for n in self.by_reason.values())]
        for key in measures:
            if key in self.measures:
                improvements, reached = self.measures[key]
                change = signed(outcome_rules.as_score(median(improvements)))
                html.append(
                    f"<td>{len(improvements)}</td><td>{change}</td><td>{round(reached * 100 / len(improvements))}%</td>"
                )
            else:
                html.append("<td>0</td><td>–</td><td>–</td>")
        html.append(f"<td>{round(median(self.adherence))}%</td>" if self.adherence else "<td>–</td>")
        per_episode = (Decimal(self.flags) / self.episodes).quantize(Decimal("0.1"))
        html.append(f"<td>{per_episode}</td>")
        return "".join(html)


def clinic_outcomes(request):
    """The clinic's courses of care discharged in the last 90 days: per physiotherapist and for the whole clinic, how
    many and why, each measure's median change with the share that reached the change that matters, the median
    adherence and the flags per course of care."""
    user = request.user
    if not user.is_authenticated or user.role != "clinic_admin":
        raise Http404
    today = timezone.localdate()
    start = today - DEFAULT_PERIOD
    physios = fetch(
        "SELECT id, first_name, last_name FROM rehab_user WHERE clinic_id = %s AND role = 'physio' "
        "ORDER BY last_name, first_name",
        [user.clinic_id],
    )
    rows = fetch(EPISODES_SQL, [user.clinic_id, start, today])
    episodes = [(*row[:-1], read_json(row[-1]) or []) for row in rows]
    # Each measure is named by its first answer in the period, whichever course of care it is in, as on the page:
    # (that answer's time and id, name, higher is better, MCID, compares with the start).
    instruments: dict[str, tuple] = {}
    for *_row, scores in episodes:
        for answered, mid, key, title, higher, mcid, compares, _score in scores:
            known = instruments.get(key)
            if known is None or (answered, mid) < known[0]:
                instruments[key] = ((answered, mid), title, higher, mcid, compares)
    clinic = _Group("Whole clinic")
    groups: dict[object, _Group] = {}
    for physio, first, last, reason, referral, discharged, flags, versions, pauses, reported, scores in episodes:
        name = f"{first} {last}".strip() if physio else "No physiotherapist recorded"
        mine = groups.setdefault(physio, _Group(name))
        percent = _adherence(read_json(versions), read_json(pauses), reported, referral, discharged)
        for group in (clinic, mine):
            group.episodes += 1
            group.by_reason[reason] += 1
            group.flags += flags
            if percent is not None:
                group.adherence.append(percent)
        by_key: dict[str, list] = {}
        for _answered, _mid, key, *_instrument, score in scores:
            by_key.setdefault(key, []).append(Decimal(score))
        for key, values in by_key.items():
            _first, _title, higher, mcid, compares = instruments[key]
            if compares and len(values) < 2:
                continue
            begin = values[0] if compares else Decimal(0)
            better = outcome_rules.improvement(start=begin, score=values[-1], higher_is_better=higher)
            status = outcome_rules.change_status(
                start=begin, score=values[-1], mcid=mcid and Decimal(mcid), higher_is_better=higher
            )
            for group in (clinic, mine):
                figures = group.measures.setdefault(key, [[], 0])
                figures[0].append(better)
                figures[1] += status == outcome_rules.Status.REACHED
    measures = sorted(instruments, key=lambda key: (instruments[key][1], instruments[key][0]))
    html = [
        HEAD.format(title="Outcomes"),
        f'<form method="get"><input type="date" name="start" value="{start}"><input type="date" name="end" '
        f'value="{today}"><select name="physiotherapist"><option value="">Every physiotherapist</option>',
        *(f'<option value="{pk}">{escape(f"{first} {last}")}</option>' for pk, first, last in physios),
        f"</select></form><p>Courses of care discharged from {start.day} {start:%B %Y} "
        f"to {today.day} {today:%B %Y}.</p>",
    ]
    if not rows:
        html.append("<p>No course of care was discharged in this period.</p>" + TAIL)
        return HttpResponse("".join(html))
    html.append("<table><thead><tr><th>Physiotherapist</th><th>Discharged</th>")
    html += [f"<th>{label}</th>" for _value, label in DischargeReason.choices]
    html += [f"<th>{escape(instruments[key][1])}</th>" for key in measures]
    html.append("<th>Median adherence</th><th>Flags per course of care</th></tr></thead><tbody>")
    for group in [clinic, *sorted(groups.values(), key=lambda g: g.name)]:
        html.append(f'<tr><th scope="row">{escape(group.name)}</th>{group.cells(measures)}</tr>')
    html.append("</tbody></table>" + TAIL)
    return HttpResponse("".join(html))
