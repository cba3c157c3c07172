"""Pagination per api.md: ``?page=N&page_size=M`` (default 25, max 100); a page past the end is 404.

Both parameters are validated as the schema types them (positive integers, ``page_size`` at most
100): ``page=abc``, ``page=0`` or ``page_size=1000`` is 400 ``VALIDATION_ERROR`` naming the
parameter — DRF silently fell back to the default page size, so a schema-violating request was
answered 200. Digits are ASCII only (a full-width digit is not a page number).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.core.paginator import EmptyPage, InvalidPage
from django.core.paginator import Paginator as DjangoPaginator
from django.db.models import Count, QuerySet, Window
from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request

_POSITIVE_INT = re.compile(r"^[0-9]{1,9}$")


def _positive_int(request: Request, name: str, maximum: int | None = None) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    value = int(raw) if _POSITIVE_INT.match(raw) else 0
    if value < 1:
        raise ValidationError({name: ["A positive whole number is required."]})
    if maximum is not None and value > maximum:
        raise ValidationError({name: [f"At most {maximum}."]})
    return value


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    last_page_strings = ()

    def get_page_size(self, request: Request) -> int:
        return _positive_int(request, self.page_size_query_param, self.max_page_size) or self.page_size

    def get_page_number(self, request: Request, paginator: Any) -> Any:
        return _positive_int(request, self.page_query_param) or 1

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            schema = parameter.setdefault("schema", {})
            schema["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                schema["maximum"] = self.max_page_size
        return parameters


class WindowCountPaginator(DjangoPaginator):
    """Django's paginator with the total counted in the page's own query (``COUNT(*) OVER ()``).

    A list page is two queries with the plain paginator: ``SELECT COUNT(*)`` and the page — for a
    search (the check-in desk's trigram match over 10,000 guests) the database finds the matching
    rows twice. Here the page query carries the total as a window column, computed on the same scan
    before ``LIMIT``. Only an empty page (past the end, or no match) costs the separate count, to
    tell "no rows" from "no such page". Querysets of models or of ``values()`` dicts (a list is
    paginated as usual).
    """

    _TOTAL = "_window_total"

    def page(self, number: Any) -> Any:
        if not isinstance(self.object_list, QuerySet) or "count" in self.__dict__:
            return super().page(number)
        try:
            number = int(number)
        except (TypeError, ValueError):
            return super().page(number)  # PageNotAnInteger, as before
        if number < 1:
            return super().page(number)  # EmptyPage
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list.annotate(**{self._TOTAL: Window(Count("pk"))})[bottom : bottom + self.per_page])
        if not rows:
            return super().page(number)  # the count query decides: an empty first page or EmptyPage
        first = rows[0]
        self.__dict__["count"] = first[self._TOTAL] if isinstance(first, dict) else getattr(first, self._TOTAL)
        if self.orphans and bottom + self.per_page + self.orphans >= self.count:  # pragma: no cover - unused
            return super().page(number)
        if number > self.num_pages:  # pragma: no cover - rows exist, so the page exists
            raise EmptyPage(self.error_messages["no_results"])
        return self._get_page(rows, number, self)  # type: ignore[attr-defined]


class WindowCountPagination(PageNumberPagination):
    """The project's pagination with :class:`WindowCountPaginator` (one query per page)."""

    django_paginator_class = WindowCountPaginator

    def paginate_fetched(self, request: Request, fetch: Callable[[int, int], tuple[int, list[Any]]]) -> list[Any]:
        """``paginate_queryset`` for a page read by ``fetch(offset, limit) -> (count, rows)`` — a
        statement that carries the total on its rows (``(0, [])`` when the page is empty): the same
        parameters, the same 404 past the end and the same response as for a queryset."""
        page_size = self.get_page_size(request)
        number = self.get_page_number(request, None)
        count, rows = fetch((number - 1) * page_size, page_size)
        paginator = self.django_paginator_class((), page_size)
        paginator.__dict__["count"] = count  # no rows: no count; only page 1 may be empty
        try:
            paginator.validate_number(number)
        except InvalidPage as exc:
            raise NotFound(self.invalid_page_message.format(page_number=number, message=str(exc))) from exc
        self.page = paginator._get_page(rows, number, paginator)  # type: ignore[attr-defined]
        self.request = request
        if paginator.num_pages > 1 and self.template is not None:
            self.display_page_controls = True
        return rows
