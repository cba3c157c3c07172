from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from apps.core.models import AuditEntry
from apps.npos.capabilities import Role
from apps.npos.models import Invitation, InvitationStatus, Membership, MembershipStatus
from apps.npos.services.team import token_hash
from apps.npos.tests.factories import MembershipFactory, NPOFactory
from apps.users.tests.factories import UserFactory
from conftest import client_for

pytestmark = pytest.mark.django_db


def _token_from_outbox() -> str:
    match = re.search(r"token=([A-Za-z0-9_\-]+)", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


def _invite(client, npo, email, role="staff", capture=None):
    if capture is None:
        return client.post(f"/api/v1/npos/{npo.pk}/invitations/", {"email": email, "role": role})
    with capture(execute=True):
        return client.post(f"/api/v1/npos/{npo.pk}/invitations/", {"email": email, "role": role})


# --- members ------------------------------------------------------------------------------------


def test_members_list_shape_and_constant_queries(npo, npo_admin, member_of, django_assert_num_queries):
    for _ in range(6):
        member_of(Role.STAFF)
    MembershipFactory(npo=NPOFactory(), user=UserFactory(), role=Role.ADMIN)  # another NPO
    client = client_for(member_of(Role.CASHIER))
    with django_assert_num_queries(3):
        small = client.get(f"/api/v1/npos/{npo.pk}/members/?page_size=2")
    with django_assert_num_queries(3):
        large = client.get(f"/api/v1/npos/{npo.pk}/members/?page_size=50")
    assert small.status_code == 200
    assert large.json()["count"] == 8
    first = large.json()["results"][0]
    assert set(first) >= {"id", "user", "role", "status"}
    assert set(first["user"]) == {"id", "email", "first_name", "last_name"}
    assert client.get(f"/api/v1/npos/{npo.pk}/members/?role=admin").json()["count"] == 1


def test_members_of_invisible_npo_is_404(npo):
    assert client_for(UserFactory()).get(f"/api/v1/npos/{npo.pk}/members/").status_code == 404


def test_change_role_and_last_admin(npo, npo_admin, member_of):
    staff = member_of(Role.STAFF)
    client = client_for(npo_admin)
    staff_membership = Membership.objects.get(user=staff)
    admin_membership = Membership.objects.get(user=npo_admin)
    url = f"/api/v1/npos/{npo.pk}/members/{staff_membership.pk}/"
    response = client.patch(url, {"role": "coordinator"})
    assert response.status_code == 200
    assert response.json()["role"] == "coordinator"
    assert client.patch(url, {"role": "overlord"}).status_code == 400
    # Coordinators lack team.manage.
    assert client_for(staff).patch(url, {"role": "admin"}).status_code == 403
    last = client.patch(f"/api/v1/npos/{npo.pk}/members/{admin_membership.pk}/", {"role": "staff"})
    assert last.status_code == 409
    assert last.json()["error"]["code"] == "LAST_ADMIN"
    removed = client.delete(f"/api/v1/npos/{npo.pk}/members/{admin_membership.pk}/")
    assert removed.status_code == 409
    assert removed.json()["error"]["code"] == "LAST_ADMIN"
    # With a second admin the first may step down.
    client.patch(url, {"role": "admin"})
    assert client.patch(f"/api/v1/npos/{npo.pk}/members/{admin_membership.pk}/", {"role": "staff"}).status_code == 200
    assert AuditEntry.objects.filter(action="membership.role_change").count() == 3


def test_remove_member_clears_staff_and_is_audited(npo, npo_admin, member_of):
    cashier = member_of(Role.CASHIER)
    membership = Membership.objects.get(user=cashier)
    client = client_for(npo_admin)
    url = f"/api/v1/npos/{npo.pk}/members/{membership.pk}/"
    assert client.delete(url).status_code == 204
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.REMOVED
    cashier.refresh_from_db()
    assert not cashier.is_staff
    assert client.delete(url).status_code == 204  # idempotent
    assert client.patch(url, {"role": "staff"}).status_code == 409
    assert AuditEntry.objects.filter(action="membership.remove", object_id=str(membership.pk)).count() == 1
    # The removed member no longer sees the NPO.
    assert client_for(cashier).get(f"/api/v1/npos/{npo.pk}/").status_code == 404


def test_member_of_other_npo_is_404(npo, npo_admin):
    foreign = MembershipFactory(npo=NPOFactory(), user=UserFactory(), role=Role.STAFF)
    assert client_for(npo_admin).delete(f"/api/v1/npos/{npo.pk}/members/{foreign.pk}/").status_code == 404


# --- invitations --------------------------------------------------------------------------------


def test_invite_accept_flow(npo, npo_admin, django_capture_on_commit_callbacks):
    response = _invite(
        client_for(npo_admin), npo, "New.Person@Example.org", "cashier", django_capture_on_commit_callbacks
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["email"] == "new.person@example.org"
    assert body["status"] == "pending"
    assert "token" not in body
    token = _token_from_outbox()
    invitation = Invitation.objects.get(pk=body["id"])
    assert invitation.token_hash == token_hash(token)
    assert token not in invitation.token_hash
    assert invitation.expires_at - timezone.now() > timedelta(days=6, hours=23)

    invitee = UserFactory(email="new.person@example.org")
    accepted = client_for(invitee).post("/api/v1/invitations/accept/", {"token": token})
    assert accepted.status_code == 200, accepted.json()
    assert accepted.json()["role"] == "cashier"
    assert accepted.json()["npo"]["id"] == str(npo.pk)
    invitee.refresh_from_db()
    assert invitee.is_staff
    # Single use: a second try by the (now) member is ALREADY_MEMBER; nobody else can use it either.
    again = client_for(invitee).post("/api/v1/invitations/accept/", {"token": token})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "ALREADY_MEMBER"
    assert AuditEntry.objects.filter(action="membership.join", actor=invitee).exists()


def test_accept_wrong_email_unknown_and_anonymous(npo, npo_admin, django_capture_on_commit_callbacks):
    _invite(client_for(npo_admin), npo, "right@example.org", capture=django_capture_on_commit_callbacks)
    token = _token_from_outbox()
    wrong = client_for(UserFactory(email="wrong@example.org")).post("/api/v1/invitations/accept/", {"token": token})
    assert wrong.status_code == 403
    assert client_for(None).post("/api/v1/invitations/accept/", {"token": token}).status_code == 401
    unknown = client_for(UserFactory()).post("/api/v1/invitations/accept/", {"token": "nope"})
    assert unknown.status_code == 404
    assert client_for(UserFactory()).post("/api/v1/invitations/accept/", {}).status_code == 400


def test_accept_expired_and_revoked_are_gone(npo, npo_admin, django_capture_on_commit_callbacks):
    client = client_for(npo_admin)
    response = _invite(client, npo, "late@example.org", capture=django_capture_on_commit_callbacks)
    token = _token_from_outbox()
    invitee = UserFactory(email="late@example.org")
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        expired = client_for(invitee).post("/api/v1/invitations/accept/", {"token": token})
        assert expired.status_code == 410
        assert expired.json()["error"]["code"] == "GONE"
        listed = client.get(f"/api/v1/npos/{npo.pk}/invitations/").json()["results"][0]
        assert listed["status"] == "expired"
    # Resend: a new token; the old one stops working.
    with django_capture_on_commit_callbacks(execute=True):
        resent = client.post(f"/api/v1/npos/{npo.pk}/invitations/{response.json()['id']}/resend/")
    assert resent.status_code == 200
    assert resent.json()["sent_count"] == 2
    new_token = _token_from_outbox()
    assert new_token != token
    # The replaced token is refused like a revoked one (410), not as unknown.
    replaced = client_for(invitee).post("/api/v1/invitations/accept/", {"token": token})
    assert replaced.status_code == 410
    assert replaced.json()["error"]["code"] == "GONE"
    # Only the invited address learns that: anyone else gets the same 403 as for the live token.
    assert client_for(UserFactory()).post("/api/v1/invitations/accept/", {"token": token}).status_code == 403
    # A token of the same shape naming no invitation is unknown (404).
    forged = uuid.uuid4().hex + token[32:]
    assert client_for(invitee).post("/api/v1/invitations/accept/", {"token": forged}).status_code == 404
    # Revoke: the new token is now gone too.
    assert client.delete(f"/api/v1/npos/{npo.pk}/invitations/{response.json()['id']}/").status_code == 204
    revoked = client_for(invitee).post("/api/v1/invitations/accept/", {"token": new_token})
    assert revoked.status_code == 410
    assert client.post(f"/api/v1/npos/{npo.pk}/invitations/{response.json()['id']}/resend/").status_code == 409
    assert client.delete(f"/api/v1/npos/{npo.pk}/invitations/{response.json()['id']}/").status_code == 204
    assert {"invitation.create", "invitation.resend", "invitation.revoke"} <= set(
        AuditEntry.objects.values_list("action", flat=True)
    )


def test_invite_active_member_conflict_and_reinvite_replaces(npo, npo_admin, member_of):
    staff = member_of(Role.STAFF)
    client = client_for(npo_admin)
    conflict = _invite(client, npo, staff.email.upper())
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "ALREADY_MEMBER"
    first = _invite(client, npo, "twice@example.org").json()
    second = _invite(client, npo, "twice@example.org", "coordinator").json()
    assert Invitation.objects.get(pk=first["id"]).status == InvitationStatus.REVOKED
    assert Invitation.objects.get(pk=second["id"]).status == InvitationStatus.PENDING
    assert _invite(client, npo, "x@example.org", "king").status_code == 400
    assert _invite(client, npo, "not-an-email").status_code == 400


def test_removed_member_reinvited_is_reactivated(npo, npo_admin, member_of, django_capture_on_commit_callbacks):
    former = member_of(Role.STAFF)
    membership = Membership.objects.get(user=former)
    client = client_for(npo_admin)
    client.delete(f"/api/v1/npos/{npo.pk}/members/{membership.pk}/")
    _invite(client, npo, former.email, "auctioneer", django_capture_on_commit_callbacks)
    accepted = client_for(former).post("/api/v1/invitations/accept/", {"token": _token_from_outbox()})
    assert accepted.status_code == 200
    assert accepted.json()["id"] == str(membership.pk)
    membership.refresh_from_db()
    assert (membership.role, membership.status) == (Role.AUCTIONEER, MembershipStatus.ACTIVE)


def test_invitations_need_team_manage(npo, npo_admin, member_of, django_assert_num_queries):
    coordinator = member_of(Role.COORDINATOR)
    assert client_for(coordinator).get(f"/api/v1/npos/{npo.pk}/invitations/").status_code == 403
    assert _invite(client_for(coordinator), npo, "a@example.org").status_code == 403
    assert client_for(UserFactory()).get(f"/api/v1/npos/{npo.pk}/invitations/").status_code == 404
    client = client_for(npo_admin)
    for i in range(5):
        _invite(client, npo, f"p{i}@example.org")
    with django_assert_num_queries(4):
        small = client.get(f"/api/v1/npos/{npo.pk}/invitations/?page_size=1")
    with django_assert_num_queries(4):
        large = client.get(f"/api/v1/npos/{npo.pk}/invitations/?page_size=5")
    assert small.json()["count"] == 5
    assert len(large.json()["results"]) == 5
    assert client.get(f"/api/v1/npos/{npo.pk}/invitations/?status=pending").json()["count"] == 5


def test_invitation_of_deleted_npo_is_gone(npo, npo_admin, django_capture_on_commit_callbacks):
    _invite(client_for(npo_admin), npo, "ghost@example.org", capture=django_capture_on_commit_callbacks)
    token = _token_from_outbox()
    npo.deleted_at = timezone.now()
    npo.save()
    response = client_for(UserFactory(email="ghost@example.org")).post("/api/v1/invitations/accept/", {"token": token})
    assert response.status_code == 410


def test_invitation_email_contains_npo_and_role(npo, npo_admin, django_capture_on_commit_callbacks):
    _invite(client_for(npo_admin), npo, "who@example.org", "auctioneer", django_capture_on_commit_callbacks)
    message = mail.outbox[-1]
    assert message.to == ["who@example.org"]
    assert npo.name in message.subject
    assert "Auctioneer" in message.body
    assert "&#x27;" not in message.body and "&amp;" not in message.body


def test_accept_after_resend_uses_the_new_token(npo, npo_admin, django_capture_on_commit_callbacks):
    """Resend twice: only the latest token works; both older ones answer 410, and the accepted
    invitation's tokens then answer 409 to the new member (ALREADY_MEMBER)."""
    client = client_for(npo_admin)
    created = _invite(client, npo, "thrice@example.org", capture=django_capture_on_commit_callbacks).json()
    tokens = [_token_from_outbox()]
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/api/v1/npos/{npo.pk}/invitations/{created['id']}/resend/")
        tokens.append(_token_from_outbox())
    invitee = UserFactory(email="thrice@example.org")
    accept = client_for(invitee)
    assert [accept.post("/api/v1/invitations/accept/", {"token": t}).status_code for t in tokens[:2]] == [410, 410]
    assert accept.post("/api/v1/invitations/accept/", {"token": tokens[2]}).status_code == 200
    assert accept.post("/api/v1/invitations/accept/", {"token": tokens[0]}).json()["error"]["code"] == "ALREADY_MEMBER"
