"""Link invited guests to the account that signs in with their e-mail address.

Two hooks, because the project has two login paths: Django's ``user_logged_in`` (session login,
the admin, the browsable API) and simplejwt's token login, which sends no signal but writes
``last_login`` (``UPDATE_LAST_LOGIN``). E-mail verification writes ``email_verified_at``; that is
caught by the same ``post_save`` receiver. The accounts app may also call
:func:`apps.attendance.services.guests_link_to_user` directly.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError

logger = logging.getLogger(__name__)


def _link(user: Any) -> None:
    # Imported lazily: signals are connected in AppConfig.ready(), before every model is importable.
    from apps.attendance.services import guests_link_to_user

    try:
        guests_link_to_user(user)
    except DatabaseError:  # never let linking break a login
        logger.exception("linking guests to a user failed")


def on_user_logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    _link(user)


def on_user_saved(sender: Any, instance: Any, created: bool, update_fields: Any = None, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    relevant = created or update_fields is None or {"last_login", "email_verified_at"} & set(update_fields)
    if relevant and getattr(instance, "email_verified_at", None):
        _link(instance)
