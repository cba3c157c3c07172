"""Optimistic concurrency under real parallelism (PostgreSQL row locks)."""

from __future__ import annotations

from typing import Any

import pytest

from apps.core.tests.race import codes, race
from apps.events.services.events import event_update
from apps.events.services.media import media_create
from apps.events.tests.factories import EventFactory
from apps.users.tests.factories import UserFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_edits_of_the_same_version_one_wins() -> None:
    event = EventFactory()
    actor = UserFactory()

    def edit(tagline: str) -> None:
        event_update(event=event, actor=actor, data={"tagline": tagline}, version=1)

    outcomes = codes(race(*[lambda i=i: edit(f"edit {i}") for i in range(2)]))
    assert sorted(outcomes) == ["VERSION_CONFLICT", "ok"]
    event.refresh_from_db()
    assert event.version == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_uploads_respect_the_event_cap(settings: Any) -> None:
    from apps.events.models import EventMedia
    from apps.events.tests.factories import image_bytes, upload

    settings.AUGEO_MAX_EVENT_MEDIA_BYTES = len(image_bytes()) * 2 + 5
    event = EventFactory()
    actor = UserFactory()

    def add() -> None:
        media_create(event=event, actor=actor, upload=upload())

    outcomes = [type(result).__name__ if isinstance(result, Exception) else "ok" for result in race(add, add, add, add)]
    assert sorted(outcomes) == ["FileTooLarge", "FileTooLarge", "ok", "ok"]
    assert EventMedia.objects.filter(event=event).count() == 2
