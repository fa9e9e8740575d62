"""The flag queue's floor (its default view: one row per patient, with all their open flags)."""

from datetime import timedelta
from html import escape

from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone

from .common import (
    FLAG_COLUMNS,
    FLAG_JOINS,
    HEAD,
    PAGE_SIZE,
    REASON_RANK,
    REASONS,
    STATUSES,
    TAIL,
    fetch,
    flag_html,
    patient_cell,
)


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

    user = request.user
    if not user.is_authenticated or user.role != "clinic_admin":
        raise Http404
    now = timezone.now()
    counts = fetch(
        """SELECT f.status, f.reason, count(*), count(*) FILTER (WHERE f.status = 'open' AND f.ack_due_at < %s)
           FROM flags_flag f JOIN patients_patient p ON p.id = f.patient_id
           WHERE p.clinic_id = %s AND (f.status <> 'resolved' OR f.resolved_at >= %s)
           GROUP BY 1, 2""",
        [now, user.clinic_id, now - timedelta(days=7)],
    )
    physios = fetch(
        "SELECT id, first_name, last_name FROM rehab_user WHERE clinic_id = %s AND role = 'physio' AND is_active "
        "ORDER BY last_name, first_name, id",
        [user.clinic_id],
    )
    rows = fetch(
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
            f'<tr id="patient-row-{pid}"><td>{box}</td><td>{patient_cell(flags[0])}</td><td><ul>'
            + "".join(flag_html(f, now) for f in flags)
            + f"</ul></td><td>{_actions(pid, flags, token)}</td></tr>"
        )
    html.append("</tbody></table>" + TAIL)
    return HttpResponse("".join(html))
