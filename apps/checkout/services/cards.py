"""Cards on file (checkout.md "Card on file"): the registrant saves a card through the provider;
the Stripe webhook activates it and settles card payments; both are idempotent.

* :func:`card_setup` — ``POST /api/v1/registrations/{id}/card/``: a provider customer (reused for
  the same registration) and a SetupIntent; answers the client secret the donor's app confirms the
  card with. The embedded provider activates a test card at once.
* :func:`stripe_webhook_handle` — a verified Stripe event, processed once per event id
  (``ProviderEvent``): ``setup_intent.succeeded`` activates the card (replacing the previous one),
  ``payment_intent.succeeded`` / ``payment_intent.payment_failed`` settle the pending payment
  whose key the intent carries (a charge whose synchronous answer was lost).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import IntegrityError, transaction

from apps.attendance.locks import lock_registration
from apps.attendance.models import Registration
from apps.checkout.models import CardStatus, Payment, ProviderEvent, ProviderStatus, SavedCard
from apps.checkout.services.payments import payment_apply_result
from apps.checkout.services.provider import CardSetup, ProviderResult, get_provider
from apps.core.errors import ErrorCode
from apps.core.exceptions import Conflict
from apps.core.services import audit_record


def _activate(card: SavedCard) -> None:
    """Make ``card`` the registration's one active card (the previous one is replaced)."""
    SavedCard.objects.filter(registration_id=card.registration_id, status=CardStatus.ACTIVE).exclude(pk=card.pk).update(
        status=CardStatus.REPLACED
    )
    card.status = CardStatus.ACTIVE
    card.save(update_fields=["status", "payment_method_id", "brand", "last4", "updated_at"])


def card_setup(*, registration: Registration, actor: Any, ip: str | None = None) -> tuple[SavedCard, CardSetup]:
    """Start saving a card for ``registration`` (the caller is its registrant)."""
    if registration.status != "confirmed":
        raise Conflict(ErrorCode.INVALID_TRANSITION, "A cancelled registration cannot save a card.")
    provider = get_provider()
    previous = (
        SavedCard.objects.filter(registration=registration, provider=provider.name).exclude(customer_id="").first()
    )
    key = f"augeo-card-{uuid.uuid4()}"
    name = f"{getattr(actor, 'first_name', '')} {getattr(actor, 'last_name', '')}".strip()
    setup = provider.save_card(
        key=key,
        email=getattr(actor, "email", ""),
        name=name,
        customer_id=previous.customer_id if previous else "",
        metadata={"registration": str(registration.pk), "event": str(registration.event_id)},
    )
    with transaction.atomic():
        lock_registration(registration.pk)
        card = SavedCard.objects.create(
            registration=registration,
            user=actor if getattr(actor, "is_authenticated", False) else None,
            provider=provider.name,
            customer_id=setup.customer_id,
            setup_intent_id=setup.setup_intent_id,
            payment_method_id=setup.payment_method_id,
            brand=setup.brand,
            last4=setup.last4,
        )
        if setup.active:
            _activate(card)
        audit_record(
            actor=actor,
            action="card.setup",
            obj=card,
            npo_id=registration.event.npo_id,
            ip=ip,
            details={"registration": str(registration.pk), "provider": provider.name, "active": setup.active},
        )
    return card, setup


def stripe_webhook_handle(*, event: Any) -> str:
    """Process one verified Stripe event; ``"duplicate"`` when its id was seen before."""
    event_id = str(event["id"])
    event_type = str(event["type"])
    obj = event["data"]["object"]
    try:
        with transaction.atomic():
            ProviderEvent.objects.create(provider="stripe", event_id=event_id, type=event_type[:80])
            outcome = _apply_stripe_event(event_type, obj)
    except IntegrityError:
        return "duplicate"
    if outcome.startswith("payment:"):
        _, payment_id, status, reference, reason = outcome.split(":", 4)
        payment = Payment.objects.filter(pk=payment_id).first()
        if payment is not None:
            payment_apply_result(payment=payment, result=ProviderResult(status, reference, reason))
        return "payment"
    return outcome


def _apply_stripe_event(event_type: str, obj: Any) -> str:
    if event_type == "setup_intent.succeeded":
        card = (
            SavedCard.objects.select_for_update().filter(provider="stripe", setup_intent_id=obj.get("id", "")).first()
        )
        if card is None:
            return "ignored"
        method_id = obj.get("payment_method") or ""
        if isinstance(method_id, dict):
            method_id = method_id.get("id", "")
        card.payment_method_id = str(method_id)
        provider = get_provider("stripe")
        card.brand, card.last4 = provider.card_details(card.payment_method_id)
        lock_registration(card.registration_id)
        _activate(card)
        audit_record(
            actor=None,
            action="card.activated",
            obj=card,
            npo_id=card.registration.event.npo_id,
            details={"registration": str(card.registration_id), "last4": card.last4},
        )
        return "card"
    if event_type in ("payment_intent.succeeded", "payment_intent.payment_failed"):
        key = (obj.get("metadata") or {}).get("augeo_key", "")
        payment = Payment.objects.filter(provider_key=key, status=ProviderStatus.PENDING).first() if key else None
        if payment is None:
            return "ignored"
        if event_type == "payment_intent.succeeded":
            return f"payment:{payment.pk}:{ProviderStatus.SUCCEEDED}:{obj.get('id', '')}:"
        error = obj.get("last_payment_error") or {}
        reason = str(error.get("decline_code") or error.get("code") or "payment_failed").replace(":", " ")
        return f"payment:{payment.pk}:{ProviderStatus.FAILED}:{obj.get('id', '')}:{reason}"
    return "ignored"
