"""Donations at checkout (checkout.md "Donations at checkout"): a cashier, or the donor on their own
statement, adds a gift line; it is fully deductible. Undo is its own audited action (409
``ALREADY_UNDONE`` the second time). Both lock the paddle row, like every statement change.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.attendance.models import Paddle
from apps.checkout import selectors
from apps.checkout.models import Donation, DonationSource
from apps.checkout.services.common import lock_statement_paddle, statement_audit
from apps.checkout.services.payments import amount_parse
from apps.core.errors import ErrorCode
from apps.core.exceptions import Conflict


@transaction.atomic
def donation_add(
    *, paddle: Paddle, amount: Any, actor: Any, source: str = DonationSource.CASHIER, ip: str | None = None
) -> Donation:
    value = amount_parse(amount)
    paddle = lock_statement_paddle(paddle)
    donation = Donation.objects.create(
        event_id=paddle.event_id,
        paddle=paddle,
        amount=value,
        source=source,
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    statement = selectors.statement_for_paddle(paddle)
    statement_audit(actor, "donation.add", donation, statement, ip, amount=str(value), source=source)
    return donation


@transaction.atomic
def donation_undo(*, donation: Donation, actor: Any, ip: str | None = None) -> Donation:
    paddle = lock_statement_paddle(Paddle(pk=donation.paddle_id))
    donation = Donation.objects.select_for_update().get(pk=donation.pk)
    if donation.undone_at is not None:
        raise Conflict(ErrorCode.ALREADY_UNDONE, "This donation was already undone.")
    donation.undone_at = timezone.now()
    donation.undone_by = actor if getattr(actor, "is_authenticated", False) else None
    donation.save(update_fields=["undone_at", "undone_by", "updated_at"])
    statement = selectors.statement_for_paddle(paddle)
    statement_audit(actor, "donation.undo", donation, statement, ip, amount=str(donation.amount))
    return donation
