"""Shapes of the checkout API (api.md "Checkout"). Input serializers only type the fields for the
schema; amounts, methods and texts are validated by the services (one parser, ``apps.core.money``)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps.checkout.models import Donation, Payment, PaymentMethod, Refund
from apps.checkout.selectors import Statement, holder_names
from apps.core.money import MoneyField, money_str


class StatementRowSerializer(serializers.Serializer):
    """One row of the statements list (a paddle annotated by ``with_statement_figures``)."""

    bidder_number = serializers.IntegerField(source="number")
    holders = serializers.SerializerMethodField()
    total = serializers.SerializerMethodField()
    deductible_total = serializers.SerializerMethodField()
    paid = serializers.SerializerMethodField()
    balance_due = serializers.SerializerMethodField()

    def get_holders(self, obj: Any) -> list[str]:
        return holder_names(obj)

    def get_total(self, obj: Any) -> str:
        return money_str(obj.total) or "0.00"

    def get_deductible_total(self, obj: Any) -> str:
        return money_str(obj.deductible_total) or "0.00"

    def get_paid(self, obj: Any) -> str:
        return money_str(obj.paid) or "0.00"

    def get_balance_due(self, obj: Any) -> str:
        return money_str(obj.balance_due) or "0.00"


class LineSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["silent", "live", "buy_now", "pledge", "donation"])
    description = serializers.CharField()
    amount = serializers.CharField()
    fair_market_value = serializers.CharField(allow_null=True)
    fmv_known = serializers.BooleanField(read_only=True)
    deductible = serializers.CharField()
    donation_id = serializers.UUIDField(allow_null=True, help_text="For a donation line: the id to undo it with")


class RefundSerializer(serializers.ModelSerializer):
    amount = serializers.SerializerMethodField()

    class Meta:
        model = Refund
        fields = ["id", "payment", "amount", "reason", "status", "failure_reason", "created_at"]

    def get_amount(self, obj: Refund) -> str:
        return money_str(obj.amount) or "0.00"


class PaymentSerializer(serializers.ModelSerializer):
    amount = serializers.SerializerMethodField()
    bidder_number = serializers.SerializerMethodField()

    class Meta:
        model = Payment
        fields = [
            "id",
            "bidder_number",
            "method",
            "amount",
            "reference",
            "status",
            "failure_reason",
            "created_at",
        ]

    def get_amount(self, obj: Payment) -> str:
        return money_str(obj.amount) or "0.00"

    def get_bidder_number(self, obj: Payment) -> int:
        return obj.paddle.number


class StatementPaymentSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    amount = serializers.CharField()
    reference = serializers.CharField()
    status = serializers.CharField()
    failure_reason = serializers.CharField()
    refunded = serializers.CharField()
    refundable = serializers.CharField()
    created_at = serializers.DateTimeField()


class StatementSerializer(serializers.Serializer):
    """A statement with its lines and payments (``selectors.Statement``)."""

    bidder_number = serializers.IntegerField()
    holders = serializers.ListField(child=serializers.CharField())
    lines = LineSerializer(many=True)
    payments = StatementPaymentSerializer(many=True)
    total = serializers.CharField()
    deductible_total = serializers.CharField()
    paid = serializers.CharField()
    balance_due = serializers.CharField()
    pending = serializers.CharField()
    currency = serializers.CharField()
    card_on_file = serializers.CharField(allow_null=True)

    @staticmethod
    def from_statement(statement: Statement, card: Any = None) -> dict[str, Any]:
        m = money_str
        return {
            "bidder_number": statement.number,
            "holders": statement.holders,
            "lines": [
                {
                    "kind": line.kind,
                    "description": line.description,
                    "amount": m(line.amount),
                    "fair_market_value": m(line.fair_market_value),
                    "fmv_known": line.fmv_known,
                    "deductible": m(line.deductible),
                    "donation_id": line.source_id if line.kind == "donation" else None,
                }
                for line in statement.lines
            ],
            "payments": [
                {
                    "id": p.id,
                    "method": p.method,
                    "amount": m(p.amount),
                    "reference": p.reference,
                    "status": p.status,
                    "failure_reason": p.failure_reason,
                    "refunded": m(p.refunded),
                    "refundable": m(p.refundable),
                    "created_at": p.created_at,
                }
                for p in statement.payments
            ],
            "total": m(statement.total),
            "deductible_total": m(statement.deductible_total),
            "paid": m(statement.paid),
            "balance_due": m(statement.balance_due),
            "pending": m(statement.pending),
            "currency": statement.currency,
            "card_on_file": str(card) if card is not None else None,
        }


class PaymentInputSerializer(serializers.Serializer):
    amount = MoneyField()
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    reference = serializers.CharField(required=False, allow_blank=True, max_length=100)


class RefundInputSerializer(serializers.Serializer):
    amount = MoneyField()
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300)


class DonationInputSerializer(serializers.Serializer):
    amount = MoneyField()


class DonationSerializer(serializers.ModelSerializer):
    amount = serializers.SerializerMethodField()

    class Meta:
        model = Donation
        fields = ["id", "amount", "source", "undone_at", "created_at"]

    def get_amount(self, obj: Donation) -> str:
        return money_str(obj.amount) or "0.00"


class CardSetupSerializer(serializers.Serializer):
    client_secret = serializers.CharField()
    provider = serializers.CharField()
    card = serializers.CharField(allow_null=True)
    status = serializers.CharField()


class ReceiptSentSerializer(serializers.Serializer):
    receipt_number = serializers.IntegerField()
    queued = serializers.BooleanField(read_only=True)


class ReportSerializer(serializers.Serializer):
    """A report: ``summary`` is an object; ``items``/``donors`` a ``results`` list; ``payments``
    ``{by_method, results}`` (see docs/product/checkout.md "Reports")."""

    results = serializers.ListField(child=serializers.DictField(), required=False)


class WebhookAnswerSerializer(serializers.Serializer):
    received = serializers.BooleanField(read_only=True)
    outcome = serializers.CharField()
