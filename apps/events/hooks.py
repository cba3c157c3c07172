"""What other apps hang on an event, registered explicitly in their ``AppConfig.ready`` (no dynamic imports,
no swallowed ``ImportError``): the events app must not import attendance or auctions (they depend on
it), yet closing an event must close its items and "has the event any activity?" must see
registrations and bids.

A hook that is renamed or removed fails at start-up (the ``ready`` import), and one that raises makes
the event write fail and roll back — never a silent no-op. :func:`check` (run by
``test_event_hooks.py``) asserts every expected hook is registered.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured

CloseHook = Callable[..., Any]  # (*, event, actor) -> Any, inside event_close's transaction
ActivityCheck = Callable[[Any], bool]
GuestCounter = Callable[[Any], int]

_close_hooks: dict[str, CloseHook] = {}
_activity_checks: dict[str, ActivityCheck] = {}
_guest_counter: dict[str, GuestCounter] = {}

#: The hooks a complete installation registers (``check`` refuses to run without them).
EXPECTED = {"close": {"auctions"}, "activity": {"attendance", "auctions"}, "guests": {"attendance"}}


def on_event_close(app_label: str, hook: CloseHook) -> None:
    """``hook(event=..., actor=...)`` runs inside ``event_close``'s transaction, after the status change."""
    _close_hooks[app_label] = hook


def on_activity_check(app_label: str, check_: ActivityCheck) -> None:
    """``check_(event)`` answers whether ``app_label`` has anything recorded for the event."""
    _activity_checks[app_label] = check_


def on_registered_guests(app_label: str, counter: GuestCounter) -> None:
    """The one counter of guests held against an event's capacity (the attendance app's)."""
    _guest_counter[app_label] = counter


def check() -> None:
    registered = {"close": set(_close_hooks), "activity": set(_activity_checks), "guests": set(_guest_counter)}
    for kind, apps in EXPECTED.items():
        missing = apps - registered[kind]
        if missing:
            raise ImproperlyConfigured(f"Event hook {kind!r} not registered by: {', '.join(sorted(missing))}")


def run_close_hooks(*, event: Any, actor: Any) -> None:
    for hook in _close_hooks.values():
        hook(event=event, actor=actor)


def has_activity(event: Any) -> bool:
    return any(check_(event) for check_ in _activity_checks.values())


def registered_guests(event: Any) -> int:
    if not _guest_counter:
        raise ImproperlyConfigured("No app counts an event's registered guests (attendance not ready?).")
    return sum(counter(event) for counter in _guest_counter.values())
