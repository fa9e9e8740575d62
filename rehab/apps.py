from django.apps import AppConfig


class RehabConfig(AppConfig):
    name = "rehab"
    verbose_name = "Clinic and accounts"

    def ready(self):
        from . import checks  # noqa: F401 - registers the database roles' checks
