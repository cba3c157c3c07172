"""Permission-matrix rows for every auction endpoint (format: ``apps/core/tests/matrix.py``).

``build`` adds, in NPO A: a published event ``auc_event`` (the donor is registered and holds paddle
101; the paddle raise is open to phones) with an open silent item ``auc_item`` (buy-now 1000, one
image ``auc_image``), a draft item ``auc_draft``, a live item ``auc_live`` with a sale ``auc_sale``,
a pledge ``auc_pledge``; and a draft event ``auc_draft_event``. Members who are not registered get
409 ``NOT_REGISTERED`` when they bid — they pass the permission checks, the rulebook refuses them.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from django.utils import timezone

from apps.core.tests.matrix import Row, expect

ANON = {"anon": 401}
#: events.manage in NPO A
MANAGE = ("admin", "coordinator", "super")
#: auction.clerk in NPO A
CLERK = ("admin", "coordinator", "auctioneer", "super")


def only(actors: tuple[str, ...], ok: int, rest: int = 403, **extra: int) -> dict[str, int]:
    return expect(all=rest, **ANON, **dict.fromkeys(actors, ok), **extra)


def member_only(ok: int, *, allowed: tuple[str, ...] | None = None, anon: int = 401) -> dict[str, int]:
    """Objects invisible outside NPO A (drafts): 404 for others and the donor (and anonymous readers)."""
    statuses: dict[str, int] = {"all": 404, "members": 403 if allowed is not None else ok, "super": ok, "anon": anon}
    for actor in allowed or ():
        statuses[actor] = ok
    return expect(**statuses)


def build(world: dict[str, Any]) -> None:
    from apps.attendance.models import Guest, Paddle, Registration
    from apps.auctions.models import Item, ItemImage, ItemKind, ItemStatus, PaddleRaiseSettings, Pledge, Sale
    from apps.events.models import Event, EventStatus

    npo = world["npo_obj"]
    start = timezone.now() + timezone.timedelta(days=20)
    event = Event.objects.create(
        npo=npo,
        name="Auction matrix gala",
        slug="auction-matrix-gala",
        status=EventStatus.PUBLISHED,
        starts_at=start,
        ends_at=start + timezone.timedelta(hours=4),
    )
    draft_event = Event.objects.create(
        npo=npo,
        name="Auction matrix draft",
        slug="auction-matrix-draft",
        status=EventStatus.DRAFT,
        starts_at=start,
        ends_at=start + timezone.timedelta(hours=4),
    )
    donor = world["users"]["donor"]
    reg = Registration.objects.create(event=event, user=donor, code="AUCM01")
    paddle = Paddle.objects.create(event=event, number=101, registration=reg)
    Guest.objects.create(
        registration=reg,
        event=event,
        user=donor,
        first_name="Dana",
        last_name="Donor",
        is_registrant=True,
        paddle=paddle,
    )
    opened = timezone.now() - timezone.timedelta(hours=1)
    item = Item.objects.create(
        event=event,
        number=1,
        title="Matrix silent",
        status=ItemStatus.OPEN,
        starting_bid=100,
        buy_now_price=1000,
        opens_at=opened,
    )
    draft = Item.objects.create(event=event, number=2, title="Matrix draft", status=ItemStatus.DRAFT, starting_bid=10)
    live = Item.objects.create(
        event=event,
        number=3,
        title="Matrix live",
        kind=ItemKind.LIVE,
        status=ItemStatus.OPEN,
        quantity=5,
        starting_bid=100,
        opens_at=opened,
    )
    Item.objects.create(event=draft_event, number=1, title="Draft event item", starting_bid=10)
    image = ItemImage.objects.create(item=item, file="items/matrix.png", caption="Matrix")
    sale = Sale.objects.create(item=live, paddle=paddle, amount=500)
    Item.objects.filter(pk=live.pk).update(quantity_sold=1)
    pledge = Pledge.objects.create(event=event, paddle=paddle, amount=250, source="clerk")
    PaddleRaiseSettings.objects.create(event=event, is_open=True, phone_pledges=True)
    world.update(
        auc_event=str(event.id),
        auc_draft_event=str(draft_event.id),
        auc_item=str(item.id),
        auc_draft=str(draft.id),
        auc_live=str(live.id),
        auc_image=str(image.id),
        auc_sale=str(sale.id),
        auc_pledge=str(pledge.id),
    )


def _png(world: dict[str, Any]) -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (2, 2), "blue").save(buffer, "PNG")
    return {"file": SimpleUploadedFile("m.png", buffer.getvalue(), content_type="image/png")}


E = "/api/v1/events/{auc_event}"
I = "/api/v1/items/{auc_item}"  # noqa: E741
NOT_REGISTERED = dict(all=409, donor=201, **ANON)

ROWS = [
    Row("GET", f"{E}/items/", expect(all=200)),
    Row(
        "GET", "/api/v1/events/{auc_draft_event}/items/", member_only(200, anon=404), name="GET items of a draft event"
    ),
    Row("POST", f"{E}/items/", only(MANAGE, 201), data={"title": "New lot", "starting_bid": "50"}),
    Row("POST", f"{E}/items/closing-time/", only(MANAGE, 200), data={"closes_at": "2031-01-01T21:00:00Z"}),
    Row("GET", f"{I}/", expect(all=200)),
    Row("GET", "/api/v1/items/{auc_draft}/", member_only(200, anon=404), name="GET a draft item"),
    Row("PATCH", f"{I}/", only(MANAGE, 200), data={"title": "Renamed"}),
    Row("DELETE", "/api/v1/items/{auc_draft}/", member_only(204, allowed=MANAGE), name="DELETE a draft item"),
    Row("POST", "/api/v1/items/{auc_draft}/open/", member_only(200, allowed=CLERK), name="POST open a draft item"),
    Row("POST", f"{I}/close/", only(CLERK, 200)),
    Row("POST", f"{I}/withdraw/", only(MANAGE, 200)),
    Row("GET", f"{I}/bids/", expect(all=200)),
    Row("POST", f"{I}/bids/", expect(**NOT_REGISTERED), data={"amount": "100"}),
    Row("POST", f"{I}/buy-now/", expect(**NOT_REGISTERED), data={}),
    Row("GET", f"{I}/images/", expect(all=200)),
    Row("POST", f"{I}/images/", only(MANAGE, 201), data=_png, format="multipart"),
    Row("DELETE", f"{I}/images/{{auc_image}}/", only(MANAGE, 204)),
    Row("GET", "/api/v1/items/{auc_live}/sales/", only(CLERK, 200)),
    Row("POST", "/api/v1/items/{auc_live}/sales/", only(CLERK, 201), data={"bidder_number": 101, "amount": "700"}),
    Row("POST", "/api/v1/items/{auc_live}/sales/{auc_sale}/undo/", only(CLERK, 200)),
    Row("GET", f"{E}/my-bids/", expect(all=200, **ANON)),
    Row("GET", f"{E}/paddle-raise/", expect(all=200)),
    Row("POST", f"{E}/paddle-raise/", only(MANAGE, 200), data={"open": True, "levels": ["100", "250"]}),
    Row("GET", f"{E}/pledges/", only((*CLERK, "cashier"), 200)),
    Row("POST", f"{E}/pledges/", expect(**NOT_REGISTERED), data={"amount": "100"}),
    Row("POST", f"{E}/pledges/{{auc_pledge}}/undo/", only(CLERK, 200)),
    Row("GET", f"{E}/totals/", expect(all=200)),
]
