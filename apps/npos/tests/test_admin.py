"""The admin is tenant-scoped: an NPO admin cannot list, open, edit, choose or act on another NPO's objects."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.utils import timezone

from apps.npos.capabilities import Role
from apps.npos.models import NPO, Invitation, InvitationStatus, Membership, MembershipStatus, NPOStatus
from apps.npos.services.team import token_hash
from apps.npos.tests.factories import MembershipFactory, NPOFactory
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _invitation(npo, email):
    return Invitation.objects.create(
        npo=npo,
        email=email,
        role=Role.STAFF,
        token_hash=token_hash(email),
        expires_at=timezone.now() + timedelta(days=7),
    )


@pytest.fixture
def tenants():
    npo_a = NPOFactory(name="Alpha Aid")
    npo_b = NPOFactory(name="Beta Benevolent")
    admin_a = UserFactory(email="admin-a@example.org", is_staff=True)
    admin_b = UserFactory(email="admin-b@example.org", is_staff=True)
    MembershipFactory(npo=npo_a, user=admin_a, role=Role.ADMIN)
    MembershipFactory(npo=npo_b, user=admin_b, role=Role.ADMIN)
    return {
        "a": npo_a,
        "b": npo_b,
        "admin_a": admin_a,
        "admin_b": admin_b,
        "inv_a": _invitation(npo_a, "join-a@example.org"),
        "inv_b": _invitation(npo_b, "join-b@example.org"),
    }


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_member_may_enter_admin_and_donor_may_not(tenants):
    assert _login(tenants["admin_a"]).get("/admin/").status_code == 200
    donor = UserFactory()
    response = _login(donor).get("/admin/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_changelists_show_only_own_npo(tenants):
    client = _login(tenants["admin_a"])
    for url in ("/admin/npos/npo/", "/admin/npos/membership/", "/admin/npos/invitation/"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert b"Alpha Aid" in page.content or b"join-a@example.org" in page.content
        assert b"Beta Benevolent" not in page.content, url
        assert b"admin-b@example.org" not in page.content
        assert b"join-b@example.org" not in page.content


def test_foreign_object_by_url_is_not_found(tenants):
    client = _login(tenants["admin_a"])
    for url in (
        f"/admin/npos/npo/{tenants['b'].pk}/change/",
        f"/admin/npos/invitation/{tenants['inv_b'].pk}/change/",
        f"/admin/npos/membership/{Membership.objects.get(user=tenants['admin_b']).pk}/change/",
        f"/admin/npos/npo/{tenants['b'].pk}/delete/",
    ):
        response = client.get(url)
        assert response.status_code == 302, url  # Django: "doesn't exist. Perhaps it was deleted?"
        assert response["Location"] == "/admin/"


def test_foreign_object_cannot_be_edited(tenants):
    client = _login(tenants["admin_a"])
    response = client.post(f"/admin/npos/npo/{tenants['b'].pk}/change/", {"name": "Hijacked", "currency": "USD"})
    assert response.status_code == 302
    tenants["b"].refresh_from_db()
    assert tenants["b"].name == "Beta Benevolent"


def test_dropdowns_offer_only_own_npos(tenants):
    client = _login(tenants["admin_a"])
    page = client.get("/admin/npos/invitation/add/")
    assert page.status_code == 200
    assert str(tenants["a"].pk).encode() in page.content
    assert str(tenants["b"].pk).encode() not in page.content
    response = client.post(
        "/admin/npos/invitation/add/", {"npo": str(tenants["b"].pk), "email": "sneaky@example.org", "role": "staff"}
    )
    assert response.status_code == 200  # the form answers with an error
    assert not Invitation.objects.filter(email="sneaky@example.org").exists()
    ok = client.post(
        "/admin/npos/invitation/add/", {"npo": str(tenants["a"].pk), "email": "fine@example.org", "role": "staff"}
    )
    assert ok.status_code == 302
    created = Invitation.objects.get(email="fine@example.org")
    assert created.npo == tenants["a"]
    assert created.invited_by == tenants["admin_a"]


def test_list_filter_offers_only_own_npos(tenants):
    page = _login(tenants["admin_a"]).get("/admin/npos/membership/")
    assert b"Beta Benevolent" not in page.content


def test_actions_skip_foreign_rows(tenants):
    client = _login(tenants["admin_a"])
    response = client.post(
        "/admin/npos/invitation/",
        {"action": "revoke_invitations", ACTION_CHECKBOX_NAME: [str(tenants["inv_b"].pk), str(tenants["inv_a"].pk)]},
    )
    assert response.status_code == 302
    tenants["inv_a"].refresh_from_db()
    tenants["inv_b"].refresh_from_db()
    assert tenants["inv_a"].status == InvitationStatus.REVOKED
    assert tenants["inv_b"].status == InvitationStatus.PENDING


def test_super_admin_actions_hidden_and_refused_for_members(tenants):
    NPO.objects.filter(pk=tenants["a"].pk).update(status=NPOStatus.PENDING_APPROVAL)
    client = _login(tenants["admin_a"])
    page = client.get("/admin/npos/npo/")
    assert b"Approve selected" not in page.content
    assert b"delete_selected" not in page.content
    client.post("/admin/npos/npo/", {"action": "approve", ACTION_CHECKBOX_NAME: [str(tenants["a"].pk)]})
    tenants["a"].refresh_from_db()
    assert tenants["a"].status == NPOStatus.PENDING_APPROVAL


def test_super_admin_sees_everything_and_decides(tenants, django_capture_on_commit_callbacks):
    root = UserFactory(is_superuser=True, is_staff=True)
    client = _login(root)
    page = client.get("/admin/npos/npo/")
    assert b"Alpha Aid" in page.content and b"Beta Benevolent" in page.content
    NPO.objects.filter(pk__in=[tenants["a"].pk, tenants["b"].pk]).update(status=NPOStatus.PENDING_APPROVAL)
    client.post("/admin/npos/npo/", {"action": "approve", ACTION_CHECKBOX_NAME: [str(tenants["a"].pk)]})
    tenants["a"].refresh_from_db()
    assert tenants["a"].status == NPOStatus.APPROVED
    # Reject asks for notes on an intermediate page, then applies them.
    ask = client.post("/admin/npos/npo/", {"action": "reject", ACTION_CHECKBOX_NAME: [str(tenants["b"].pk)]})
    assert ask.status_code == 200
    assert b"notes" in ask.content
    client.post(
        "/admin/npos/npo/",
        {"action": "reject", "apply": "1", "notes": "Incomplete", ACTION_CHECKBOX_NAME: [str(tenants["b"].pk)]},
    )
    tenants["b"].refresh_from_db()
    assert (tenants["b"].status, tenants["b"].review_notes) == (NPOStatus.REJECTED, "Incomplete")
    # A refused transition is reported, not a crash.
    response = client.post(
        "/admin/npos/npo/", {"action": "reinstate", ACTION_CHECKBOX_NAME: [str(tenants["a"].pk)]}, follow=True
    )
    assert response.status_code == 200
    assert b"cannot be reinstated" in response.content
    client.post("/admin/npos/npo/", {"action": "suspend", ACTION_CHECKBOX_NAME: [str(tenants["a"].pk)]})
    tenants["a"].refresh_from_db()
    assert tenants["a"].status == NPOStatus.SUSPENDED


def test_staff_role_sees_but_cannot_change(tenants):
    staff = UserFactory(is_staff=True)
    MembershipFactory(npo=tenants["a"], user=staff, role=Role.STAFF)
    client = _login(staff)
    page = client.get(f"/admin/npos/npo/{tenants['a'].pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    response = client.post(f"/admin/npos/npo/{tenants['a'].pk}/change/", {"name": "Changed", "currency": "USD"})
    assert response.status_code == 403
    # Invitations need team.manage: not even listed.
    assert client.get("/admin/npos/invitation/").status_code == 403


def test_admin_edits_go_through_services(tenants):
    client = _login(tenants["admin_a"])
    npo = tenants["a"]
    data = {
        "name": "Alpha Aid International",
        "description": npo.description,
        "email": npo.email,
        "phone": npo.phone,
        "tax_id": npo.tax_id,
        "address_line1": npo.address_line1,
        "city": npo.city,
        "postal_code": npo.postal_code,
        "country": "us",
        "currency": "cad",
        "primary_color": "#AABBCC",
        "social_links": "{}",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }
    response = client.post(f"/admin/npos/npo/{npo.pk}/change/", data)
    assert response.status_code == 302, response.content[:2000]
    npo.refresh_from_db()
    assert (npo.name, npo.currency, npo.country, npo.primary_color) == (
        "Alpha Aid International",
        "CAD",
        "US",
        "#AABBCC",
    )
    bad = client.post(f"/admin/npos/npo/{npo.pk}/change/", {**data, "primary_color": "blue", "name": "beta benevolent"})
    assert bad.status_code == 200
    assert b"#RRGGBB" in bad.content
    assert b"already exists" in bad.content


def test_inline_role_change_respects_last_admin(tenants):
    client = _login(tenants["admin_a"])
    npo = tenants["a"]
    membership = Membership.objects.get(user=tenants["admin_a"])
    data = {
        "name": npo.name,
        "currency": "USD",
        "social_links": "{}",
        "memberships-TOTAL_FORMS": "1",
        "memberships-INITIAL_FORMS": "1",
        "memberships-0-id": str(membership.pk),
        "memberships-0-npo": str(npo.pk),
        "memberships-0-role": "staff",
    }
    response = client.post(f"/admin/npos/npo/{npo.pk}/change/", data, follow=True)
    assert response.status_code == 200
    assert b"last admin" in response.content
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN


def test_membership_remove_action_and_staff_status(tenants):
    client = _login(tenants["admin_a"])
    helper = UserFactory(is_staff=True)
    membership = MembershipFactory(npo=tenants["a"], user=helper, role=Role.STAFF)
    foreign = Membership.objects.get(user=tenants["admin_b"])
    client.post(
        "/admin/npos/membership/",
        {"action": "remove_members", ACTION_CHECKBOX_NAME: [str(membership.pk), str(foreign.pk)]},
    )
    membership.refresh_from_db()
    foreign.refresh_from_db()
    assert membership.status == MembershipStatus.REMOVED
    assert foreign.status == MembershipStatus.ACTIVE
    helper.refresh_from_db()
    assert not helper.is_staff
    assert _login(helper).get("/admin/").status_code == 302


def test_delete_npo_with_published_events_is_refused(tenants):
    from django.apps import apps

    apps.get_model("events", "Event").objects.create(
        npo=tenants["a"],
        name="Gala",
        slug="alpha-gala",
        status="published",
        starts_at=timezone.now() + timedelta(days=2),
        ends_at=timezone.now() + timedelta(days=2, hours=3),
    )
    client = _login(tenants["admin_a"])
    response = client.post(f"/admin/npos/npo/{tenants['a'].pk}/delete/", {"post": "yes"}, follow=True)
    assert response.status_code == 200
    assert b"published events" in response.content
    assert NPO.objects.filter(pk=tenants["a"].pk).exists()


def test_resend_action_issues_new_token(tenants):
    client = _login(tenants["admin_a"])
    before = tenants["inv_a"].token_hash
    client.post(
        "/admin/npos/invitation/",
        {"action": "resend_invitations", ACTION_CHECKBOX_NAME: [str(tenants["inv_a"].pk)]},
    )
    tenants["inv_a"].refresh_from_db()
    assert tenants["inv_a"].token_hash != before
    assert tenants["inv_a"].sent_count == 2


def test_actions_need_the_capability_per_npo(tenants):
    """Admin in A but only staff in C: the remove action works in A and skips C's rows."""
    npo_c = NPOFactory(name="Gamma Giving")
    MembershipFactory(npo=npo_c, user=tenants["admin_a"], role=Role.STAFF)
    in_c = MembershipFactory(npo=npo_c, user=UserFactory(), role=Role.CASHIER)
    client = _login(tenants["admin_a"])
    response = client.post(
        "/admin/npos/membership/",
        {"action": "remove_members", ACTION_CHECKBOX_NAME: [str(in_c.pk)]},
        follow=True,
    )
    assert b"skipped" in response.content
    in_c.refresh_from_db()
    assert in_c.status == MembershipStatus.ACTIVE


def test_action_hidden_without_capability_anywhere(tenants):
    staff = UserFactory(is_staff=True)
    MembershipFactory(npo=tenants["a"], user=staff, role=Role.STAFF)
    page = _login(staff).get("/admin/npos/membership/")
    assert page.status_code == 200
    assert b"remove_members" not in page.content


def test_scoped_choices_for_users_and_unscoped_models(tenants, rf):
    from django.contrib import admin as django_admin

    from apps.npos.admin import MembershipAdmin
    from apps.users.models import User

    request = rf.get("/admin/")
    request.user = tenants["admin_a"]
    model_admin = MembershipAdmin(Membership, django_admin.site)
    users = model_admin.scoped_choices(request, User.objects.all())
    assert set(users) == {tenants["admin_a"]}
    npos = model_admin.scoped_choices(request, NPO.objects.all())
    assert list(npos) == [tenants["a"]]
    from apps.core.models import AuditEntry

    assert model_admin.scoped_choices(request, AuditEntry.objects.all()).model is AuditEntry
    request.user = UserFactory(is_superuser=True)
    assert model_admin.scoped_choices(request, NPO.objects.all()).count() == 2
