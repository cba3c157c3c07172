"""The NPO invitation page: sign in or sign up, then accept through ``invitation_accept``."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.npos.models import Invitation, Membership
from apps.npos.services.team import invitation_create
from apps.npos.tests.factories import MembershipFactory, NPOFactory
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_invitation_page_asks_to_sign_in_then_accepts() -> None:
    npo = NPOFactory(name="Food Bank")
    admin = MembershipFactory(npo=npo).user
    invitee = UserFactory(email="vol@example.org")
    _, token = invitation_create(npo=npo, email=invitee.email, role="staff", actor=admin)
    path = f"/invitations/accept/?token={token}"
    anonymous = Client().get(path)
    assert (
        anonymous.status_code == 200
        and b"Join Food Bank" in anonymous.content
        and b"/sign-in/?next=" in anonymous.content
    )
    client = Client()
    client.force_login(invitee)
    assert not Membership.objects.filter(user=invitee).exists()  # the GET accepted nothing
    res = client.post("/invitations/accept/", {"token": token})
    assert res.status_code == 200 and b'data-state="accepted"' in res.content
    assert Membership.objects.get(user=invitee).role == "staff"
    assert Invitation.objects.get().status == "accepted"
    again = client.post("/invitations/accept/", {"token": token})
    assert again.status_code == 409  # ALREADY_MEMBER, as the API answers
