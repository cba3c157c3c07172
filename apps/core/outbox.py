"""The one e-mail outbox (``OutboxEmail``): every mail of the platform goes through here.

* :func:`email_queue` — called *inside* the service's transaction: the row commits with the change
  that caused it, or not at all, and its delivery task is enqueued with it
  (:func:`apps.core.tasks.enqueue_after_commit`: with the database backend the task row is part of
  the same transaction; with the embedded immediate backend it runs right after commit).
* :func:`outbox_deliver` — the task's body: each row is *claimed* with a conditional update
  (``pending`` → ``sending`` with a lease, ``attempts`` + 1) so no two tasks ever send it, then
  rendered and sent, and marked ``sent``, ``cancelled`` or ``failed`` (last error, next attempt with
  exponential backoff and jitter; after ``AUGEO_OUTBOX_MAX_ATTEMPTS`` no next attempt: it gave up).
  The outcome is written only while the claim still holds (same ``attempts``).
* :func:`outbox_sweep` — every 30 s from the scheduler: due ``failed`` rows, ``sending`` rows whose
  lease ran out (the worker died mid-send) and ``pending`` rows whose task was lost are queued again.
  Nothing depends on a task surviving a crash.
* :func:`outbox_retry` — an operator's "retry now" (admin action, ``send_notifications --now``).
* :func:`context_builder` / :func:`attachment_builder` — a template may register a function run at
  send time that adds context (a freshly minted e-mail token) or cancels the row (:class:`Cancel`),
  and an attachment kind a function that builds the file from a reference (a receipt PDF from the
  receipt's id): files are generated in the worker from durable data, never stored in the row.

Exactly once? A mail is never sent twice by two tasks (the claim), and a retry happens only after a
failure or a lost claim. The one window left is a worker killed after the SMTP server accepted the
message and before the row was marked: the sweep sends it again after the lease; both copies carry
the same ``Message-ID`` (the row's id), so mail clients show one.

Every user-provided string that ends up in a header (the subject, the recipient's display name) has
CR, LF and other control characters removed in :func:`build_message`, the one place mails are built.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import json
import logging
import random
import re
import smtplib
import socket
from collections.abc import Callable, Iterable
from datetime import timedelta
from email.utils import formataddr
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import models, transaction
from django.template.exceptions import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from apps.core.models import OutboxEmail, OutboxStatus
from apps.core.services import audit_record
from apps.core.tasks import deliver_emails, enqueue_after_commit, tasks_reap_lost

logger = logging.getLogger("augeo.outbox")

#: Addresses that can never receive mail (RFC 2606 ``.invalid``: a deleted account's placeholder).
UNDELIVERABLE_DOMAINS = (".invalid",)
#: Seconds an SMTP exchange may take when ``EMAIL_TIMEOUT`` is not configured.
SEND_TIMEOUT_SECONDS = 10
#: Rows per delivery task queued by the sweep and by a retry (a task holds one SMTP connection).
BATCH = 50
#: Control characters (CR, LF, NUL, …, and the Unicode line/paragraph separators) never reach a header.
_HEADER_UNSAFE = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")
#: Failures of the connection itself: the rest of the batch is not tried against the same server.
_CONNECTION_ERRORS = (smtplib.SMTPConnectError, smtplib.SMTPServerDisconnected, socket.timeout, ConnectionError)


class Cancel(Exception):
    """Raised by a context builder: this row has nothing to send (e.g. the address has no account)."""


ContextBuilder = Callable[[OutboxEmail], dict[str, Any]]
#: (row, ref) → (file name, content, MIME type)
AttachmentBuilder = Callable[[OutboxEmail, str], tuple[str, bytes, str]]
_builders: dict[str, ContextBuilder] = {}
_attachment_builders: dict[str, AttachmentBuilder] = {}
#: Called with (row, result) after each attempt; result is "sent", "failed" or "cancelled".
_listeners: list[Callable[[OutboxEmail, str], None]] = []


def context_builder(template: str) -> Callable[[ContextBuilder], ContextBuilder]:
    """Register the send-time context builder of ``template``."""

    def register(func: ContextBuilder) -> ContextBuilder:
        _builders[template] = func
        return func

    return register


def attachment_builder(kind: str) -> Callable[[AttachmentBuilder], AttachmentBuilder]:
    """Register the builder of attachments of ``kind`` (``email_queue(attachments=[(kind, ref)])``).
    It runs in the worker at send time and returns ``(filename, content, mimetype)``."""

    def register(func: AttachmentBuilder) -> AttachmentBuilder:
        _attachment_builders[kind] = func
        return func

    return register


def on_result(listener: Callable[[OutboxEmail, str], None]) -> None:
    """Register a listener for attempt outcomes (an app's metrics)."""
    _listeners.append(listener)


def header_safe(value: Any, max_length: int = 200) -> str:
    """A single-line header value: control characters (CR/LF first of all) become spaces, runs of
    whitespace collapse, and it is cut to ``max_length``."""
    return " ".join(_HEADER_UNSAFE.sub(" ", str(value or "")).split())[:max_length]


# --- context: references instead of objects, sealed secrets ---------------------------------------


def _pack(value: Any) -> Any:
    """A context value as JSON: a model instance becomes a reference loaded again at send time (the
    mail shows the object as it is then), a date or datetime keeps its type for template filters."""
    if isinstance(value, models.Model):
        return {"$model": value._meta.label_lower, "pk": str(value.pk)}
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    return value


def _unpack(value: Any) -> Any:
    if isinstance(value, dict) and len(value) <= 2:
        if "$model" in value:
            model = apps.get_model(value["$model"])
            obj = model._default_manager.filter(pk=value["pk"]).first()
            if obj is None:
                raise Cancel(f"{value['$model']} {value['pk']} no longer exists")
            return obj
        if "$datetime" in value:
            return parse_datetime(value["$datetime"])
        if "$date" in value:
            return parse_date(value["$date"])
    return value


def _fernet() -> MultiFernet:
    """Keys derived from ``SECRET_KEY`` (and its fallbacks, so a rotation does not strand rows)."""
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    keys = [base64.urlsafe_b64encode(hashlib.sha256(f"augeo.outbox.sealed:{s}".encode()).digest()) for s in secrets]
    return MultiFernet([Fernet(key) for key in keys])


def seal(values: dict[str, Any]) -> str:
    """Encrypt secret context values (an invitation token) for the row's ``sealed`` column."""
    return _fernet().encrypt(json.dumps(values).encode()).decode() if values else ""


def unseal(sealed: str) -> dict[str, Any]:
    if not sealed:
        return {}
    try:
        return dict(json.loads(_fernet().decrypt(sealed.encode())))
    except InvalidToken as exc:
        raise Cancel("sealed context cannot be read (SECRET_KEY changed)") from exc


# --- queueing -------------------------------------------------------------------------------------


def email_queue(
    *,
    template: str,
    to: str,
    user: Any = None,
    context: dict[str, Any] | None = None,
    ref: str = "",
    secrets: dict[str, Any] | None = None,
    attachments: Iterable[tuple[str, str]] = (),
) -> OutboxEmail | None:
    """Write an outbox row and enqueue its delivery, to run once the surrounding transaction commits.

    ``context`` may hold model instances and dates (stored as references); ``secrets`` are sealed,
    never stored in clear, and erased once the row is final; ``attachments`` are ``(kind, ref)``
    pairs of registered :func:`attachment_builder` kinds."""
    if not to or to.lower().endswith(UNDELIVERABLE_DOMAINS):
        return None
    row = OutboxEmail(
        template=template,
        to=to,
        user=user if getattr(user, "pk", None) else None,
        context={key: _pack(value) for key, value in (context or {}).items()},
        sealed=seal(secrets or {}),
        attachments=[{"kind": kind, "ref": str(reference)} for kind, reference in attachments],
        ref=ref[:100],
    )
    row.save(force_insert=True)
    enqueue_after_commit(deliver_emails, [str(row.pk)])
    return row


def queued_to(to: str, *templates: str) -> models.QuerySet[OutboxEmail]:
    """The outbox rows of ``templates`` addressed to ``to``, whatever became of them (a row cancelled
    at send time was a request all the same): what the mail scopes' limits count
    (``apps.core.throttling.rows_limit_check``)."""
    return OutboxEmail.objects.filter(to=to, template__in=templates)


def _enqueue_batches(ids: list[Any]) -> None:
    for start in range(0, len(ids), BATCH):
        enqueue_after_commit(deliver_emails, [str(pk) for pk in ids[start : start + BATCH]])


# --- building -------------------------------------------------------------------------------------


def _render(template: str, context: dict[str, Any]) -> tuple[str, str, str | None]:
    base = f"emails/{template}"
    subject = render_to_string(f"{base}_subject.txt", context)
    text = render_to_string(f"{base}.txt", context)
    html: str | None = None
    with contextlib.suppress(TemplateDoesNotExist):  # the HTML part is optional
        html = render_to_string(f"{base}.html", context)
    return subject, text, html


def _message_id(row: OutboxEmail) -> str:
    """The same ``Message-ID`` on every attempt of a row: a copy sent twice after a crash in the
    window between the server's acceptance and the update is recognisable as the same message."""
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >") or "augeo.local"
    return f"<{row.pk}@{header_safe(domain, 100)}>"


def build_message(
    row: OutboxEmail, extra: dict[str, Any] | None = None, connection: Any = None
) -> EmailMultiAlternatives:
    """The one place a mail is built: template rendering, header hygiene, attachments, a bounded
    SMTP timeout."""
    user = row.user
    context = {
        **{key: _unpack(value) for key, value in row.context.items()},
        **unseal(row.sealed),
        **(extra or {}),
        "user": user,
        "email": row.to,
        "site_url": getattr(settings, "SITE_URL", ""),
        "frontend_url": settings.FRONTEND_URL.rstrip("/"),
    }
    subject, text, html = _render(row.template, context)
    # The envelope goes to the bare address; the To header greets the account holder by name.
    name = header_safe(user.get_full_name() if user is not None and user.first_name else "", 100)
    headers = {"Message-ID": _message_id(row)}
    if name:
        headers["To"] = formataddr((name, row.to))
    # A bounded timeout: a hanging SMTP server must not hold a worker (Django has none by default).
    smtp = connection or get_connection(timeout=getattr(settings, "EMAIL_TIMEOUT", None) or SEND_TIMEOUT_SECONDS)
    message = EmailMultiAlternatives(
        header_safe(subject, 250), text, settings.DEFAULT_FROM_EMAIL, [row.to], connection=smtp, headers=headers
    )
    if html:
        message.attach_alternative(html, "text/html")
    for attachment in row.attachments:
        filename, content, mimetype = _attachment_builders[attachment["kind"]](row, attachment["ref"])
        message.attach(header_safe(filename, 100), content, mimetype)
    return message


# --- claiming, sending, recording -----------------------------------------------------------------


def retry_delay(attempts: int) -> timedelta:
    """Backoff after the ``attempts``-th failure: the base doubled each time, capped, plus up to 20 %
    jitter so a rush of rows failed together does not come back to the server together."""
    base = settings.AUGEO_OUTBOX_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
    delay = min(base, settings.AUGEO_OUTBOX_RETRY_MAX_SECONDS)
    return timedelta(seconds=delay * random.uniform(1.0, 1.2))  # noqa: S311 - jitter, not a secret


def outbox_claim(pk: Any) -> OutboxEmail | None:
    """Take a pending row for this worker: one conditional UPDATE, so of two tasks holding the same
    id exactly one gets it. The lease (``AUGEO_OUTBOX_LEASE_SECONDS``) lets the sweep take the row
    back if this worker dies. Returns the row as claimed, or None."""
    now = timezone.now()
    claimed = OutboxEmail.objects.filter(pk=pk, status=OutboxStatus.PENDING).update(
        status=OutboxStatus.SENDING,
        claimed_until=now + timedelta(seconds=settings.AUGEO_OUTBOX_LEASE_SECONDS),
        attempts=models.F("attempts") + 1,
        updated_at=now,
    )
    if not claimed:
        return None
    return OutboxEmail.objects.select_related("user").filter(pk=pk).first()


def _finish(row: OutboxEmail, result: str, **fields: Any) -> bool:
    """Record the outcome of an attempt while the claim still holds; a database hiccup here is
    logged, never raised (the lease runs out and the sweep queues the row again)."""
    if result != "failed" or fields.get("next_attempt_at") is None:
        fields["sealed"] = ""  # the row is final: its secrets go
    try:
        recorded = OutboxEmail.objects.filter(pk=row.pk, status=OutboxStatus.SENDING, attempts=row.attempts).update(
            **fields, claimed_until=None, updated_at=timezone.now()
        )
    except Exception:
        logger.exception("could not record the outcome of outbox row %s", row.pk)
        return False
    if not recorded:  # the lease ran out and another worker took the row over
        logger.warning("outbox row %s: claim lost before the outcome was recorded", row.pk)
    for listener in _listeners:
        try:
            listener(row, result)
        except Exception:  # pragma: no cover - a metrics problem must never reach the sender
            logger.exception("outbox listener failed")
    return bool(recorded)


def _record_failure(row: OutboxEmail, exc: BaseException) -> None:
    error = (str(exc) or exc.__class__.__name__)[:500]
    gave_up = row.attempts >= settings.AUGEO_OUTBOX_MAX_ATTEMPTS
    logger.warning(
        "outbox row %s (%s) failed (attempt %s%s): %s",
        row.pk,
        row.template,
        row.attempts,
        ", gave up" if gave_up else "",
        exc.__class__.__name__,
    )
    next_attempt = None if gave_up else timezone.now() + retry_delay(row.attempts)
    _finish(row, "failed", status=OutboxStatus.FAILED, last_error=error, next_attempt_at=next_attempt)


def email_send(row: OutboxEmail, connection: Any = None) -> str:
    """Deliver one claimed row; never raises. Returns "sent", "cancelled" or "failed"."""
    try:
        builder = _builders.get(row.template)
        extra = builder(row) if builder is not None else {}
        build_message(row, extra, connection).send(fail_silently=False)
    except Cancel as exc:
        _finish(row, "cancelled", status=OutboxStatus.CANCELLED, last_error=str(exc)[:500], next_attempt_at=None)
        return "cancelled"
    except Exception as exc:
        _record_failure(row, exc)
        if isinstance(exc, _CONNECTION_ERRORS) and connection is not None:
            raise ConnectionAbandoned(exc) from exc
        return "failed"
    _finish(row, "sent", status=OutboxStatus.SENT, sent_at=timezone.now(), last_error="", next_attempt_at=None)
    return "sent"


class ConnectionAbandoned(Exception):
    """The SMTP server could not be reached or dropped the connection: the batch stops there."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause) or cause.__class__.__name__)
        self.cause = cause


def outbox_deliver(ids: Iterable[Any]) -> dict[str, int]:
    """Claim and send the given rows over one SMTP connection (the ``deliver_emails`` task).

    A row another task already took, or one no longer pending, is skipped. When the connection
    itself fails, the rows after it are recorded as failed with the same error (each would only
    wait for the same timeout) and retried with the rest by the sweep."""
    counts = {"sent": 0, "failed": 0, "cancelled": 0, "skipped": 0}
    connection = get_connection(timeout=getattr(settings, "EMAIL_TIMEOUT", None) or SEND_TIMEOUT_SECONDS)
    broken: BaseException | None = None
    try:
        for pk in ids:
            row = outbox_claim(pk)
            if row is None:
                counts["skipped"] += 1
                continue
            if broken is not None:
                _record_failure(row, broken)
                counts["failed"] += 1
                continue
            try:
                connection.open()  # a no-op while it is open: one SMTP session for the batch
                counts[email_send(row, connection)] += 1
            except ConnectionAbandoned as exc:
                broken, counts["failed"] = exc.cause, counts["failed"] + 1
                _close_quietly(connection)
            except Exception as exc:  # connect refused or timed out in open()
                _record_failure(row, exc)
                counts["failed"] += 1
                broken = exc
    finally:
        _close_quietly(connection)
    return counts


def _close_quietly(connection: Any) -> None:
    with contextlib.suppress(Exception):
        connection.close()


# --- the sweep and operator retries ---------------------------------------------------------------


@transaction.atomic
def outbox_sweep(*, now: Any = None, limit: int = 2000) -> dict[str, int]:
    """Queue again what needs it, in one transaction with the new tasks (so two sweeps at once take
    disjoint rows: ``SKIP LOCKED``):

    * ``failed`` rows whose ``next_attempt_at`` has come → ``pending``;
    * ``sending`` rows whose lease ran out (the worker died mid-send) → ``pending`` while attempts
      are left, else ``failed`` for good;
    * ``pending`` rows untouched for ``AUGEO_OUTBOX_REQUEUE_SECONDS`` (their task was lost) get a
      new task.

    Also marks tasks whose worker died as failed (:func:`apps.core.tasks.tasks_reap_lost`)."""
    now = now or timezone.now()
    rows = OutboxEmail.objects.select_for_update(skip_locked=True)
    counts = {"due": 0, "lost_claims": 0, "lost_tasks": 0, "gave_up": 0}
    max_attempts = settings.AUGEO_OUTBOX_MAX_ATTEMPTS

    expired = OutboxEmail.objects.filter(status=OutboxStatus.SENDING, claimed_until__lt=now)
    counts["gave_up"] = expired.filter(attempts__gte=max_attempts).update(
        status=OutboxStatus.FAILED,
        next_attempt_at=None,
        claimed_until=None,
        sealed="",
        last_error="Delivery was interrupted (the worker stopped) on every attempt; gave up.",
        updated_at=now,
    )
    batches = {
        "lost_claims": rows.filter(status=OutboxStatus.SENDING, claimed_until__lt=now, attempts__lt=max_attempts),
        "due": rows.filter(status=OutboxStatus.FAILED, next_attempt_at__lte=now),
        "lost_tasks": rows.filter(
            status=OutboxStatus.PENDING,
            updated_at__lt=now - timedelta(seconds=settings.AUGEO_OUTBOX_REQUEUE_SECONDS),
        ),
    }
    queued: list[Any] = []
    for key, queryset in batches.items():
        ids = list(queryset.order_by("created_at").values_list("pk", flat=True)[: max(limit - len(queued), 0)])
        if ids:
            OutboxEmail.objects.filter(pk__in=ids).update(
                status=OutboxStatus.PENDING, claimed_until=None, next_attempt_at=None, updated_at=now
            )
        counts[key] = len(ids)
        queued += ids
    _enqueue_batches(queued)
    counts["lost_tasks_failed"] = tasks_reap_lost(now=now)
    return counts


@transaction.atomic
def outbox_retry(
    *, ids: Iterable[Any] | None = None, actor: Any = None, ip: str | None = None, gave_up: bool = True
) -> int:
    """Retry failed rows now (an operator's decision: the admin action, ``send_notifications --now``),
    whatever their ``next_attempt_at``. ``ids=None`` means every failed row; ``gave_up=False``
    leaves out the rows that reached the attempt cap. A row that gave up gets one more attempt.
    Audited when an actor asks."""
    queryset = OutboxEmail.objects.select_for_update(skip_locked=True).filter(status=OutboxStatus.FAILED)
    if ids is not None:
        queryset = queryset.filter(pk__in=list(ids))
    if not gave_up:
        queryset = queryset.filter(next_attempt_at__isnull=False)
    pks = list(queryset.order_by("created_at").values_list("pk", flat=True))
    if not pks:
        return 0
    OutboxEmail.objects.filter(pk__in=pks).update(
        status=OutboxStatus.PENDING, next_attempt_at=None, updated_at=timezone.now()
    )
    if actor is not None:
        audit_record(actor=actor, action="outbox.retry", ip=ip, details={"count": len(pks)})
    _enqueue_batches(pks)
    return len(pks)
