"""The check-in desk (``checkin.perform``): one page for an 820 px tablet or a phone.

One search box takes a name, an e-mail, a registration code, a bidder number or a scanned QR code
(hardware scanners type the code and Enter; the QR code of a registration *is* its code); results
show party, table, meal and paddle; one tap checks a guest in and hands out the paddle; an undo stays
in reach for a minute; a walk-in is one short form. Every write goes through the same services as the
API — ``guest_check_in`` is idempotent, so a double tap checks in once.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.attendance import permissions
from apps.attendance.models import Guest
from apps.attendance.selectors import guests_search
from apps.attendance.services import checkin as services
from apps.core.exceptions import DomainError
from apps.core.net import client_ip
from apps.events.models import Event, EventStatus
from apps.events.selectors import event_for
from apps.npos.tenancy.admin import task_context

RESULTS_LIMIT = 25
UNDO_SECONDS = 60


def desk_event(request: HttpRequest, event_id: Any) -> Event:
    """The event, if the user may check guests in there (``event_for`` with the API's check-in
    capability) and it is not a draft; 404 otherwise — a page does not tell an event it may not
    show from one that does not exist."""
    try:
        event = event_for(request.user, event_id, capability=permissions.CHECK_IN["post"]).event
    except DomainError:
        raise Http404("No such event at your desk.") from None
    if event.status == EventStatus.DRAFT:
        raise Http404("No such event at your desk.")
    return event


class WalkInForm(forms.Form):
    first_name = forms.CharField(max_length=60)
    last_name = forms.CharField(max_length=60)
    email = forms.EmailField(required=False, help_text="Optional: their receipt and bidding go there")
    phone = forms.CharField(max_length=30, required=False)
    food_option = forms.ChoiceField(required=False, label="Meal")

    def __init__(self, *args: Any, event: Event, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["food_option"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "—")] + [(str(o.pk), o.name) for o in event.food_options.all()]
        if len(field.choices) == 1:
            del self.fields["food_option"]


def _desk_url(event: Event, q: str = "", **extra: Any) -> str:
    params = {k: v for k, v in {"q": q, **extra}.items() if v}
    url = reverse("admin:attendance_checkin_desk", args=[event.pk])
    return f"{url}?{urlencode(params)}" if params else url


def _rows(event: Event, guests: list[Guest]) -> list[dict[str, Any]]:
    """Each guest with their party (registrant, code, size, the others' names) in one extra query."""
    party: dict[Any, list[Guest]] = {}
    registration_ids = {g.registration_id for g in guests}
    for mate in Guest.objects.filter(registration_id__in=registration_ids).order_by("-is_registrant", "created_at"):
        party.setdefault(mate.registration_id, []).append(mate)
    undo_after = timezone.now() - timedelta(seconds=UNDO_SECONDS)
    rows = []
    for guest in guests:
        mates = party.get(guest.registration_id, [])
        registrant = next((m for m in mates if m.is_registrant), None)
        rows.append(
            {
                "guest": guest,
                "code": guest.registration.code,
                "party_size": len(mates),
                "registrant": registrant.full_name if registrant and registrant.pk != guest.pk else "",
                "others": [m.full_name or "(to be named)" for m in mates if m.pk != guest.pk],
                "undo": guest.checked_in_at is not None and guest.checked_in_at >= undo_after,
            }
        )
    return rows


def desk_view(request: HttpRequest, event_id: Any) -> HttpResponse:
    """GET: the search and its results. POST ``check_in``/``undo`` with ``guest``: one tap."""
    event = desk_event(request, event_id)
    q = (request.GET.get("q") or request.POST.get("q") or "").strip()[:100]
    if request.method == "POST":
        return _act(request, event, q)
    guests: list[Guest] = []
    if q:
        guests = list(guests_search(event, q)[:RESULTS_LIMIT])
    recent = list(
        Guest.objects.filter(event=event, checked_in_at__gte=timezone.now() - timedelta(seconds=UNDO_SECONDS))
        .select_related("paddle", "table", "food_option", "registration")
        .order_by("-checked_in_at")[:5]
    )
    checked_in = Guest.objects.filter(event=event, checked_in_at__isnull=False, registration__status="confirmed")
    context = {
        **task_context(request),
        "title": f"Check-in · {event.name}",
        "event": event,
        "q": q,
        "rows": _rows(event, guests),
        # One guest not yet in (a scanned code): Enter again checks them in.
        "single": len(guests) == 1 and guests[0].checked_in_at is None,
        "recent": _rows(event, recent) if not q else [],
        "searched": bool(q),
        "checked_in_count": checked_in.count(),
        "walk_in_form": WalkInForm(event=event),
        "undo_seconds": UNDO_SECONDS,
    }
    return TemplateResponse(request, "admin/attendance/desk.html", context)


def _act(request: HttpRequest, event: Event, q: str) -> HttpResponse:
    action = request.POST.get("action")
    guest = Guest.objects.filter(event=event, pk=_uuid(request.POST.get("guest"))).first()
    if guest is None or action not in ("check_in", "undo"):
        messages.error(request, "That guest is not on this event's list.")
        return HttpResponseRedirect(_desk_url(event, q))
    try:
        if action == "check_in":
            result = services.guest_check_in(guest=guest, actor=request.user, ip=client_ip(request))
            number = result.guest.paddle.number if result.guest.paddle else None
            verb = "was already checked in" if result.already_checked_in else "is checked in"
            messages.success(request, f"{result.guest.full_name or 'Guest'} {verb}. Paddle #{number}.")
            return HttpResponseRedirect(_desk_url(event, q, done=str(guest.pk)))
        undone = services.guest_undo_check_in(guest=guest, actor=request.user, ip=client_ip(request))
        messages.warning(request, f"Check-in of {undone.full_name or 'the guest'} undone.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return HttpResponseRedirect(_desk_url(event, q))


def _uuid(value: Any) -> Any:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


@require_POST
def walk_in_view(request: HttpRequest, event_id: Any) -> HttpResponse:
    """The walk-in form: register and check in in one step (``walk_in_register``, the same rules as the
    API: an e-mail checks in the registered guest only with the same name, never links an account,
    and a name mismatch is shown as a warning)."""
    event = desk_event(request, event_id)
    form = WalkInForm(request.POST, event=event)
    if not form.is_valid():
        errors = "; ".join(f"{name}: {' '.join(map(str, errs))}" for name, errs in form.errors.items())
        messages.error(request, f"The walk-in was not registered — {errors}")
        return HttpResponseRedirect(_desk_url(event))
    data = form.cleaned_data
    try:
        result = services.walk_in_register(
            event=event,
            actor=request.user,
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data.get("email") or "",
            phone=data.get("phone") or "",
            food_option=data.get("food_option") or None,
            ip=client_ip(request),
        )
    except DomainError as exc:
        detail = "; ".join(" ".join(v) for v in (exc.fields or {}).values())
        messages.error(request, f"The walk-in was not registered — {exc.message} {detail}".strip())
        return HttpResponseRedirect(_desk_url(event))
    guest = result.guest
    number = guest.paddle.number if guest.paddle else None
    if not result.created:
        messages.success(request, f"{guest.full_name} was already registered: checked in. Paddle #{number}.")
    else:
        sent = " An invitation to link their account was e-mailed." if result.invitation_sent else ""
        messages.success(request, f"{guest.full_name} is registered and checked in. Paddle #{number}.{sent}")
    for warning in result.warnings:  # e.g. the e-mail is someone else's under another name
        messages.warning(request, warning["message"])
    return HttpResponseRedirect(_desk_url(event, guest.registration.code, done=str(guest.pk)))
