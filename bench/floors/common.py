"""What the floors share: their page frame, the words of reasons and statuses, one flag's row, and how they read."""

import json
from datetime import date, timedelta
from html import escape

from django.db import connection

from flags.selectors import REASON_RANK as APP_REASON_RANK
from patients import rules as patient_rules

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


def fetch(sql: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def ago(moment, now) -> str:
    seconds = (now - moment).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} minutes ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} hours ago"
    return f"{int(seconds // 86400)} days ago"


def flag_html(row, now) -> str:
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
        f'<span class="small">{STATUSES[status].lower()}, raised {ago(opened, now)}</span>'
    )
    if overdue:
        parts.append(f'<span class="badge text-bg-danger">Overdue</span> due {due:%d %b, %H:%M}')
    if escalated:
        parts.append(f" escalated {escalated:%d %b, %H:%M}")
    parts.append(f'<div class="small">{escape(explanation or "")}</div>')
    if evidence > opened and status != "resolved":
        parts.append(f"<div>New evidence {ago(evidence, now)}: see the flag.</div>")
    parts.append("</li>")
    return "".join(parts)


def patient_cell(row) -> str:
    pid, first, last, phone, ph_first, ph_last = row[1], row[13], row[14], row[15], row[16], row[17]
    name = escape(f"{first} {last}")
    physio = escape(f"{ph_first or ''} {ph_last or ''}")
    phone_html = f'<div class="small"><a href="tel:{escape(phone)}">{escape(phone)}</a></div>' if phone else ""
    return f'<a href="/patients/{pid}/">{name}</a>{phone_html}<div class="small text-muted">{physio}</div>'


def read_json(value):
    """A json or jsonb column as Python: Django has psycopg hand JSON over as text, for its JSONField to read."""
    return json.loads(value) if isinstance(value, str) else value


def paused_days(pauses, *, until: date) -> set[date]:
    """The days that pauses read as JSON [starts_on, ends_on, resumed_on] cover up to `until`: to the day before an
    early resumption (Pause.last_day)."""
    paused = set()
    for starts, ends, resumed in pauses or []:
        first_day, last_day = date.fromisoformat(starts), date.fromisoformat(ends)
        if resumed:
            last_day = min(last_day, date.fromisoformat(resumed) - timedelta(days=1))
        paused.update(first_day + timedelta(days=n) for n in range((min(last_day, until) - first_day).days + 1))
    return paused
