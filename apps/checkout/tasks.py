"""Checkout's background jobs (apps.core.tasks, docs/background-work.md).

``charge_balance`` charges one paddle's balance to its card on file: ``charge_balances`` (the
command and the admin's "Charge cards on file") enqueues one per paddle, so a worker does the
provider calls. Running it twice is harmless: :func:`~apps.checkout.services.charging.balance_charge`
records a pending payment for what is payable under the paddle lock, so a second run finds nothing
payable, and the provider is asked with that payment's own idempotency key. The receipt e-mail needs
no task of its own: it is an outbox row (its PDF built by the outbox's attachment builder at send
time).
"""

from __future__ import annotations

from typing import Any

from apps.attendance.models import Paddle
from apps.core.tasks import PRIORITY_MAIL, task
from apps.users.models import User


@task(priority=PRIORITY_MAIL)
def charge_balance(paddle_id: str, actor_id: str | None = None) -> dict[str, Any]:
    """``{"payment": id, "status": …}`` of the charge, or ``{"payment": None, "status": "nothing_payable"}``."""
    # Imported here: the charging service enqueues this task (a cycle), and the task's path is stored
    # with every queued row, so it stays in this module.
    from apps.checkout.services.charging import balance_charge

    paddle = Paddle.objects.filter(pk=paddle_id).first()
    if paddle is None:
        return {"payment": None, "status": "gone"}
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    payment = balance_charge(paddle=paddle, actor=actor)
    if payment is None:
        return {"payment": None, "status": "nothing_payable"}
    return {"payment": str(payment.pk), "status": payment.status}
