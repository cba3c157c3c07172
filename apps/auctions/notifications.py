"""The notification outbox (bidding.md "Notifications").

Services call :func:`notification_queue` inside their transaction: the row commits with the bid or
the close, or not at all. After commit the row is handed to Django's mail framework; a failure only
marks the row ``failed`` (it never reaches the bid), and ``manage.py send_notifications`` retries.

The hand-over runs on a small background thread pool (``AUGEO_NOTIFICATIONS_ASYNC``, on by default)
so the bidder's answer never waits for an SMTP exchange. Nothing is lost if the process dies first:
the row is still ``pending`` and ``send_notifications`` (cron) picks it up after a grace period.
Tests run the hand-over inline so they can assert on ``mail.outbox``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from apps.auctions import metrics
from apps.auctions.models import Notification, NotificationStatus

logger = logging.getLogger("augeo.auctions")

MAX_ATTEMPTS = 8
#: Seconds an SMTP exchange may take when ``EMAIL_TIMEOUT`` is not configured.
SEND_TIMEOUT_SECONDS = 10


def notification_queue(
    *, kind: str, user: Any, item: Any = None, context: dict[str, Any] | None = None
) -> Notification | None:
    """Write an outbox row for ``user`` and send it right after the surrounding transaction commits."""
    email = getattr(user, "email", "") if user is not None else ""
    if not email:
        return None
    notification = Notification.objects.create(kind=kind, user=user, email=email, item=item, context=context or {})
    # robust: whatever the callback raises is logged, never turned into an error for the bid (or
    # close) that has already committed; the row stays pending/failed for ``send_notifications``.
    transaction.on_commit(lambda: notifications_dispatch([notification.pk]), robust=True)
    return notification


_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    """One pool per process, created lazily (after gunicorn forks its workers)."""
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="augeo-mail")
        return _executor


def _send_in_background(ids: list[Any]) -> None:
    try:
        notifications_send(ids)
    finally:
        connection.close()  # the pool thread's own database connection


def notifications_dispatch(ids: Iterable[Any]) -> None:
    """Hand committed outbox rows to the mail framework: on the background pool, or inline when
    ``AUGEO_NOTIFICATIONS_ASYNC`` is off. Never raises."""
    ids = list(ids)
    if getattr(settings, "AUGEO_NOTIFICATIONS_ASYNC", True):
        try:
            _pool().submit(_send_in_background, ids)
            return
        except RuntimeError:  # interpreter shutting down: send inline rather than drop it
            pass
    notifications_send(ids)


def _render(notification: Notification) -> tuple[str, str, str | None]:
    context = {**notification.context, "email": notification.email, "site_url": getattr(settings, "SITE_URL", "")}
    base = f"emails/auctions/{notification.kind}"
    subject = " ".join(render_to_string(f"{base}_subject.txt", context).split())
    text = render_to_string(f"{base}.txt", context)
    try:
        html: str | None = render_to_string(f"{base}.html", context)
    except Exception:
        html = None
    return subject, text, html


def notification_send(notification: Notification) -> bool:
    """Deliver one row; never raises. Returns True when the mail framework accepted it."""
    try:
        subject, text, html = _render(notification)
        # A bounded timeout: the first attempt runs in the request thread right after commit, and a
        # hanging SMTP server must not hold the bidder's answer (Django's default is no timeout).
        connection = get_connection(timeout=getattr(settings, "EMAIL_TIMEOUT", None) or SEND_TIMEOUT_SECONDS)
        message = EmailMultiAlternatives(
            subject, text, settings.DEFAULT_FROM_EMAIL, [notification.email], connection=connection
        )
        if html:
            message.attach_alternative(html, "text/html")
        message.send(fail_silently=False)
    except Exception as exc:
        logger.warning("notification %s failed: %s", notification.pk, exc)
        metrics.inc(metrics.NOTIFICATIONS, "failed")
        _mark(
            notification,
            status=NotificationStatus.FAILED,
            attempts=notification.attempts + 1,
            last_error=(str(exc) or exc.__class__.__name__)[:500],
        )
        return False
    metrics.inc(metrics.NOTIFICATIONS, "sent")
    _mark(
        notification,
        status=NotificationStatus.SENT,
        attempts=notification.attempts + 1,
        sent_at=timezone.now(),
        last_error="",
    )
    return True


def _mark(notification: Notification, **fields: Any) -> None:
    """Record the outcome of an attempt; a database hiccup here is logged, never raised (a row left
    ``pending`` is picked up by ``send_notifications`` after its grace period)."""
    try:
        Notification.objects.filter(pk=notification.pk).update(**fields)
    except Exception:
        logger.exception("could not record the outcome of notification %s", notification.pk)


def notifications_send(ids: Iterable[Any]) -> int:
    """Send the given outbox rows that are still unsent (called after commit). Never raises."""
    sent = 0
    try:
        rows = list(Notification.objects.filter(pk__in=list(ids)).exclude(status=NotificationStatus.SENT))
    except Exception:  # the database went away after commit: the retry command picks them up
        logger.exception("could not load notifications")
        return 0
    for notification in rows:
        sent += notification_send(notification)  # never raises
    return sent


def notifications_retry(*, older_than_seconds: int = 60, limit: int = 500) -> tuple[int, int]:
    """Retry failed rows and pending rows whose after-commit send never happened (crash between
    commit and send). Returns (attempted, sent)."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    due = Q(status=NotificationStatus.FAILED) | Q(status=NotificationStatus.PENDING, created_at__lte=cutoff)
    rows = list(Notification.objects.filter(due, attempts__lt=MAX_ATTEMPTS).order_by("created_at")[:limit])
    sent = sum(notification_send(n) for n in rows)
    return len(rows), sent
