"""The one e-mail outbox (``OutboxEmail``): every mail of the platform goes through here.

* :func:`email_queue` — called *inside* the service's transaction: the row commits with the change
  that caused it, or not at all; the hand-over is scheduled for after commit.
* :func:`outbox_dispatch` — the hand-over: a small background thread pool (``AUGEO_OUTBOX_ASYNC``,
  on by default), so no answer waits for an SMTP exchange and every request path does the same
  work whether a mail will go out or not (a password reset for an unknown address queues a row that
  is cancelled at send time). It is the one function a task queue will replace.
* :func:`email_send` — renders and sends one row, marks it ``sent`` or ``failed`` (attempts, last
  error); never raises. :func:`outbox_retry` (``manage.py send_notifications``, cron) retries failed
  rows and pending ones whose after-commit hand-over never happened (a crash in between).
* :func:`context_builder` — a template may register a function run at send time that adds context
  (a freshly minted e-mail token) or cancels the row (:class:`Cancel`: nothing to send).

Every user-provided string that ends up in a header (the subject, the recipient's display name) has
CR, LF and other control characters removed in :func:`build_message`, the one place mails are built.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from email.utils import formataddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import Q
from django.template.exceptions import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone

from apps.core.models import OutboxEmail, OutboxStatus

logger = logging.getLogger("augeo.outbox")

MAX_ATTEMPTS = 8
#: Addresses that can never receive mail (RFC 2606 ``.invalid``: a deleted account's placeholder).
UNDELIVERABLE_DOMAINS = (".invalid",)
#: Seconds an SMTP exchange may take when ``EMAIL_TIMEOUT`` is not configured.
SEND_TIMEOUT_SECONDS = 10
#: Control characters (CR, LF, NUL, …, and the Unicode line/paragraph separators) never reach a header.
_HEADER_UNSAFE = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")


class Cancel(Exception):
    """Raised by a context builder: this row has nothing to send (e.g. the address has no account)."""


ContextBuilder = Callable[[OutboxEmail], dict[str, Any]]
_builders: dict[str, ContextBuilder] = {}
#: Called with (row, result) after each attempt; result is "sent", "failed" or "cancelled".
_listeners: list[Callable[[OutboxEmail, str], None]] = []


def context_builder(template: str) -> Callable[[ContextBuilder], ContextBuilder]:
    """Register the send-time context builder of ``template``."""

    def register(func: ContextBuilder) -> ContextBuilder:
        _builders[template] = func
        return func

    return register


def on_result(listener: Callable[[OutboxEmail, str], None]) -> None:
    """Register a listener for attempt outcomes (an app's metrics)."""
    _listeners.append(listener)


def header_safe(value: Any, max_length: int = 200) -> str:
    """A single-line header value: control characters (CR/LF first of all) become spaces, runs of
    whitespace collapse, and it is cut to ``max_length``."""
    return " ".join(_HEADER_UNSAFE.sub(" ", str(value or "")).split())[:max_length]


# --- queueing -------------------------------------------------------------------------------------


def email_queue(
    *, template: str, to: str, user: Any = None, context: dict[str, Any] | None = None, ref: str = ""
) -> OutboxEmail | None:
    """Write an outbox row and hand it over right after the surrounding transaction commits."""
    if not to or to.lower().endswith(UNDELIVERABLE_DOMAINS):
        return None
    row = OutboxEmail.objects.create(
        template=template,
        to=to,
        user=user if getattr(user, "pk", None) else None,
        context=context or {},
        ref=ref[:100],
    )
    # robust: whatever the hand-over raises is logged, never turned into an error for the change
    # that has already committed; the row stays pending for ``send_notifications``.
    transaction.on_commit(lambda: outbox_dispatch([row.pk]), robust=True)
    return row


# --- the hand-over --------------------------------------------------------------------------------

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
        outbox_send(ids)
    finally:
        connection.close()  # the pool thread's own database connection


def background_run(func: Callable[..., Any], *args: Any) -> None:
    """Run ``func(*args)`` the way outbox rows are handed over: on the background pool, or inline
    when ``AUGEO_OUTBOX_ASYNC`` is off (tests). Other outbox-style work (privacy exports) uses it, so
    there is one mechanism for the task queue to replace. ``func`` must not raise (it is logged)."""

    def work() -> None:
        try:
            func(*args)
        except Exception:
            logger.exception("background work %s failed", getattr(func, "__name__", func))
        finally:
            if threading.current_thread() is not threading.main_thread():
                connection.close()  # the pool thread's own database connection

    if getattr(settings, "AUGEO_OUTBOX_ASYNC", True):
        try:
            _pool().submit(work)
            return
        except RuntimeError:  # interpreter shutting down: run inline rather than drop it
            pass
    try:
        func(*args)
    except Exception:
        logger.exception("background work %s failed", getattr(func, "__name__", func))


def outbox_dispatch(ids: Iterable[Any]) -> None:
    """Hand committed rows to the mail framework: on the background pool, or inline when
    ``AUGEO_OUTBOX_ASYNC`` is off (tests). Never raises."""
    ids = list(ids)
    if getattr(settings, "AUGEO_OUTBOX_ASYNC", True):
        try:
            _pool().submit(_send_in_background, ids)
            return
        except RuntimeError:  # interpreter shutting down: send inline rather than drop it
            pass
    outbox_send(ids)


# --- building and sending -------------------------------------------------------------------------


def _render(template: str, context: dict[str, Any]) -> tuple[str, str, str | None]:
    base = f"emails/{template}"
    subject = render_to_string(f"{base}_subject.txt", context)
    text = render_to_string(f"{base}.txt", context)
    html: str | None = None
    with contextlib.suppress(TemplateDoesNotExist):  # the HTML part is optional
        html = render_to_string(f"{base}.html", context)
    return subject, text, html


def build_message(row: OutboxEmail, extra: dict[str, Any] | None = None) -> EmailMultiAlternatives:
    """The one place a mail is built: template rendering, header hygiene, bounded SMTP timeout."""
    user = row.user
    context = {
        **row.context,
        **(extra or {}),
        "user": user,
        "email": row.to,
        "site_url": getattr(settings, "SITE_URL", ""),
        "frontend_url": settings.FRONTEND_URL.rstrip("/"),
    }
    subject, text, html = _render(row.template, context)
    # The envelope goes to the bare address; the To header greets the account holder by name.
    name = header_safe(user.get_full_name() if user is not None and user.first_name else "", 100)
    headers = {"To": formataddr((name, row.to))} if name else None
    # A bounded timeout: a hanging SMTP server must not hold a pool thread (Django has none by default).
    smtp = get_connection(timeout=getattr(settings, "EMAIL_TIMEOUT", None) or SEND_TIMEOUT_SECONDS)
    message = EmailMultiAlternatives(
        header_safe(subject, 250), text, settings.DEFAULT_FROM_EMAIL, [row.to], connection=smtp, headers=headers
    )
    if html:
        message.attach_alternative(html, "text/html")
    return message


def _mark(row: OutboxEmail, result: str, **fields: Any) -> None:
    """Record the outcome of an attempt; a database hiccup here is logged, never raised (a row left
    ``pending`` is picked up by ``send_notifications`` after its grace period)."""
    try:
        OutboxEmail.objects.filter(pk=row.pk).update(**fields, updated_at=timezone.now())
    except Exception:
        logger.exception("could not record the outcome of outbox row %s", row.pk)
    for listener in _listeners:
        try:
            listener(row, result)
        except Exception:  # pragma: no cover - a metrics problem must never reach the sender
            logger.exception("outbox listener failed")


def email_send(row: OutboxEmail) -> bool:
    """Deliver one row; never raises. True when the mail framework accepted it."""
    try:
        builder = _builders.get(row.template)
        extra = builder(row) if builder is not None else {}
        build_message(row, extra).send(fail_silently=False)
    except Cancel as exc:
        _mark(row, "cancelled", status=OutboxStatus.CANCELLED, last_error=str(exc)[:500])
        return False
    except Exception as exc:
        logger.warning("outbox row %s (%s) failed: %s", row.pk, row.template, exc.__class__.__name__)
        _mark(
            row,
            "failed",
            status=OutboxStatus.FAILED,
            attempts=row.attempts + 1,
            last_error=(str(exc) or exc.__class__.__name__)[:500],
        )
        return False
    _mark(row, "sent", status=OutboxStatus.SENT, attempts=row.attempts + 1, sent_at=timezone.now(), last_error="")
    return True


def outbox_send(ids: Iterable[Any]) -> int:
    """Send the given rows that are still due (called after commit). Never raises."""
    try:
        rows = list(
            OutboxEmail.objects.filter(pk__in=list(ids), status__in=[OutboxStatus.PENDING, OutboxStatus.FAILED])
            .select_related("user")
            .order_by("created_at")
        )
    except Exception:  # the database went away after commit: the retry command picks them up
        logger.exception("could not load outbox rows")
        return 0
    return sum(email_send(row) for row in rows)


def outbox_retry(*, older_than_seconds: int = 60, limit: int = 500) -> tuple[int, int]:
    """Retry failed rows and pending rows whose after-commit send never happened (crash between
    commit and send). Returns (attempted, sent)."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    due = Q(status=OutboxStatus.FAILED) | Q(status=OutboxStatus.PENDING, created_at__lte=cutoff)
    rows = list(
        OutboxEmail.objects.filter(due, attempts__lt=MAX_ATTEMPTS).select_related("user").order_by("created_at")[:limit]
    )
    sent = sum(email_send(row) for row in rows)
    return len(rows), sent
