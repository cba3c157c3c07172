"""Data for the scale-out test, written into the instances' own database by a subprocess
(``python -m apps.live.tests.scaleout_seed seed|check EVENT``): the test itself only talks HTTP and
WebSocket to the running instances."""

from __future__ import annotations

import json
import sys
import time
from decimal import Decimal
from typing import Any


def seed() -> dict[str, Any]:
    from django.utils import timezone

    from apps.attendance.models import Guest, Paddle, Registration
    from apps.auctions.models import Item, ItemStatus
    from apps.events.models import Event, EventStatus
    from apps.npos.models import NPO, NPOStatus
    from apps.users.models import User
    from apps.users.tokens import refresh_token_mint

    stamp = f"{time.time_ns()}"
    npo = NPO.objects.create(name=f"Scale-out NPO {stamp}", status=NPOStatus.APPROVED)
    start = timezone.now() + timezone.timedelta(days=1)
    event = Event.objects.create(
        npo=npo,
        name=f"Scale-out gala {stamp}",
        slug=f"scaleout-{stamp}",
        status=EventStatus.PUBLISHED,
        starts_at=start,
        ends_at=start + timezone.timedelta(hours=5),
    )
    tokens = []
    for i in range(8):
        user = User.objects.create_user(
            email=f"so{i}-{stamp}@scaleout.test", password=None, email_verified_at=timezone.now()
        )
        registration = Registration.objects.create(event=event, user=user, code=f"S{i:05d}")
        paddle = Paddle.objects.create(event=event, number=100 + i, registration=registration)
        Guest.objects.create(
            registration=registration, event=event, user=user, email=user.email, is_registrant=True, paddle=paddle
        )
        tokens.append(str(refresh_token_mint(user).access_token))
    opened = timezone.now() - timezone.timedelta(minutes=1)
    items = [
        Item.objects.create(
            event=event,
            number=n,
            title=f"Lot {n}",
            status=ItemStatus.OPEN,
            starting_bid=Decimal("10"),
            bid_increment=Decimal("5"),
            opens_at=opened,
        )
        for n in range(1, 4)
    ]
    return {"event": str(event.pk), "items": [str(i.pk) for i in items], "tokens": tokens}


def check(event_id: str) -> dict[str, Any]:
    from apps.auctions.invariants import check_item
    from apps.auctions.models import Item

    return {str(item.number): check_item(item) for item in Item.objects.filter(event_id=event_id)}


if __name__ == "__main__":
    import django

    django.setup()
    result = seed() if sys.argv[1] == "seed" else check(sys.argv[2])
    sys.stdout.write(json.dumps(result) + "\n")
