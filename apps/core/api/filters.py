"""The project's filter backend: django-filter, with typed query parameters validated as typed.

django-filter treats an empty value as "no filter", so ``?npo=`` (documented as a UUID) or
``?checked_in=`` (a boolean) was answered 200 with the unfiltered list — a schema-violating request
accepted. Here an empty value for any filter other than free text is 400 ``VALIDATION_ERROR`` naming
the parameter, and a boolean filter takes exactly ``true`` or ``false`` (api.md): Django's boolean
form fields also read ``1``/``0``/``True`` and turn anything else into "no filter". Other invalid
non-empty values were already refused by the filter forms (``raise_exception``).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request


def empty_typed_parameters(filterset: Any, request: Request) -> list[str]:
    """Names of typed filters (anything but a plain text filter) sent with an empty value."""
    return [
        name
        for name, filter_ in filterset.filters.items()
        if not isinstance(filter_, django_filters.CharFilter)
        and name in request.query_params
        and any(value.strip() == "" for value in request.query_params.getlist(name))
    ]


def non_boolean_parameters(filterset: Any, request: Request) -> list[str]:
    """Names of boolean filters sent with anything but ``true``/``false``."""
    return [
        name
        for name, filter_ in filterset.filters.items()
        if isinstance(filter_, django_filters.BooleanFilter)
        and name in request.query_params
        and any(value not in ("true", "false") for value in request.query_params.getlist(name))
    ]


def _no_filter_asked(backend: DjangoFilterBackend, request: Request, queryset: QuerySet, view: Any) -> bool:
    """True when the request names none of the view's filters: the FilterSet (a deep copy of every
    filter and a form, per request) would return the queryset unchanged, so a poll of the catalogue
    or a plain check-in search skips building it."""
    filterset_class = backend.get_filterset_class(view, queryset)
    return filterset_class is not None and not any(
        name in request.query_params for name in filterset_class.base_filters
    )


class FilterBackend(DjangoFilterBackend):
    """``DjangoFilterBackend`` plus the empty-value rule of the module docstring (and no FilterSet
    built when no filter is asked for)."""

    def filter_queryset(self, request: Request, queryset: QuerySet, view: Any) -> QuerySet:
        if _no_filter_asked(self, request, queryset, view):
            return queryset
        filterset = self.get_filterset(request, queryset, view)
        if filterset is not None:
            errors = {name: ["A value is required."] for name in empty_typed_parameters(filterset, request)}
            for name in non_boolean_parameters(filterset, request):
                errors.setdefault(name, ['Use "true" or "false".'])
            if errors:
                raise ValidationError(errors)
        return super().filter_queryset(request, queryset, view)
