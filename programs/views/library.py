"""The exercise library: browse, read and add a clinic's own exercises."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from rehab.forms import run_service
from rehab.permissions import staff_required

from .. import selectors, services
from ..forms import ExerciseFilterForm, ExerciseForm, ExerciseMediaForm
from .common import or_404

LIBRARY_PAGE_SIZE = 20


@staff_required
def exercise_list(request):
    form = ExerciseFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    exercises = selectors.exercise_library(
        user=request.user,
        search=filters.get("q", ""),
        group=filters.get("group", ""),
        category=filters.get("category", ""),
        difficulty=filters.get("difficulty"),
        equipment=filters.get("equipment", ""),
    )
    page = Paginator(exercises, LIBRARY_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "programs/exercise_list.html",
        {"form": form, "page": page, "query": query.urlencode(), "filtered": bool(filters and any(filters.values()))},
    )


@staff_required
def exercise_detail(request, pk: int):
    exercise = or_404(lambda: selectors.exercise_detail(user=request.user, pk=pk))
    return render(request, "programs/exercise_detail.html", {"exercise": exercise, "media_form": ExerciseMediaForm()})


@staff_required
def exercise_create(request):
    form = ExerciseForm(
        request.POST or None,
        exercises=selectors.exercises_visible_to(request.user).order_by("name"),
        initial={"sets": 2, "reps": 10, "rest_seconds": 30, "equipment": "none", "difficulty": 1},
    )
    if request.method == "POST" and form.is_valid():
        exercise = run_service(
            form, services.exercise_create, clinic=request.user.clinic, created_by=request.user, **form.cleaned_data
        )
        if exercise is not None:
            messages.success(request, f"{exercise.name} is in your clinic's library.")
            return redirect("programs:exercise_detail", pk=exercise.pk)
    return render(request, "programs/exercise_form.html", {"form": form})
