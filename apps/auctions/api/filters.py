"""Filters of the auction lists (one FilterSet per model)."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from apps.auctions.models import Item, ItemKind, ItemStatus


class ItemFilter(django_filters.FilterSet):
    """``?kind=``, ``?category=`` (exact, case-insensitive), ``?status=``, ``?search=`` (title,
    description, donor, or the exact item number)."""

    kind = django_filters.ChoiceFilter(choices=ItemKind.choices)
    status = django_filters.ChoiceFilter(choices=ItemStatus.choices)
    category = django_filters.CharFilter(field_name="category", lookup_expr="iexact")
    search = django_filters.CharFilter(method="filter_search")

    class Meta:
        model = Item
        fields = ["kind", "status", "category"]

    def filter_search(self, queryset: QuerySet[Item], name: str, value: str) -> QuerySet[Item]:
        value = value.strip()[:100]
        if not value:
            return queryset
        q = Q(title__icontains=value) | Q(description__icontains=value) | Q(donated_by__icontains=value)
        q |= Q(category__icontains=value)
        digits = value.lstrip("#")
        if digits.isascii() and digits.isdigit() and len(digits) <= 9:  # "²".isdigit() is True
            q |= Q(number=int(digits))
        return queryset.filter(q)
