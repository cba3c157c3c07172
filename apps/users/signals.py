"""Signals this app owns, for apps above it to plug into (a lower app never imports a higher one).

``access_cut_off(sender=User, user_id=...)`` — sent **after commit** when a user's sessions and access
tokens were cut off ("log out everywhere", a password reset, a deactivation, an account deletion: the
``tokens_valid_after`` cut-off moved). apps.live closes that user's open sockets at once.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import Signal

access_cut_off = Signal()


def access_cut_off_announce(user: Any) -> None:
    """Send :data:`access_cut_off` for ``user`` once the surrounding transaction commits (nothing
    when it rolls back). A receiver's error is logged, never raised into the committed request."""
    user_id = user.pk
    transaction.on_commit(lambda: access_cut_off.send_robust(sender=type(user), user_id=user_id), robust=True)
