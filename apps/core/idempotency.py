"""``Idempotency-Key`` support for money and check-in endpoints (bidding.md "Retries").

Usage in a view::

    return idempotent(request, lambda: Response(bid_place(...), status=201))

A request whose work must call an outside service *after* its transaction committed (a card charge:
checkout.md records a pending payment, commits, then calls the provider) passes ``then``: it runs
after the key's transaction commits, outside any transaction, with the first answer, and its answer
replaces the stored one. A crash in between leaves the first answer stored (the pending payment),
which is what a retry then gets — never a second charge.

The key row is inserted, inside the same transaction as the work, *before* the work runs. A retry
racing the first request blocks on the unique index until the first commits, then reads the stored
answer; if the first request failed unexpectedly its transaction (and key row) rolled back, so the
retry simply does the work. Business-rule refusals (409, 400) are stored too: a retry gets the same
answer; 5xx answers are not stored (a retry should do the work). Keys live in the database for
``IDEMPOTENCY_KEY_TTL`` (24 h), never only in the cache; ``manage.py prune_expired`` removes old ones.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.api.exceptions import exception_handler
from apps.core.exceptions import DomainError, IdempotencyKeyReused, ValidationFailed
from apps.core.models import IdempotencyKey

HEADER = "Idempotency-Key"


def _request_hash(request: Request, scope: str) -> str:
    try:
        data: Any = request.data
        if hasattr(data, "dict"):
            data = data.dict()
    except Exception:  # malformed body: the handler will raise the parse error itself
        data = None
    payload = json.dumps({"scope": scope, "data": data}, sort_keys=True, cls=DjangoJSONEncoder, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def _then(request: Request, response: Response, then: Callable[[Response], Response] | None) -> Response:
    if then is None or response.status_code >= 400:
        return response
    try:
        return then(response)
    except (DomainError, APIException) as exc:
        return exception_handler(exc, {"request": request})


def idempotent(
    request: Request, handler: Callable[[], Response], *, then: Callable[[Response], Response] | None = None
) -> Response:
    key = request.headers.get(HEADER)
    user = request.user
    if not key or not user.is_authenticated:
        return _then(request, handler(), then)
    if len(key) > 255:
        raise ValidationFailed(message="Idempotency-Key is too long.", fields={HEADER: ["At most 255 characters."]})
    scope = f"{request.method} {request.path}"[:200]
    request_hash = _request_hash(request, scope)
    ttl: timedelta = settings.IDEMPOTENCY_KEY_TTL

    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotencyKey.objects.create(user=user, key=key, scope=scope, request_hash=request_hash)
        except IntegrityError:
            record = IdempotencyKey.objects.select_for_update().get(user=user, key=key)
            expired = record.created_at < timezone.now() - ttl
            if expired:
                record.scope, record.request_hash = scope, request_hash
                record.response_status, record.response_body = None, None
                record.created_at = timezone.now()
            elif record.request_hash != request_hash:
                raise IdempotencyKeyReused(
                    message="This Idempotency-Key was already used with a different request."
                ) from None
            elif record.response_status is not None:
                replay = Response(record.response_body, status=record.response_status)
                replay["Idempotent-Replayed"] = "true"
                return replay
        try:
            response = handler()
        except (DomainError, APIException) as exc:
            response = exception_handler(exc, {"request": request})
        if response.status_code >= 500:
            # A transient failure (e.g. ServiceUnavailable) must not be replayed: forget the key so a
            # retry does the work again.
            transaction.set_rollback(True)
            return response
        record.response_status = response.status_code
        record.response_body = json.loads(json.dumps(response.data, cls=DjangoJSONEncoder))
        record.save()
    if then is None:
        return response
    final = _then(request, response, then)
    if final is not response and final.status_code < 500:
        IdempotencyKey.objects.filter(pk=record.pk).update(
            response_status=final.status_code,
            response_body=json.loads(json.dumps(final.data, cls=DjangoJSONEncoder)),
        )
    return final
