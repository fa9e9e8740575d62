from django.urls import path

from . import views

app_name = "flags"

urlpatterns = [
    path("flags/", views.flag_queue, name="queue"),
    path("flags/resolve/", views.flag_bulk_resolve, name="bulk_resolve"),
    path("flags/<int:pk>/", views.flag_detail, name="detail"),
    path("flags/<int:pk>/acknowledge/", views.flag_acknowledge, name="acknowledge"),
    path("flags/<int:pk>/resolve/", views.flag_resolve, name="resolve"),
    path("flags/<int:pk>/reassign/", views.flag_reassign, name="reassign"),
    path("dashboard/", views.dashboard, name="dashboard"),
]
