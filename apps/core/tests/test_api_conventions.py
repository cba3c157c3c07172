"""Conventions every API view keeps, checked over the whole URL conf (so a new view cannot forget):
the project's filter backend (typed, strict query parameters), the project's parsers (bounded JSON
nesting, no empty multipart), strict JSON booleans in bodies."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator
from typing import Any

from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers

from apps.core.api.fields import StrictBooleanField
from apps.core.api.filters import FilterBackend


def _views(patterns: Any = None) -> Iterator[tuple[str, Any, dict[str, Any]]]:
    """``(route, view class, initkwargs)`` of every DRF view under ``/api/``."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from _views(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            cls = getattr(pattern.callback, "cls", None)
            if cls is not None and cls.__module__.startswith("apps."):
                yield str(pattern.pattern), cls, getattr(pattern.callback, "initkwargs", {}) or {}


def test_the_url_conf_has_api_views():
    assert len({cls for _, cls, _ in _views()}) > 20


def test_every_view_filters_through_the_project_backend():
    """django-filter's own backend accepts ``?has_bidder_number=0`` and an empty typed filter."""
    offenders = sorted(
        {
            f"{cls.__module__}.{cls.__name__}"
            for _, cls, kwargs in _views()
            for backend in kwargs.get("filter_backends", getattr(cls, "filter_backends", ()))
            if issubclass(backend, DjangoFilterBackend) and not issubclass(backend, FilterBackend)
        }
    )
    assert offenders == []


def test_every_view_parses_with_the_project_parsers():
    """DRF's JSONParser has no nesting bound, its MultiPartParser takes a body without parts, and its
    FormParser lets an empty field mean "not given"."""
    offenders = sorted(
        {
            f"{route}: {parser.__module__}.{parser.__name__}"
            for route, cls, kwargs in _views()
            for parser in kwargs.get("parser_classes", getattr(cls, "parser_classes", ()))
            if parser.__module__ != "apps.core.api.parsers"
        }
    )
    assert offenders == []


def _api_serializers() -> Iterator[type[serializers.BaseSerializer]]:
    for config in apps.get_app_configs():
        if not config.name.startswith("apps."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.api.serializers")
        except ModuleNotFoundError:
            continue
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and issubclass(value, serializers.Serializer)
                and value.__module__ == module.__name__
            ):
                yield value


def test_every_writable_boolean_is_strict():
    """Request-body booleans are JSON ``true``/``false`` (apps.core.api.fields.StrictBooleanField)."""
    classes = list(_api_serializers())
    assert len(classes) > 20
    offenders = [
        f"{cls.__module__}.{cls.__name__}.{name}"
        for cls in classes
        for name, field in cls().fields.items()
        if isinstance(field, serializers.BooleanField)
        and not field.read_only
        and not isinstance(field, StrictBooleanField)
    ]
    assert offenders == []


def test_capability_declarations_name_real_actions():
    """One declaration per action (``capabilities`` on the view): every key is the view's action, its
    HTTP method, or ``action:method`` / ``action:sub-case`` — a typo would silently leave an action
    undeclared, so it fails here."""
    offenders = []
    for _, cls, _kwargs in _views():
        for key in getattr(cls, "capabilities", {}):
            name = key.split(":", 1)[0]
            # named sub-cases a mixin checks explicitly: private fields, a registration's change
            if name in {"private", "change", "get", "post", "patch", "put", "delete"}:
                continue
            if not callable(getattr(cls, name, None)):
                offenders.append(f"{cls.__name__}.capabilities[{key!r}]")
    assert offenders == []


def test_the_admin_reads_the_api_declaration():
    """Opening an item needs the same capability in the admin as in the API (they once
    disagreed): the admin's actions read the viewset's declaration."""
    from django.contrib import admin as django_admin

    from apps.auctions.api.views import EventAuctionViewSet, ItemViewSet
    from apps.auctions.models import Item, PaddleRaiseLevel, PaddleRaiseSettings, Pledge, Sale

    item_admin = django_admin.site._registry[Item]
    assert item_admin.open_items.tenant_capability == ItemViewSet.capabilities["open"]
    assert item_admin.close_items.tenant_capability == ItemViewSet.capabilities["close"]
    assert item_admin.withdraw_items.tenant_capability == ItemViewSet.capabilities["withdraw"]
    assert item_admin.change_capability == ItemViewSet.capabilities["partial_update"]
    assert django_admin.site._registry[Sale].undo_sales.tenant_capability == ItemViewSet.capabilities["sale_undo"]
    pledges = django_admin.site._registry[Pledge]
    assert pledges.undo_pledges.tenant_capability == EventAuctionViewSet.capabilities["pledge_undo"]
    assert pledges.view_capability == EventAuctionViewSet.capabilities["pledges:get"]
    for model in (PaddleRaiseSettings, PaddleRaiseLevel):
        assert (
            django_admin.site._registry[model].change_capability
            == EventAuctionViewSet.capabilities["paddle_raise:post"]
        )


def test_checking_an_undeclared_capability_fails_loudly():
    import pytest
    from django.core.exceptions import ImproperlyConfigured

    from apps.npos.tenancy.api import DeclaredCapabilities

    view = DeclaredCapabilities()
    view.request = type("R", (), {"method": "POST", "user": None})()
    with pytest.raises(ImproperlyConfigured):
        view.check_capability(None)
