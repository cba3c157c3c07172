"""The permission matrix: every row x every actor, and a check that every /api/v1/ route has rows.

Format of the rows and the actors: see ``apps/core/tests/matrix.py``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import models, transaction
from django.urls import URLPattern, URLResolver
from rest_framework.test import APIClient

from apps.core.tests.matrix import ACTORS, Row, all_rows, build_world

ROWS = all_rows()
IGNORED_METHODS = {"head", "options", "trace"}


def _atomic_for_test() -> Any:
    """An atomic block that, like Django's TestCase blocks, lets services open durable transactions."""
    atomic = transaction.atomic()
    atomic._from_testcase = True  # type: ignore[attr-defined]
    return atomic


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """The world, built once for the whole matrix inside a transaction rolled back at the end.

    Every actor's request then runs in its own savepoint that is rolled back too, so no request
    (nor a row's ``setup``) changes what the next one sees.
    """
    with django_db_blocker.unblock():
        outer = _atomic_for_test()
        outer.__enter__()
        try:
            built = build_world()
            _snapshot(built)
            yield built
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def _instances(world: dict[str, Any]) -> list[models.Model]:
    return [v for v in [*world.values(), *world["users"].values()] if isinstance(v, models.Model)]


def _snapshot(world: dict[str, Any]) -> None:
    world["_snapshot"] = [
        (obj, {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}) for obj in _instances(world)
    ]


def _restore(world: dict[str, Any]) -> None:
    """Undo in-memory changes a previous request made to shared objects (``request.user`` is the
    world's user object under ``force_authenticate``); the database side was rolled back already."""
    for obj, values in world.get("_snapshot", []):
        for attname, value in values.items():
            setattr(obj, attname, value)
        obj._state.fields_cache = {}


def _attempt(row: Row, world: dict[str, Any], actor: str) -> int:
    client = APIClient()
    client.raise_request_exception = False  # an unhandled error is a mismatch (500), not an abort
    user = world["users"][actor]
    if user is not None:
        client.force_authenticate(user)
    _restore(world)
    with _atomic_for_test():
        if row.setup is not None:
            row.setup(world)
        url = row.url(world)
        body = row.body(world)
        if row.method == "GET":
            response = client.get(url, data=body)
        else:
            response = getattr(client, row.method.lower())(url, data=body, format=row.format)
        transaction.set_rollback(True)
    return response.status_code


# The marker makes pytest-django create the test database even when only this module runs; the
# per-test transaction it adds nests inside the module's world transaction.
@pytest.mark.django_db
@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_permission_matrix(row: Row, world: dict[str, Any]) -> None:
    mismatches = []
    for actor in ACTORS:
        got = _attempt(row, world, actor)
        if got != row.expected[actor]:
            mismatches.append(f"{actor}: expected {row.expected[actor]}, got {got}")
    assert not mismatches, f"{row.name}:\n  " + "\n  ".join(mismatches)


# --- every route has a row ----------------------------------------------------------------------


def _strip_regex(pattern: str) -> str:
    """``^npos/(?P<pk>[^/.]+)/submit/$`` → ``npos/{}/submit/`` (named groups become ``{}``)."""
    pattern = pattern.lstrip("^").rstrip("$").replace("\\Z", "")
    out = []
    i = 0
    while i < len(pattern):
        if pattern[i] == "(":
            depth = 0
            while i < len(pattern):
                if pattern[i] == "\\":
                    i += 2
                    continue
                if pattern[i] == "(":
                    depth += 1
                elif pattern[i] == ")":
                    depth -= 1
                    if depth == 0:
                        break
                i += 1
            out.append("{}")
        elif pattern[i] == "\\" and i + 1 < len(pattern):
            out.append(pattern[i + 1])
            i += 1
        else:
            out.append(pattern[i])
        i += 1
    return "".join(out)


def _normalise_route(raw: str) -> str:
    if raw.startswith("^") or "(?P<" in raw or raw.endswith("$"):
        return _strip_regex(raw)
    return re.sub(r"<[^>]+>", "{}", raw)


def _normalise_row_path(path: str) -> str:
    path = path.split("?", 1)[0]
    path = path.removeprefix("/api/v1/")
    return re.sub(r"\{[^}]*\}", "{}", path)


def _methods(callback: Any) -> set[str]:
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    actions = getattr(callback, "actions", None)
    if cls is None:
        return {"GET"}
    allowed = {m for m in getattr(cls, "http_method_names", []) if m not in IGNORED_METHODS}
    if actions:
        return {m.upper() for m in actions if m in allowed}
    return {m.upper() for m in allowed if hasattr(cls, m)}


def _walk(patterns: list[Any], prefix: str = "") -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for entry in patterns:
        raw = str(entry.pattern)
        route = prefix + _normalise_route(raw)
        if isinstance(entry, URLResolver):
            found.extend(_walk(entry.url_patterns, route))
        elif isinstance(entry, URLPattern):
            if "format" in entry.pattern.regex.groupindex:
                continue  # DRF format-suffix duplicates of real routes
            cls = getattr(entry.callback, "cls", None)
            if cls is not None and cls.__name__ == "APIRootView":
                continue  # DefaultRouter's generated index
            found.append((route, entry.callback))
    return found


def api_routes() -> set[tuple[str, str]]:
    from augeo import api_urls

    return {(method, route) for route, callback in _walk(api_urls.urlpatterns) for method in _methods(callback)}


def test_every_api_route_has_a_row() -> None:
    covered = {(row.method, _normalise_row_path(row.path)) for row in ROWS}
    missing = sorted(api_routes() - covered)
    assert not missing, "routes under /api/v1/ without a permission-matrix row:\n  " + "\n  ".join(
        f"{method} /api/v1/{route}" for method, route in missing
    )


def test_every_row_matches_a_route() -> None:
    """A row whose path matches no route (a typo) would silently test a 404."""
    routes = api_routes()
    stray = sorted({row.name for row in ROWS if (row.method, _normalise_row_path(row.path)) not in routes})
    assert not stray, "matrix rows that match no route:\n  " + "\n  ".join(stray)
