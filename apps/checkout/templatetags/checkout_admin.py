"""``{% checkout_links %}``: the cashier's pages the signed-in member may open (admin index, event
page), decided by the same capability checks as the pages themselves."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from apps.checkout.admin import DASHBOARD, QUEUE, may_use
from apps.npos import authz

register = template.Library()


@register.simple_tag(takes_context=True)
def checkout_links(context: Any, event: Any = None) -> list[tuple[str, str]]:
    request = context.get("request")
    if request is None or not getattr(request.user, "is_authenticated", False):
        return []
    query = f"?event={event.pk}" if event is not None and getattr(event, "pk", None) else ""
    links = []
    for capability, name, label in (
        (QUEUE, "admin:checkout_queue", "Checkout queue"),
        (DASHBOARD, "admin:checkout_dashboard", "Event dashboard"),
    ):
        allowed = (
            authz.has_capability(request.user, event.npo_id, capability) if query else may_use(request, capability)
        )
        if allowed:
            links.append((label, reverse(name) + query))
    return links
