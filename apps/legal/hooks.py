"""What the privacy features ask of the other apps, registered in ``LegalConfig.ready`` (legal sits
above the apps it exports and deletes across, and imports what it registers; the registry keeps the
deletion and the export one loop each, and lets a test add a step).

* **Deletion blockers** — ``deletion_blocker(func)``: ``func(user)`` runs inside the deletion's
  transaction before anything changes and raises a :class:`~apps.core.exceptions.Conflict` to
  refuse (it may lock the rows it reads). ``apps.npos`` provides ``LAST_ADMIN``; checkout
  provides ``BALANCE_DUE`` (a paddle of theirs with a balance due).
* **Remote erasers** — ``remote_eraser(func)``: ``func(user)`` runs inside the deletion's
  transaction after every blocker passed and *before* anything is written: it deletes what an
  outside service keeps about the person (checkout: the payment provider's customer). It raises a
  :class:`~apps.core.exceptions.DomainError` when that service fails, and the deletion is refused
  with nothing changed — the local ids a later eraser blanks are never lost while the remote data
  still exists. It must be idempotent (a retried deletion calls it again).
* **Account erasers** — ``account_eraser(func)``: ``func(user, old_email)`` runs in the same
  transaction after the person has been anonymised, for data an app keeps about them that legal.md
  says to remove (card-on-file tokens, say).
* **Export sections** — ``export_section(name)(func)``: ``func(user)`` returns the JSON-ready data of
  one section of the privacy export. Every name in :data:`SECTION_NAMES` is present in every export
  (an empty list when no installed app provides it yet: ``statements`` and ``payments`` come with
  checkout); an app may add sections of its own.

Example (``LegalConfig.ready``)::

    deletion_blocker(checkout_privacy.balance_due_blocker)
    export_section("statements")(checkout_privacy.statements_for_export)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: The sections of legal.md "Privacy: export and deletion", in the order the export lists them.
SECTION_NAMES = [
    "profile",
    "memberships",
    "registrations",
    "paddles",
    "bids",
    "purchases",
    "sales",
    "pledges",
    "statements",
    "payments",
    "consents",
    "cookie_preferences",
    "audit",
]

DeletionBlocker = Callable[[Any], None]
RemoteEraser = Callable[[Any], None]
AccountEraser = Callable[[Any, str], None]
ExportSection = Callable[[Any], Any]

_blockers: list[DeletionBlocker] = []
_remote_erasers: list[RemoteEraser] = []
_erasers: list[AccountEraser] = []
_sections: dict[str, ExportSection] = {}


def deletion_blocker(func: DeletionBlocker) -> DeletionBlocker:
    """Register a check that may refuse an account deletion (raise ``Conflict``)."""
    if func not in _blockers:
        _blockers.append(func)
    return func


def remote_eraser(func: RemoteEraser) -> RemoteEraser:
    """Register a step that deletes the person's data held by an outside service (may refuse)."""
    if func not in _remote_erasers:
        _remote_erasers.append(func)
    return func


def account_eraser(func: AccountEraser) -> AccountEraser:
    """Register a step that removes an app's own personal data of a deleted account."""
    if func not in _erasers:
        _erasers.append(func)
    return func


def export_section(name: str) -> Callable[[ExportSection], ExportSection]:
    """Register the provider of one export section (a later registration replaces an earlier one)."""

    def register(func: ExportSection) -> ExportSection:
        _sections[name] = func
        return func

    return register


def deletion_blockers() -> list[DeletionBlocker]:
    return list(_blockers)


def remote_erasers() -> list[RemoteEraser]:
    return list(_remote_erasers)


def account_erasers() -> list[AccountEraser]:
    return list(_erasers)


def export_sections() -> dict[str, ExportSection | None]:
    """Every section name (legal.md's first, then any an app added) → its provider or ``None``."""
    names = [*SECTION_NAMES, *(name for name in _sections if name not in SECTION_NAMES)]
    return {name: _sections.get(name) for name in names}
