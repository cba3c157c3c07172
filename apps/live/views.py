"""The projector display (live.md "The projector display"): ``/events/{slug}/display/``.

The page renders its whole first state on the server (readable with JavaScript off), then
``static/live/display.js`` keeps it live over the event's WebSocket and re-reads
``/events/{slug}/display/state/`` each time it (re)connects, so nothing placed while it was away is
missing. No login for a published or closed event; members may preview a draft. Everything on it is
public: bidder numbers, visible bids, totals.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from apps.live.selectors import display_event, display_state


def _event(request: HttpRequest, slug: str):  # type: ignore[no-untyped-def]
    event = display_event(request.user, slug)
    if event is None:
        raise Http404("No such event.")
    return event


@require_GET
@never_cache
def display(request: HttpRequest, slug: str) -> HttpResponse:
    state = display_state(_event(request, slug))
    return render(request, "live/display.html", {"state": state, "currency": state["event"]["currency"]})


@require_GET
@never_cache
def display_state_json(request: HttpRequest, slug: str) -> JsonResponse:
    return JsonResponse(display_state(_event(request, slug)))
