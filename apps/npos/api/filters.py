"""One FilterSet per model of the npos API."""

from __future__ import annotations

import django_filters

from apps.npos.capabilities import Role
from apps.npos.models import NPO, Invitation, InvitationStatus, Membership, MembershipStatus, NPOStatus


class NPOFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=NPOStatus.choices)

    class Meta:
        model = NPO
        fields = ["status", "currency", "country"]


class MemberFilter(django_filters.FilterSet):
    role = django_filters.MultipleChoiceFilter(choices=Role.choices)
    status = django_filters.ChoiceFilter(choices=MembershipStatus.choices)

    class Meta:
        model = Membership
        fields = ["role", "status"]


class InvitationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=InvitationStatus.choices)
    role = django_filters.ChoiceFilter(choices=Role.choices)

    class Meta:
        model = Invitation
        fields = ["status", "role"]
