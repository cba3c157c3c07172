"""Serializer micro-benchmark: µs per row of the hot read serializers — DRF's generic path, the
hand-written dicts they had before (kept below for comparison) and their compiled plans.

    .venv/bin/python bench/serializers.py [--rounds 9] [--loops 100]

No database: the rows are model instances built in memory as the selectors return them (an item
page of 20 with two images each and the caller's ``leading``/``my_max_bid``, bid rows with their
paddle, a user, guests with their related rows, and the guest list's ``QuerySet.values`` rows);
``users/me``'s membership query is replaced by its answer so only serialisation is timed.

Per measure, the best of ``--rounds`` rounds in µs per row, the three paths timed in turn within each
round (the machine is shared: interleaving keeps a load swing from favouring one path):
* ``drf``: DRF's generic ``Serializer.to_representation`` on every serializer of the tree;
* ``hand``: the hand-written ``to_representation`` the serializers had before their plans;
* ``plan``: what the API runs now (``.data``, or ``represent_rows`` for the guest list's rows).
A page (``many=True``) is timed as a whole and divided by its rows, as the API pays it (DRF builds
the fields once per page); a single object (``users/me``, the bid answer) includes building the
serializer. Before timing, the hand-written and planned answers are checked equal.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "augeo.settings.test")
    import django

    django.setup()


@contextlib.contextmanager
def patched(methods: dict[type, Callable[..., Any]]) -> Iterator[None]:
    """Each class of ``methods`` serialises through the given ``to_representation`` meanwhile."""
    with contextlib.ExitStack() as stack:
        for cls, method in methods.items():
            stack.enter_context(mock.patch.object(cls, "to_representation", method))
        yield


def timed(fn: Callable[[], Any], rows: int, loops: int) -> float:
    """µs per row of ``loops`` calls of ``fn`` (which serialises ``rows`` rows)."""
    start = time.process_time()
    for _ in range(loops):
        fn()
    return (time.process_time() - start) / loops / rows * 1e6


# --- the hand-written paths the serializers had before their plans (for comparison) ---------------


def hand_image(obj: Any) -> dict[str, Any]:
    try:
        url = obj.file.url
    except Exception:
        url = None
    return {
        "id": str(obj.pk),
        "url": url,
        "caption": obj.caption,
        "width": obj.width,
        "height": obj.height,
        "display_order": obj.display_order,
    }


def hand_item(self: Any, item: Any) -> dict[str, Any]:
    from apps.core.api.fast import instant, money, uid
    from apps.core.money import money_str

    rows = getattr(item, "image_rows", None)
    data = {
        "id": str(item.pk),
        "event": uid(item.event_id),
        "number": item.number,
        "title": item.title,
        "description": item.description,
        "description_html": item.description_html,
        "category": item.category,
        "kind": item.kind,
        "status": item.status,
        "donated_by": item.donated_by,
        "sponsor": uid(item.sponsor_id),
        "starting_bid": money(item.starting_bid),
        "bid_increment": money(item.bid_increment),
        "current_bid": money(item.current_bid),
        "min_next_bid": self.get_min_next_bid(item),
        "bid_count": item.bid_count,
        "opens_at": instant(item.opens_at),
        "closes_at": instant(item.closes_at),
        "buy_now_price": money(item.buy_now_price),
        "quantity": item.quantity,
        "quantity_left": item.quantity_left,
        "fair_market_value": money(item.fair_market_value),
        "display_order": item.display_order,
        "images": [hand_image(row) for row in (rows if rows is not None else item.images.all())],
        "leading": self.get_leading(item),
        "my_max_bid": self.get_my_max_bid(item),
        "created_at": instant(item.created_at),
        "updated_at": instant(item.updated_at),
    }
    request = self.context.get("request")
    if request is None or not request.user.is_authenticated:
        data.pop("leading", None)
        data.pop("my_max_bid", None)
    if self.context.get("show_reserve"):
        data["reserve"] = money_str(item.reserve)
    return data


def hand_bid_row(self: Any, instance: Any) -> dict[str, Any]:
    from apps.core.api.fast import instant, money

    return {
        "id": str(instance.pk),
        "bidder_number": instance.paddle.number,
        "amount": money(instance.amount),
        "automatic": bool(instance.automatic),
        "sequence": instance.sequence,
        "created_at": instant(instance.created_at),
    }


def hand_own_bid(self: Any, instance: Any) -> dict[str, Any]:
    from apps.core.api.fast import money

    data = hand_bid_row(self, instance)
    data["max_amount"] = money(instance.max_amount)
    return data


def hand_user(self: Any, user: Any) -> dict[str, Any]:
    from apps.core.api.fast import instant
    from apps.npos.selectors import membership_summaries

    picture = None
    if user.profile_picture:
        picture = user.profile_picture.url
        request = self.context.get("request")
        if request is not None:
            picture = request.build_absolute_uri(picture)
    return {
        "id": str(user.pk),
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "phone": user.phone,
        "address_line1": user.address_line1,
        "address_line2": user.address_line2,
        "city": user.city,
        "state": user.state,
        "postal_code": user.postal_code,
        "country": user.country,
        "organization": user.organization,
        "social_links": {str(name): str(url) for name, url in (user.social_links or {}).items()},
        "timezone": user.timezone,
        "profile_picture": picture,
        "email_verified": user.is_email_verified,
        "is_superuser": user.is_superuser,
        "memberships": membership_summaries(user),
        "date_joined": instant(user.date_joined),
    }


def hand_guest_row(row: dict[str, Any]) -> dict[str, Any]:
    from apps.core.api.fast import instant, uid

    name = f"{row['first_name']} {row['last_name']}".strip()
    checked_in_at = row["checked_in_at"]
    return {
        "id": str(row["id"]),
        "name": name,
        "first_name": row["first_name"],
        "last_name": row["last_name"],
        "email": row["email"],
        "phone": row["phone"],
        "is_registrant": bool(row["is_registrant"]),
        "is_placeholder": not name,
        "registration": uid(row["registration_id"]),
        "registration_code": row["registration__code"],
        "food_option": uid(row["food_option_id"]),
        "food_option_name": row["food_option__name"],
        "bidder_number": row["paddle__number"],
        "table": uid(row["table_id"]),
        "table_number": row["table__number"],
        "checked_in": checked_in_at is not None,
        "checked_in_at": instant(checked_in_at),
        "linked": row["user_id"] is not None,
    }


def hand_guest(self: Any, guest: Any) -> dict[str, Any]:
    return hand_guest_row(
        {
            "id": guest.pk,
            "first_name": guest.first_name,
            "last_name": guest.last_name,
            "email": guest.email,
            "phone": guest.phone,
            "is_registrant": guest.is_registrant,
            "registration_id": guest.registration_id,
            "registration__code": guest.registration.code,
            "food_option_id": guest.food_option_id,
            "food_option__name": guest.food_option.name if guest.food_option_id and guest.food_option else None,
            "paddle__number": guest.paddle.number if guest.paddle_id and guest.paddle else None,
            "table_id": guest.table_id,
            "table__number": guest.table.number if guest.table_id and guest.table else None,
            "checked_in_at": guest.checked_in_at,
            "user_id": guest.user_id,
        }
    )


def fixtures() -> dict[str, Any]:
    from django.utils import timezone

    from apps.attendance.models import Guest, Paddle, Registration, Table
    from apps.auctions.models import Bid, Item, ItemImage, ItemKind, ItemStatus
    from apps.events.models import FoodOption
    from apps.users.models import User

    now = timezone.now()
    items = []
    for n in range(1, 21):
        item = Item(
            id=uuid.uuid4(),
            event_id=uuid.uuid4(),
            number=n,
            title=f"Item {n}",
            description="A **weekend** by the sea",
            description_html="<p>A <strong>weekend</strong> by the sea</p>",
            category="Travel",
            kind=ItemKind.SILENT,
            status=ItemStatus.OPEN,
            donated_by="A friend",
            sponsor_id=uuid.uuid4() if n % 2 else None,
            starting_bid=Decimal("100.00"),
            bid_increment=Decimal("10.00") if n % 3 else None,
            current_bid=Decimal("150.00") if n % 2 else None,
            bid_count=n % 4,
            opens_at=now,
            closes_at=now + datetime.timedelta(hours=2),
            buy_now_price=Decimal("900.00") if n % 5 == 0 else None,
            quantity=1,
            fair_market_value=Decimal("250.50"),
            display_order=n,
            created_at=now,
            updated_at=now,
        )
        item.leading = bool(n % 2)  # type: ignore[attr-defined]
        item.my_max_bid = Decimal("180.00") if n % 2 else None  # type: ignore[attr-defined]
        item.image_rows = [  # type: ignore[attr-defined]
            ItemImage(id=uuid.uuid4(), item=item, file=f"items/{n}-{i}.jpg", caption="", width=800, height=600)
            for i in range(2)
        ]
        # Where DRF's generic path reads ``item.images`` (the relation): the same rows, no query.
        item._prefetched_objects_cache = {"images": item.image_rows}  # type: ignore[attr-defined]
        items.append(item)
    bids = []
    for n in range(20):
        paddle = Paddle(id=uuid.uuid4(), number=100 + n)
        bids.append(
            Bid(
                id=uuid.uuid4(),
                paddle=paddle,
                amount=Decimal(100 + 10 * n),
                max_amount=Decimal(300) if n % 3 == 0 else None,
                automatic=bool(n % 2),
                sequence=n + 1,
                created_at=now,
            )
        )
    user = User(
        id=uuid.uuid4(),
        email="donor@example.org",
        first_name="Ada",
        last_name="Lovelace",
        phone="+14155550123",
        city="Oakland",
        country="US",
        social_links={"linkedin": "https://example.org/ada"},
        email_verified_at=now,
        date_joined=now,
    )
    guests = []
    rows = []
    for n in range(25):
        registration = Registration(id=uuid.uuid4(), code="ABC234")
        meal = FoodOption(id=uuid.uuid4(), name="Fish") if n % 2 else None
        paddle = Paddle(id=uuid.uuid4(), number=200 + n) if n % 3 else None
        table = Table(id=uuid.uuid4(), number=n % 7 + 1) if n % 4 else None
        guest = Guest(
            id=uuid.uuid4(),
            registration=registration,
            first_name=f"Guest{n}",
            last_name="Smith" if n % 5 else "",
            email=f"g{n}@example.org",
            phone="",
            is_registrant=n % 3 == 0,
            food_option=meal,
            paddle=paddle,
            table=table,
            checked_in_at=now if n % 2 else None,
            user_id=uuid.uuid4() if n % 3 == 0 else None,
        )
        guests.append(guest)
        rows.append(
            {
                "id": guest.pk,
                "first_name": guest.first_name,
                "last_name": guest.last_name,
                "email": guest.email,
                "phone": guest.phone,
                "is_registrant": guest.is_registrant,
                "registration_id": registration.pk,
                "registration__code": registration.code,
                "food_option_id": meal.pk if meal else None,
                "food_option__name": meal.name if meal else None,
                "paddle__number": paddle.number if paddle else None,
                "table_id": table.pk if table else None,
                "table__number": table.number if table else None,
                "checked_in_at": guest.checked_in_at,
                "user_id": guest.user_id,
            }
        )
    return {"items": items, "bids": bids, "user": user, "guests": guests, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--loops", type=int, default=100)
    args = parser.parse_args()
    setup()

    from rest_framework import serializers
    from rest_framework.renderers import JSONRenderer
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from apps.attendance.api import serializers as attendance
    from apps.auctions.api import serializers as auctions
    from apps.core.api.fast import CompiledRepresentation
    from apps.users.api import serializers as users

    data = fixtures()
    request = Request(APIRequestFactory().get("/api/v1/events/x/items/"))
    request.user = data["user"]
    items, bids, user, guests, rows = data["items"], data["bids"], data["user"], data["guests"], data["rows"]
    item_context = {"request": request, "show_reserve": False}
    memberships = [{"npo": str(uuid.uuid4()), "role": "staff"}]
    drf = {CompiledRepresentation: serializers.Serializer.to_representation}  # every plan off

    def item_page() -> Any:
        return auctions.ItemSerializer(items, many=True, context=item_context).data

    def guest_page() -> Any:
        return attendance.GuestSerializer(guests, many=True).data

    # name, rows, {path: (run, patches)}
    measures: list[tuple[str, int, dict[str, tuple[Callable[[], Any], dict[type, Any]]]]] = [
        (
            "catalogue page (item)",
            len(items),
            {
                "drf": (item_page, drf),
                "hand": (item_page, {auctions.ItemSerializer: hand_item}),
                "plan": (item_page, {}),
            },
        ),
        (
            "bid history page (row)",
            len(bids),
            {
                path: (lambda: auctions.BidRowSerializer(bids, many=True).data, patches)
                for path, patches in (
                    ("drf", drf),
                    ("hand", {auctions.BidRowSerializer: hand_bid_row}),
                    ("plan", {}),
                )
            },
        ),
        (
            "bid answer (own row)",
            1,
            {
                path: (lambda: auctions.OwnBidSerializer(bids[0]).data, patches)
                for path, patches in (
                    ("drf", drf),
                    ("hand", {auctions.OwnBidSerializer: hand_own_bid}),
                    ("plan", {}),
                )
            },
        ),
        (
            "users/me",
            1,
            {
                path: (lambda: users.UserSerializer(user, context={"request": request}).data, patches)
                for path, patches in (
                    ("drf", drf),
                    ("hand", {users.UserSerializer: hand_user}),
                    ("plan", {}),
                )
            },
        ),
        (
            "guest page (instances)",
            len(guests),
            {
                "drf": (guest_page, drf),
                "hand": (guest_page, {attendance.GuestSerializer: hand_guest}),
                "plan": (guest_page, {}),
            },
        ),
        (
            "guest list (values rows)",
            len(rows),
            {
                "hand": (lambda: [hand_guest_row(r) for r in rows], {}),
                "plan": (lambda: attendance.GuestSerializer().represent_rows(rows), {}),
            },
        ),
    ]
    print(f"{'µs per row':<28}{'drf':>9}{'hand':>9}{'plan':>9}{'plan/hand':>11}")
    with mock.patch("apps.npos.selectors.membership_summaries", lambda user: memberships):
        for name, count, paths in measures:
            answers = {}
            for path, (run, patches) in paths.items():
                with patched(patches):
                    answers[path] = json.loads(JSONRenderer().render(run()))
            assert answers["hand"] == answers["plan"], name
            results: dict[str, float] = {path: float("inf") for path in paths}
            for _ in range(args.rounds):
                for path, (run, patches) in paths.items():
                    with patched(patches):
                        results[path] = min(results[path], timed(run, count, args.loops))
            generic = f"{results['drf']:>9.2f}" if "drf" in results else f"{'':>9}"
            ratio = results["plan"] / results["hand"]
            print(f"{name:<28}{generic}{results['hand']:>9.2f}{results['plan']:>9.2f}{ratio:>10.2f}x")


if __name__ == "__main__":
    main()
