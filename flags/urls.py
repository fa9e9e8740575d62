from django.urls import path

from . import views

app_name = "flags"

urlpatterns = [
    path("flags/", views.flag_queue, name="queue"),
    path("flags/resolve/", views.flag_bulk_resolve, name="bulk_resolve"),
    path("flags/patients/<int:patient_pk>/acknowledge/", views.patient_flags_acknowledge, name="patient_acknowledge"),
    path("flags/patients/<int:patient_pk>/resolve/", views.patient_flags_resolve, name="patient_resolve"),
    path("flags/<int:pk>/", views.flag_detail, name="detail"),
    path("flags/<int:pk>/acknowledge/", views.flag_acknowledge, name="acknowledge"),
    path("flags/<int:pk>/resolve/", views.flag_resolve, name="resolve"),
    path("flags/<int:pk>/reassign/", views.flag_reassign, name="reassign"),
    path("flags/<int:pk>/ease-off/", views.ease_off, name="ease_off"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/step-up/<int:patient_pk>/", views.step_up, name="step_up"),
]
