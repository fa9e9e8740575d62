from django.urls import path

from . import views

app_name = "outcomes"

urlpatterns = [
    path("questionnaires/<int:pk>/", views.questionnaire, name="questionnaire"),
    path("courses-of-care/<int:pk>/summary/", views.episode_summary, name="summary"),
    path("outcomes/", views.clinic_outcomes, name="clinic"),
    path("outcomes/outcomes.csv", views.clinic_outcomes_csv, name="clinic_csv"),
    path("outcomes/measures/", views.schedule, name="schedule"),
]
