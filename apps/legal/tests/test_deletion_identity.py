"""Account deletion leaves no identity behind: the audit log (IP addresses of their own entries, their
address and name in ``object_repr`` and ``details``), the contact messages sent from their address,
and the payment provider's customer — deleted there first, through the provider interface, or the
deletion is refused with nothing changed."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings

from apps.attendance.services.checkin import guest_check_in
from apps.auctions.tests.factories import register
from apps.checkout.models import EmbeddedProviderCall, SavedCard
from apps.checkout.services.provider import EmbeddedProvider, ProviderError
from apps.checkout.tests import factories as f
from apps.core.models import AuditEntry, OutboxEmail
from apps.core.services import audit_record
from apps.events.tests.factories import PublishedEventFactory
from apps.legal.models import ContactMessage
from apps.legal.services.deletion import DELETED_NAME, account_delete
from apps.legal.services.public import contact_message_mark_handled, contact_message_submit
from apps.npos.tests.factories import MembershipFactory
from apps.users.models import User
from apps.users.services.sessions import password_reset_request
from apps.users.tests.factories import DEFAULT_PASSWORD, UserFactory
from conftest import client_for

pytestmark = pytest.mark.django_db
URL = "/api/v1/privacy/delete-account/"


def _everything_said(entry: AuditEntry) -> str:
    return f"{entry.object_repr} {json.dumps(entry.details)}".lower()


def test_the_audit_log_no_longer_names_them_and_keeps_the_facts(donor):
    event = PublishedEventFactory()
    staff = UserFactory()
    MembershipFactory(npo=event.npo, user=staff, role="staff")
    guest = register(event, donor, paddle_number=101)
    guest_check_in(guest=guest, actor=staff, ip="198.51.100.7")  # staff's entry about their guest
    password_reset_request(email=donor.email.upper(), ip="203.0.113.9")  # their account, their address
    audit_record(
        actor=donor,
        action="bid.place",
        obj=guest,
        ip="203.0.113.9",
        details={"bidder_number": 101, "amount": "120.00", "note": "Dana Donor <DANA@example.org>"},
    )
    mine = set(AuditEntry.objects.filter(actor=donor).values_list("pk", flat=True))
    assert any("dana@example.org" in _everything_said(e) for e in AuditEntry.objects.all())

    account_delete(user=donor, actor=donor, ip="203.0.113.9")

    donor.refresh_from_db()
    for entry in AuditEntry.objects.all():
        said = _everything_said(entry)
        assert "dana@example.org" not in said and "dana donor" not in said, (entry.action, said)
        if entry.pk in mine or (entry.object_type == "users.user" and entry.object_id == str(donor.pk)):
            assert entry.ip_address is None, entry.action
    bid = AuditEntry.objects.get(action="bid.place")
    assert bid.details == {"bidder_number": 101, "amount": "120.00", "note": f"{DELETED_NAME} <{donor.email}>"}
    reset = AuditEntry.objects.get(action="auth.password_reset_requested")
    assert reset.details == {"email": donor.email} and reset.object_repr == donor.email
    check_in = AuditEntry.objects.get(action="attendance.guest_checked_in")
    assert check_in.object_repr == DELETED_NAME and check_in.ip_address == "198.51.100.7"  # staff's own address
    assert AuditEntry.objects.get(action="privacy.account_deleted").ip_address is None


@override_settings(AUGEO_CONTACT_EMAIL="hello@augeo.example")
def test_their_contact_messages_are_scrubbed(donor):
    kept = contact_message_submit(name="Someone", email="someone@example.net", subject="Hi", message="Hello")
    sent = contact_message_submit(
        name="Dana Donor",
        email="DANA@example.org",
        subject="My phone is 555-0100",
        message="Call me, Dana",
        ip="203.0.113.9",
        user_agent="Firefox",
    )
    admin = UserFactory(is_superuser=True)
    contact_message_mark_handled(message=sent, actor=admin)

    account_delete(user=donor, actor=donor)

    sent.refresh_from_db()
    donor.refresh_from_db()
    assert (sent.name, sent.email, sent.subject, sent.message) == (DELETED_NAME, donor.email, "", "")
    assert sent.ip_address is None and sent.user_agent == "" and sent.handled
    copy = OutboxEmail.objects.get(ref=f"legal.contactmessage:{sent.pk}")
    assert copy.context == {} and copy.status == "cancelled"
    assert OutboxEmail.objects.get(ref=f"legal.contactmessage:{kept.pk}").context["sender_name"] == "Someone"
    assert ContactMessage.objects.get(pk=kept.pk).name == "Someone"
    assert AuditEntry.objects.get(action="contact.handled").object_repr == DELETED_NAME


def test_the_providers_customer_is_deleted_first_then_forgotten(donor):
    _, paddle = f.donor_paddle(f.gala(), 101, user=donor)
    card = f.saved_card(paddle, customer_id="emb_cus_abc")

    account_delete(user=donor, actor=donor)

    assert EmbeddedProviderCall.objects.filter(kind="customer", key="delete-emb_cus_abc").count() == 1
    card.refresh_from_db()
    assert card.customer_id == "" and card.payment_method_id == ""


def test_a_provider_failure_refuses_the_deletion_with_nothing_changed(donor, monkeypatch):
    _, paddle = f.donor_paddle(f.gala(), 101, user=donor)
    card = f.saved_card(paddle, customer_id="emb_cus_abc")

    def down(self, *, customer_id):
        raise ProviderError("unreachable")

    monkeypatch.setattr(EmbeddedProvider, "delete_customer", down)
    before = User.objects.get(pk=donor.pk)

    response = client_for(donor).post(URL, {"password": DEFAULT_PASSWORD}, format="json")

    assert response.status_code == 503, response.content
    assert response.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert "nothing changed" in response.json()["error"]["message"]
    after = User.objects.get(pk=donor.pk)
    assert (after.email, after.first_name, after.is_active) == (before.email, before.first_name, True)
    assert SavedCard.objects.get(pk=card.pk).customer_id == "emb_cus_abc"
    assert not AuditEntry.objects.filter(action="privacy.account_deleted").exists()
    monkeypatch.undo()
    assert client_for(donor).post(URL, {"password": DEFAULT_PASSWORD}, format="json").status_code == 200
    assert SavedCard.objects.get(pk=card.pk).customer_id == ""
