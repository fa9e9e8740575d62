from django.urls import path

from .views import builder, calendar, flare_ups, library, media, programs

app_name = "programs"

urlpatterns = [
    path("exercises/", library.exercise_list, name="exercise_list"),
    path("exercises/new/", library.exercise_create, name="exercise_create"),
    path("exercises/<int:pk>/", library.exercise_detail, name="exercise_detail"),
    path("exercises/<int:pk>/media/", media.exercise_media_upload, name="exercise_media_upload"),
    path("exercises/<int:pk>/media/remove/", media.exercise_media_remove, name="exercise_media_remove"),
    path("exercise-media/<str:token>/", media.exercise_media, name="exercise_media"),
    path("templates/", programs.template_list, name="template_list"),
    path("calendar/<str:token>.ics", calendar.calendar_feed, name="calendar_feed"),
    path("calendar/new-link/", calendar.calendar_reset, name="calendar_reset"),
    path("patient/<int:patient_pk>/", programs.patient_program, name="patient"),
    path("patient/<int:patient_pk>/new/", programs.program_new, name="new"),
    path("patient/<int:patient_pk>/pause/", programs.pause_create, name="pause"),
    path("pauses/<int:pk>/resume/", programs.pause_resume, name="pause_resume"),
    path("<int:pk>/revise/", programs.program_revise, name="revise"),
    path("<int:pk>/flare-up-plan/", flare_ups.flare_plan_new, name="flare_plan_new"),
    path("flare-ups/<int:pk>/end/", flare_ups.flare_up_end, name="flare_up_end"),
    path("versions/<int:pk>/", programs.version_detail, name="version"),
    path("versions/<int:pk>/handout/", programs.handout, name="handout"),
    path("versions/<int:pk>/build/", builder.builder, name="builder"),
    path("versions/<int:pk>/schedule/", builder.builder_schedule, name="builder_schedule"),
    path("versions/<int:pk>/add/", builder.builder_add, name="builder_add"),
    path("versions/<int:pk>/activate/", builder.builder_activate, name="builder_activate"),
    path("versions/<int:pk>/discard/", builder.builder_discard, name="builder_discard"),
    path("versions/<int:pk>/template/", builder.builder_save_template, name="builder_template"),
    path("items/<int:pk>/", builder.item_update, name="item_update"),
    path("items/<int:pk>/move/<str:direction>/", builder.item_move, name="item_move"),
    path("items/<int:pk>/swap/<str:direction>/", builder.item_swap, name="item_swap"),
    path("items/<int:pk>/remove/", builder.item_remove, name="item_remove"),
]
