"""PostgreSQL only: the consent log's trigger, and the races of publishing, deleting and exporting,
with real threads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from apps.core.tests.race import codes, race
from apps.legal.models import ConsentRecord, DocumentStatus, LegalDocument, PrivacyExport
from apps.legal.services import documents, exports
from apps.legal.services.deletion import account_delete
from apps.legal.tests.factories import accept, draft, publish_both
from apps.npos.capabilities import Role
from apps.npos.models import Membership, MembershipStatus
from apps.npos.tests.factories import MembershipFactory, NPOFactory
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.postgres


def _race(functions: list[Callable[[], Any]]) -> list[str]:
    """Run the functions at once on their own connections; each outcome is "ok" or an error code."""
    return codes(race(*functions))


@pytest.mark.django_db
def test_the_trigger_refuses_updates_and_deletes_but_lets_deletion_erase_network_details():
    user = UserFactory()
    publish_both()
    accept(user)
    row = ConsentRecord.objects.filter(user=user).first()
    for sql in (
        "UPDATE legal_consentrecord SET version = '9.9' WHERE id = %s",
        "UPDATE legal_consentrecord SET ip_address = '203.0.113.1' WHERE id = %s",
        "UPDATE legal_consentrecord SET action = 'withdraw' WHERE id = %s",
        "DELETE FROM legal_consentrecord WHERE id = %s",
    ):
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [row.pk])
    erased = ConsentRecord.objects.filter(user=user).erase_network_details()
    assert erased == 2
    assert set(ConsentRecord.objects.filter(user=user).values_list("ip_address", "user_agent")) == {(None, "")}


@pytest.mark.django_db(transaction=True)
def test_racing_publishes_leave_exactly_one_published_document():
    drafts = [draft("terms", f"1.{minor}") for minor in range(6)]
    outcomes = _race([lambda doc=doc: documents.legal_document_publish(document=doc, actor=None) for doc in drafts])
    assert all(o in ("ok", "INVALID_TRANSITION") for o in outcomes), outcomes
    published = LegalDocument.objects.filter(type="terms", status=DocumentStatus.PUBLISHED)
    assert published.count() == 1
    # Publishes queue on the lock: each one that went through was newer than the one before, so
    # the newest draft (never refused, whenever it ran) is the one left published.
    assert published.get().version == "1.5"
    assert (
        LegalDocument.objects.filter(type="terms", status=DocumentStatus.ARCHIVED).count() == outcomes.count("ok") - 1
    )


@pytest.mark.django_db(transaction=True)
def test_two_admins_deleting_their_accounts_leave_one_admin():
    npo = NPOFactory()
    first = MembershipFactory(npo=npo, user=UserFactory(), role=Role.ADMIN)
    second = MembershipFactory(npo=npo, user=UserFactory(), role=Role.ADMIN)
    outcomes = _race(
        [
            lambda: account_delete(user=first.user, actor=first.user),
            lambda: account_delete(user=second.user, actor=second.user),
        ]
    )
    assert sorted(outcomes) == ["LAST_ADMIN", "ok"]
    assert Membership.objects.filter(npo=npo, role=Role.ADMIN, status=MembershipStatus.ACTIVE).count() == 1


@pytest.mark.django_db(transaction=True)
def test_parallel_export_requests_create_one_export():
    user = UserFactory()
    outcomes = _race([lambda: exports.privacy_export_request(user=user) for _ in range(4)])
    assert sorted(outcomes) == ["THROTTLED", "THROTTLED", "THROTTLED", "ok"]
    assert PrivacyExport.objects.filter(user=user).count() == 1


@pytest.mark.django_db
def test_a_database_error_inside_the_trigger_is_not_swallowed():
    """The trigger raises a real database error (not a warning): the statement and its savepoint fail."""
    user = UserFactory()
    publish_both()
    accept(user)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM legal_consentrecord")
    assert ConsentRecord.objects.count() == 2
