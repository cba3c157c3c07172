"""Reads of the accounts area."""

from __future__ import annotations

import uuid
from typing import Any

from apps.core.compiled import CompiledQuery
from apps.users.models import User

_USER: CompiledQuery[User] = CompiledQuery("users.user_by_pk", lambda p: User.objects.filter(pk=p.pk), pk=uuid.UUID)


def user_by_pk(pk: Any) -> User | None:
    """The user (every column, as ``get_user`` gives it) by primary key, or ``None`` (no such user,
    or the id is no UUID). Every authenticated API request reads it, so the query is compiled once
    (``CompiledQuery``): building it through the ORM each time cost more than the round trip."""
    try:
        pk = uuid.UUID(str(pk))
    except ValueError:
        return None
    return _USER.first(pk=pk)
