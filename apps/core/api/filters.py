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


class FilterBackend(DjangoFilterBackend):
    """``DjangoFilterBackend`` plus the empty-value rule of the module docstring."""

    def filter_queryset(self, request: Request, queryset: QuerySet, view: Any) -> QuerySet:
        filterset = self.get_filterset(request, queryset, view)
        if filterset is not None:
            errors = {name: ["A value is required."] for name in empty_typed_parameters(filterset, request)}
            for name in non_boolean_parameters(filterset, request):
                errors.setdefault(name, ['Use "true" or "false".'])
            if errors:
                raise ValidationError(errors)
        return super().filter_queryset(request, queryset, view)
