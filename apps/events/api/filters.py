"""One FilterSet per model (NetBox style); booleans as true/false, unknown choices are 400."""

from __future__ import annotations

import django_filters

from apps.events.models import Event, EventStatus


class EventFilter(django_filters.FilterSet):
    npo = django_filters.UUIDFilter(field_name="npo_id")
    status = django_filters.MultipleChoiceFilter(choices=EventStatus.choices)
    starts_after = django_filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = django_filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")

    class Meta:
        model = Event
        fields = ["npo", "status", "starts_after", "starts_before"]
