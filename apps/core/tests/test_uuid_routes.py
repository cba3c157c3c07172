"""Object ids in ``/api/v1/`` routes are ``<uuid:>`` path converters: a malformed id
never reaches a view, and the project's 404 handler answers it in the error envelope — for anonymous
and signed-in callers, on reads and writes alike."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from apps.users.tests.factories import UserFactory

GOOD = "00000000-0000-4000-8000-000000000001"  # fixed: xdist workers must collect the same ids
MALFORMED = [
    ("get", "/api/v1/items/not-a-uuid/"),
    ("post", f"/api/v1/items/{GOOD}/sales/not-a-uuid/undo/"),
    ("delete", f"/api/v1/items/{GOOD}/images/123/"),
    ("get", "/api/v1/events/not-a-uuid/items/"),
    ("post", "/api/v1/events/not-a-uuid/pledges/"),
    ("post", f"/api/v1/events/{GOOD}/pledges/xyz/undo/"),
    ("get", "/api/v1/events/not-a-uuid/"),
    ("get", "/api/v1/events/not-a-uuid/sponsors/"),
    ("get", f"/api/v1/events/{GOOD}/media/not-a-uuid/"),
    ("patch", "/api/v1/npos/not-a-uuid/"),
    ("post", f"/api/v1/events/{GOOD}/statements/1/payments/not-a-uuid/refund/"),
    ("post", "/api/v1/registrations/not-a-uuid/card/"),
    ("get", "/api/v1/events/not-a-uuid/guests/"),
]


def _routes(patterns: list, prefix: str = ""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route


@pytest.mark.django_db
@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
@pytest.mark.parametrize(("method", "url"), MALFORMED)
def test_a_malformed_id_is_the_envelopes_404(method: str, url: str, signed_in: bool):
    client = APIClient()
    if signed_in:
        client.force_authenticate(UserFactory())
    response = getattr(client, method)(url, {}, format="json")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "NOT_FOUND"


def _id_segments(route: str) -> list[tuple[str, str]]:
    """``(converter, name)`` of every id-like segment: ``pk``, ``…_pk``, ``…_id``; a regex group
    counts as converter ``"regex"``."""
    found = [(conv, name) for conv, name in re.findall(r"<(\w+):(\w+)>", route)]
    found += [("regex", name) for name in re.findall(r"\(\?P<(\w+)>", route)]
    return [(conv, name) for conv, name in found if name == "pk" or name.endswith(("_id", "_pk"))]


def test_no_api_route_takes_an_object_id_as_a_string():
    """Every id segment under /api/v1/ is a ``<uuid:>`` (a bidder or statement number is an
    ``<int:>``; a public event is found by its slug, a report by its name)."""
    routes = [r for r in _routes(get_resolver().url_patterns) if r.startswith("api/v1/")]
    assert sum(1 for r in routes if _id_segments(r)) > 50
    offenders = [r for r in routes if any(conv != "uuid" for conv, _ in _id_segments(r))]
    assert offenders == []


def test_the_id_check_sees_strings_and_regexes():
    assert _id_segments("items/<str:pk>/sales/(?P<sale_id>[^/.]+)/<int:number>/") == [
        ("str", "pk"),
        ("regex", "sale_id"),
    ]
