"""The permission matrix (pretix style): endpoint x actor → expected status, for every route under /api/v1/.

Each app contributes ``apps/<app>/tests/matrix.py`` with two names:

``build(world: dict) -> None``
    Adds the app's objects to ``world`` and the URL placeholders its rows use, as strings
    (``world["event"] = str(event.id)``). Objects may be stored too (``world["event_obj"] = event``).
    It runs after the base world below and after the ``build`` of every app before it in
    :data:`APP_ORDER` (users, npos, events, attendance, auctions), so it may use what those added.

``ROWS: list[Row]``
    ``Row("GET", "/api/v1/npos/{npo}/", expect(members=200, others=404, donor=404, anon=401, super=200))``.
    ``{placeholders}`` are filled from ``world`` with ``str.format``; a query string is allowed.
    Optional: ``data`` (a dict, or ``callable(world) -> dict`` — called once per actor, so return
    fresh file objects for uploads), ``format`` (``"json"`` or ``"multipart"``), ``setup``
    (``callable(world) -> None``, run before each actor's attempt inside that actor's savepoint)
    and ``name`` (shown in failures; defaults to ``"METHOD path"``).

The base world (built by :func:`build_world`):

* ``npo`` / ``other_npo`` — ids of NPO A and NPO B (both ``approved``); objects in ``world["npo_obj"]``
  and ``world["other_npo_obj"]``;
* ``world["users"][actor]`` — the user of each actor (``anon`` maps to ``None``):
  ``admin``, ``coordinator``, ``staff``, ``auctioneer``, ``cashier`` are active members of NPO A with
  that role; ``other_admin`` … ``other_cashier`` the same roles in NPO B; ``super`` is a superuser;
  ``donor`` a verified user with no membership; ``anon`` is not signed in.

:func:`expect` takes the groups ``all``, ``members`` (the five NPO A roles) and ``others`` (the five
NPO B roles) and single actors; the most specific wins (actor > members/others > all). Every one of
the 13 actors must end up with a status, otherwise the row fails at import time.

``test_permission_matrix.py`` runs every row: the world is built once (inside a transaction rolled
back at the end), each actor's request runs inside its own savepoint that is rolled back afterwards
(so a DELETE by ``super`` does not change what ``admin`` sees, and no row affects another), and all
mismatches of a row are reported together. ``setup`` functions must therefore change the database
by id (``Event.objects.filter(pk=world["event"]).update(status="closed")``), never by saving a
shared object from ``world``. A second test walks the URL resolver and fails for each
(method, route) under /api/v1/ that no row covers (write paths with ``{placeholders}``, not
literal ids); a third fails for rows that match no route. The WebSocket room ``/ws/events/{id}/`` has
its rows in ``apps/live/tests/matrix.py`` (``WS_ROWS``, run over real sockets).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MEMBER_ROLES = ["admin", "coordinator", "staff", "auctioneer", "cashier"]
MEMBERS = list(MEMBER_ROLES)
OTHERS = [f"other_{role}" for role in MEMBER_ROLES]
ACTORS = ["super", *MEMBERS, *OTHERS, "donor", "anon"]
GROUPS = {"all": ACTORS, "members": MEMBERS, "others": OTHERS}

# Apps whose ``tests/matrix.py`` is collected, in dependency order (a later build may use earlier objects).
APP_ORDER = ["core", "users", "npos", "events", "attendance", "auctions", "checkout", "live", "legal"]


def expect(**statuses: int) -> dict[str, int]:
    """Expected status per actor from groups and single actors; raises ``ValueError`` if incomplete."""
    unknown = set(statuses) - set(GROUPS) - set(ACTORS)
    if unknown:
        raise ValueError(f"unknown actor or group: {', '.join(sorted(unknown))}")
    result: dict[str, int] = {}
    if "all" in statuses:
        result.update(dict.fromkeys(ACTORS, statuses["all"]))
    for group in ("members", "others"):
        if group in statuses:
            result.update(dict.fromkeys(GROUPS[group], statuses[group]))
    for actor in ACTORS:
        if actor in statuses:
            result[actor] = statuses[actor]
    missing = [actor for actor in ACTORS if actor not in result]
    if missing:
        raise ValueError(f"expect() leaves these actors without a status: {', '.join(missing)}")
    return result


@dataclass(frozen=True)
class Row:
    """One endpoint with the status every actor must get."""

    method: str
    path: str
    expected: dict[str, int]
    data: dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]] | None = None
    format: str = "json"
    setup: Callable[[dict[str, Any]], None] | None = None
    name: str = field(default="")

    def __post_init__(self) -> None:
        object.__setattr__(self, "method", self.method.upper())
        if set(self.expected) != set(ACTORS):
            raise ValueError(f"{self.method} {self.path}: build `expected` with expect()")
        if self.format not in ("json", "multipart"):
            raise ValueError(f"{self.method} {self.path}: format must be 'json' or 'multipart'")
        if not self.name:
            object.__setattr__(self, "name", f"{self.method} {self.path}")

    def url(self, world: dict[str, Any]) -> str:
        return self.path.format(**world)

    def body(self, world: dict[str, Any]) -> dict[str, Any] | None:
        return self.data(world) if callable(self.data) else self.data


def app_matrix_modules() -> list[Any]:
    """The ``apps.<app>.tests.matrix`` modules that exist, in :data:`APP_ORDER`."""
    modules = []
    for app in APP_ORDER:
        name = f"apps.{app}.tests.matrix"
        try:
            modules.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            # Only a missing matrix module is skipped; a broken import inside one must fail loudly.
            if exc.name not in (name, f"apps.{app}.tests", f"apps.{app}"):
                raise
    return modules


def all_rows() -> list[Row]:
    return [row for module in app_matrix_modules() for row in getattr(module, "ROWS", [])]


def _base_world() -> dict[str, Any]:
    from apps.npos.models import NPOStatus
    from apps.npos.tests.factories import MembershipFactory, NPOFactory
    from apps.users.tests.factories import UserFactory

    npo_a = NPOFactory(name="Matrix NPO A", status=NPOStatus.APPROVED)
    npo_b = NPOFactory(name="Matrix NPO B", status=NPOStatus.APPROVED)
    users: dict[str, Any] = {
        "super": UserFactory(email="super@matrix.test", is_superuser=True, is_staff=True),
        "donor": UserFactory(email="donor@matrix.test"),
        "anon": None,
    }
    for prefix, npo in (("", npo_a), ("other_", npo_b)):
        for role in MEMBER_ROLES:
            actor = f"{prefix}{role}"
            users[actor] = UserFactory(email=f"{actor}@matrix.test", is_staff=True)
            MembershipFactory(npo=npo, user=users[actor], role=role)
    return {
        "npo": str(npo_a.id),
        "other_npo": str(npo_b.id),
        "npo_obj": npo_a,
        "other_npo_obj": npo_b,
        "users": users,
    }


def build_world() -> dict[str, Any]:
    """The base world plus every app's ``build(world)``, in dependency order."""
    world = _base_world()
    for module in app_matrix_modules():
        build = getattr(module, "build", None)
        if build is not None:
            build(world)
    return world


# Rows of the core app itself (collected through APP_ORDER like any app's).
def build(world: dict[str, Any]) -> None:
    """Core endpoints need nothing beyond the base world."""


ROWS = [Row("GET", "/api/v1/", expect(all=200), name="API root is public")]
