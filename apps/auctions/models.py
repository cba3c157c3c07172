"""The auction: items and their images, bids, buy-now purchases, live sales and the paddle raise
(outbid and won e-mails are rows of the platform's outbox, ``core.OutboxEmail``).

Every money row (bid, purchase, sale, pledge) points at an ``attendance.Paddle`` with
``on_delete=PROTECT``: a paddle with activity is never released, and its statement stays its own.
The item row carries the denormalised auction state (``current_bid``, ``bid_count``, the leader and
their maximum, the last public ``sequence`` and private ``position``); it is only ever written under
the item's row lock by
``services``, which is what makes the catalogue a constant number of queries and the bid path a
single lock. ``invariants.py`` checks the denormalised state against the immutable bid rows.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from apps.core.models import BaseModel
from apps.core.money import money_format, validate_money
from apps.core.text import MarkdownFieldsMixin, markdown_validator

MONEY: dict[str, Any] = {"max_digits": 12, "decimal_places": 2}
#: Money a person types in (the admin's forms run model validators): at most AUGEO_MAX_AMOUNT.
MONEY_INPUT: dict[str, Any] = {**MONEY, "validators": [validate_money]}


class ItemKind(models.TextChoices):
    SILENT = "silent", "Silent auction"
    LIVE = "live", "Live auction"
    BUY_NOW_ONLY = "buy_now_only", "Buy now only"


class ItemStatus(models.TextChoices):
    """``draft → open → sold | unsold``; ``draft/open → withdrawn``; ``withdrawn → open``.

    ``closed`` is kept for clients that list it: closing decides ``sold``/``unsold`` at once, so no
    item rests in ``closed`` today.
    """

    DRAFT = "draft", "Draft"
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"
    SOLD = "sold", "Sold"
    UNSOLD = "unsold", "Unsold"
    WITHDRAWN = "withdrawn", "Withdrawn"


#: Statuses a donor may see (drafts and withdrawn items are for members only).
PUBLIC_STATUSES = (ItemStatus.OPEN, ItemStatus.CLOSED, ItemStatus.SOLD, ItemStatus.UNSOLD)
FINAL_STATUSES = (ItemStatus.SOLD, ItemStatus.UNSOLD)


class Item(MarkdownFieldsMixin, BaseModel):
    """One lot of an event's auction.

    ``number`` is unique per event and handed out by ``item_create`` under the event's row lock.
    ``reserve`` is never serialised for non-members. The auction state fields below ``closes_at``
    are written only by services while holding this row's lock (``select_for_update``); they are
    derived from the bid/purchase/sale rows and checked by ``invariants.check_item``.
    ``description_html`` is the Markdown description rendered on save (``apps.core.text``).
    """

    markdown_fields = {"description": "description_html"}

    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="items")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="Markdown", validators=[markdown_validator])
    description_html = models.TextField(blank=True, editable=False)
    category = models.CharField(max_length=100, blank=True, db_index=True)
    kind = models.CharField(max_length=12, choices=ItemKind.choices, default=ItemKind.SILENT)
    status = models.CharField(max_length=10, choices=ItemStatus.choices, default=ItemStatus.DRAFT)
    donated_by = models.CharField(max_length=200, blank=True)
    sponsor = models.ForeignKey("events.Sponsor", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    starting_bid = models.DecimalField(**MONEY_INPUT, default=0)
    bid_increment = models.DecimalField(**MONEY_INPUT, null=True, blank=True, help_text="Empty = tiered by price")
    fair_market_value = models.DecimalField(**MONEY_INPUT, null=True, blank=True)
    reserve = models.DecimalField(**MONEY_INPUT, null=True, blank=True)
    buy_now_price = models.DecimalField(**MONEY_INPUT, null=True, blank=True)
    quantity = models.PositiveIntegerField(default=1)
    opens_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    display_order = models.PositiveIntegerField(default=0)

    # Auction state (denormalised; written under the row lock only).
    current_bid = models.DecimalField(**MONEY, null=True, blank=True, editable=False)
    bid_count = models.PositiveIntegerField(default=0, editable=False)
    last_sequence = models.PositiveIntegerField(default=0, editable=False)  # of the last visible bid row
    last_position = models.PositiveIntegerField(default=0, editable=False)  # of the last bid row, any
    leader_paddle = models.ForeignKey(
        "attendance.Paddle", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    leader_max = models.DecimalField(**MONEY, null=True, blank=True, editable=False)
    leader_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    quantity_sold = models.PositiveIntegerField(default=0, editable=False)
    winner_paddle = models.ForeignKey(
        "attendance.Paddle", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    winning_amount = models.DecimalField(
        **MONEY, null=True, blank=True, editable=False, help_text="Set when a silent item is won by bidding"
    )
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    class Meta:
        ordering = ["number"]
        indexes = [
            models.Index(fields=["event", "status", "kind"]),
            models.Index(fields=["status", "closes_at"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["event", "number"], name="item_number_unique_per_event"),
            models.CheckConstraint(condition=Q(number__gt=0), name="item_number_positive"),
            models.CheckConstraint(condition=Q(status__in=ItemStatus.values), name="item_status_valid"),
            models.CheckConstraint(condition=Q(kind__in=ItemKind.values), name="item_kind_valid"),
            models.CheckConstraint(condition=Q(starting_bid__gte=0), name="item_starting_bid_not_negative"),
            models.CheckConstraint(
                condition=Q(bid_increment__isnull=True) | Q(bid_increment__gt=0), name="item_increment_positive"
            ),
            models.CheckConstraint(condition=Q(reserve__isnull=True) | Q(reserve__gte=0), name="item_reserve_ok"),
            models.CheckConstraint(
                condition=Q(buy_now_price__isnull=True) | Q(buy_now_price__gt=0), name="item_buy_now_positive"
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="item_quantity_positive"),
            models.CheckConstraint(condition=~Q(kind="silent") | Q(quantity=1), name="item_silent_quantity_one"),
            models.CheckConstraint(
                condition=~Q(kind="buy_now_only") | Q(buy_now_price__isnull=False), name="item_buy_now_only_has_price"
            ),
            # The last line of defence against overselling (bidding.md invariant 4).
            models.CheckConstraint(condition=Q(quantity_sold__lte=F("quantity")), name="item_never_oversold"),
            models.CheckConstraint(
                condition=Q(closes_at__isnull=True) | Q(opens_at__isnull=True) | Q(closes_at__gt=F("opens_at")),
                name="item_closes_after_opening",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.title}"

    @property
    def npo_id(self) -> Any:
        return self.event.npo_id

    @property
    def quantity_left(self) -> int:
        """Units still available: none once the item is closed or withdrawn."""
        if self.status not in (ItemStatus.DRAFT, ItemStatus.OPEN):
            return 0
        return max(self.quantity - self.quantity_sold, 0)


class ItemImage(BaseModel):
    """A picture of an item, validated by content and stored under a server-made name."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="images")
    file = models.FileField(max_length=255)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    caption = models.CharField(max_length=250, blank=True)
    display_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["display_order", "created_at"]

    def __str__(self) -> str:
        return self.caption or self.file.name


class ImmutableRowError(Exception):
    pass


class Bid(BaseModel):
    """One accepted bid row — immutable once written (bidding.md rule 7).

    Two per-item numbers, both allocated under the item lock and unique in the database:

    * ``position`` orders every row, the invisible ones included; the invariant checker and the
      privacy export read rows in position order, never by time. It is never shown to anyone.
    * ``sequence`` is the public number of a ``visible`` row: 1, 2, 3… without gaps, as the history
      and the live ``bid_placed`` messages show it; ``None`` on an invisible row. A leader raising
      their own maximum (rule 2) writes an invisible row, and had it taken a public number the gap
      in the history would have told everyone that the leader had just raised (rule 6).

    ``automatic`` rows are the system bidding for a proxy. ``placement`` groups the rows written by
    one ``bid_place`` call. ``max_amount`` is private to the paddle: never serialised for anyone
    else, members included.
    """

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="bids")
    paddle = models.ForeignKey("attendance.Paddle", on_delete=models.PROTECT, related_name="bids")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The clerk who entered a phone/absentee bid",
    )
    amount = models.DecimalField(**MONEY)
    max_amount = models.DecimalField(**MONEY, null=True, blank=True)
    automatic = models.BooleanField(default=False)
    visible = models.BooleanField(default=True)
    position = models.PositiveIntegerField()
    sequence = models.PositiveIntegerField(null=True, blank=True)
    placement = models.UUIDField()

    class Meta:
        ordering = ["item", "-position"]
        indexes = [
            models.Index(fields=["item", "visible", "sequence"]),
            models.Index(fields=["paddle", "item"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["item", "position"], name="bid_position_unique_per_item"),
            # NULLs are distinct: only visible rows hold a public number.
            models.UniqueConstraint(fields=["item", "sequence"], name="bid_sequence_unique_per_item"),
            models.CheckConstraint(
                condition=Q(visible=True, sequence__isnull=False) | Q(visible=False, sequence__isnull=True),
                name="bid_sequence_only_on_visible_rows",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="bid_amount_positive"),
            models.CheckConstraint(
                condition=Q(max_amount__isnull=True) | Q(max_amount__gte=F("amount")), name="bid_max_not_below_amount"
            ),
        ]

    def __str__(self) -> str:
        return f"Bid {self.sequence or '-'}: {money_format(self.amount)}"  # the bid history's row heading (no raw ids)

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableRowError("Bid rows are immutable.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableRowError("Bid rows are immutable.")


class Purchase(BaseModel):
    """A buy-now purchase: ``quantity`` units at ``unit_price`` (a silent item's buy-now ends it)."""

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="purchases")
    paddle = models.ForeignKey("attendance.Paddle", on_delete=models.PROTECT, related_name="purchases")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    quantity = models.PositiveIntegerField(default=1)
    unit_price = models.DecimalField(**MONEY)
    amount = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="purchase_quantity_positive"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="purchase_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {money_format(self.unit_price)}"


class Sale(BaseModel):
    """A live-auction sale recorded by the auctioneer's clerk (hammer price to a bidder number).

    An undone sale keeps its row (``undone_at``) — the undo is its own audited action.
    """

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="sales")
    paddle = models.ForeignKey("attendance.Paddle", on_delete=models.PROTECT, related_name="sales")
    amount = models.DecimalField(**MONEY)
    below_reserve = models.BooleanField(default=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="sale_amount_positive")]

    def __str__(self) -> str:
        return money_format(self.amount)


class PaddleRaiseSettings(BaseModel):
    """Whether an event's paddle raise (fund-a-need) is open and whether donors may pledge by phone."""

    event = models.OneToOneField("events.Event", on_delete=models.CASCADE, related_name="paddle_raise")
    is_open = models.BooleanField(default=False)
    phone_pledges = models.BooleanField(default=False)

    class Meta:
        verbose_name_plural = "paddle raise settings"

    def __str__(self) -> str:
        return f"Paddle raise of {self.event_id}"


class PaddleRaiseLevel(BaseModel):
    """A giving level ("5,000 — a year of meals"); with none configured any positive amount goes."""

    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="paddle_raise_levels")
    amount = models.DecimalField(**MONEY_INPUT)
    label = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-amount"]
        constraints = [
            models.UniqueConstraint(fields=["event", "amount"], name="paddle_raise_level_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="paddle_raise_level_positive"),
        ]

    def __str__(self) -> str:
        return money_format(self.amount)


class PledgeSource(models.TextChoices):
    CLERK = "clerk", "Clerk"
    PHONE = "phone", "Donor's phone"


class Pledge(BaseModel):
    """A paddle-raise pledge (fully tax-deductible). Undoing keeps the row (``undone_at``)."""

    event = models.ForeignKey("events.Event", on_delete=models.PROTECT, related_name="pledges")
    paddle = models.ForeignKey("attendance.Paddle", on_delete=models.PROTECT, related_name="pledges")
    amount = models.DecimalField(**MONEY)
    source = models.CharField(max_length=5, choices=PledgeSource.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["event", "undone_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="pledge_amount_positive"),
            models.CheckConstraint(condition=Q(source__in=PledgeSource.values), name="pledge_source_valid"),
        ]

    def __str__(self) -> str:
        return money_format(self.amount)


class NotificationKind(models.TextChoices):
    """The auction's e-mails (``core.OutboxEmail`` templates ``auctions/<kind>``)."""

    OUTBID = "outbid", "Outbid"
    WON = "won", "Won"
