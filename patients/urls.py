from django.urls import path

from . import views

app_name = "patients"

urlpatterns = [
    path("reassign-from/<int:physio_pk>/", views.reassign_all, name="reassign_all"),
    path("", views.patient_list, name="list"),
    path("me/", views.my_details, name="my_details"),
    path("me/password/", views.my_password, name="my_password"),
    path("me/devices/log-out/", views.my_devices_log_out, name="my_devices_log_out"),
    path("new/", views.patient_create, name="create"),
    path("<int:pk>/", views.patient_detail, name="detail"),
    path("<int:pk>/edit/", views.patient_edit, name="edit"),
    path("<int:pk>/audit/", views.audit_trail, name="audit"),
    path("<int:pk>/threshold/", views.patient_threshold, name="threshold"),
    path("<int:pk>/threshold/review/", views.threshold_review, name="threshold_review"),
    path("<int:pk>/discharge/", views.patient_discharge, name="discharge"),
    path("<int:pk>/referral/", views.patient_refer, name="refer"),
    path("<int:pk>/resend-link/", views.resend_link, name="resend_link"),
]
