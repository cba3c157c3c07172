"""Conventions every API view keeps, checked over the whole URL conf (so a new view cannot forget):
the project's filter backend (typed, strict query parameters)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver
from django_filters.rest_framework import DjangoFilterBackend

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
