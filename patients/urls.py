from django.urls import path

from . import views

app_name = "patients"

urlpatterns = [
    path("reassign-from/<int:physio_pk>/", views.reassign_all, name="reassign_all"),
    path("flags/", views.flag_queue, name="flag_queue"),
    path("flags/resolve/", views.flag_bulk_resolve, name="flag_bulk_resolve"),
    path("flags/<int:pk>/", views.flag_detail, name="flag_detail"),
    path("flags/<int:pk>/acknowledge/", views.flag_acknowledge, name="flag_acknowledge"),
    path("flags/<int:pk>/resolve/", views.flag_resolve, name="flag_resolve"),
    path("flags/<int:pk>/reassign/", views.flag_reassign, name="flag_reassign"),
    path("", views.patient_list, name="list"),
    path("new/", views.patient_create, name="create"),
    path("<int:pk>/", views.patient_detail, name="detail"),
    path("<int:pk>/edit/", views.patient_edit, name="edit"),
    path("<int:pk>/audit/", views.audit_trail, name="audit"),
    path("<int:pk>/threshold/", views.patient_threshold, name="threshold"),
]
