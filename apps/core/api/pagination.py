"""Pagination per api.md: ``?page=N&page_size=M`` (default 25, max 100); a page past the end is 404.

Both parameters are validated as the schema types them (positive integers, ``page_size`` at most
100): ``page=abc``, ``page=0`` or ``page_size=1000`` is 400 ``VALIDATION_ERROR`` naming the
parameter — DRF silently fell back to the default page size, so a schema-violating request was
answered 200. Digits are ASCII only (a full-width digit is not a page number).
"""

from __future__ import annotations

import re
from typing import Any

from rest_framework import pagination
from rest_framework.exceptions import ValidationError
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
