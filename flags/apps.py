from django.apps import AppConfig


class FlagsConfig(AppConfig):
    name = "flags"

    def ready(self):
        from . import audit

        audit.register()
