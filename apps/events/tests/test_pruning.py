"""``prune_expired`` drops direct uploads that were started but never confirmed."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from apps.events.models import EventMedia, MediaStatus
from apps.events.pruning import prune_pending_media
from apps.events.tests.factories import EventMediaFactory

pytestmark = pytest.mark.django_db


def _aged(media: EventMedia, days: float) -> EventMedia:
    EventMedia.objects.filter(pk=media.pk).update(created_at=timezone.now() - timedelta(days=days))
    return media


def test_abandoned_pending_uploads_are_removed_with_their_blob():
    stale = _aged(EventMediaFactory(status=MediaStatus.PENDING), days=2)
    default_storage.save(stale.file.name, ContentFile(b"half an upload"))
    fresh = _aged(EventMediaFactory(status=MediaStatus.PENDING), days=0.1)  # its SAS URL may still be in use
    ready = _aged(EventMediaFactory(status=MediaStatus.READY), days=30)

    assert prune_pending_media(now=timezone.now(), dry_run=True) == 1
    assert EventMedia.objects.filter(pk=stale.pk).exists()

    out = io.StringIO()
    call_command("prune_expired", stdout=out)
    assert "abandoned direct uploads" in out.getvalue()
    assert set(EventMedia.objects.values_list("pk", flat=True)) == {fresh.pk, ready.pk}
    assert not default_storage.exists(stale.file.name)


def test_a_pending_row_whose_blob_never_arrived_is_still_removed():
    _aged(EventMediaFactory(status=MediaStatus.PENDING), days=3)
    assert prune_pending_media(now=timezone.now(), dry_run=False) == 1
    assert not EventMedia.objects.exists()
