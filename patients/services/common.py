"""What several of the patients app's writes share: the physiotherapist check and the hooks of higher apps."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.module_loading import import_string

from rehab.models import Clinic, User


def check_physiotherapist(*, clinic: Clinic, physiotherapist: User) -> None:
    if (
        physiotherapist.clinic_id != clinic.pk
        or physiotherapist.role != User.Role.PHYSIO
        or not physiotherapist.is_active
    ):
        raise ValidationError({"physiotherapist": "Choose an active physiotherapist of this clinic."})


def call_hooks(setting: str, **kwargs) -> None:
    """Tell the apps built on this one about a change that concerns their rows: each service listed in the setting,
    in this transaction."""
    for hook in getattr(settings, setting):
        import_string(hook)(**kwargs)
