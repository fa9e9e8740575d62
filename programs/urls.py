from django.urls import path

from . import views

app_name = "programs"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("today/", views.today, name="today"),
    path("check-in/", views.checkin, name="checkin"),
    path("history/", views.history, name="history"),
    path("reports/<int:pk>/", views.report_done, name="report_done"),
    path("reports/<int:pk>/correct/", views.report_correct, name="report_correct"),
    path("patient/<int:patient_pk>/reports/", views.patient_reports, name="patient_reports"),
    path("exercises/", views.exercise_list, name="exercise_list"),
    path("exercises/new/", views.exercise_create, name="exercise_create"),
    path("exercises/<int:pk>/", views.exercise_detail, name="exercise_detail"),
    path("templates/", views.template_list, name="template_list"),
    path("patient/<int:patient_pk>/", views.patient_program, name="patient"),
    path("patient/<int:patient_pk>/new/", views.program_new, name="new"),
    path("patient/<int:patient_pk>/pause/", views.pause_create, name="pause"),
    path("pauses/<int:pk>/resume/", views.pause_resume, name="pause_resume"),
    path("<int:pk>/revise/", views.program_revise, name="revise"),
    path("versions/<int:pk>/", views.version_detail, name="version"),
    path("versions/<int:pk>/handout/", views.handout, name="handout"),
    path("versions/<int:pk>/build/", views.builder, name="builder"),
    path("versions/<int:pk>/schedule/", views.builder_schedule, name="builder_schedule"),
    path("versions/<int:pk>/add/", views.builder_add, name="builder_add"),
    path("versions/<int:pk>/activate/", views.builder_activate, name="builder_activate"),
    path("versions/<int:pk>/discard/", views.builder_discard, name="builder_discard"),
    path("versions/<int:pk>/template/", views.builder_save_template, name="builder_template"),
    path("items/<int:pk>/", views.item_update, name="item_update"),
    path("items/<int:pk>/move/<str:direction>/", views.item_move, name="item_move"),
    path("items/<int:pk>/swap/<str:direction>/", views.item_swap, name="item_swap"),
    path("items/<int:pk>/remove/", views.item_remove, name="item_remove"),
]
