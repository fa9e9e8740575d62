"""Each staff page's own floor: the rows the page shows, fetched by hand-written SQL in as few statements as the page
needs, turned into the page's HTML by plain string building, behind the same middleware (bench/bench_urls.py).

A floor is what the page could cost at best on this stack. It shows the same patients and flags with the same ids
in its markup (id="patient-row-N", id="flag-N", id="open-flags-N", and on the dashboard id="review-N", id="ready-N",
id="no-program-N"), so that the benchmark can check that a page and its floor list the same things (bench/pages.py).
The dashboard's floor writes rules 15 and 17 in SQL of its own (READY_SQL, ASIDE_SQL), with rule 17's evidence in
the same words as the page; the patient page's shows each of its panels too (outcome measures, courses of care,
progress with adherence and the threshold of each day, the latest reports with their exercises and corrections,
reminders), and lists the same latest reports (id="checkin-N"). A floor leaves out what only decorates: the site's
navigation, the forms' other fields.
"""

import json
from datetime import date, timedelta
from html import escape

from django.db import connection, transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.utils import timezone
from django.views.decorators.http import require_POST

from checkins.rules import ADHERENCE_WINDOW_DAYS
from flags.progress import READY_LIMIT
from flags.selectors import REASON_RANK as APP_REASON_RANK
from flags.selectors.dashboard import WITHOUT_PROGRAM_LIMIT
from patients import rules as patient_rules
from programs.rules import DAYS_IN_WEEK

PAGE_SIZE = 25
# The app's own constants (reading them costs nothing): each phase's label, words and default threshold.
PHASES = {
    phase.value: (phase.label, phase.description, patient_rules.default_threshold(phase))
    for phase in patient_rules.Phase
}
REASONS = {
    "warning_symptoms": "Warning symptoms",
    "pain": "Pain over threshold",
    "sharp_pain": "Sharp or intense pain",
    "worsening": "Pain getting worse",
    "rest": "Resting too long",
    "new_symptom": "New symptom reported",
    "outcome_worse": "Outcome worse",
    "flare_up": "Flare-up",
}
# A patient's flags in their row, worst first, in the app's own order (a constant: reading it costs nothing).
REASON_RANK = {str(reason): rank for reason, rank in APP_REASON_RANK.items()}
STATUSES = {"open": "Open", "acknowledged": "Acknowledged", "resolved": "Resolved"}
HEAD = (
    "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title></head><body><main>"
    "<h1>{title}</h1>"
)
TAIL = "</main></body></html>"

# One flag's row, with its patient and who looks after them: the queue's and the dashboard's.
FLAG_COLUMNS = """
    f.id, f.patient_id, f.reason, f.urgent, f.status, f.details->>'explanation', f.opened_at, f.ack_due_at,
    f.last_evidence_at, f.acknowledged_at, f.escalated_at, f.rest_days, f.rest_since,
    pu.first_name, pu.last_name, p.phone, ph.first_name, ph.last_name, ab.first_name, ab.last_name
"""
FLAG_JOINS = """
    JOIN patients_patient p ON p.id = f.patient_id
    JOIN rehab_user pu ON pu.id = p.user_id
    LEFT JOIN rehab_user ph ON ph.id = p.physiotherapist_id
    LEFT JOIN rehab_user ab ON ab.id = f.acknowledged_by_id
"""


def _rows(sql: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _ago(moment, now) -> str:
    seconds = (now - moment).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} minutes ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} hours ago"
    return f"{int(seconds // 86400)} days ago"


def _flag_html(row, now) -> str:
    (pk, _pid, reason, urgent, status, explanation, opened, due, evidence, acked, escalated, rest_days, rest_since) = (
        row[:13]
    )
    if rest_days is not None and rest_since is not None and status != "resolved":
        explanation = f"No session reported for {rest_days} whole days (last session {rest_since:%d %b %Y})."
    overdue = status == "open" and acked is None and now > due
    parts = [f'<li id="flag-{pk}">']
    if urgent:
        parts.append('<span class="badge text-bg-danger">Urgent</span> ')
    parts.append(
        f'<a class="badge reason-{reason}" href="/flags/{pk}/">{REASONS.get(reason, reason)}</a> '
        f'<span class="small">{STATUSES[status].lower()}, raised {_ago(opened, now)}</span>'
    )
    if overdue:
        parts.append(f'<span class="badge text-bg-danger">Overdue</span> due {due:%d %b, %H:%M}')
    if escalated:
        parts.append(f" escalated {escalated:%d %b, %H:%M}")
    parts.append(f'<div class="small">{escape(explanation or "")}</div>')
    if evidence > opened and status != "resolved":
        parts.append(f"<div>New evidence {_ago(evidence, now)}: see the flag.</div>")
    parts.append("</li>")
    return "".join(parts)


def _patient_cell(row) -> str:
    pid, first, last, phone, ph_first, ph_last = row[1], row[13], row[14], row[15], row[16], row[17]
    name = escape(f"{first} {last}")
    physio = escape(f"{ph_first or ''} {ph_last or ''}")
    phone_html = f'<div class="small"><a href="tel:{escape(phone)}">{escape(phone)}</a></div>' if phone else ""
    return f'<a href="/patients/{pid}/">{name}</a>{phone_html}<div class="small text-muted">{physio}</div>'


def _actions(pid: int, flags: list[tuple], token: str) -> str:
    open_flags = [f for f in flags if f[4] == "open"]
    words = lambda fs: ", ".join(REASONS[f[2]].lower() for f in fs)  # noqa: E731
    hidden = lambda fs: "".join(f'<input type="hidden" name="flags" value="{f[0]}">' for f in fs)  # noqa: E731
    csrf = f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'
    html = []
    if open_flags:
        n = len(open_flags)
        html.append(
            f'<form method="post" action="/flags/patients/{pid}/acknowledge/">{csrf}{hidden(open_flags)}'
            f'<button type="submit">Acknowledge {n} flag{"s" if n != 1 else ""}: {words(open_flags)}</button></form>'
        )
    n = len(flags)
    html.append(
        f"<details><summary>Resolve {n} flag{'s' if n != 1 else ''}…</summary>"
        f'<form method="post" action="/flags/patients/{pid}/resolve/">{csrf}{hidden(flags)}'
        '<select name="outcome"><option value="">Choose…</option><option value="contacted_patient">Contacted the '
        'patient</option><option value="program_changed">Program changed</option><option value="referred">Referred'
        '</option><option value="no_action">No action needed</option></select><textarea name="note"></textarea>'
        f'<button type="submit">Resolve {n} flag{"s" if n != 1 else ""}: {words(flags)}</button></form></details>'
    )
    return "".join(html)


def flag_queue(request):
    """The admin's queue in its default view: one row per patient, worst first, with the counts at the top."""
    from django.middleware.csrf import get_token

    user = request.user
    if not user.is_authenticated or user.role != "clinic_admin":
        raise Http404
    now = timezone.now()
    counts = _rows(
        """SELECT f.status, f.reason, count(*), count(*) FILTER (WHERE f.status = 'open' AND f.ack_due_at < %s)
           FROM flags_flag f JOIN patients_patient p ON p.id = f.patient_id
           WHERE p.clinic_id = %s AND (f.status <> 'resolved' OR f.resolved_at >= %s)
           GROUP BY 1, 2""",
        [now, user.clinic_id, now - timedelta(days=7)],
    )
    physios = _rows(
        "SELECT id, first_name, last_name FROM rehab_user WHERE clinic_id = %s AND role = 'physio' AND is_active "
        "ORDER BY last_name, first_name, id",
        [user.clinic_id],
    )
    rows = _rows(
        f"""WITH g AS (
              SELECT f.patient_id, max(f.urgent::int) AS u,
                     max((f.status = 'open' AND f.acknowledged_at IS NULL AND f.ack_due_at < %s)::int) AS o,
                     min(f.opened_at) AS first
              FROM flags_flag f JOIN patients_patient p ON p.id = f.patient_id
              WHERE p.clinic_id = %s AND f.status <> 'resolved' GROUP BY f.patient_id),
            page AS (SELECT patient_id, u, o, first, count(*) OVER () AS total FROM g
                     ORDER BY u DESC, o DESC, first, patient_id LIMIT {PAGE_SIZE})
            SELECT {FLAG_COLUMNS}, page.total, page.u, page.o, page.first
            FROM page JOIN flags_flag f ON f.patient_id = page.patient_id AND f.status <> 'resolved' {FLAG_JOINS}
            ORDER BY page.u DESC, page.o DESC, page.first, page.patient_id""",
        [now, user.clinic_id],
    )
    by_patient: dict[int, list[tuple]] = {}
    for row in rows:
        by_patient.setdefault(row[1], []).append(row)
    token = get_token(request)
    overdue = sum(row[3] for row in counts)
    by_status = {s: sum(r[2] for r in counts if r[0] == s) for s in STATUSES}
    by_reason = {reason: sum(r[2] for r in counts if r[1] == reason and r[0] != "resolved") for reason in REASONS}
    html = [HEAD.format(title="Flag queue"), f'<div id="flag-counts"><span>{overdue}</span> overdue']
    html += [f'<span class="status-{s}">{n}</span> {STATUSES[s].lower()}' for s, n in by_status.items()]
    html += [f'<span class="badge reason-{r}">{REASONS[r]}</span> {n}' for r, n in by_reason.items()]
    html.append('</div><form method="get"><select name="physiotherapist"><option value="">Any physiotherapist</option>')
    html += [f'<option value="{pk}">{escape(f"{first} {last}")}</option>' for pk, first, last in physios]
    total = rows[0][20] if rows else 0
    html.append(f"</select></form><p>{total} patients</p><table><tbody>")
    for pid, flags in by_patient.items():
        flags.sort(key=lambda f: (not f[3], not (f[4] == "open" and f[9] is None and now > f[7]), REASON_RANK[f[2]]))
        rest = next((f for f in flags if f[2] == "rest"), None)
        box = f'<input type="checkbox" name="flags" value="{rest[0]}" form="bulk-form">' if rest else ""
        html.append(
            f'<tr id="patient-row-{pid}"><td>{box}</td><td>{_patient_cell(flags[0])}</td><td><ul>'
            + "".join(_flag_html(f, now) for f in flags)
            + f"</ul></td><td>{_actions(pid, flags, token)}</td></tr>"
        )
    html.append("</tbody></table>" + TAIL)
    return HttpResponse("".join(html))


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
    flags = _rows(
        f"""SELECT {FLAG_COLUMNS} FROM flags_flag f {FLAG_JOINS}
            WHERE p.clinic_id = %s AND p.physiotherapist_id = %s AND f.status <> 'resolved'
            ORDER BY f.urgent DESC, f.opened_at""",
        [user.clinic_id, user.pk],
    )
    mine = {"clinic": user.clinic_id, "physio": user.pk, "today": today}
    aside = _rows(
        ASIDE_SQL,
        {**mine, **_phase_bounds(today)},
    )
    ready = _rows(
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
    caseload = _rows(
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
        html.append(f"<tr><td><ul>{_flag_html(f, now)}</ul></td><td>{_patient_cell(f)}</td></tr>")
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


def _json(value):
    """A json or jsonb column as Python: Django has psycopg hand JSON over as text, for its JSONField to read."""
    return json.loads(value) if isinstance(value, str) else value


def _adherence(days: int, today, start, reported: set, weekdays: list, per_week, paused: set) -> str:
    """Days reported against sessions planned over the last `days` days, from the program's first day at the
    earliest, paused days left out."""
    first = max(today - timedelta(days=days - 1), start)
    span = [first + timedelta(days=n) for n in range((today - first).days + 1)]
    active = [day for day in span if day not in paused]
    planned = sum(1 for day in active if day.weekday() in weekdays) if weekdays else len(active) * (per_week or 0) / 7
    done = sum(1 for day in reported if first <= day <= today)
    percent = f"{min(100, round(done * 100 / planned))}%" if planned > 0 else "–"
    return f"<p>Adherence, last {days} days: {percent} ({done} sessions reported, {round(planned)} planned)</p>"


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
    found = _rows(
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
    episodes, reminders, pauses, due, flare_up = map(_json, (episodes, reminders, pauses, due, flare_up))
    flags = _rows(
        """SELECT id, reason, urgent, status, details->>'explanation', opened_at, resolved_at, outcome
           FROM flags_flag WHERE patient_id = %s ORDER BY status = 'resolved', opened_at DESC""",
        [pid],
    )
    changes = _rows(
        """SELECT t.changed_at, t.previous_value, t.value, t.reason, b.first_name, b.last_name, t.phase
           FROM patients_thresholdchange t LEFT JOIN rehab_user b ON b.id = t.changed_by_id
           WHERE t.patient_id = %s ORDER BY t.changed_at, t.id""",
        [pid],
    )
    measures = _rows(
        """SELECT i.key, i.name, i.higher_is_better, i.mcid, i.compares_with_start, m.category, q.completed_at,
                  q.timepoint, m.score
           FROM outcomes_measurement m JOIN outcomes_questionnaire q ON q.id = m.questionnaire_id
           JOIN outcomes_instrument i ON i.id = m.instrument_id
           WHERE q.episode_id = %s AND q.status = 'completed' AND m.score IS NOT NULL
           ORDER BY m.position, q.completed_at""",
        [episode_id],
    )
    items = _rows(
        """SELECT x.name, i.sets, i.reps, i.hold_seconds, v.number, v.weekdays, v.sessions_per_week, pr.title,
                  (SELECT min(f.start_date) FROM programs_programversion f
                   WHERE f.program_id = pr.id AND f.activated_at IS NOT NULL)
           FROM programs_programversion v JOIN programs_program pr ON pr.id = v.program_id
           JOIN programs_programexercise i ON i.version_id = v.id JOIN programs_exercise x ON x.id = i.exercise_id
           WHERE pr.patient_id = %s AND pr.status = 'active' AND v.status = 'active' ORDER BY i.position""",
        [pid],
    )
    reports = _rows(
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
    phase_now = next(
        phase for phase, after in (("acute", "acute_after"), ("subacute", "subacute_after"), ("long_term", None))
        if after is None or onset > _phase_bounds(today)[after]
    )  # fmt: skip
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
            f"{' urgent' if urgent else ''} {STATUSES[status].lower()}, raised {_ago(opened_at, now)}"
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
        weekdays = _json(weekdays)
        paused = set()
        for starts, ends, resumed in pauses or []:
            day, end = date.fromisoformat(starts), date.fromisoformat(resumed or ends)
            while day <= end and day <= today:
                if not resumed or day < date.fromisoformat(resumed):
                    paused.add(day)
                day += timedelta(days=1)
        html.append(f"<p>{escape(title)}, version {number}</p><ol>")
        if flare_up:
            html.append(f"<p>Flare-up from {flare_up[0]} to {flare_up[1]}</p>")
        html += [f"<li>{escape(name)}: {sets} x {reps or hold}</li>" for name, sets, reps, hold, *_ in items]
        html.append("</ol>")
        html += [_adherence(days, today, start, reported, weekdays, per_week, paused) for days in (14, 28)]
    else:  # nothing planned without a program in force
        html += [f"<p>Adherence, last {days} days: – (0 sessions reported, 0 planned)</p>" for days in (14, 28)]
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


@require_POST
def checkin(request):
    """The check-in POST: the patient's version in force and its exercises read in one statement, the report and its
    results written in one, and the same redirect to the report's page. The evaluation task is not queued."""
    user = request.user
    if not user.is_authenticated or user.role != "patient":
        raise Http404
    post = request.POST
    try:
        version_id = int(post["version"])
        max_pain, pain_now = int(post["max_pain"]), int(post["pain_now"])
        key = post["idempotency_key"]
        day = post["session_date"]
    except (KeyError, ValueError):
        return HttpResponse("Check the form.", status=400)
    if not (0 <= max_pain <= 5 and 0 <= pain_now <= 5):
        return HttpResponse("Check the form.", status=400)
    found = _rows(
        """SELECT p.id, array_agg(i.id) FROM patients_patient p
           JOIN programs_program pr ON pr.patient_id = p.id AND pr.status = 'active'
           JOIN programs_programversion v ON v.program_id = pr.id AND v.id = %s AND v.status = 'active'
           JOIN programs_programexercise i ON i.version_id = v.id
           WHERE p.user_id = %s GROUP BY p.id""",
        [version_id, user.pk],
    )
    if not found:
        return HttpResponse("No program in force.", status=400)
    patient_id, items = found[0]
    outcomes = [(item, post.get(f"exercise_{item}", "")) for item in items]
    if any(outcome not in ("done", "partly", "skipped") for _item, outcome in outcomes):
        return HttpResponse("Check the form.", status=400)
    symptoms = post.getlist("symptoms")
    with transaction.atomic():
        (report_id,) = _rows(
            """WITH r AS (
                 INSERT INTO checkins_checkin (session_date, max_pain, pain_now, sharp_pain, bladder_bowel,
                   saddle_numbness, leg_weakness, note, idempotency_key, submitted_at, patient_id, version_id)
                 VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id),
               x AS (INSERT INTO checkins_exerciseresult (outcome, item_id, checkin_id)
                     SELECT o, i, r.id FROM r, unnest(%s::text[], %s::bigint[]) AS t(o, i))
               SELECT id FROM r""",
            [
                day,
                max_pain,
                pain_now,
                post.get("sharp_pain") == "yes",
                "bladder_bowel" in symptoms,
                "saddle_numbness" in symptoms,
                "leg_weakness" in symptoms,
                post.get("note", "")[:2000],
                key,
                timezone.now(),
                patient_id,
                version_id,
                [o for _i, o in outcomes],
                [i for i, _o in outcomes],
            ],
        )[0]
    return HttpResponseRedirect(f"/check-ins/{report_id}/")
