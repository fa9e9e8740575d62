"""The whole site under /elsewhere/, for tests/rehab/test_markup.py: links follow a changed URL configuration."""

from django.urls import include, path

urlpatterns = [path("elsewhere/", include("rehab.urls"))]
