"""Checkout endpoints (api.md "Checkout"). Thin: resolve the event and paddle, check the declared
capability, call a service, serialize.

Order of checks (api.md): 401 → 404 (statements and reports are the NPO's records: the event must
belong to an NPO the caller is a member of — a donor or another NPO's cashier gets 404 — and the
bidder number must exist) → 403 (a member without the action's capability) → 400 → 409. Each
viewset declares the capability of every action in ``capabilities``, the one style the platform uses.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from apps.attendance.api.renderers import CSVRenderer
from apps.attendance.models import Paddle, Registration
from apps.attendance.selectors import registrations_visible_to
from apps.checkout import permissions, reports, selectors
from apps.checkout.api import serializers as s
from apps.checkout.models import Donation, DonationSource, Payment, ProviderStatus
from apps.checkout.services import cards, donations, payments, receipts, refunds
from apps.checkout.services.provider import StripeProvider
from apps.core.api.base import GenericViewSet
from apps.core.csv_export import csv_response
from apps.core.errors import ErrorCode
from apps.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from apps.core.idempotency import idempotent
from apps.core.net import client_ip
from apps.core.services import audit_record
from apps.events.models import Event
from apps.events.selectors import event_for
from apps.npos.tenancy.api import DeclaredCapabilities

IDEMPOTENCY = OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False)
CSV_PARAM = OpenApiParameter("format", OpenApiTypes.STR, enum=["json", "csv"], description="`csv`: every row")
PDF_PARAM = OpenApiParameter("format", OpenApiTypes.STR, enum=["html", "pdf"], description="`pdf`: the PDF")
BALANCE_CHOICES = ("due", "paid", "credit")
ORDERINGS = ("bidder_number", "-bidder_number", "balance_due", "-balance_due", "total", "-total")


class PDFRenderer(CSVRenderer):
    """Lets content negotiation accept ``?format=pdf`` (the view returns the PDF itself; errors are
    rendered as JSON, see :meth:`CheckoutViewSet.handle_exception`)."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None  # type: ignore[assignment]  # binary: no charset parameter


class CheckoutViewSet(DeclaredCapabilities, GenericViewSet):
    """An event's checkout endpoints. ``capabilities`` is the platform's one declaration (action →
    capability in the event's NPO, apps.npos.tenancy.api); the event is resolved once per request
    (404 for outsiders) and the declared capability checked (403)."""

    permission_classes = [IsAuthenticated]
    #: ``member``: the event must be one of the caller's NPOs (statements, reports); ``visible``: any
    #: event the caller may see (the donor's own statement).
    event_scope = "member"
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer, PDFRenderer]
    _event: Event | None = None

    def handle_exception(self, exc: Exception) -> Any:
        """Errors on a ``?format=csv|pdf`` request are still the JSON envelope."""
        response = super().handle_exception(exc)
        if isinstance(getattr(self.request, "accepted_renderer", None), CSVRenderer):
            self.request.accepted_renderer = JSONRenderer()
            self.request.accepted_media_type = JSONRenderer.media_type
        return response

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if getattr(self, "swagger_fake_view", False):
            return
        event_id = kwargs.get("event_id")
        if self.event_scope == "member":
            access = selectors.event_for_member(request.user, event_id)
        else:
            access = event_for(request.user, event_id)
        requirement = self.declared_capability()
        self._event = access.require(requirement) if requirement is not None else access.event

    @property
    def event(self) -> Event:
        assert self._event is not None
        return self._event

    def paddle(self) -> Paddle:
        return selectors.paddle_of_event(self.event, self.kwargs.get("number"))

    def ip(self) -> str | None:
        return client_ip(self.request)


def _statement_body(paddle: Paddle, event: Event) -> dict[str, Any]:
    statement = selectors.statement_for_paddle(paddle, event=event)
    return s.StatementSerializer.from_statement(statement, selectors.active_card(paddle))


def _receipt_response(request: Request, paddle: Paddle, event: Event, actor: Any) -> HttpResponse:
    """The printable receipt (HTML), or ``?format=pdf``. Issues a numbered receipt the first time
    the statement is asked for in its current state (``receipt_issue``)."""
    receipt = receipts.receipt_issue(paddle=paddle, actor=actor, ip=client_ip(request))
    if request.query_params.get("format") == "pdf":
        response = HttpResponse(receipts.receipt_render_pdf(receipt), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="receipt-{receipt.number}.pdf"'
        return response
    html = render_to_string("checkout/receipt.html", {"receipt": receipt.snapshot, "number": receipt.number})
    return HttpResponse(html, content_type="text/html; charset=utf-8")


class StatementViewSet(CheckoutViewSet):
    """The cashier's statements of an event (``checkout.manage``)."""

    capabilities = permissions.STATEMENTS
    serializer_class = s.StatementRowSerializer
    queryset = Paddle.objects.none()

    @extend_schema(
        operation_id="events_statements_list",
        parameters=[
            OpenApiParameter("balance", OpenApiTypes.STR, enum=list(BALANCE_CHOICES)),
            OpenApiParameter("search", OpenApiTypes.STR, description="Exact bidder number (`#342`) or holder name"),
            OpenApiParameter("ordering", OpenApiTypes.STR, enum=list(ORDERINGS)),
            CSV_PARAM,
        ],
        responses=s.StatementRowSerializer(many=True),
    )
    def list(self, request: Request, event_id: Any) -> Any:
        params = request.query_params
        balance = params.get("balance")
        if balance is not None and balance not in BALANCE_CHOICES:
            raise ValidationFailed(message="balance: unknown value.", fields={"balance": ["One of due, paid, credit."]})
        ordering = params.get("ordering", "bidder_number")
        if ordering not in ORDERINGS:
            raise ValidationFailed(
                message="ordering: unknown value.", fields={"ordering": [f"One of {', '.join(ORDERINGS)}."]}
            )
        search = params.get("search", "")
        if len(search) > 100:
            raise ValidationFailed(message="search: too long.", fields={"search": ["At most 100 characters."]})
        qs = selectors.statements_of_event(self.event, balance=balance, search=search, ordering=ordering)
        if params.get("format") == "csv":
            audit_record(
                actor=request.user,
                action="checkout.statements_exported",
                obj=self.event,
                npo_id=self.event.npo_id,
                ip=self.ip(),
            )
            header, rows = reports.statements_csv_rows(self.event, qs.iterator(chunk_size=2000))
            return csv_response(f"statements-{self.event.slug}.csv", header, rows)
        page = selectors.page_rows(qs, self.paginate_queryset(qs.values_list("pk", flat=True)) or [])
        return self.get_paginated_response(s.StatementRowSerializer(page, many=True).data)

    @extend_schema(operation_id="events_statements_retrieve", responses=s.StatementSerializer)
    def retrieve(self, request: Request, event_id: Any, number: int) -> Response:
        return Response(_statement_body(self.paddle(), self.event))

    @extend_schema(
        request=s.PaymentInputSerializer,
        parameters=[IDEMPOTENCY],
        responses={
            201: s.PaymentSerializer,
            409: OpenApiResponse(
                description=(
                    "PAYMENT_EXCEEDS_BALANCE, NOTHING_DUE, NO_CARD_ON_FILE, "
                    "CARD_DECLINED (the failed payment is recorded)"
                )
            ),
        },
    )
    def payments(self, request: Request, event_id: Any, number: int) -> Response:
        paddle = self.paddle()
        recorded: dict[str, Payment] = {}

        def handler() -> Response:
            data = request.data if isinstance(request.data, dict) else {}
            payment = payments.payment_record(
                paddle=paddle,
                amount=data.get("amount"),
                method=data.get("method"),
                reference=data.get("reference", ""),
                actor=request.user,
                ip=self.ip(),
            )
            recorded["payment"] = payment
            return Response(s.PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)

        def then(response: Response) -> Response:
            payment = recorded.get("payment")
            if payment is None or payment.status != ProviderStatus.PENDING:
                return response
            payment = payments.payment_settle(payment=payment, actor=request.user, ip=self.ip())
            if payment.status == ProviderStatus.FAILED:
                raise Conflict(
                    ErrorCode.CARD_DECLINED,
                    "The card was declined; the balance is still due.",
                    payment=str(payment.pk),
                    reason=payment.failure_reason,
                )
            return Response(s.PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)

        return idempotent(request, handler, then=then)

    @extend_schema(
        request=s.RefundInputSerializer,
        parameters=[IDEMPOTENCY],
        responses={
            201: s.RefundSerializer,
            409: OpenApiResponse(description="REFUND_EXCEEDS_PAYMENT, PAYMENT_NOT_REFUNDABLE"),
        },
    )
    def refund(self, request: Request, event_id: Any, number: int, payment_id: Any) -> Response:
        paddle = self.paddle()
        payment = Payment.objects.filter(paddle=paddle, pk=payment_id).first()
        if payment is None:
            raise NotFound(message="Payment not found on this statement.")
        started: dict[str, Any] = {}

        def handler() -> Response:
            data = request.data if isinstance(request.data, dict) else {}
            refund = refunds.refund_record(
                payment=payment,
                amount=data.get("amount"),
                reason=data.get("reason", ""),
                actor=request.user,
                ip=self.ip(),
            )
            started["refund"] = refund
            return Response(s.RefundSerializer(refund).data, status=status.HTTP_201_CREATED)

        def then(response: Response) -> Response:
            refund = started.get("refund")
            if refund is None or refund.status != ProviderStatus.PENDING:
                return response
            refund = refunds.refund_settle(refund=refund, actor=request.user, ip=self.ip())
            return Response(s.RefundSerializer(refund).data, status=status.HTTP_201_CREATED)

        return idempotent(request, handler, then=then)

    @extend_schema(request=s.DonationInputSerializer, parameters=[IDEMPOTENCY], responses={201: s.DonationSerializer})
    def donations(self, request: Request, event_id: Any, number: int) -> Response:
        paddle = self.paddle()

        def handler() -> Response:
            data = request.data if isinstance(request.data, dict) else {}
            donation = donations.donation_add(
                paddle=paddle, amount=data.get("amount"), actor=request.user, ip=self.ip()
            )
            return Response(s.DonationSerializer(donation).data, status=status.HTTP_201_CREATED)

        return idempotent(request, handler)

    @extend_schema(
        request=None, responses={200: s.DonationSerializer, 409: OpenApiResponse(description="ALREADY_UNDONE")}
    )
    def donation_undo(self, request: Request, event_id: Any, number: int, donation_id: Any) -> Response:
        paddle = self.paddle()
        donation = Donation.objects.filter(paddle=paddle, pk=donation_id).first()
        if donation is None:
            raise NotFound(message="Donation not found on this statement.")
        donation = donations.donation_undo(donation=donation, actor=request.user, ip=self.ip())
        return Response(s.DonationSerializer(donation).data)

    @extend_schema(
        parameters=[PDF_PARAM],
        responses={(200, "text/html"): OpenApiTypes.STR, (200, "application/pdf"): OpenApiTypes.BINARY},
    )
    def receipt(self, request: Request, event_id: Any, number: int) -> HttpResponse:
        return _receipt_response(request, self.paddle(), self.event, request.user)

    @extend_schema(request=None, responses={202: s.ReceiptSentSerializer})
    def receipt_send(self, request: Request, event_id: Any, number: int) -> Response:
        receipt = receipts.receipt_issue(paddle=self.paddle(), actor=request.user, ip=self.ip())
        queued = receipts.receipt_send(receipt=receipt, actor=request.user, ip=self.ip())
        return Response({"receipt_number": receipt.number, "queued": queued}, status=status.HTTP_202_ACCEPTED)


class MyStatementViewSet(CheckoutViewSet):
    """The donor's own statement: the paddle of the caller's guest row in the event (404 without one)."""

    event_scope = "visible"
    capabilities = permissions.MY_STATEMENT
    serializer_class = s.StatementSerializer
    queryset = Paddle.objects.none()

    def own_paddle(self) -> Paddle:
        return selectors.paddle_of_user(self.request.user, self.event)

    @extend_schema(operation_id="events_my_statement", responses=s.StatementSerializer)
    def retrieve(self, request: Request, event_id: Any) -> Response:
        return Response(_statement_body(self.own_paddle(), self.event))

    @extend_schema(
        parameters=[PDF_PARAM],
        responses={(200, "text/html"): OpenApiTypes.STR, (200, "application/pdf"): OpenApiTypes.BINARY},
    )
    def receipt(self, request: Request, event_id: Any) -> HttpResponse:
        return _receipt_response(request, self.own_paddle(), self.event, request.user)

    @extend_schema(request=s.DonationInputSerializer, parameters=[IDEMPOTENCY], responses={201: s.DonationSerializer})
    def donations(self, request: Request, event_id: Any) -> Response:
        paddle = self.own_paddle()

        def handler() -> Response:
            data = request.data if isinstance(request.data, dict) else {}
            donation = donations.donation_add(
                paddle=paddle, amount=data.get("amount"), actor=request.user, source=DonationSource.DONOR, ip=self.ip()
            )
            return Response(s.DonationSerializer(donation).data, status=status.HTTP_201_CREATED)

        return idempotent(request, handler)


class ReportViewSet(CheckoutViewSet):
    """An event's reports (``reports.view``): JSON, or ``?format=csv``."""

    capabilities = permissions.REPORTS
    serializer_class = s.ReportSerializer
    queryset = Paddle.objects.none()

    @extend_schema(parameters=[CSV_PARAM], responses=OpenApiTypes.OBJECT)
    def report(self, request: Request, event_id: Any, name: str) -> Any:
        if name not in reports.REPORTS:
            raise NotFound(message="Unknown report.")
        if request.query_params.get("format") == "csv":
            audit_record(
                actor=request.user,
                action="checkout.report_exported",
                obj=self.event,
                npo_id=self.event.npo_id,
                ip=self.ip(),
                details={"report": name},
            )
            header, rows = reports.report_csv(self.event, name)
            return csv_response(f"{name}-{self.event.slug}.csv", header, rows)
        data = reports.report(self.event, name)
        return Response(data if isinstance(data, dict) else {"results": data})


class RegistrationCardViewSet(GenericViewSet):
    """``POST /registrations/{id}/card/``: the registrant saves a card through the provider."""

    permission_classes = [IsAuthenticated]
    serializer_class = s.CardSetupSerializer
    queryset = Registration.objects.none()

    @extend_schema(request=None, responses={200: s.CardSetupSerializer})
    def card(self, request: Request, pk: Any) -> Response:
        registration = registrations_visible_to(request.user).filter(pk=pk).select_related("event").first()
        if registration is None:
            raise NotFound(message="Registration not found.")
        if registration.user_id != request.user.pk:
            raise PermissionDenied(message="Only the registrant saves a card on their registration.")
        card, setup = cards.card_setup(registration=registration, actor=request.user, ip=client_ip(request))
        return Response(
            {
                "client_secret": setup.client_secret,
                "provider": card.provider,
                "card": str(card) if setup.active else None,
                "status": card.status,
            }
        )


class StripeWebhookViewSet(GenericViewSet):
    """Stripe's webhook: the signature is checked by the library (400 ``INVALID_SIGNATURE``); each
    event id is processed once. 404 while the Stripe provider is not configured."""

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    serializer_class = s.WebhookAnswerSerializer
    queryset = Payment.objects.none()

    @extend_schema(
        request=inline_serializer(
            "StripeEvent", fields={"id": drf_serializers.CharField(), "type": drf_serializers.CharField()}
        ),
        responses={200: s.WebhookAnswerSerializer},
        auth=[],
    )
    def webhook(self, request: Request) -> Response:
        if settings.PAYMENT_PROVIDER != "stripe" or not settings.STRIPE_WEBHOOK_SECRET:
            raise NotFound(message="The Stripe provider is not configured.")

        signature = request.headers.get("Stripe-Signature", "")
        try:
            event = StripeProvider().webhook_event(request.body, signature)
        except ValueError:
            raise ValidationFailed(ErrorCode.INVALID_SIGNATURE, "The webhook signature does not verify.") from None
        outcome = cards.stripe_webhook_handle(event=event)
        return Response({"received": True, "outcome": outcome})
