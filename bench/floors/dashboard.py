"""The physiotherapist's dashboard's floor, with rules 15 and 17 in SQL of its own."""

from datetime import timedelta
from html import escape

from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone

from checkins.rules import ADHERENCE_WINDOW_DAYS
from flags.progress import READY_LIMIT
from flags.selectors.dashboard import WITHOUT_PROGRAM_LIMIT
from patients import rules as patient_rules
from programs.rules import DAYS_IN_WEEK

from .common import FLAG_COLUMNS, FLAG_JOINS, HEAD, PAGE_SIZE, PHASES, TAIL, fetch, flag_html, patient_cell

# Rule 17 by hand: the versions in force of the physiotherapist's patients in care that started by the day given, with
# no open flag and no flare-up now; their sessions, highest pain, sharp pains and pains over the threshold in force on
# each session's day (the last change on or before it, in the clinic's time zone, else the first change, else the
# patient's threshold); the days reported and the sessions planned (times seven) over the adherence window from the
# program's first day at the earliest, paused days left out; then the clinic's criteria.
READY_SQL = f"""
    WITH v AS (
      SELECT v.id, v.number, v.start_date, v.weekdays::text AS weekdays, coalesce(v.sessions_per_week, 0) AS per_week,
             p.id AS patient_id, p.pain_threshold, u.first_name, u.last_name,
             least(p.pain_threshold, (SELECT min(t.value) FROM patients_thresholdchange t
                                      WHERE t.patient_id = p.id)) AS lowest_threshold,
             greatest(%(window_start)s, coalesce((SELECT min(x.start_date) FROM programs_programversion x
                                                  WHERE x.program_id = pr.id AND x.activated_at IS NOT NULL),
                                                 v.start_date)) AS window_start,
             EXISTS (SELECT 1 FROM programs_programversion d WHERE d.program_id = pr.id AND d.status = 'draft'
                     AND d.kind = 'program') AS revision_draft
      FROM patients_patient p JOIN rehab_user u ON u.id = p.user_id
      JOIN programs_program pr ON pr.patient_id = p.id AND pr.status = 'active'
      JOIN programs_programversion v ON v.program_id = pr.id AND v.status = 'active'
      WHERE p.clinic_id = %(clinic)s AND p.physiotherapist_id = %(physio)s AND v.start_date <= %(started_by)s
        AND EXISTS (SELECT 1 FROM patients_episode e WHERE e.patient_id = p.id AND e.discharged_at IS NULL)
        AND NOT EXISTS (SELECT 1 FROM flags_flag f WHERE f.patient_id = p.id AND f.status <> 'resolved')
        AND NOT EXISTS (SELECT 1 FROM programs_flareup fu WHERE fu.patient_id = p.id
                        AND fu.starts_on <= %(today)s AND fu.last_day >= %(today)s)
    ), figures AS (
      SELECT v.*, s.n, s.highest,
             (SELECT count(DISTINCT c.session_date) FROM checkins_checkin c WHERE c.patient_id = v.patient_id
                AND c.session_date BETWEEN v.window_start AND %(today)s) AS reported,
             (SELECT coalesce(sum(CASE WHEN v.weekdays = '[]' THEN v.per_week
                                       WHEN strpos(v.weekdays, (extract(isodow FROM d)::int - 1)::text) > 0
                                       THEN {DAYS_IN_WEEK} ELSE 0 END), 0)
              FROM generate_series(v.window_start, %(today)s, interval '1 day') AS d
              WHERE NOT EXISTS (SELECT 1 FROM patients_pause pa WHERE pa.patient_id = v.patient_id
                                AND pa.starts_on <= d AND pa.ends_on >= d
                                AND (pa.resumed_on IS NULL OR pa.resumed_on > d))) AS planned_sevenths
      FROM v CROSS JOIN LATERAL (
        -- A pain at or under the lowest threshold the patient has had is under the one of its day: only a higher
        -- pain needs the day's threshold looked up.
        SELECT count(*) AS n, max(c.max_pain) AS highest, bool_or(c.sharp_pain) AS sharp,
               bool_or(CASE WHEN c.max_pain <= v.lowest_threshold THEN false ELSE c.max_pain > coalesce(
                 (SELECT t.value FROM patients_thresholdchange t WHERE t.patient_id = v.patient_id
                    AND (t.changed_at AT TIME ZONE %(zone)s)::date <= c.session_date
                  ORDER BY t.changed_at DESC, t.id DESC LIMIT 1),
                 (SELECT t.value FROM patients_thresholdchange t WHERE t.patient_id = v.patient_id
                  ORDER BY t.changed_at, t.id LIMIT 1),
                 v.pain_threshold) END) AS over_threshold
        FROM checkins_checkin c WHERE c.version_id = v.id) s
      WHERE s.n >= %(min_sessions)s AND NOT s.sharp AND NOT s.over_threshold
    )
    SELECT patient_id, first_name, last_name, number, start_date, n, highest, pain_threshold, reported,
           planned_sevenths, revision_draft
    FROM figures
    WHERE planned_sevenths > 0 AND reported * 100 * {DAYS_IN_WEEK} >= planned_sevenths * %(min_adherence)s
    ORDER BY start_date, last_name, id LIMIT {READY_LIMIT}
"""
# Rule 15 and the patients without a program in force, in one statement: kind 'review' with the phase now (by
# onset) where it differs from the phase the threshold was last decided for; kind 'none' for those without one.
ASIDE_SQL = f"""
    WITH mine AS (
      SELECT p.id, p.onset_date, p.pain_threshold, u.first_name, u.last_name
      FROM patients_patient p JOIN rehab_user u ON u.id = p.user_id
      WHERE p.clinic_id = %(clinic)s AND p.physiotherapist_id = %(physio)s
        AND EXISTS (SELECT 1 FROM patients_episode e WHERE e.patient_id = p.id AND e.discharged_at IS NULL)
    )
    (SELECT 'review', id, first_name, last_name, pain_threshold, phase FROM (
       SELECT mine.*, CASE WHEN onset_date > %(acute_after)s THEN 'acute'
                           WHEN onset_date > %(subacute_after)s THEN 'subacute' ELSE 'long_term' END AS phase,
              (SELECT t.phase FROM patients_thresholdchange t WHERE t.patient_id = mine.id
               ORDER BY t.changed_at DESC, t.id DESC LIMIT 1) AS decided_for
       FROM mine) r
     WHERE decided_for <> phase AND decided_for <> '' ORDER BY onset_date, id)
    UNION ALL
    (SELECT 'none', id, first_name, last_name, NULL, NULL FROM mine
     WHERE NOT EXISTS (SELECT 1 FROM programs_program pr WHERE pr.patient_id = mine.id AND pr.status = 'active')
     ORDER BY last_name, first_name, id LIMIT {WITHOUT_PROGRAM_LIMIT})
"""


def _phase_bounds(today) -> dict:
    """The onset dates after which a condition is acute, and subacute, today."""
    return {
        "acute_after": patient_rules.onset_range(patient_rules.Phase.ACUTE, today)[0],
        "subacute_after": patient_rules.onset_range(patient_rules.Phase.SUBACUTE, today)[0],
    }


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _ready_html(row, today, token: str) -> str:
    pid, first, last, number, start, n, highest, threshold, reported, sevenths, draft = row
    percent = min(100, reported * 100 * DAYS_IN_WEEK // sevenths)
    evidence = (
        f"{_plural(n, 'session')} on version {number}; {_plural((today - start).days, 'day')} on it; every highest "
        f"pain at or under the threshold (highest {highest}/5, threshold {threshold}/5); no sharp pain; adherence "
        f"{percent}% over {ADHERENCE_WINDOW_DAYS} days; no open flag"
    )
    action = (
        f'<a href="/programs/patient/{pid}/">A revision is being built</a>'
        if draft
        else f'<form method="post" action="/dashboard/step-up/{pid}/"><input type="hidden" name="csrfmiddlewaretoken" '
        f'value="{token}"><button type="submit">Prepare a step up</button></form>'
    )
    return (
        f'<li id="ready-{pid}"><a href="/patients/{pid}/">{escape(last)}, {escape(first)}</a>'
        f"<div>{evidence[0].upper()}{evidence[1:]}.</div>{action}</li>"
    )


def _review_html(pid: int, first: str, last: str, threshold: int, phase: str, token: str) -> str:
    label, words, default = PHASES[phase]
    name = escape(f"{first} {last}")
    return (
        f'<div id="review-{pid}"><h3><a href="/patients/{pid}/">{name}</a>: now {label.lower()}</h3>'
        f"<p>{words[0].upper()}{words[1:]}; threshold {threshold}/5, the {label.lower()} default {default}/5.</p>"
        f'<form method="post" action="/patients/{pid}/threshold/review/"><input type="hidden" '
        f'name="csrfmiddlewaretoken" value="{token}"><input type="hidden" name="phase" value="{phase}">'
        f'<input type="radio" name="decision" value="apply" id="decision-apply-{pid}"><label '
        f'for="decision-apply-{pid}">Apply the {label.lower()} default: {default}/5</label><input type="radio" '
        f'name="decision" value="keep" id="decision-keep-{pid}"><label for="decision-keep-{pid}">Keep {threshold}/5'
        f'</label><textarea name="reason" id="reason-{pid}"></textarea><button type="submit">Record my decision'
        f"</button></form></div>"
    )


def dashboard(request):
    """The physiotherapist's open flags, the threshold reviews due, the patients ready to progress, the first page of
    their caseload in a course of care with each patient's open flags, last report, recent pains and the days
    reported in the last 14, and the patients without a program in force."""
    user = request.user
    if not user.is_authenticated or user.role != "physio":
        raise Http404
    clinic = user.clinic
    now = timezone.now()
    today = timezone.localdate(now)
    token = get_token(request)
    flags = fetch(
        f"""SELECT {FLAG_COLUMNS} FROM flags_flag f {FLAG_JOINS}
            WHERE p.clinic_id = %s AND p.physiotherapist_id = %s AND f.status <> 'resolved'
            ORDER BY f.urgent DESC, f.opened_at""",
        [user.clinic_id, user.pk],
    )
    mine = {"clinic": user.clinic_id, "physio": user.pk, "today": today}
    aside = fetch(
        ASIDE_SQL,
        {**mine, **_phase_bounds(today)},
    )
    ready = fetch(
        READY_SQL,
        {
            **mine,
            "window_start": today - timedelta(days=ADHERENCE_WINDOW_DAYS - 1),
            "started_by": today - timedelta(days=clinic.progress_min_days),
            "zone": clinic.time_zone,
            "min_sessions": clinic.progress_min_sessions,
            "min_adherence": clinic.progress_min_adherence,
        },
    )
    caseload = fetch(
        f"""WITH page AS (
              SELECT p.id, u.first_name, u.last_name, p.pain_threshold, p.onset_date,
                     (SELECT count(*) FROM flags_flag f WHERE f.patient_id = p.id AND f.status <> 'resolved') AS n,
                     count(*) OVER () AS total
              FROM patients_patient p JOIN rehab_user u ON u.id = p.user_id
              WHERE p.clinic_id = %s AND p.physiotherapist_id = %s
                AND EXISTS (SELECT 1 FROM patients_episode e WHERE e.patient_id = p.id AND e.discharged_at IS NULL)
              ORDER BY n DESC, u.last_name, u.first_name, p.id LIMIT {PAGE_SIZE})
            SELECT page.*, recent.pains, recent.days,
                   EXISTS (SELECT 1 FROM programs_program pr WHERE pr.patient_id = page.id AND pr.status = 'active'),
                   (SELECT count(DISTINCT c.session_date) FROM checkins_checkin c
                    WHERE c.patient_id = page.id AND c.session_date BETWEEN %s AND %s)
            FROM page LEFT JOIN LATERAL (
              SELECT array_agg(c.max_pain ORDER BY c.session_date, c.submitted_at) AS pains,
                     max(c.session_date) AS days
              FROM (SELECT max_pain, session_date, submitted_at FROM checkins_checkin c
                    WHERE c.patient_id = page.id ORDER BY session_date DESC, submitted_at DESC LIMIT 10) c
            ) recent ON true
            ORDER BY page.n DESC, page.last_name, page.first_name, page.id""",
        [user.clinic_id, user.pk, today - timedelta(days=13), today],
    )
    html = [HEAD.format(title="My caseload"), f"<h2>My open flags ({len(flags)})</h2><table><tbody>"]
    for f in flags:
        html.append(f"<tr><td><ul>{flag_html(f, now)}</ul></td><td>{patient_cell(f)}</td></tr>")
    html.append("</tbody></table>")
    reviews = [row[1:] for row in aside if row[0] == "review"]
    if reviews:
        html.append(f"<h2>Threshold reviews ({len(reviews)})</h2>")
        html += [_review_html(*row, token) for row in reviews]
    html.append(f"<h2>Ready to progress ({len(ready)})</h2><ul>")
    html += [_ready_html(row, today, token) for row in ready]
    total = caseload[0][6] if caseload else 0
    html.append(f"</ul><h2>Patients in a course of care ({total})</h2><table><tbody>")
    for pid, first, last, threshold, _onset, n, _total, pains, last_day, has_program, reported in caseload:
        badge = f' <span class="badge">{n} open flag{"s" if n != 1 else ""}</span>' if n else ""
        points = ""
        if pains:
            step = 100 / max(1, len(pains) - 1)
            points = " ".join(f"{round(i * step, 1)},{round(24 - p * 24 / 5, 1)}" for i, p in enumerate(pains))
        html.append(
            f'<tr><td><a href="/patients/{pid}/">{escape(last)}, {escape(first)}</a><span id="open-flags-{pid}">'
            f"{badge}</span>{'' if has_program else ' no program'}</td><td>{threshold}/5</td>"
            f"<td>{last_day or '–'}</td><td>{pains[-1] if pains else '–'}</td><td>{reported} days</td>"
            f'<td><svg class="sparkline"><polyline points="{points}"/></svg></td></tr>'
        )
    html.append("</tbody></table><h2>Patients without a program in force</h2><ul>")
    html += [
        f'<li id="no-program-{pid}"><a href="/programs/patient/{pid}/">{escape(f"{first} {last}")}</a></li>'
        for kind, pid, first, last, *_ in aside
        if kind == "none"
    ]
    html.append("</ul>" + TAIL)
    return HttpResponse("".join(html))
