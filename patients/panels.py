"""The caseload section that patients adds to the clinic admin's staff page (rehab cannot import patients)."""

from django.db.models import Count, Q
from django.template.loader import render_to_string

from rehab.models import User

from .forms import ReassignForm


def caseloads(*, request) -> str:
    clinic = request.user.clinic
    physios = list(
        User.objects.filter(clinic=clinic, role=User.Role.PHYSIO)
        .annotate(patients=Count("caseload", filter=Q(caseload__clinic=clinic)))
        .order_by("-is_active", "last_name", "first_name")
    )
    return render_to_string(
        "patients/_caseloads.html",
        {"physios": physios, "reassign_form": ReassignForm(clinic=clinic)},
        request=request,
    )
