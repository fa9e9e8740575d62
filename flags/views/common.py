"""What the flag pages share: finding a flag, going back, and answering an htmx row action with its row."""

from urllib.parse import urlsplit

from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from rehab.audit import as_id, mark_refused

from .. import selectors
from ..forms import ResolveForm
from ..models import Flag, FlagStatus


def get_flag(request, pk: int) -> Flag:
    try:
        return selectors.flag_detail(user=request.user, pk=pk)
    except Flag.DoesNotExist as exc:
        raise Http404("No such flag.") from exc


def back(request, default: str):
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(default)


def wants_row(request) -> bool:
    """An htmx action from a row of the queue or the dashboard (the detail page swaps itself whole)."""
    return bool(request.htmx) and request.POST.get("view") in ("row", "dash")


def row_response(request, flag: Flag, *, error: str = "", resolve_form=None):
    """The queue row of one flag after an htmx action, with the counts at the top refreshed too."""
    flag = selectors.flag_rows(selectors.flags_visible_to(request.user)).get(pk=flag.pk)
    now = timezone.now()
    in_queue = request.POST.get("view") == "row"  # only the queue shows the counts
    context = {
        "flag": flag,
        "now": now,
        "row_error": error,
        "resolve_form": resolve_form or ResolveForm(),
        "counts": selectors.flag_counts(user=request.user, now=now) if in_queue else None,
        "oob": in_queue,
        "dash_counts": dashboard_counts(request.user, flag.patient_id) if request.POST.get("view") == "dash" else None,
        "next": request.POST.get("next", ""),
        "show_checkbox": request.POST.get("view") == "row",
    }
    response = render(request, "flags/_row_response.html", context)
    return mark_refused(response) if error or (resolve_form is not None and resolve_form.errors) else response


def dashboard_counts(user, patient_id: int) -> dict:
    """What the dashboard counts that an action on one flag changes: the physiotherapist's open flags, and the
    patient's in their caseload row."""
    return {
        "own": selectors.own_open_flags(physio=user).count(),
        "patient_id": patient_id,
        "patient": selectors.flags_visible_to(user)
        .filter(patient_id=patient_id)
        .exclude(status=FlagStatus.RESOLVED)
        .count(),
    }


def posted_ids(request) -> list[int]:
    """The ticked flags' ids (anything that is not an id within a bigint is left out)."""
    return [pk for pk in map(as_id, request.POST.getlist("flags")) if pk is not None]


def next_query(request) -> QueryDict:
    """The queue's filters from the page an action was sent from (its `next`), when that page was the queue."""
    target = urlsplit(request.POST.get("next") or "")
    if target.path != reverse("flags:queue"):
        return QueryDict()
    return QueryDict(target.query)
