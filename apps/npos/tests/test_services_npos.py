from __future__ import annotations

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from apps.core.exceptions import Conflict, PermissionDenied, ValidationFailed
from apps.core.models import AuditEntry
from apps.npos.capabilities import Role
from apps.npos.models import NPO, Membership, MembershipStatus, NPOStatus
from apps.npos.services import npos as npo_services
from apps.npos.services.npos import (
    npo_approve,
    npo_create,
    npo_delete,
    npo_reinstate,
    npo_reject,
    npo_submit,
    npo_suspend,
    npo_update,
    staff_status_sync,
)
from apps.npos.services.team import member_remove
from apps.npos.tests.factories import MembershipFactory, NPOFactory
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_create_makes_creator_admin_and_staff():
    user = UserFactory()
    assert not user.is_staff
    npo = npo_create(actor=user, data={"name": "  Hope  ", "currency": "EUR"})
    assert npo.status == NPOStatus.DRAFT
    assert npo.name == "Hope"
    assert npo.currency == "EUR"
    membership = Membership.objects.get(npo=npo, user=user)
    assert membership.role == Role.ADMIN
    assert membership.status == MembershipStatus.ACTIVE
    user.refresh_from_db()
    assert user.is_staff
    assert AuditEntry.objects.filter(action="npo.create", object_id=str(npo.pk)).exists()


def test_name_unique_case_insensitively_among_live_npos():
    user = UserFactory()
    first = npo_create(actor=user, data={"name": "Hope Foundation"})
    with pytest.raises(ValidationFailed) as exc:
        npo_create(actor=user, data={"name": "HOPE foundation"})
    assert "name" in exc.value.fields
    # The database guarantees it too, not only the service.
    with pytest.raises(IntegrityError), transaction.atomic():
        NPO.objects.create(name="hope FOUNDATION")
    npo_delete(npo=first, actor=user)
    again = npo_create(actor=user, data={"name": "Hope Foundation"})
    assert again.pk != first.pk


def test_update_rename_clash_and_blank():
    user = UserFactory()
    NPOFactory(name="Taken")
    npo = npo_create(actor=user, data={"name": "Mine"})
    with pytest.raises(ValidationFailed):
        npo_update(npo=npo, actor=user, data={"name": "taken"})
    with pytest.raises(ValidationFailed):
        npo_update(npo=npo, actor=user, data={"name": "  "})
    npo = npo_update(npo=npo, actor=user, data={"name": "MINE", "status": "approved", "city": "Oslo"})
    assert npo.name == "MINE"
    assert npo.status == NPOStatus.DRAFT  # status is never editable here
    assert npo.city == "Oslo"


def test_save_maps_integrity_error_race_to_validation_error(monkeypatch):
    user = UserFactory()
    NPOFactory(name="Raced")
    monkeypatch.setattr(npo_services, "_check_name_free", lambda *a, **k: None)
    with pytest.raises(ValidationFailed) as exc:
        npo_create(actor=user, data={"name": "raced"})
    assert exc.value.fields == {"name": ["An NPO with this name already exists."]}


def test_workflow_happy_path_and_emails(django_capture_on_commit_callbacks):
    admin_user = UserFactory(email="boss@npo.test")
    superuser = UserFactory(is_superuser=True, is_staff=True, email="root@augeo.test")
    npo = NPOFactory(status=NPOStatus.DRAFT)
    MembershipFactory(npo=npo, user=admin_user, role=Role.ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        npo = npo_submit(npo=npo, actor=admin_user)
    assert npo.status == NPOStatus.PENDING_APPROVAL
    assert mail.outbox[-1].to == ["root@augeo.test"]
    with django_capture_on_commit_callbacks(execute=True):
        npo = npo_reject(npo=npo, actor=superuser, notes="Tax id is wrong.")
    assert npo.status == NPOStatus.REJECTED
    assert npo.review_notes == "Tax id is wrong."
    assert mail.outbox[-1].to == ["boss@npo.test"]
    assert "Tax id is wrong." in mail.outbox[-1].body
    npo = npo_submit(npo=npo, actor=admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        npo = npo_approve(npo=npo, actor=superuser)
    assert npo.status == NPOStatus.APPROVED
    assert "approved" in mail.outbox[-1].subject
    npo = npo_suspend(npo=npo, actor=superuser, notes="Chargebacks")
    assert npo.status == NPOStatus.SUSPENDED
    npo = npo_reinstate(npo=npo, actor=superuser)
    assert npo.status == NPOStatus.APPROVED
    actions = list(AuditEntry.objects.filter(object_id=str(npo.pk)).values_list("action", flat=True))
    for action in ("npo.submit", "npo.reject", "npo.approve", "npo.suspend", "npo.reinstate"):
        assert action in actions


@pytest.mark.parametrize(
    ("status", "service"),
    [
        (NPOStatus.APPROVED, "npo_submit"),
        (NPOStatus.PENDING_APPROVAL, "npo_submit"),
        (NPOStatus.DRAFT, "npo_approve"),
        (NPOStatus.APPROVED, "npo_approve"),
        (NPOStatus.DRAFT, "npo_suspend"),
        (NPOStatus.PENDING_APPROVAL, "npo_suspend"),
        (NPOStatus.APPROVED, "npo_reinstate"),
        (NPOStatus.REJECTED, "npo_approve"),
    ],
)
def test_invalid_transitions(status, service):
    superuser = UserFactory(is_superuser=True)
    npo = NPOFactory(status=status)
    with pytest.raises(Conflict) as exc:
        getattr(npo_services, service)(npo=npo, actor=superuser)
    assert exc.value.code == "INVALID_TRANSITION"
    npo.refresh_from_db()
    assert npo.status == status


def test_reject_needs_notes_and_super_admin():
    member = UserFactory()
    npo = NPOFactory(status=NPOStatus.PENDING_APPROVAL)
    with pytest.raises(ValidationFailed):
        npo_reject(npo=npo, actor=UserFactory(is_superuser=True), notes="  ")
    with pytest.raises(PermissionDenied):
        npo_approve(npo=npo, actor=member)


def test_submit_lists_missing_fields():
    user = UserFactory()
    npo = npo_create(actor=user, data={"name": "Incomplete", "email": "a@b.org"})
    with pytest.raises(ValidationFailed) as exc:
        npo_submit(npo=npo, actor=user)
    assert set(exc.value.fields) == {
        "description",
        "phone",
        "address_line1",
        "city",
        "postal_code",
        "country",
        "tax_id",
    }
    npo.refresh_from_db()
    assert npo.status == NPOStatus.DRAFT


def test_delete_is_soft_and_clears_staff_status():
    user = UserFactory()
    npo = npo_create(actor=user, data={"name": "Short lived"})
    npo_delete(npo=npo, actor=user)
    assert not NPO.objects.filter(pk=npo.pk).exists()
    assert NPO.all_objects.get(pk=npo.pk).deleted_at is not None
    user.refresh_from_db()
    assert not user.is_staff


def test_delete_refused_with_published_events():
    from django.apps import apps

    event_model = apps.get_model("events", "Event")
    user = UserFactory()
    npo = npo_create(actor=user, data={"name": "Busy"})
    from datetime import timedelta

    from django.utils import timezone

    event_model.objects.create(
        npo=npo,
        name="Gala",
        slug="busy-gala",
        status="published",
        starts_at=timezone.now() + timedelta(days=3),
        ends_at=timezone.now() + timedelta(days=3, hours=4),
    )
    with pytest.raises(Conflict) as exc:
        npo_delete(npo=npo, actor=user)
    assert exc.value.code == "NPO_HAS_PUBLISHED_EVENTS"
    assert NPO.objects.filter(pk=npo.pk).exists()


def test_deletion_checks_of_the_apps_above_are_registered():
    from apps.events.services.events import npo_delete_check
    from apps.npos import hooks

    assert set(hooks.npo_delete_checks()) == hooks.EXPECTED
    assert hooks.npo_delete_checks()["events"] is npo_delete_check


def test_staff_status_sync_keeps_superuser():
    superuser = UserFactory(is_superuser=True, is_staff=True)
    assert staff_status_sync(user=superuser) is True
    superuser.refresh_from_db()
    assert superuser.is_staff
    plain = UserFactory(is_staff=True)
    assert staff_status_sync(user=plain) is False
    plain.refresh_from_db()
    assert not plain.is_staff


def test_staff_status_kept_while_another_membership_is_active():
    user = UserFactory()
    first = npo_create(actor=user, data={"name": "One"})
    other_admin = UserFactory()
    second = NPOFactory()
    MembershipFactory(npo=second, user=other_admin, role=Role.ADMIN)
    membership = MembershipFactory(npo=second, user=user, role=Role.STAFF)
    member_remove(membership=membership, actor=other_admin)
    user.refresh_from_db()
    assert user.is_staff  # still active in `first`
    assert Membership.objects.filter(npo=first, user=user, status=MembershipStatus.ACTIVE).exists()
