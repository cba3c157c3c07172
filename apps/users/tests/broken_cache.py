"""A cache backend that fails every call, like Redis during an outage without IGNORE_EXCEPTIONS."""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.base import BaseCache


class BrokenCache(BaseCache):
    def __init__(self, location: str, params: dict[str, Any]) -> None:
        super().__init__(params)

    def _fail(self, *args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("cache unavailable")

    add = get = set = touch = delete = clear = has_key = incr = decr = get_many = set_many = _fail
