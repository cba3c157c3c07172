"""Optimistic concurrency under real parallelism (PostgreSQL row locks)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from apps.core.exceptions import Conflict
from apps.events.services.events import event_update
from apps.events.services.media import media_create
from apps.events.tests.factories import EventFactory
from apps.users.tests.factories import UserFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_edits_of_the_same_version_one_wins() -> None:
    event = EventFactory()
    actor = UserFactory()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def edit(tagline: str) -> None:
        try:
            barrier.wait()
            event_update(event=event, actor=actor, data={"tagline": tagline}, version=1)
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=edit, args=(f"edit {i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
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
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def add() -> None:
        try:
            barrier.wait()
            media_create(event=event, actor=actor, upload=upload())
            outcomes.append("ok")
        except Exception as exc:
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=add) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["FileTooLarge", "FileTooLarge", "ok", "ok"]
    assert EventMedia.objects.filter(event=event).count() == 2
