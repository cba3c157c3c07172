"""What apps above ``npos`` plug into it, registered in their ``AppConfig.ready`` (a lower app never
imports a higher one).

* **NPO deletion blockers** — :func:`on_npo_delete_check`: ``check(npo)`` runs inside ``npo_delete``'s
  transaction, after the NPO row is locked and before anything changes, and raises a
  :class:`~apps.core.exceptions.Conflict` to refuse (apps.events: ``NPO_HAS_PUBLISHED_EVENTS``).

:data:`EXPECTED` names the apps a complete installation registers; ``test_hooks.py`` checks them, so a
check that is renamed or not registered fails a test instead of letting a deletion through.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

NpoDeleteCheck = Callable[[Any], None]

_delete_checks: dict[str, NpoDeleteCheck] = {}

#: The apps that register a deletion check in a complete installation.
EXPECTED = {"events"}


def on_npo_delete_check(app_label: str, check: NpoDeleteCheck) -> None:
    """Register ``check(npo)`` (one per app; registering again replaces it)."""
    _delete_checks[app_label] = check


def npo_delete_checks() -> dict[str, NpoDeleteCheck]:
    return dict(_delete_checks)
