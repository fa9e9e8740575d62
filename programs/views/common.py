"""Helpers the programs app's views share."""

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404
from django.shortcuts import redirect


def or_404(queryset_get):
    """Run a scoped lookup; anything the user may not see, or that does not exist, is a 404."""
    try:
        return queryset_get()
    except ObjectDoesNotExist as exc:
        raise Http404 from exc


def open_prepared(request, prepare, /, *, done: str, back: str, **kwargs):
    """Prepare a draft (a step up, an easier version, a flare-up plan) and open it in the builder, saying `done`; a
    refusal is said on the page at `back`, and nothing was stored."""
    try:
        draft = prepare(**kwargs)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(back)
    messages.info(request, done)
    return redirect("programs:builder", pk=draft.pk)
