"""The patient page's floor: the patient and every panel of their page."""

import json
from datetime import timedelta
from html import escape

from django.http import Http404, HttpResponse
from django.utils import timezone

from checkins import rules as checkin_rules
from checkins.rules import ADHERENCE_LONG_WINDOW_DAYS, ADHERENCE_WINDOW_DAYS
from patients import rules as patient_rules

from .common import (
    HEAD,
    PHASES,
    REASONS,
    STATUSES,
    TAIL,
    ago,
    fetch,
    paused_days,
    read_json,
)


def _adherence(days: int, today, start, reported: set, weekdays: list, per_week, paused: frozenset) -> str:
    """Days reported against sessions planned over the last `days` days, from the program's first day at the
    earliest, paused days left out (the app's own arithmetic, checkins.rules.adherence: plain Python on what the
    floor read)."""
    first = max(today - timedelta(days=days - 1), start)
    figures = checkin_rules.adherence(
        start=first,
        end=today,
        reported_days=reported,
        paused_days=paused,
        weekdays=weekdays,
        sessions_per_week=per_week,
    )
    percent = "–" if figures["percent"] is None else f"{figures['percent']}%"
    return (
        f"<p>Adherence, last {days} days: {percent} ({figures['reported']} sessions reported, "
        f"{figures['planned']} planned)</p>"
    )


def patient_detail(request, pk: int):
    """A patient's page: who they are and who looks after them, their threshold and its history, their flags, the
    threshold review due, the outcome measures of their course of care with its screening result and the
    questionnaires outstanding, their courses of care, their program in force with its adherence and a flare-up in
    force, every report with the threshold of its day, the latest reports with their exercises and corrections, and
    their reminders."""
    user = request.user
    if not user.is_authenticated or user.role not in ("physio", "clinic_admin"):
        raise Http404
    today = timezone.localdate()
    found = fetch(
        """SELECT p.id, u.first_name, u.last_name, u.email, p.phone, p.pain_threshold, p.onset_date, p.date_of_birth,
                  p.condition, ph.first_name, ph.last_name, e.id, e.opened_at, e.discharged_on, e.referral_date,
                  (SELECT json_agg(json_build_array(x.opened_at, x.discharged_on, x.condition)
                                   ORDER BY x.opened_at DESC)
                   FROM patients_episode x WHERE x.patient_id = p.id),
                  (SELECT row_to_json(r) FROM reminders_remindersettings r WHERE r.patient_id = p.id),
                  (SELECT max(s.sent_at) FROM reminders_remindersent s WHERE s.patient_id = p.id),
                  (SELECT count(*) FROM reminders_pushsubscription d WHERE d.patient_id = p.id),
                  (SELECT json_agg(json_build_array(pa.starts_on, pa.ends_on, pa.resumed_on)) FROM patients_pause pa
                   WHERE pa.patient_id = p.id AND pa.ends_on >= %s),
                  (SELECT json_agg(json_build_array(q.timepoint, q.due_on) ORDER BY q.due_on)
                   FROM outcomes_questionnaire q WHERE q.episode_id = e.id AND q.status = 'due'),
                  (SELECT json_build_array(fu.starts_on, fu.last_day) FROM programs_flareup fu
                   WHERE fu.patient_id = p.id AND fu.starts_on <= %s AND fu.last_day >= %s
                   ORDER BY fu.started_at DESC, fu.id DESC LIMIT 1)
           FROM patients_patient p JOIN rehab_user u ON u.id = p.user_id
           LEFT JOIN rehab_user ph ON ph.id = p.physiotherapist_id
           LEFT JOIN LATERAL (SELECT id, opened_at, discharged_on, referral_date FROM patients_episode e
                              WHERE e.patient_id = p.id ORDER BY opened_at DESC LIMIT 1) e ON true
           WHERE p.id = %s AND p.clinic_id = %s""",
        [today - timedelta(days=27), today, today, pk, user.clinic_id],
    )
    if not found:
        raise Http404
    (pid, first, last, email, phone, threshold, onset, born, condition, ph_first, ph_last, episode_id, opened,
     discharged, referral, episodes, reminders, last_sent, devices, pauses, due, flare_up) = found[0]  # fmt: skip
    episodes, reminders, pauses, due, flare_up = map(read_json, (episodes, reminders, pauses, due, flare_up))
    flags = fetch(
        """SELECT id, reason, urgent, status, details->>'explanation', opened_at, resolved_at, outcome
           FROM flags_flag WHERE patient_id = %s ORDER BY status = 'resolved', opened_at DESC""",
        [pid],
    )
    changes = fetch(
        """SELECT t.changed_at, t.previous_value, t.value, t.reason, b.first_name, b.last_name, t.phase
           FROM patients_thresholdchange t LEFT JOIN rehab_user b ON b.id = t.changed_by_id
           WHERE t.patient_id = %s ORDER BY t.changed_at, t.id""",
        [pid],
    )
    measures = fetch(
        """SELECT i.key, i.name, i.higher_is_better, i.mcid, i.compares_with_start, m.category, q.completed_at,
                  q.timepoint, m.score
           FROM outcomes_measurement m JOIN outcomes_questionnaire q ON q.id = m.questionnaire_id
           JOIN outcomes_instrument i ON i.id = m.instrument_id
           WHERE q.episode_id = %s AND q.status = 'completed' AND m.score IS NOT NULL
           ORDER BY m.position, q.completed_at""",
        [episode_id],
    )
    items = fetch(
        """SELECT x.name, i.sets, i.reps, i.hold_seconds, v.number, v.weekdays, v.sessions_per_week, pr.title,
                  (SELECT min(f.start_date) FROM programs_programversion f
                   WHERE f.program_id = pr.id AND f.activated_at IS NOT NULL)
           FROM programs_programversion v JOIN programs_program pr ON pr.id = v.program_id
           JOIN programs_programexercise i ON i.version_id = v.id JOIN programs_exercise x ON x.id = i.exercise_id
           WHERE pr.patient_id = %s AND pr.status = 'active' AND v.status = 'active' ORDER BY i.position""",
        [pid],
    )
    reports = fetch(
        """SELECT c.id, c.session_date, c.max_pain, c.pain_now, c.sharp_pain, c.note, done.results, c.corrected_at,
                  done.before
           FROM (SELECT *, row_number() OVER (ORDER BY session_date DESC, submitted_at DESC) AS n FROM checkins_checkin
                 WHERE patient_id = %s) c
           LEFT JOIN LATERAL (SELECT array_agg(x.name || ': ' || r.outcome ORDER BY i.position) AS results,
                                     CASE WHEN c.corrected_at IS NOT NULL THEN
                                       (SELECT array_agg(k.previous::text ORDER BY k.corrected_at)
                                        FROM checkins_checkincorrection k WHERE k.checkin_id = c.id) END AS before
                              FROM checkins_exerciseresult r JOIN programs_programexercise i ON i.id = r.item_id
                              JOIN programs_exercise x ON x.id = i.exercise_id
                              WHERE c.n <= 5 AND r.checkin_id = c.id) done ON true
           ORDER BY c.n""",
        [pid],
    )
    now = timezone.now()
    zone = timezone.get_current_timezone()
    steps = [(changed_at.astimezone(zone).date(), value) for changed_at, _prev, value, *_ in changes]
    phase_now = patient_rules.condition_phase(onset, today).value
    decided_for = changes[-1][-1] if changes else ""
    html = [
        HEAD.format(title=escape(f"{first} {last}")),
        f"<dl><dt>Date of birth</dt><dd>{born:%d %b %Y}</dd><dt>Contact email</dt><dd>{escape(email)}</dd>"
        f"<dt>Phone</dt><dd>{escape(phone or 'no phone number recorded')}</dd><dt>Injury onset</dt><dd>{onset}</dd>"
        f"<dt>Condition</dt><dd>{escape(condition)}</dd><dt>Referral</dt><dd>{referral}</dd><dt>Physiotherapist</dt>"
        f"<dd>{escape(f'{ph_first} {ph_last}')}</dd></dl><p>Course of care since {opened:%d %b %Y}"
        f"{f', discharged {discharged}' if discharged else ''}</p><h2>Pain threshold: {threshold}/5</h2>",
    ]
    if decided_for and decided_for != phase_now and not discharged:
        label, words, default = PHASES[phase_now]
        html.append(
            f"<p>Review the threshold: now in the {label.lower()} phase ({words}), whose default threshold is "
            f"{default}/5.</p>"
        )
    html.append("<ul>")
    for changed_at, previous, value, reason, by_first, by_last, _phase in reversed(changes):
        was = f"{previous} → " if previous is not None else ""
        html.append(
            f"<li>{was}{value}/5, {changed_at.astimezone(zone):%d %b %Y, %H:%M} by "
            f"{escape(f'{by_first} {by_last}')}: {escape(reason)}</li>"
        )
    html.append("</ul><h2>Flags</h2><ul>")
    for fpk, reason, urgent, status, explanation, opened_at, resolved_at, outcome in flags:
        resolved = f", resolved {resolved_at:%d %b %Y} ({outcome})" if resolved_at else ""
        html.append(
            f'<li id="flag-{fpk}"><a href="/flags/{fpk}/">{REASONS.get(reason, reason)}</a>'
            f"{' urgent' if urgent else ''} {STATUSES[status].lower()}, raised {ago(opened_at, now)}"
            f"{resolved}: {escape(explanation or '')}</li>"
        )
    html.append("</ul><h2>Outcome measures</h2>")
    by_measure: dict[str, list] = {}
    for key, *row in measures:
        by_measure.setdefault(key, []).append(row)
    for rows in by_measure.values():
        name, better_high, mcid, compares = rows[0][:4]
        intake = next((category for *_, category, _done, when, _score in rows if category and when == "intake"), "")
        if intake:  # a screening tool's risk group, beside the threshold on the page
            html.append(f"<p>Screening at the start: {escape(intake)} risk</p>")
        html.append(f"<h3>{escape(name)}</h3><table><tbody>")
        html += [f"<tr><td>{done:%d %b %Y}</td><td>{when}</td><td>{score.normalize()}</td></tr>" for *_, done, when,
                 score in rows]  # fmt: skip
        html.append("</tbody></table>")
        if compares and mcid is not None and len(rows) > 1:
            change = rows[-1][-1] - rows[0][-1]
            better = change >= mcid if better_high else -change >= mcid
            html.append(
                f"<p>Change since the start: {change.normalize():+} ({'higher' if better_high else 'lower'} is "
                f"better); the change that matters is {mcid.normalize()}."
                f"{' Better by at least the change that matters' if better else ''}</p>"
            )
    if due:
        html.append("<p>Outstanding: " + ", ".join(f"{when} due {on}" for when, on in due) + "</p>")
    html.append("<h2>Courses of care</h2><ul>")
    html += [
        f"<li>{began[:10]} – {ended or 'in progress'}: {escape(text)}</li>" for began, ended, text in episodes or []
    ]
    html.append("</ul><h2>Progress</h2>")
    reported = {day for _id, day, *_ in reports}
    if items:
        number, weekdays, per_week, title, start = items[0][4:9]
        weekdays = read_json(weekdays)
        paused = paused_days(pauses, until=today)
        html.append(f"<p>{escape(title)}, version {number}</p><ol>")
        if flare_up:
            html.append(f"<p>Flare-up from {flare_up[0]} to {flare_up[1]}</p>")
        html += [f"<li>{escape(name)}: {sets} x {reps or hold}</li>" for name, sets, reps, hold, *_ in items]
        html.append("</ol>")
        windows = (ADHERENCE_WINDOW_DAYS, ADHERENCE_LONG_WINDOW_DAYS)
        html += [_adherence(days, today, start, reported, weekdays, per_week, frozenset(paused)) for days in windows]
    else:  # nothing planned without a program in force
        html += [
            f"<p>Adherence, last {days} days: – (0 sessions reported, 0 planned)</p>"
            for days in (ADHERENCE_WINDOW_DAYS, ADHERENCE_LONG_WINDOW_DAYS)
        ]
    html.append("<table><tbody>")
    for _rpk, day, max_pain, pain_now, sharp, *_ in reversed(reports):
        limit = steps[0][1] if steps else threshold
        for changed_on, value in steps:
            if changed_on <= day:
                limit = value
        sharp_cell = "<td>sharp</td>" if sharp else ""
        html.append(
            f"<tr><td>{day:%a %d %b %Y}</td><td>{max_pain}/5</td><td>{pain_now}/5</td><td>{limit}</td>{sharp_cell}</tr>"
        )
    html.append("</tbody></table><h2>Latest reports</h2><ul>")
    for rpk, day, max_pain, pain_now, _sharp, note, results, corrected_at, before in reports[:5]:
        corrected = ""
        if corrected_at:
            corrected = f"Corrected {corrected_at.astimezone(zone):%d %b, %H:%M}. " + " ".join(
                f"Before: highest pain {json.loads(previous).get('max_pain')}" for previous in before or []
            )
        html.append(
            f'<li id="checkin-{rpk}">{day:%a %d %b %Y} Highest pain {max_pain}/5 · now {pain_now}/5 '
            f"{escape(' '.join(results or []))} {escape(note)} {corrected}</li>"
        )
    html.append("</ul><h2>Reminders</h2>")
    if reminders:
        html.append(
            f"<p>Session days: {'reminded at ' + reminders['time'][:5] if reminders['sessions'] else 'off'}; before "
            f"the rest limit: {'nudged' if reminders['nudges'] else 'off'}; by e-mail {reminders['email']}, "
            f"notifications on {devices} devices; last sent: {last_sent or 'none yet'}</p>"
        )
    html.append(TAIL)
    return HttpResponse("".join(html))
