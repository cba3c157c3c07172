"""The page behind the NPO invitation e-mail: sign in or sign up with the invited address,
then accept — through ``invitation_accept``, as ``POST /api/v1/invitations/accept/`` does."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from apps.core.exceptions import DomainError
from apps.core.net import client_ip
from apps.npos.models import Invitation
from apps.npos.services import team as services


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest) -> HttpResponse:
    token = (request.POST.get("token") or request.GET.get("token") or "").strip()[:200]
    invitation = Invitation.objects.select_related("npo").filter(token_hash=services.token_hash(token)).first()
    context: dict[str, Any] = {
        "title": "Join your team on Augeo",
        "token": token,
        "what": f"Join {invitation.npo.name} as {invitation.get_role_display()}" if invitation else "Join an NPO",
        "email": invitation.email if invitation else "",
        "kind": "team",
    }
    if request.method == "POST" and request.user.is_authenticated:
        try:
            membership = services.invitation_accept(token=token, user=request.user, ip=client_ip(request))
        except DomainError as exc:
            context.update(error=exc.message, status=exc.status)
        else:
            context.update(done=True, done_text=f"You are now a member of {membership.npo.name}.", done_url="/admin/")
            context["done_label"] = "Open the back office"
    return render(request, "pages/accept.html", context, status=context.get("status", 200))
