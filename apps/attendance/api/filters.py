"""One FilterSet per listed model (NetBox style). Text search is not here: the guest search needs the
event to resolve registration codes and bidder numbers (:func:`selectors.guests_search`)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet

from apps.attendance.models import Guest, Registration, RegistrationStatus


class GuestFilter(django_filters.FilterSet):
    checked_in = django_filters.BooleanFilter(method="filter_checked_in")
    table = django_filters.UUIDFilter(field_name="table_id")
    seated = django_filters.BooleanFilter(field_name="table", lookup_expr="isnull", exclude=True)
    has_bidder_number = django_filters.BooleanFilter(field_name="paddle", lookup_expr="isnull", exclude=True)
    registration = django_filters.UUIDFilter(field_name="registration_id")
    is_registrant = django_filters.BooleanFilter()

    class Meta:
        model = Guest
        fields = ["checked_in", "table", "seated", "has_bidder_number", "registration", "is_registrant"]

    def filter_checked_in(self, queryset: QuerySet[Guest], name: str, value: Any) -> QuerySet[Guest]:
        return queryset.filter(checked_in_at__isnull=not value)


class RegistrationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=RegistrationStatus.choices)
    code = django_filters.CharFilter(method="filter_code")

    class Meta:
        model = Registration
        fields = ["status", "code"]

    def filter_code(self, queryset: QuerySet[Registration], name: str, value: str) -> QuerySet[Registration]:
        return queryset.filter(code=value.strip().upper())
