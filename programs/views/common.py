"""Helpers the programs app's views share."""

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404


def or_404(queryset_get):
    """Run a scoped lookup; anything the user may not see, or that does not exist, is a 404."""
    try:
        return queryset_get()
    except ObjectDoesNotExist as exc:
        raise Http404 from exc
