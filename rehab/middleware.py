from django.utils import timezone


class ClinicTimezoneMiddleware:
    """Show every date and time in the time zone of the signed-in user's clinic."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        clinic = getattr(user, "clinic", None) if user is not None and user.is_authenticated else None
        if clinic is not None:
            timezone.activate(clinic.tzinfo)
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
