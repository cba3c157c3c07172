"""Helpers of the clerk pages (the views are ``ItemAdmin.live_sale_view`` and
``paddle_raise_view``): the event preselected when one is live, the entry just recorded for the big
success flash, and undo of one of the last entries from the page itself — through ``sale_undo`` /
``pledge_undo``, as the API and the sale/pledge lists do."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone

from apps.auctions.models import Pledge, Sale
from apps.auctions.services.live import sale_undo
from apps.auctions.services.paddle_raise import pledge_undo
from apps.core.exceptions import DomainError
from apps.core.money import money_format
from apps.core.net import client_ip

RECENT = 10


def default_event_id(events: QuerySet[Any]) -> str | None:
    """The clerk's event when there is no choice to make: the one live now, else the only one."""
    now = timezone.now()
    live = list(events.filter(starts_at__lte=now, ends_at__gte=now).values_list("pk", flat=True)[:2])
    if len(live) == 1:
        return str(live[0])
    only = list(events.values_list("pk", flat=True)[:2])
    return str(only[0]) if len(only) == 1 else None


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


def done_sale(request: HttpRequest, events: QuerySet[Any]) -> Sale | None:
    pk = _uuid(request.GET.get("done"))
    if pk is None:
        return None
    return Sale.objects.filter(pk=pk, item__event__in=events).select_related("item__event__npo", "paddle").first()


def done_pledge(request: HttpRequest, events: QuerySet[Any]) -> Pledge | None:
    pk = _uuid(request.GET.get("done"))
    if pk is None:
        return None
    return Pledge.objects.filter(pk=pk, event__in=events).select_related("event__npo", "paddle").first()


def undo(request: HttpRequest, events: QuerySet[Any], kind: str, back: str) -> HttpResponse:
    """POST ``undo=<id>`` on a clerk page: undo that sale or pledge of one of the clerk's events."""
    pk = _uuid(request.POST.get("undo"))
    if pk is None:
        messages.error(request, "Nothing to undo.")
        return HttpResponseRedirect(back)
    try:
        if kind == "sale":
            sale = Sale.objects.filter(pk=pk, item__event__in=events).select_related("item", "paddle").first()
            if sale is None:
                messages.error(request, "That sale is not one of your events'.")
            else:
                sale_undo(sale=sale, actor=request.user, ip=client_ip(request))
                messages.warning(request, f"Undone: sale of #{sale.item.number} to bidder #{sale.paddle.number}.")
        else:
            pledge = Pledge.objects.filter(pk=pk, event__in=events).select_related("event__npo", "paddle").first()
            if pledge is None:
                messages.error(request, "That pledge is not one of your events'.")
            else:
                pledge_undo(pledge=pledge, actor=request.user, ip=client_ip(request))
                messages.warning(
                    request,
                    f"Undone: pledge of {money_format(pledge.amount, pledge.event.npo.currency)} "
                    f"from bidder #{pledge.paddle.number}.",
                )
    except DomainError as exc:
        messages.error(request, exc.message)
    return HttpResponseRedirect(back)
