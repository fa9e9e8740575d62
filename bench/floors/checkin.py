"""The check-in POST's floor."""

from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from .common import (
    fetch,
)


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
    found = fetch(
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
        (report_id,) = fetch(
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
