"""The paddle raise: its giving levels and flags, and pledges (a clerk by bidder number, a donor from
their phone), with undo."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.attendance.locks import lock_paddle
from apps.attendance.selectors import bidder_guest_for
from apps.auctions import metrics, signals
from apps.auctions.models import (
    PaddleRaiseLevel,
    PaddleRaiseSettings,
    Pledge,
    PledgeSource,
)
from apps.auctions.services.bidders import bidder_lock, bidder_resolve, bidder_resolve_number
from apps.auctions.services.common import (
    amount_parse,
    check_clerk,
    int_input,
)
from apps.core.errors import ErrorCode
from apps.core.exceptions import Conflict, ValidationFailed
from apps.core.money import money_format, money_parse
from apps.core.services import audit_record
from apps.events.models import Event, EventStatus
from apps.npos.models import NPOStatus


def paddle_raise_settings(event: Event) -> PaddleRaiseSettings:
    settings_row, _ = PaddleRaiseSettings.objects.get_or_create(event=event)
    return settings_row


@transaction.atomic
def paddle_raise_configure(
    *,
    event: Event,
    actor: Any,
    levels: list[Any] | None = None,
    is_open: bool | None = None,
    phone_pledges: bool | None = None,
    ip: str | None = None,
) -> PaddleRaiseSettings:
    """Set the paddle raise's giving levels (replacing the list) and its open/phone flags."""
    settings_row = paddle_raise_settings(event)
    settings_row = PaddleRaiseSettings.objects.select_for_update().get(pk=settings_row.pk)
    if levels is not None:
        if not isinstance(levels, list):
            raise ValidationFailed(
                message="levels: a list of amounts is required.", fields={"levels": ["A list of amounts."]}
            )
        amounts: list[Decimal] = []
        labels: dict[Decimal, str] = {}
        for index, raw in enumerate(levels):
            label = ""
            if isinstance(raw, dict):
                label = str(raw.get("label") or "")[:200]
                raw = raw.get("amount")
            try:
                value = money_parse(raw)
            except ValueError as exc:
                raise ValidationFailed(
                    message=f"levels[{index}]: {exc}", fields={"levels": [f"Item {index}: {exc}"]}
                ) from None
            if value in amounts:
                raise ValidationFailed(
                    message="levels: duplicate amount.", fields={"levels": [f"{value} appears twice."]}
                )
            amounts.append(value)
            labels[value] = label
        PaddleRaiseLevel.objects.filter(event=event).delete()
        PaddleRaiseLevel.objects.bulk_create(
            [PaddleRaiseLevel(event=event, amount=a, label=labels[a]) for a in sorted(amounts, reverse=True)]
        )
    if is_open is not None:
        settings_row.is_open = bool(is_open)
    if phone_pledges is not None:
        settings_row.phone_pledges = bool(phone_pledges)
    settings_row.save()
    audit_record(
        actor=actor,
        action="paddle_raise.configure",
        obj=settings_row,
        npo_id=event.npo_id,
        ip=ip,
        details={
            "is_open": settings_row.is_open,
            "phone_pledges": settings_row.phone_pledges,
            "levels": [str(a) for a in PaddleRaiseLevel.objects.filter(event=event).values_list("amount", flat=True)],
        },
    )
    return settings_row


def pledge_record(
    *,
    event: Event,
    amount: Any,
    actor: Any,
    bidder_number: Any = None,
    ip: str | None = None,
) -> Pledge:
    """Record a paddle-raise pledge: by a clerk for ``bidder_number`` (``auction.clerk``), or by the
    signed-in donor from their phone while the raise is open and phone pledges are allowed (409
    ``PADDLE_RAISE_CLOSED``). With levels configured the amount must be one of them.

    The same eligibility as a bid: a cancelled party's paddle is 409 ``NOT_REGISTERED``. Once the
    event is closed its totals are final: 409 ``EVENT_CLOSED``, checked under the event's row lock
    so a pledge racing the close cannot land after it.
    """
    value = amount_parse(amount, "amount")
    assert value is not None
    levels = list(PaddleRaiseLevel.objects.filter(event=event).values_list("amount", flat=True))
    if levels and value not in levels:
        raise ValidationFailed(
            message="amount: choose one of the giving levels.",
            fields={"amount": [f"One of {'; '.join(money_format(v) for v in levels)}."]},
        )
    if bidder_number is not None:
        int_input(bidder_number, "bidder_number")  # 400 before any business rule (409)
    if event.npo.status == NPOStatus.SUSPENDED:
        raise Conflict(ErrorCode.NPO_SUSPENDED, "This organisation is suspended.")
    if event.status == EventStatus.CLOSED:
        raise Conflict(ErrorCode.EVENT_CLOSED, "The event is closed; its totals are final.")
    if bidder_number is not None:
        check_clerk(actor, event.npo_id)
        ref = bidder_resolve_number(number=bidder_number, event=event)
        source = PledgeSource.CLERK
    else:
        settings_row = PaddleRaiseSettings.objects.filter(event=event).first()
        if (
            settings_row is None
            or not settings_row.is_open
            or not settings_row.phone_pledges
            or event.status != EventStatus.PUBLISHED
        ):
            raise Conflict(
                ErrorCode.PADDLE_RAISE_CLOSED, "The paddle raise is not taking pledges from phones right now."
            )
        ref = bidder_resolve(user=actor, event=event, guest=bidder_guest_for(user=actor, event=event), actor=actor)
        source = PledgeSource.PHONE
    with transaction.atomic():
        locked_event = Event.objects.select_for_update(no_key=True).get(pk=event.pk)  # level 1 of the lock order
        if locked_event.status == EventStatus.CLOSED:
            raise Conflict(ErrorCode.EVENT_CLOSED, "The event is closed; its totals are final.")
        bidder = bidder_lock(ref, event=locked_event)
        pledge = Pledge.objects.create(
            event=event,
            paddle=bidder.paddle,
            amount=value,
            source=source,
            user=bidder.user,
            entered_by=actor if source == PledgeSource.CLERK else None,
        )
        audit_record(
            actor=actor,
            action="pledge.record",
            obj=pledge,
            npo_id=event.npo_id,
            ip=ip,
            details={"bidder_number": bidder.paddle.number, "amount": str(value), "source": source},
        )
        signals.pledge_recorded.send(sender=Pledge, pledge=pledge)
        signals.totals_changed.send(sender=Pledge, event=event)
    metrics.funds_raised(source="paddle_raise", amount=value, currency=event.npo.currency)
    return pledge


@transaction.atomic
def pledge_undo(*, pledge: Pledge, actor: Any, ip: str | None = None) -> Pledge:
    """Undo a pledge (kept, marked undone); 409 ``ALREADY_UNDONE`` the second time. Locks the
    paddle first, like every change of a statement (checkout)."""
    lock_paddle(pledge.paddle_id)
    pledge = Pledge.objects.select_for_update().select_related("event").get(pk=pledge.pk)
    if pledge.undone_at is not None:
        raise Conflict(ErrorCode.ALREADY_UNDONE, "This pledge was already undone.")
    pledge.undone_at = timezone.now()
    pledge.undone_by = actor
    pledge.save(update_fields=["undone_at", "undone_by", "updated_at"])
    signals.pledge_undone.send(sender=Pledge, pledge=pledge)
    signals.totals_changed.send(sender=Pledge, event=pledge.event)
    audit_record(
        actor=actor,
        action="pledge.undo",
        obj=pledge,
        npo_id=pledge.event.npo_id,
        ip=ip,
        details={"amount": str(pledge.amount)},
    )
    return pledge
