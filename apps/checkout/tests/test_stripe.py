"""The Stripe provider against a local HTTP server that answers the documented Stripe API responses
(``STRIPE_API_BASE`` points the library at it): a customer and SetupIntent when a card is saved, the
customer deleted when the account is (or the deletion refused when Stripe fails), the
``setup_intent.succeeded`` webhook that activates it (good and bad signature, each event id once),
an off-session PaymentIntent with the payment's idempotency key, a decline (402 ``card_error``), a
refund, and a crashed charge resolved by searching for its key — never by charging again."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from django.test.utils import override_settings

from apps.checkout.models import Payment, ProviderStatus, Refund, SavedCard
from apps.checkout.services import payments
from apps.checkout.tests import factories as f
from conftest import client_for

pytestmark = pytest.mark.django_db
WEBHOOK_SECRET = "whsec_test_secret"


class FakeStripe(BaseHTTPRequestHandler):
    """Answers like api.stripe.com/v1 for the calls the provider makes; records every request."""

    calls: list[dict[str, Any]] = []
    intents: dict[str, dict[str, Any]] = {}

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Request-Id", "req_test")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _record(self) -> tuple[str, dict[str, list[str]]]:
        url = urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(length).decode()) if length else parse_qs(url.query)
        self.calls.append(
            {
                "method": self.command,
                "path": url.path,
                "form": form,
                "idempotency_key": self.headers.get("Idempotency-Key"),
                "auth": self.headers.get("Authorization"),
            }
        )
        return url.path, form

    def do_GET(self) -> None:
        path, form = self._record()
        if path.startswith("/v1/payment_methods/"):
            pm = path.rsplit("/", 1)[1]
            self._answer(
                200, {"id": pm, "object": "payment_method", "type": "card", "card": {"brand": "visa", "last4": "4242"}}
            )
        elif path == "/v1/payment_intents/search":
            key = form["query"][0].split("'")[-2]
            found = [i for i in self.intents.values() if i["metadata"].get("augeo_key") == key]
            self._answer(200, {"object": "search_result", "data": found, "has_more": False, "url": path})
        else:
            self._answer(404, {"error": {"type": "invalid_request_error", "message": "Unrecognized request URL"}})

    def do_DELETE(self) -> None:
        path, _ = self._record()
        customer = path.rsplit("/", 1)[1] if path.startswith("/v1/customers/") else ""
        if customer == "cus_down":  # Stripe failing: the deletion must be refused, nothing changed
            self._answer(500, {"error": {"type": "api_error", "message": "Something went wrong on Stripe's end."}})
        elif customer == "cus_gone":  # deleted before (a retried account deletion)
            self._answer(
                404,
                {
                    "error": {
                        "type": "invalid_request_error",
                        "code": "resource_missing",
                        "message": "No such customer: 'cus_gone'",
                    }
                },
            )
        elif customer:
            self._answer(200, {"id": customer, "object": "customer", "deleted": True})
        else:
            self._answer(404, {"error": {"type": "invalid_request_error", "message": "Unrecognized request URL"}})

    def do_POST(self) -> None:
        path, form = self._record()
        one = {k: v[0] for k, v in form.items()}
        if path == "/v1/customers":
            self._answer(200, {"id": "cus_test1", "object": "customer", "email": one.get("email")})
        elif path == "/v1/setup_intents":
            self._answer(
                200,
                {
                    "id": "seti_test1",
                    "object": "setup_intent",
                    "client_secret": "seti_test1_secret_abc",
                    "customer": one.get("customer"),
                    "status": "requires_payment_method",
                    "usage": one.get("usage"),
                },
            )
        elif path == "/v1/payment_intents":
            amount = int(one["amount"])
            metadata = {k[len("metadata[") : -1]: v for k, v in one.items() if k.startswith("metadata[")}
            pid = f"pi_test{len(self.intents) + 1}"
            intent = {
                "id": pid,
                "object": "payment_intent",
                "amount": amount,
                "currency": one["currency"],
                "metadata": metadata,
            }
            if amount % 100 == 13:  # the fake declines like a card with insufficient funds
                intent.update(
                    status="requires_payment_method", last_payment_error={"decline_code": "insufficient_funds"}
                )
                self.intents[pid] = intent
                self._answer(
                    402,
                    {
                        "error": {
                            "type": "card_error",
                            "code": "card_declined",
                            "decline_code": "insufficient_funds",
                            "message": "Your card has insufficient funds.",
                            "payment_intent": intent,
                        }
                    },
                )
                return
            intent["status"] = "succeeded"
            self.intents[pid] = intent
            self._answer(200, intent)
        elif path == "/v1/refunds":
            self._answer(
                200,
                {
                    "id": "re_test1",
                    "object": "refund",
                    "amount": int(one["amount"]),
                    "payment_intent": one["payment_intent"],
                    "status": "succeeded",
                },
            )
        else:
            self._answer(404, {"error": {"type": "invalid_request_error", "message": "Unrecognized request URL"}})


@pytest.fixture
def stripe_server() -> Iterator[type[FakeStripe]]:
    FakeStripe.calls = []
    FakeStripe.intents = {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeStripe)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    with override_settings(
        PAYMENT_PROVIDER="stripe",
        STRIPE_SECRET_KEY="sk_test_123",
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STRIPE_API_BASE=base,
        STRIPE_TIMEOUT_SECONDS=5,
    ):
        yield FakeStripe
    server.shutdown()
    server.server_close()


def signed(payload: bytes, secret: str = WEBHOOK_SECRET) -> str:
    """A ``Stripe-Signature`` header as Stripe computes it (HMAC-SHA256 of ``t.payload``)."""
    t = int(time.time())
    digest = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def webhook(payload: dict[str, Any], signature: str | None = None) -> Any:
    body = json.dumps(payload).encode()
    return client_for(None).generic(
        "POST",
        "/api/v1/payments/stripe/webhook/",
        body,
        content_type="application/json",
        headers={"Stripe-Signature": signature if signature is not None else signed(body)},
    )


def setup_event(event_id: str = "evt_1") -> dict[str, Any]:
    return {
        "id": event_id,
        "object": "event",
        "type": "setup_intent.succeeded",
        "data": {
            "object": {
                "id": "seti_test1",
                "object": "setup_intent",
                "status": "succeeded",
                "payment_method": "pm_test1",
            }
        },
    }


@pytest.fixture
def world() -> dict[str, Any]:
    event = f.gala()
    cashier = f.member(event.npo, "cashier")
    donor, paddle = f.donor_paddle(event, 101)
    f.won_silent(paddle, "300", fmv="100")
    return {"event": event, "cashier": cashier, "donor": donor, "paddle": paddle}


def test_save_a_card_then_the_webhook_activates_it(world: dict[str, Any], stripe_server: type[FakeStripe]) -> None:
    registration = world["paddle"].registration
    response = client_for(world["donor"]).post(f"/api/v1/registrations/{registration.pk}/card/")
    assert response.status_code == 200, response.content
    assert response.json()["client_secret"] == "seti_test1_secret_abc" and response.json()["provider"] == "stripe"
    card = SavedCard.objects.get()
    assert (card.status, card.customer_id, card.setup_intent_id) == ("pending", "cus_test1", "seti_test1")
    customer, setup = stripe_server.calls[:2]
    assert customer["path"] == "/v1/customers" and customer["form"]["email"] == [world["donor"].email]
    assert setup["form"]["usage"] == ["off_session"] and setup["auth"] == "Bearer sk_test_123"
    assert customer["idempotency_key"] and setup["idempotency_key"]

    # A bad signature: 400, nothing changes.
    body = json.dumps(setup_event()).encode()
    bad = webhook(setup_event(), signature=signed(body, secret="whsec_wrong"))
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "INVALID_SIGNATURE"
    assert webhook(setup_event(), signature="garbage").status_code == 400
    card.refresh_from_db()
    assert card.status == "pending"

    good = webhook(setup_event())
    assert good.status_code == 200 and good.json() == {"received": True, "outcome": "card"}
    card.refresh_from_db()
    assert (card.status, card.payment_method_id, card.brand, card.last4) == ("active", "pm_test1", "visa", "4242")
    # The same event delivered again is processed once.
    assert webhook(setup_event()).json()["outcome"] == "duplicate"


def test_off_session_charge_refund_and_decline(world: dict[str, Any], stripe_server: type[FakeStripe]) -> None:
    f.saved_card(world["paddle"], provider="stripe", customer_id="cus_test1", payment_method_id="pm_test1")
    payment = payments.payment_take(
        paddle=world["paddle"], amount="250.00", method="card_on_file", actor=world["cashier"]
    )
    assert payment.status == ProviderStatus.SUCCEEDED and payment.provider_reference == "pi_test1"
    charge = next(c for c in stripe_server.calls if c["path"] == "/v1/payment_intents")
    assert charge["idempotency_key"] == payment.provider_key  # one key per payment
    assert charge["form"]["amount"] == ["25000"] and charge["form"]["off_session"] == ["true"]
    assert charge["form"]["confirm"] == ["true"] and charge["form"]["payment_method"] == ["pm_test1"]

    from apps.checkout.services import refunds

    refund = refunds.refund_take(payment=payment, amount="20.00", reason="wrong lot", actor=world["cashier"])
    assert refund.status == ProviderStatus.SUCCEEDED and refund.provider_reference == "re_test1"
    sent = next(c for c in stripe_server.calls if c["path"] == "/v1/refunds")
    assert sent["form"]["payment_intent"] == ["pi_test1"] and sent["form"]["amount"] == ["2000"]
    assert sent["idempotency_key"] == Refund.objects.get().provider_key

    # A decline: recorded failed with Stripe's reason; the balance stays due.
    declined = payments.payment_take(
        paddle=world["paddle"], amount="50.13", method="card_on_file", actor=world["cashier"]
    )
    assert declined.status == ProviderStatus.FAILED and declined.provider_reference == "pi_test2"
    assert declined.failure_reason.startswith("insufficient_funds")
    from apps.checkout import selectors

    assert selectors.statement_for_paddle(world["paddle"]).balance_due == Decimal("70.00")


def test_a_crashed_charge_is_resolved_by_searching_its_key(
    world: dict[str, Any], stripe_server: type[FakeStripe]
) -> None:
    card = f.saved_card(world["paddle"], provider="stripe", customer_id="cus_test1", payment_method_id="pm_test1")
    from apps.checkout.services.provider import get_provider

    # The charge reached Stripe but the process died before recording the answer.
    pending = payments.payment_record(paddle=world["paddle"], amount="100.00", method="card_on_file", actor=None)
    assert pending.status == ProviderStatus.PENDING
    get_provider("stripe").charge(
        key=pending.provider_key, amount=Decimal("100.00"), currency="USD", card=card, description="", metadata={}
    )
    # A second one never reached Stripe.
    lost = payments.payment_record(paddle=world["paddle"], amount="50.00", method="card_on_file", actor=None)
    charges_before = sum(c["path"] == "/v1/payment_intents" for c in stripe_server.calls)
    assert payments.payment_resolve_pending(payment=pending).status == ProviderStatus.SUCCEEDED
    assert payments.payment_resolve_pending(payment=lost).status == ProviderStatus.FAILED
    assert (
        sum(c["path"] == "/v1/payment_intents" for c in stripe_server.calls) == charges_before
    )  # asked, never charged
    assert Payment.objects.get(pk=pending.pk).provider_reference == "pi_test1"


def test_the_webhook_is_404_without_the_stripe_provider(world: dict[str, Any]) -> None:
    response = webhook(setup_event())
    assert response.status_code == 404


def test_payment_intent_webhooks_settle_a_pending_payment(
    world: dict[str, Any], stripe_server: type[FakeStripe]
) -> None:
    f.saved_card(world["paddle"], provider="stripe", customer_id="cus_test1", payment_method_id="pm_test1")
    won = payments.payment_record(paddle=world["paddle"], amount="100.00", method="card_on_file", actor=None)
    lost = payments.payment_record(paddle=world["paddle"], amount="50.00", method="card_on_file", actor=None)
    for event_id, kind, payment, extra in (
        ("evt_ok", "payment_intent.succeeded", won, {}),
        ("evt_no", "payment_intent.payment_failed", lost, {"last_payment_error": {"decline_code": "expired_card"}}),
    ):
        intent = {"id": f"pi_{event_id}", "object": "payment_intent", "metadata": {"augeo_key": payment.provider_key}}
        body = {"id": event_id, "object": "event", "type": kind, "data": {"object": {**intent, **extra}}}
        assert webhook(body).json()["outcome"] == "payment"
    won.refresh_from_db()
    lost.refresh_from_db()
    assert (won.status, won.provider_reference) == (ProviderStatus.SUCCEEDED, "pi_evt_ok")
    assert lost.status == ProviderStatus.FAILED and "expired_card" in lost.failure_reason
    assert not [c for c in stripe_server.calls if c["path"] == "/v1/payment_intents"]  # settled, never charged


def test_account_deletion_deletes_the_stripe_customer_first(stripe_server: type[FakeStripe]) -> None:
    from apps.core.exceptions import ServiceUnavailable
    from apps.legal.services.deletion import account_delete
    from apps.users.models import User

    event = f.gala()
    donor, paddle = f.donor_paddle(event, 101)
    card = f.saved_card(paddle, provider="stripe", customer_id="cus_down", payment_method_id="pm_test1")
    with pytest.raises(ServiceUnavailable):
        account_delete(user=donor, actor=donor)
    assert [c["method"] for c in stripe_server.calls if c["path"] == "/v1/customers/cus_down"] != []
    card.refresh_from_db()
    assert card.customer_id == "cus_down" and User.objects.get(pk=donor.pk).is_active  # nothing changed

    SavedCard.objects.filter(pk=card.pk).update(customer_id="cus_test1")
    other_donor, other_paddle = f.donor_paddle(event, 102)
    gone = f.saved_card(other_paddle, provider="stripe", customer_id="cus_gone")
    account_delete(user=donor, actor=donor)
    account_delete(user=other_donor, actor=other_donor)  # already gone at Stripe: still deleted
    deletes = [(c["method"], c["path"], c["auth"]) for c in stripe_server.calls if c["method"] == "DELETE"]
    assert ("DELETE", "/v1/customers/cus_test1", "Bearer sk_test_123") in deletes
    assert ("DELETE", "/v1/customers/cus_gone", "Bearer sk_test_123") in deletes
    card.refresh_from_db()
    gone.refresh_from_db()
    assert card.customer_id == "" and card.payment_method_id == "" and gone.customer_id == ""
    assert not User.objects.get(pk=donor.pk).is_active
