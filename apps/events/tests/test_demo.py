from __future__ import annotations

from io import StringIO
from typing import Any

import pytest

from apps.events import demo
from apps.events.models import Event, EventLink, EventMedia, EventStatus, FoodOption, Sponsor

pytestmark = pytest.mark.django_db


def test_skips_without_the_demo_npo() -> None:
    out = StringIO()
    assert demo.seed(out) == []
    assert "skipping" in out.getvalue()
    assert not Event.objects.exists()


def test_seed_is_idempotent(db: Any) -> None:
    from apps.npos import demo as npo_demo
    from apps.users import demo as user_demo

    out = StringIO()
    user_demo.seed(out)
    npo_demo.seed(out)
    demo.seed(out)
    demo.seed(out)
    event = Event.objects.get(slug=demo.DEMO_EVENT_SLUG)
    assert event.status == EventStatus.PUBLISHED
    assert event.logo.name
    assert FoodOption.objects.filter(event=event).count() == len(demo.MEALS)
    assert Sponsor.objects.filter(event=event).exclude(logo_thumbnail="").count() == len(demo.SPONSORS)
    assert EventMedia.objects.filter(event=event, status="ready").count() == len(demo.GALLERY)
    assert EventLink.objects.filter(event=event).count() == len(demo.LINKS)
