"""The admin base's rules for private fields and query-string lookups."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.core import checks

from apps.auctions.models import Bid, Item
from apps.core.admin_lookups import (
    DeclaredLookupsOnly,
    check_every_admin_declares_lookups,
    check_no_private_field_offered,
    filter_parameters,
    private_field_errors,
    touches_private_field,
    undeclared_lookup_errors,
)
from apps.events.models import Sponsor
from apps.npos.tenancy.admin import TenantScopedAdmin


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


def test_every_registered_admin_declares_its_lookups() -> None:
    """``augeo.E011`` holds for the site as configured: ours, simplejwt's and Django's own models."""
    assert check_every_admin_declares_lookups() == []
    labels = {model._meta.label for model in admin.site._registry}
    assert {"users.User", "auth.Group", "token_blacklist.OutstandingToken", "core.ScheduledJob"} <= labels


def test_check_refuses_an_admin_that_accepts_any_lookup() -> None:
    from django.contrib.auth.admin import GroupAdmin
    from django.contrib.auth.models import Group

    from apps.core.models import ScheduledJob

    site = admin.AdminSite(name="lookup-check")

    class MixinTooLate(admin.ModelAdmin, DeclaredLookupsOnly):  # Django's lookup_allowed wins here
        pass

    class Fine(DeclaredLookupsOnly, admin.ModelAdmin):
        pass

    site.register(Group, GroupAdmin)  # a third-party admin as shipped
    site.register(ScheduledJob, MixinTooLate)
    site.register(Item, Fine)
    messages = undeclared_lookup_errors(site)
    assert [(m.id, m.obj) for m in messages] == [("augeo.E011", GroupAdmin), ("augeo.E011", MixinTooLate)]
    assert all(isinstance(m, checks.Error) for m in messages)


def _undeclared_column(model_admin: Any) -> str:
    """A plain column of the admin's model that none of its filters puts in a URL."""
    declared = model_admin.declared_lookups(None)
    for field in model_admin.model._meta.concrete_fields:
        if not field.is_relation and field.name not in declared and f"{field.name}__exact" not in declared:
            return str(field.name)
    raise AssertionError(model_admin)


@pytest.mark.django_db
@pytest.mark.parametrize("model", list(admin.site._registry), ids=lambda m: m._meta.label)
def test_no_changelist_answers_an_undeclared_lookup(client: Any, superuser: Any, model: Any) -> None:
    """Every changelist, for a super admin too: ``?<column>__startswith=`` is 400, not an oracle."""
    from django.urls import reverse

    client.force_login(superuser)
    model_admin = admin.site._registry[model]
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert client.get(url).status_code == 200
    assert client.get(url, {f"{_undeclared_column(model_admin)}__startswith": "a"}).status_code == 400
