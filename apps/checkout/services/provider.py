"""The payment-provider interface (checkout.md "Card on file") and its two implementations.

``charge``, ``refund`` and ``save_card`` talk to the provider; ``delete_customer`` removes the
customer a saved card created (account deletion, legal.md); ``lookup`` asks it what became of a
call made with a given idempotency key (a crash between the call and recording its answer leaves a
``pending`` row that ``charge_balances`` resolves this way, never by charging again). Every call
carries the row's own idempotency key, so the provider itself refuses to charge twice for one row.

* :class:`EmbeddedProvider` (``PAYMENT_PROVIDER=embedded``, the default): no network. It records
  every call in ``checkout.EmbeddedProviderCall`` (same key → same answer) and succeeds — except for
  **amounts whose cents are .13, which it declines** ("card_declined"), so demos and tests can show a
  decline. Saving a card activates a test card (``embedded •••• 4242``) at once.
* :class:`StripeProvider` (``PAYMENT_PROVIDER=stripe``): the ``stripe`` library with
  ``STRIPE_SECRET_KEY``: a Customer and a SetupIntent (``usage=off_session``) to save a card, an
  off-session confirmed PaymentIntent to charge, a Refund; the webhook is verified with the
  library's signature check (``STRIPE_WEBHOOK_SECRET``). ``STRIPE_API_BASE`` points the library at
  another host (the tests' local fake).

Provider calls are made outside any transaction that holds a row lock (see ``services.payments``).
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from django.conf import settings
from django.db import IntegrityError, transaction

from apps.checkout.models import EmbeddedProviderCall, ProviderStatus

logger = logging.getLogger("augeo.checkout.provider")

#: The cents that make the embedded provider decline a charge (documented in docs/product/checkout.md "Card on file").
EMBEDDED_DECLINE_CENTS = 13


class ProviderError(Exception):
    """The provider could not do what was asked (unreachable, refused); nothing is known to have
    changed there. Raised by calls that have no pending state to come back to (``delete_customer``)."""


@dataclass(frozen=True)
class ProviderResult:
    """What the provider said: ``succeeded``, ``failed`` (with a reason) or ``pending`` (still
    processing, or the provider could not be reached: ask again later)."""

    status: str
    reference: str = ""
    reason: str = ""


@dataclass(frozen=True)
class CardSetup:
    client_secret: str
    customer_id: str = ""
    setup_intent_id: str = ""
    payment_method_id: str = ""
    brand: str = ""
    last4: str = ""
    active: bool = False


class PaymentProvider(Protocol):
    name: str

    def save_card(
        self, *, key: str, email: str, name: str, customer_id: str, metadata: dict[str, str]
    ) -> CardSetup: ...

    def charge(
        self, *, key: str, amount: Decimal, currency: str, card: Any, description: str, metadata: dict[str, str]
    ) -> ProviderResult: ...

    def refund(self, *, key: str, amount: Decimal, currency: str, payment_reference: str) -> ProviderResult: ...

    def lookup(self, *, key: str, kind: str, payment_reference: str = "") -> ProviderResult | None: ...

    def delete_customer(self, *, customer_id: str) -> None:
        """Delete the customer and what the provider keeps with it (saved cards). Idempotent: a
        customer the provider no longer has is deleted already. ``ProviderError`` otherwise."""
        ...


def cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


# --- embedded -----------------------------------------------------------------------------------


class EmbeddedProvider:
    """Records every call; succeeds, or declines amounts ending in .13."""

    name = "embedded"

    def _record(self, *, key: str, kind: str, amount: Decimal | None, currency: str, declined: bool) -> ProviderResult:
        existing = EmbeddedProviderCall.objects.filter(key=key).first()
        if existing is None:
            status = ProviderStatus.FAILED if declined else ProviderStatus.SUCCEEDED
            reason = "card_declined: the embedded provider declines amounts ending in .13" if declined else ""
            try:
                with transaction.atomic():
                    existing = EmbeddedProviderCall.objects.create(
                        key=key,
                        kind=kind,
                        amount=amount,
                        currency=currency,
                        status=status,
                        reason=reason,
                        reference=f"emb_{kind}_{uuid.uuid4().hex[:20]}",
                    )
            except IntegrityError:  # the same key, racing: the first call's answer wins
                existing = EmbeddedProviderCall.objects.get(key=key)
        return ProviderResult(existing.status, existing.reference, existing.reason)

    def save_card(self, *, key: str, email: str, name: str, customer_id: str, metadata: dict[str, str]) -> CardSetup:
        self._record(key=key, kind="card", amount=None, currency="", declined=False)
        return CardSetup(
            client_secret=f"embedded_seti_{uuid.uuid4().hex}_secret",
            customer_id=customer_id or f"emb_cus_{uuid.uuid4().hex[:14]}",
            setup_intent_id=f"emb_seti_{uuid.uuid4().hex[:14]}",
            payment_method_id=f"emb_pm_{uuid.uuid4().hex[:14]}",
            brand="embedded",
            last4="4242",
            active=True,
        )

    def charge(
        self, *, key: str, amount: Decimal, currency: str, card: Any, description: str, metadata: dict[str, str]
    ) -> ProviderResult:
        declined = cents(amount) % 100 == EMBEDDED_DECLINE_CENTS
        return self._record(key=key, kind="charge", amount=amount, currency=currency, declined=declined)

    def refund(self, *, key: str, amount: Decimal, currency: str, payment_reference: str) -> ProviderResult:
        return self._record(key=key, kind="refund", amount=amount, currency=currency, declined=False)

    def lookup(self, *, key: str, kind: str, payment_reference: str = "") -> ProviderResult | None:
        row = EmbeddedProviderCall.objects.filter(key=key).first()
        return None if row is None else ProviderResult(row.status, row.reference, row.reason)

    def delete_customer(self, *, customer_id: str) -> None:
        """Recorded (kind ``customer``, key ``delete-<customer id>``) and done; a repeat is a no-op."""
        self._record(key=f"delete-{customer_id}"[:80], kind="customer", amount=None, currency="", declined=False)


# --- Stripe -------------------------------------------------------------------------------------


class StripeProvider:
    """Stripe through its library: SetupIntent to save, off-session PaymentIntent to charge."""

    name = "stripe"

    def __init__(self) -> None:
        # The Stripe library only with PAYMENT_PROVIDER=stripe (0.25 s to import in every process).
        import stripe

        self.stripe = stripe
        options: dict[str, Any] = {}
        if settings.STRIPE_API_BASE:
            options["base_addresses"] = {"api": settings.STRIPE_API_BASE}
        self.client = stripe.StripeClient(
            settings.STRIPE_SECRET_KEY,
            http_client=stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT_SECONDS),
            max_network_retries=1,
            **options,
        )

    def save_card(self, *, key: str, email: str, name: str, customer_id: str, metadata: dict[str, str]) -> CardSetup:
        if not customer_id:
            customer = self.client.v1.customers.create(
                params={"email": email, "name": name, "metadata": metadata},
                options={"idempotency_key": f"{key}-customer"},
            )
            customer_id = customer.id
        intent = self.client.v1.setup_intents.create(
            params={  # type: ignore[arg-type]
                "customer": customer_id,
                "usage": "off_session",
                "payment_method_types": ["card"],
                "metadata": metadata,
            },
            options={"idempotency_key": f"{key}-setup"},
        )
        return CardSetup(client_secret=intent.client_secret or "", customer_id=customer_id, setup_intent_id=intent.id)

    def card_details(self, payment_method_id: str) -> tuple[str, str]:
        try:
            method = self.client.v1.payment_methods.retrieve(payment_method_id)
        except self.stripe.StripeError:
            return "", ""
        card = getattr(method, "card", None)
        return (getattr(card, "brand", "") or "", getattr(card, "last4", "") or "") if card else ("", "")

    def _from_intent(self, intent: Any) -> ProviderResult:
        status = getattr(intent, "status", "")
        if status == "succeeded":
            return ProviderResult(ProviderStatus.SUCCEEDED, intent.id)
        if status in ("processing",):
            return ProviderResult(ProviderStatus.PENDING, intent.id)
        error = getattr(intent, "last_payment_error", None)
        reason = (getattr(error, "decline_code", None) or getattr(error, "code", None) or status) if error else status
        if status == "requires_action":
            reason = "authentication_required"
        return ProviderResult(ProviderStatus.FAILED, intent.id, str(reason))

    def charge(
        self, *, key: str, amount: Decimal, currency: str, card: Any, description: str, metadata: dict[str, str]
    ) -> ProviderResult:
        try:
            intent = self.client.v1.payment_intents.create(
                params={
                    "amount": cents(amount),
                    "currency": currency.lower(),
                    "customer": card.customer_id,
                    "payment_method": card.payment_method_id,
                    "off_session": True,
                    "confirm": True,
                    "description": description,
                    "metadata": {**metadata, "augeo_key": key},
                },
                options={"idempotency_key": key},
            )
        except self.stripe.CardError as exc:
            error = getattr(exc, "error", None)
            failed: Any = getattr(error, "payment_intent", None) if error else None
            reason = (
                (getattr(error, "decline_code", None) or getattr(error, "code", None) or "card_error")
                if error
                else "card_error"
            )
            reference = failed.get("id", "") if isinstance(failed, dict) else getattr(failed, "id", "") or ""
            message = getattr(exc, "user_message", None) or str(reason)
            return ProviderResult(ProviderStatus.FAILED, reference, f"{reason}: {message}"[:300])
        except (self.stripe.APIConnectionError, self.stripe.RateLimitError, self.stripe.APIError) as exc:
            # Unknown outcome: stay pending; lookup (charge_balances) settles it later.
            logger.warning("stripe charge %s: outcome unknown (%s)", key, exc.__class__.__name__)
            return ProviderResult(ProviderStatus.PENDING, "", exc.__class__.__name__)
        except self.stripe.StripeError as exc:  # invalid request, auth: nothing was charged
            return ProviderResult(ProviderStatus.FAILED, "", (getattr(exc, "user_message", None) or str(exc))[:300])
        return self._from_intent(intent)

    def refund(self, *, key: str, amount: Decimal, currency: str, payment_reference: str) -> ProviderResult:
        try:
            refund = self.client.v1.refunds.create(
                params={"payment_intent": payment_reference, "amount": cents(amount), "metadata": {"augeo_key": key}},
                options={"idempotency_key": key},
            )
        except (self.stripe.APIConnectionError, self.stripe.RateLimitError, self.stripe.APIError) as exc:
            logger.warning("stripe refund %s: outcome unknown (%s)", key, exc.__class__.__name__)
            return ProviderResult(ProviderStatus.PENDING, "", exc.__class__.__name__)
        except self.stripe.StripeError as exc:
            return ProviderResult(ProviderStatus.FAILED, "", (getattr(exc, "user_message", None) or str(exc))[:300])
        status = getattr(refund, "status", "")
        if status == "succeeded":
            return ProviderResult(ProviderStatus.SUCCEEDED, refund.id)
        if status == "pending":
            return ProviderResult(ProviderStatus.PENDING, refund.id)
        return ProviderResult(ProviderStatus.FAILED, refund.id, str(getattr(refund, "failure_reason", "") or status))

    def lookup(self, *, key: str, kind: str, payment_reference: str = "") -> ProviderResult | None:
        """Find the PaymentIntent (or Refund) created with ``key`` through its metadata; ``None``
        when Stripe has none (the call never reached it: nothing was charged)."""
        try:
            if kind == "refund":
                if not payment_reference:
                    return None
                refunds = self.client.v1.refunds.list(params={"payment_intent": payment_reference, "limit": 100})
                for refund in refunds.data:
                    if (getattr(refund, "metadata", None) or {}).get("augeo_key") == key:
                        status = refund.status
                        if status == "succeeded":
                            return ProviderResult(ProviderStatus.SUCCEEDED, refund.id)
                        if status == "pending":
                            return ProviderResult(ProviderStatus.PENDING, refund.id)
                        return ProviderResult(ProviderStatus.FAILED, refund.id, str(status))
                return None
            found = self.client.v1.payment_intents.search(params={"query": f"metadata['augeo_key']:'{key}'"})
        except self.stripe.StripeError as exc:
            logger.warning("stripe lookup %s failed (%s)", key, exc.__class__.__name__)
            return ProviderResult(ProviderStatus.PENDING, "", exc.__class__.__name__)
        if not found.data:
            return None
        return self._from_intent(found.data[0])

    def delete_customer(self, *, customer_id: str) -> None:
        """``DELETE /v1/customers/{id}`` (Stripe deletes its payment methods with it). A customer
        Stripe does not know (``resource_missing``: deleted before) counts as deleted."""
        try:
            self.client.v1.customers.delete(customer_id)
        except self.stripe.InvalidRequestError as exc:
            if getattr(exc, "code", None) == "resource_missing":
                return
            raise ProviderError(f"Stripe refused to delete customer {customer_id}: {exc.user_message or exc}") from exc
        except self.stripe.StripeError as exc:
            logger.warning("stripe customer %s not deleted (%s)", customer_id, exc.__class__.__name__)
            raise ProviderError(f"Stripe could not be reached to delete customer {customer_id}.") from exc

    def webhook_event(self, payload: bytes, signature: str) -> Any:
        """The verified event as plain JSON data (the library checks the signature), or ``ValueError``.
        Plain data, not the library's ``StripeObject``: that one is not a dict (no ``.get``)."""
        try:
            self.stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)
        except self.stripe.SignatureVerificationError as exc:
            raise ValueError("bad signature") from exc
        event = json.loads(payload)
        if not isinstance(event, dict) or not isinstance((event.get("data") or {}).get("object"), dict):
            raise ValueError("not an event")
        return event


def get_provider(name: str | None = None) -> Any:
    """The configured provider (``PAYMENT_PROVIDER``), or the one named (a saved card's)."""
    name = name or settings.PAYMENT_PROVIDER
    if name == "stripe":
        return StripeProvider()
    return EmbeddedProvider()
