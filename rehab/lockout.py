"""Failed log-ins, counted by django-axes two ways at once: per account (whatever address they come from) and per
address (whichever accounts they try). Each has its limit: AXES_FAILURE_LIMIT wrong passwords lock an account,
LOGIN_ADDRESS_FAILURE_LIMIT failures lock an address (higher: a clinic's staff may share one address). Either lock
lasts AXES_COOLOFF_TIME; a new password set through the emailed link lifts the account's at once (services.
login_lockout_lift). Failures are counted under the login name (rules.attempt_key), so no spelling of an address
gets guesses of its own.
"""

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_lockout_parameters
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.shortcuts import render

ADDRESS = "ip_address"


class LoginLockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None) -> int:
        """The failures that count, on the scale axes compares with AXES_FAILURE_LIMIT: an address's failures are
        scaled from its own limit onto it, so that either reaching its limit locks."""
        account_limit, address_limit = settings.AXES_FAILURE_LIMIT, settings.LOGIN_ADDRESS_FAILURE_LIMIT
        worst = 0
        parameters = get_lockout_parameters(request, credentials)
        for parameter, attempts in zip(parameters, self.get_user_attempts(request, credentials), strict=True):
            failures = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            if parameter == ADDRESS:
                failures = failures * account_limit // address_limit
            worst = max(worst, failures)
        return worst

    def reset_user_attempts(self, request, credentials=None) -> int:
        """After a successful log-in: forget the account's failures, never the address's failures on other
        accounts (a log-in to one's own account must not buy more guesses at other people's)."""
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return count


def lockout_response(request, original_response=None, credentials=None):
    """The page shown while log-ins are paused (429)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, settings.AXES_LOCKOUT_TEMPLATE, {"minutes": minutes}, status=429)
