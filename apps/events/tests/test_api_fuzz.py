"""Regressions found by ``scripts/fuzz.sh`` (schemathesis against /api/schema/): the documented
responses must describe what the API answers."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from apps.core.tests.test_api_fuzz import component
from apps.events.tests.factories import PublishedEventFactory, SponsorFactory

pytestmark = pytest.mark.django_db


def test_logo_without_a_file_is_null_and_documented_nullable() -> None:
    event = PublishedEventFactory()
    assert APIClient().get(f"/api/v1/events/{event.pk}/").json()["logo"] is None
    assert APIClient().get(f"/api/v1/public/events/{event.slug}/").json()["logo"] is None
    for name in ("Event", "PublicEvent", "Sponsor"):
        assert component(name)["properties"]["logo"]["nullable"] is True, name


def test_public_sponsor_omits_private_fields_which_are_optional() -> None:
    event = PublishedEventFactory()
    SponsorFactory(event=event, contact_email="boss@example.org")
    sponsor = APIClient().get(f"/api/v1/public/events/{event.slug}/").json()["sponsors"][0]
    assert "contact_email" not in sponsor and "donation_amount" not in sponsor
    required = set(component("Sponsor")["required"])
    assert {"id", "name"} <= required
    assert not {"contact_name", "contact_email", "contact_phone", "donation_amount"} & required
