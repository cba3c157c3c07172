"""Regressions found by ``scripts/fuzz.sh`` (schemathesis against /api/schema/)."""

from __future__ import annotations

import uuid

import pytest
from rest_framework.test import APIClient

from apps.events.tests.factories import PublishedEventFactory
from apps.npos.tests.factories import MembershipFactory
from apps.users.tests.factories import UserFactory
from conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("suffix", ["paddle-raise/", "pledges/", "pledges/{uuid}/undo/", "my-bids/", "totals/"])
def test_options_on_per_event_auction_routes_is_not_a_500(suffix: str) -> None:
    """OPTIONS on the serializer-less per-event actions used to assert inside DRF's metadata."""
    event = PublishedEventFactory()
    admin = UserFactory()
    MembershipFactory(npo=event.npo, user=admin, role="admin")
    url = f"/api/v1/events/{event.pk}/" + suffix.format(uuid=uuid.uuid4())
    r = client_for(admin).options(url)
    assert r.status_code == 200
    body = r.json()
    assert "name" in body and "actions" not in body


# --- response schema conformance ---------------------------------------------------------------


def test_item_schema_matches_what_the_api_answers() -> None:
    from apps.auctions.tests.factories import ItemFactory
    from apps.core.tests.test_api_fuzz import component, project_schema

    item = ItemFactory()
    body = APIClient().get(f"/api/v1/items/{item.pk}/").json()
    assert body["current_bid"] is None  # no bid yet …
    schema = component("Item")
    assert schema["properties"]["current_bid"].get("nullable") is True  # … which the schema allows
    # leading/my_max_bid are dropped for anonymous callers: not required.
    assert "leading" not in body and "my_max_bid" not in body
    assert not {"leading", "my_max_bid"} & set(schema["required"])
    # GET /items/{id}/images/ answers a plain array (api.md), not a page.
    images = project_schema()["paths"]["/api/v1/items/{id}/images/"]["get"]["responses"]["200"]
    assert images["content"]["application/json"]["schema"]["type"] == "array"
    assert APIClient().get(f"/api/v1/items/{item.pk}/images/").json() == []
