"""The admin base's rules for private fields and query-string lookups (issue 9, items 1 and 10)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.core import checks

from apps.auctions.models import Bid, Item
from apps.events.models import Sponsor
from apps.npos.tenancy.admin import TenantScopedAdmin
from apps.npos.tenancy.private import (
    check_no_private_field_offered,
    filter_parameters,
    private_field_errors,
    touches_private_field,
)


def test_registered_admins_offer_no_private_field() -> None:
    assert check_no_private_field_offered() == []


def test_check_refuses_filters_searches_and_orderings_on_private_fields() -> None:
    site = admin.AdminSite(name="private-check")

    class LeakyItemAdmin(TenantScopedAdmin):
        npo_path = "event__npo"
        list_display = ["title", "max_column", "reserve"]
        list_filter = ["status", "reserve"]
        search_fields = ["title", "=bids__max_amount"]
        ordering = ["-leader_max"]

        @admin.display(ordering="leader_max")
        def max_column(self, obj: Any) -> str:
            return "?"

    site.register(Item, LeakyItemAdmin)
    messages = private_field_errors(site)
    assert {m.id for m in messages} == {"augeo.E010"}
    text = " ".join(m.msg for m in messages)
    for fragment in ("list_filter", "search_fields", "ordering", "list_display", "list_display ordering"):
        assert fragment in text
    assert len(messages) == 5
    assert all(isinstance(m, checks.Error) for m in messages)


@pytest.mark.parametrize(
    ("model", "path", "private"),
    [
        (Item, "leader_max__gte", True),
        (Item, "reserve", True),
        (Item, "bids__max_amount__range", True),
        (Item, "event__items__leader_max", True),
        (Bid, "item__reserve__lt", True),
        (Sponsor, "donation_amount__gte", True),
        (Item, "starting_bid__gte", False),
        (Item, "title__icontains", False),
        (Item, "nosuch__gte", False),
        (Bid, "amount", False),
    ],
)
def test_touches_private_field(model: Any, path: str, private: bool) -> None:
    assert touches_private_field(model, path) is private


def test_filter_parameters_mirror_django_filters() -> None:
    from django.contrib.admin import EmptyFieldListFilter

    from apps.auctions.models import Sale

    assert filter_parameters(Item, "status") == {"status__exact", "status__isnull"}
    assert filter_parameters(Item, "event") == {"event__id__exact", "event__isnull"}
    assert filter_parameters(Item, "closes_at") == {"closes_at__gte", "closes_at__lt", "closes_at__isnull"}
    assert filter_parameters(Item, "category") == {"category", "category__isnull"}
    assert filter_parameters(Sale, "undone_at", EmptyFieldListFilter) == {"undone_at__isempty"}
