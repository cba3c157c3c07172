"""The audit log admin: read-only, append-only, scoped to NPOs where the viewer has REPORTS_VIEW."""

from __future__ import annotations

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory

from apps.core.models import AuditEntry
from apps.core.services import audit_record
from apps.npos.capabilities import Role
from apps.npos.tests.factories import MembershipFactory, NPOFactory
from apps.users.tests.factories import UserFactory
from augeo.backoffice.audit import AuditEntryAdmin

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    npo_a, npo_b = NPOFactory(), NPOFactory()
    entry_a = audit_record(actor=None, action="a.thing", npo_id=npo_a.pk)
    entry_b = audit_record(actor=None, action="b.thing", npo_id=npo_b.pk)
    entry_platform = audit_record(actor=None, action="platform.thing")
    return npo_a, npo_b, entry_a, entry_b, entry_platform


def _request(user):
    request = RequestFactory().get("/admin/core/auditentry/")
    request.user = user
    return request


def _admin() -> AuditEntryAdmin:
    return site._registry[AuditEntry]


def test_registered_and_nobody_may_write(superuser):
    admin = _admin()
    assert isinstance(admin, AuditEntryAdmin)
    request = _request(superuser)
    entry = audit_record(actor=None, action="x")
    assert not admin.has_add_permission(request)
    assert not admin.has_change_permission(request, entry)
    assert not admin.has_delete_permission(request, entry)
    assert "delete_selected" not in admin.get_actions(request)


def test_superuser_sees_everything(superuser, world):
    request = _request(superuser)
    assert _admin().get_queryset(request).count() == 3
    assert _admin().has_module_permission(request)


def test_member_with_reports_view_sees_only_their_npos(world):
    npo_a, _npo_b, entry_a, entry_b, entry_platform = world
    cashier = MembershipFactory(npo=npo_a, role=Role.CASHIER).user
    request = _request(cashier)
    admin = _admin()
    assert list(admin.get_queryset(request)) == [entry_a]
    assert admin.has_module_permission(request)
    assert admin.has_view_permission(request, entry_a)
    assert not admin.has_view_permission(request, entry_b)
    assert not admin.has_view_permission(request, entry_platform)


def test_member_without_reports_view_sees_nothing(world):
    npo_a = world[0]
    staff = MembershipFactory(npo=npo_a, role=Role.STAFF).user
    request = _request(staff)
    assert not _admin().has_module_permission(request)
    assert _admin().get_queryset(request).count() == 0


def test_outsider_and_anonymous(world):
    from django.contrib.auth.models import AnonymousUser

    assert not _admin().has_view_permission(_request(UserFactory()))
    assert not _admin().has_view_permission(_request(AnonymousUser()))


def test_changelist_and_detail_render_for_superuser(client, superuser, world):
    client.force_login(superuser)
    response = client.get("/admin/core/auditentry/")
    assert response.status_code == 200
    assert b"a.thing" in response.content
    detail = client.get(f"/admin/core/auditentry/{world[2].pk}/change/")
    assert detail.status_code == 200
    assert client.get("/admin/core/auditentry/add/").status_code == 403
    assert client.post(f"/admin/core/auditentry/{world[2].pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.count() == 3


def test_audit_changelist_refuses_lookups_into_details(world):
    """``details`` carries amounts; ``?details__amount__gte=`` would bisect them. Only the declared
    filters (action, object type, the date hierarchy) are accepted."""
    from django.test import Client

    npo_a = world[0]
    cashier = UserFactory(is_staff=True)
    MembershipFactory(npo=npo_a, user=cashier, role=Role.CASHIER)
    audit_record(actor=None, action="auctions.bid_placed", npo_id=npo_a.pk, details={"amount": "700.00"})
    client = Client()
    client.force_login(cashier)
    url = "/admin/core/auditentry/"
    assert client.get(url).status_code == 200
    for query in ({"details__amount__gte": "700"}, {"details__amount": "700.00"}, {"npo_id": str(npo_a.pk)}):
        assert client.get(url, query).status_code == 400, query
    response = client.get(url, {"action": "auctions.bid_placed"})
    assert response.status_code == 200
    assert [e.action for e in response.context["cl"].result_list] == ["auctions.bid_placed"]
    assert client.get(url, {"created_at__year": "2020"}).status_code == 200
