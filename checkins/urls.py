from django.urls import path

from . import views

app_name = "checkins"

urlpatterns = [
    path("today/", views.today, name="today"),
    path("check-ins/", views.history, name="history"),
    path("check-ins/new/", views.checkin_create, name="create"),
    path("check-ins/<int:pk>/", views.checkin_detail, name="detail"),
    path("check-ins/<int:pk>/correct/", views.checkin_correct, name="correct"),
    path("flare-up/", views.flare_up_start, name="flare_up_start"),
    path("flare-up/<int:pk>/end/", views.flare_up_end, name="flare_up_end"),
    path("flare-up/<int:pk>/how-it-went/", views.flare_up_answer, name="flare_up_answer"),
    path("symptoms/new/", views.symptom_report_create, name="symptom_report"),
    path("symptoms/<int:pk>/", views.symptom_report_detail, name="symptom_report_detail"),
    path("patients/<int:patient_pk>/check-ins/", views.patient_checkins, name="patient"),
]
