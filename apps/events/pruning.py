"""Retention of the events area, run by ``manage.py prune_expired``."""

from __future__ import annotations

from datetime import datetime, timedelta

from apps.core import uploads
from apps.core.pruning import pruner
from apps.events.models import EventMedia, MediaStatus

#: A direct-to-blob upload URL lives at most 15 minutes; a row still pending a day later was abandoned
#: (the client never uploaded, or never confirmed). It still counts towards the event's media cap.
PENDING_MEDIA_GRACE = timedelta(days=1)


@pruner("abandoned direct uploads")
def prune_pending_media(*, now: datetime, dry_run: bool) -> int:
    """Pending media rows older than a day, with whatever blob the client may have left behind."""
    queryset = EventMedia.objects.filter(status=MediaStatus.PENDING, created_at__lt=now - PENDING_MEDIA_GRACE)
    if dry_run:
        return queryset.count()
    names = list(queryset.values_list("file", flat=True))
    count, _ = queryset.delete()
    uploads.discard(*names)  # best effort: a blob that was never written is simply not there
    return count
