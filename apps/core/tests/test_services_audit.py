"""audit_record: who, what, which object, from where, in the caller's transaction."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.test import RequestFactory

from apps.core.logging import request_id_var
from apps.core.models import AuditEntry
from apps.core.net import client_ip
from apps.core.services import audit_record
from apps.npos.tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def test_records_actor_object_npo_ip_and_request_id(user, settings):
    settings.NUM_PROXIES = 1
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    membership = MembershipFactory(user=user)
    request = RequestFactory().post("/x", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    token = request_id_var.set("req-123")
    try:
        entry = audit_record(
            actor=user,
            action="membership.role_changed",
            obj=membership,
            ip=client_ip(request),
            details={"to": "staff"},
        )
    finally:
        request_id_var.reset(token)
    entry.refresh_from_db()
    assert entry.actor == user
    assert entry.action == "membership.role_changed"
    assert entry.object_type == "npos.membership"
    assert entry.object_id == str(membership.pk)
    assert entry.object_repr == str(membership)[:200]
    assert entry.npo_id == membership.npo_id
    assert entry.ip_address == "203.0.113.9"
    assert entry.request_id == "req-123"
    assert entry.details == {"to": "staff"}


def test_anonymous_and_system_actors_are_stored_as_none():
    anonymous = audit_record(actor=AnonymousUser(), action="auth.login_failed", details={"email": "x@example.org"})
    system = audit_record(actor=None, action="auctions.closed", npo_id=uuid.uuid4())
    assert anonymous.actor is None and system.actor is None
    assert anonymous.object_type == "" and anonymous.request_id == ""
    assert system.npo_id is not None


def test_services_take_the_address_not_the_request():
    """Services (and so the audit log) take ``actor`` and ``ip``: the admin, commands and tasks call them
    without faking an HTTP request."""
    import inspect

    from apps.attendance.services import checkin
    from apps.auctions.services import bidding
    from apps.npos.services.npos import npo_create

    for func in (audit_record, bidding.bid_place, checkin.guest_check_in, npo_create):
        assert "request" not in inspect.signature(func).parameters and "ip" in inspect.signature(func).parameters


def test_entry_rolls_back_with_the_service_transaction(user):
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(actor=user, action="bid.placed")
        raise RuntimeError("the service failed")
    assert not AuditEntry.objects.exists()


def test_str_mentions_action():
    entry = audit_record(actor=None, action="export.csv")
    assert "export.csv" in str(entry)
