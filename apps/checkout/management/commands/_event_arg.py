"""The EVENT argument of the checkout commands: an event id or slug."""

from __future__ import annotations

import uuid

from django.core.management.base import CommandError

from apps.events.models import Event


def event_from_arg(value: str) -> Event:
    qs = Event.objects.select_related("npo")
    try:
        event = qs.filter(pk=uuid.UUID(value)).first()
    except ValueError:
        event = qs.filter(slug=value).first()
    if event is None:
        raise CommandError(f"No event with id or slug {value!r}.")
    return event
