"""Shapes of the auction API (api.md "Auction"). Money is a 2-place string; maximums appear only in
the caller's own ``my_max_bid`` and own bid answer, never in histories."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps.auctions.models import Item, ItemImage, ItemKind, Pledge, Purchase, Sale
from apps.auctions.selectors import item_min_next_bid
from apps.core.api.fast import CompiledRepresentation
from apps.core.api.fields import StrictBooleanField
from apps.core.money import MoneyField, money_str
from apps.core.text import markdown_validator
from apps.events.models import Sponsor


def _money(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=12, decimal_places=2, **kwargs)


class ItemImageSerializer(CompiledRepresentation, serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = ItemImage
        fields = ["id", "url", "caption", "width", "height", "display_order"]

    def get_url(self, obj: ItemImage) -> str | None:
        try:
            return obj.file.url
        except Exception:  # pragma: no cover - storage misconfigured: the item still renders
            return None


class ItemSerializer(CompiledRepresentation, serializers.ModelSerializer):
    """An item as donors see it; ``reserve`` is added only when ``context["show_reserve"]``.

    Items come from ``selectors.attach_images`` (``images`` are its ``image_rows``: one query for a
    page), with the caller's ``leading``/``my_max_bid`` annotated (``selectors.with_bidder_fields``).
    """

    current_bid = _money(read_only=True, allow_null=True)  # null until the first bid
    min_next_bid = serializers.SerializerMethodField()
    quantity_left = serializers.IntegerField(read_only=True)
    images = ItemImageSerializer(many=True, read_only=True, source="image_rows")
    leading = serializers.SerializerMethodField()
    my_max_bid = serializers.SerializerMethodField()

    class Meta:
        model = Item
        fields = [
            "id",
            "event",
            "number",
            "title",
            "description",
            "description_html",
            "category",
            "kind",
            "status",
            "donated_by",
            "sponsor",
            "starting_bid",
            "bid_increment",
            "current_bid",
            "min_next_bid",
            "bid_count",
            "opens_at",
            "closes_at",
            "buy_now_price",
            "quantity",
            "quantity_left",
            "fair_market_value",
            "display_order",
            "images",
            "leading",
            "my_max_bid",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    #: Dropped for anonymous callers by to_representation (apps.core.api.schema).
    SCHEMA_OPTIONAL_FIELDS = ("leading", "my_max_bid")

    def get_min_next_bid(self, obj: Item) -> str | None:
        return money_str(item_min_next_bid(obj))

    def get_leading(self, obj: Item) -> bool | None:
        value = getattr(obj, "leading", None)
        return None if value is None else bool(value)

    def get_my_max_bid(self, obj: Item) -> str | None:
        return money_str(getattr(obj, "my_max_bid", None))

    def to_representation(self, instance: Item) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not request.user.is_authenticated:
            data.pop("leading", None)
            data.pop("my_max_bid", None)
        if self.context.get("show_reserve"):
            data["reserve"] = money_str(instance.reserve)
        return data


class ItemWriteSerializer(serializers.Serializer):
    """Input of create/PATCH. Cross-field rules live in ``services._item_validate``."""

    title = serializers.CharField(max_length=200)
    description = serializers.CharField(
        required=False, allow_blank=True, validators=[markdown_validator], help_text="Markdown."
    )
    category = serializers.CharField(max_length=100, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=ItemKind.choices, required=False)
    donated_by = serializers.CharField(max_length=200, required=False, allow_blank=True)
    sponsor = serializers.UUIDField(required=False, allow_null=True)
    starting_bid = MoneyField(required=False, allow_zero=True)
    bid_increment = MoneyField(required=False, allow_null=True)
    fair_market_value = MoneyField(required=False, allow_null=True, allow_zero=True)
    reserve = MoneyField(required=False, allow_null=True, allow_zero=True)
    buy_now_price = MoneyField(required=False, allow_null=True)
    quantity = serializers.IntegerField(required=False, min_value=1, max_value=100000)
    opens_at = serializers.DateTimeField(required=False, allow_null=True)
    closes_at = serializers.DateTimeField(required=False, allow_null=True)
    display_order = serializers.IntegerField(required=False, min_value=0, max_value=1000000)

    def validate_sponsor(self, value: Any) -> Any:
        if value is None:
            return None

        event = self.context["event"]
        sponsor = Sponsor.objects.filter(pk=value, event=event).first()
        if sponsor is None:
            raise serializers.ValidationError("Choose a sponsor of this event.")
        return sponsor


class BidRowSerializer(CompiledRepresentation, serializers.Serializer):
    """A public history row: bidder number and visible amount, never a name or a maximum."""

    id = serializers.UUIDField()
    bidder_number = serializers.IntegerField(source="paddle.number")
    amount = _money()
    automatic = StrictBooleanField()
    sequence = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class OwnBidSerializer(BidRowSerializer):
    """The caller's own row in the answer to their bid (their maximum is theirs to see). A leader
    raising their own maximum gets their invisible row: ``sequence`` null, as it is in no history."""

    max_amount = _money()
    sequence = serializers.IntegerField(allow_null=True)


class BidCreateSerializer(serializers.Serializer):
    """Documented shape only: amounts are parsed by the service (exact 400 messages)."""

    amount = serializers.CharField()
    max_amount = serializers.CharField(required=False)
    bidder_number = serializers.IntegerField(required=False, help_text="Clerks only (auction.clerk)")


class BidResultSerializer(serializers.Serializer):
    bid = OwnBidSerializer()
    leading = StrictBooleanField()
    current_bid = _money(allow_null=True)
    min_next_bid = _money(allow_null=True)


class PurchaseSerializer(serializers.ModelSerializer):
    bidder_number = serializers.IntegerField(source="paddle.number", read_only=True)

    class Meta:
        model = Purchase
        fields = ["id", "item", "bidder_number", "quantity", "unit_price", "amount", "created_at"]


class BuyNowSerializer(serializers.Serializer):
    quantity = serializers.IntegerField(required=False, min_value=1)


class SaleSerializer(serializers.ModelSerializer):
    bidder_number = serializers.IntegerField(source="paddle.number", read_only=True)

    class Meta:
        model = Sale
        fields = ["id", "item", "bidder_number", "amount", "below_reserve", "created_at", "undone_at"]
        read_only_fields = fields


class SaleCreateSerializer(serializers.Serializer):
    bidder_number = serializers.IntegerField()
    amount = serializers.CharField()
    below_reserve_ok = StrictBooleanField(required=False, default=False)


class PledgeSerializer(serializers.ModelSerializer):
    bidder_number = serializers.IntegerField(source="paddle.number", read_only=True)

    class Meta:
        model = Pledge
        fields = ["id", "event", "bidder_number", "amount", "source", "created_at", "undone_at"]


class PledgeCreateSerializer(serializers.Serializer):
    amount = serializers.CharField()
    bidder_number = serializers.IntegerField(required=False, help_text="Clerks only (auction.clerk)")


class PaddleRaiseWriteSerializer(serializers.Serializer):
    levels = serializers.ListField(child=serializers.JSONField(), required=False)
    open = StrictBooleanField(required=False)
    phone_pledges = StrictBooleanField(required=False)


class LevelTotalSerializer(serializers.Serializer):
    level = _money(allow_null=True)
    label = serializers.CharField()  # type: ignore[assignment]
    count = serializers.IntegerField()
    total = _money()


class PaddleRaiseSerializer(serializers.Serializer):
    levels = serializers.ListField(child=_money())
    open = StrictBooleanField()
    phone_pledges = StrictBooleanField()
    totals_by_level = LevelTotalSerializer(many=True)
    total = _money()
    count = serializers.IntegerField()


class TotalsSerializer(serializers.Serializer):
    class BySource(serializers.Serializer):
        silent = _money()
        live = _money()
        buy_now = _money()
        paddle_raise = _money()

    raised = _money()
    by_source = BySource()
    goal = _money(allow_null=True)
    percent = serializers.FloatField(allow_null=True)


class MyBidItemSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField()
    number = serializers.IntegerField()


class MyBidSerializer(serializers.Serializer):
    item = MyBidItemSerializer()
    state = serializers.ChoiceField(choices=["leading", "outbid", "won", "lost"])
    my_max_bid = _money(allow_null=True)
    current_bid = _money(allow_null=True)


class ClosingTimeSerializer(serializers.Serializer):
    closes_at = serializers.DateTimeField()
    category = serializers.CharField(required=False, allow_blank=True, max_length=100)


class ImageUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    caption = serializers.CharField(required=False, allow_blank=True, max_length=250)
