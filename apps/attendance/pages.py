"""Donor pages behind the attendance e-mails: accept a guest invitation (link my account,
``guest_invitation_accept`` as the API) and my registration (code, QR code, party, table, meals)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from apps.attendance import selectors
from apps.attendance.models import Guest, RegistrationStatus
from apps.attendance.qr import code_qr_svg
from apps.attendance.services.invitations import guest_invitation_accept as accept_service
from apps.core.exceptions import DomainError
from apps.core.net import client_ip
from apps.events.selectors import event_for


@never_cache
@require_http_methods(["GET", "POST"])
def guest_invitation_accept(request: HttpRequest) -> HttpResponse:
    token = (request.POST.get("token") or request.GET.get("token") or "").strip()[:200]
    context: dict[str, Any] = {
        "title": "Your invitation",
        "token": token,
        "what": "Link your account to your seat",
        "kind": "guest",
    }
    if request.method == "POST" and request.user.is_authenticated:
        try:
            guest = accept_service(token=token, user=request.user, ip=client_ip(request))
        except DomainError as exc:
            context.update(error=exc.message, status=exc.status)
        else:
            context.update(
                done=True,
                done_text=f"Your account is linked to your seat at {guest.event.name}.",
                done_url=f"/events/{guest.event_id}/my-registration/",
                done_label="See my registration",
            )
    return render(request, "pages/accept.html", context, status=context.get("status", 200))


def registration_summary(user: Any, event: Any) -> dict[str, Any] | None:
    """The caller's party for the event (owned, or the one they are a linked guest of): guests with
    bidder numbers and meals, the caller's table and tablemates' names; None when not registered."""
    registration = selectors.registration_of_user_for_event(user=user, event=event)
    if registration is None:
        return None
    guests = list(registration.guests.all())
    own = next((g for g in guests if g.user_id == user.pk), None) or next((g for g in guests if g.is_registrant), None)
    table = own.table if own is not None and own.table_id else None
    mates: list[str] = []
    if table is not None:
        mates = [
            g.full_name
            for g in Guest.objects.filter(table=table, registration__status=RegistrationStatus.CONFIRMED).order_by(
                "last_name", "first_name"
            )
            if own is None or g.pk != own.pk
        ]
    return {"registration": registration, "guests": guests, "own": own, "table": table, "tablemates": mates}


@never_cache
@require_GET
def my_registration(request: HttpRequest, event_id: Any) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), login_url="/sign-in/")
    try:
        event = event_for(request.user, event_id).event
    except DomainError as exc:
        raise Http404(exc.message) from exc
    summary = registration_summary(request.user, event)
    context: dict[str, Any] = {"title": f"My registration · {event.name}", "event": event, "summary": summary}
    if summary is not None:
        context["qr_svg"] = code_qr_svg(summary["registration"].code)
    return render(request, "pages/my_registration.html", context, status=200 if summary else 404)
