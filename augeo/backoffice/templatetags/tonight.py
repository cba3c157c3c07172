"""``{% night_links event as links %}``: the event's night pages for the viewer (the event's change
page in the admin repeats the index's Tonight links, augeo.backoffice.tonight)."""

from __future__ import annotations

from typing import Any

from django import template

from augeo.backoffice.tonight import event_links

register = template.Library()


@register.simple_tag(takes_context=True)
def night_links(context: Any, event: Any) -> list[dict[str, Any]]:
    request = context.get("request")
    if event is None or getattr(event, "pk", None) is None or request is None:
        return []
    return event_links(request.user, event)
