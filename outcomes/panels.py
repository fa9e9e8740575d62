"""The outcomes app's parts of lower apps' pages (which cannot import this one), listed in settings: the patient page's
courses of care and measures (PATIENT_DETAIL_PANELS), a screening result beside the pain threshold
(PATIENT_THRESHOLD_NOTES), and the questionnaires due on the patient's Today page (PATIENT_TODAY_PANELS)."""

from django.template.loader import render_to_string

from patients.selectors import episode_history, latest_episode

from . import rules, selectors


def patient_outcomes(*, request, patient) -> str:
    episodes = episode_history(patient)
    current = episodes[0] if episodes else None
    context = {
        "patient": patient,
        "episodes": episodes,
        "episode": current,
        "measures": selectors.measure_results(episode=current) if current else [],
        "outstanding": selectors.open_questionnaires(episode=current) if current else [],
        "Status": rules.Status,
    }
    return render_to_string("outcomes/_patient_panel.html", context, request=request)


def start_back_risk(*, request, patient) -> str:
    episode = latest_episode(patient)
    result = selectors.intake_risk(episode=episode) if episode else None
    if result is None:
        return ""
    # Whether the group is high is decided here: a template cannot name an enum's member (it would call the enum).
    high = result.category == rules.Risk.HIGH
    return render_to_string("outcomes/_risk_note.html", {"result": result, "high": high}, request=request)


def due_questionnaires(*, request, patient) -> str:
    due = selectors.due_questionnaires(patient=patient)
    episode = latest_episode(patient)
    summary = episode if episode is not None and not episode.is_open else None
    if not due and summary is None:
        return ""
    return render_to_string("outcomes/_today_panel.html", {"due": due, "summary": summary}, request=request)
