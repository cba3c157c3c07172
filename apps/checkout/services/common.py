"""What every service that changes a statement shares (payments, refunds, donations, receipts): the
paddle lock (level 4 of the lock order, see :mod:`apps.checkout.services.payments`) and the audit
entry. Apart from ``payments`` so that ``receipts``, which ``payments`` calls, need not import it."""

from __future__ import annotations

from typing import Any

from apps.attendance.locks import lock_paddle
from apps.attendance.models import Paddle
from apps.checkout import selectors
from apps.core.exceptions import NotFound
from apps.core.services import audit_record


def lock_statement_paddle(paddle: Paddle) -> Paddle:
    """Level 4 of the lock order: the paddle row (404 if it vanished — it never does once it has
    activity, but a number typed at the desk may be a released one)."""
    locked = lock_paddle(paddle.pk)
    if locked is None:
        raise NotFound(message="No statement for this bidder number.")
    return locked


def statement_audit(
    actor: Any, action: str, obj: Any, statement: selectors.Statement, ip: str | None, **details: Any
) -> None:
    """The audit entry of a statement change: the event's NPO, the bidder number in the details."""
    audit_record(
        actor=actor,
        action=action,
        obj=obj,
        npo_id=statement.event.npo_id,
        ip=ip,
        details={"bidder_number": statement.number, **details},
    )
