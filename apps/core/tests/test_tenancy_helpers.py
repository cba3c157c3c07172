"""Unit tests of the tenancy helpers: the matrix's ``expect``/``Row`` and the admin base's path logic."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin

from apps.core.tests.matrix import ACTORS, Row, expect
from apps.core.tests.test_permission_matrix import _normalise_route, _normalise_row_path, _strip_regex
from apps.npos.models import NPO, Invitation, Membership
from apps.npos.tenancy.admin import TenantScopedAdmin, npo_id_of, npo_path_for


def test_expect_groups_and_precedence():
    result = expect(all=404, members=200, admin=201, anon=401)
    assert result["admin"] == 201
    assert result["staff"] == 200
    assert result["other_admin"] == 404
    assert result["anon"] == 401
    assert set(result) == set(ACTORS)


def test_expect_rejects_missing_and_unknown_actors():
    with pytest.raises(ValueError, match="without a status"):
        expect(members=200)
    with pytest.raises(ValueError, match="unknown"):
        expect(all=200, janitor=403)


def test_row_validation():
    with pytest.raises(ValueError):
        Row("GET", "/api/v1/x/", {"admin": 200})
    with pytest.raises(ValueError):
        Row("GET", "/api/v1/x/", expect(all=200), format="xml")
    row = Row("get", "/api/v1/npos/{npo}/", expect(all=200), data=lambda w: {"q": w["npo"]})
    assert row.method == "GET"
    assert row.name == "GET /api/v1/npos/{npo}/"
    assert row.url({"npo": "abc"}) == "/api/v1/npos/abc/"
    assert row.body({"npo": "abc"}) == {"q": "abc"}


def test_route_normalisation():
    assert _strip_regex(r"^npos/(?P<pk>[^/.]+)/submit/$") == "npos/{}/submit/"
    assert _strip_regex(r"^a/(?P<x>(?:ab|cd)+)/\.b/$") == "a/{}/.b/"
    assert _normalise_route("npos/<uuid:npo_pk>/members/<uuid:pk>/") == "npos/{}/members/{}/"
    assert _normalise_row_path("/api/v1/npos/{npo}/members/?role=admin") == "npos/{}/members/"


def test_npo_path_for_models():
    assert npo_path_for(NPO) == "pk"
    assert npo_path_for(Membership) == "npo"
    assert npo_path_for(Invitation, admin.site) == "npo"
    try:
        event_model = apps.get_model("events", "Event")
    except LookupError:  # pragma: no cover - the events app always has it once built
        return
    assert npo_path_for(event_model) == "npo"
    user_model = apps.get_model("users", "User")
    assert npo_path_for(user_model) is None


def test_npo_id_of_paths():
    npo = NPO(name="x")
    membership = Membership(npo=npo)
    assert npo_id_of(npo, "pk") == npo.pk
    assert npo_id_of(membership, "npo") == npo.pk
    assert npo_id_of(None, "npo") is None


def test_capability_defaults():
    class ReadOnlyAdmin(TenantScopedAdmin):
        change_capability = None

    instance = ReadOnlyAdmin(NPO, admin.site)
    assert instance._capability_for("add") is None
    assert not instance._members_may("change")
    assert instance._members_may("view")
