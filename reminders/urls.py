from django.urls import path

from . import views

app_name = "reminders"

urlpatterns = [
    path("me/reminders/", views.reminder_settings, name="settings"),
    path("me/notifications/", views.push_subscription, name="push_subscription"),
    path("me/notifications/stop/", views.push_unsubscription, name="push_unsubscription"),
    path("reminders/stop/<str:token>/", views.stop, name="stop"),
]
