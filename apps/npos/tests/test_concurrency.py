"""PostgreSQL-only: team changes racing each other never leave an NPO without an admin."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from apps.core.exceptions import Conflict
from apps.npos.capabilities import Role
from apps.npos.models import Membership, MembershipStatus
from apps.npos.services.team import member_update
from apps.npos.tests.factories import MembershipFactory, NPOFactory
from apps.users.tests.factories import UserFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_admins_demoting_each_other_leave_one_admin():
    npo = NPOFactory()
    first = MembershipFactory(npo=npo, user=UserFactory(), role=Role.ADMIN)
    second = MembershipFactory(npo=npo, user=UserFactory(), role=Role.ADMIN)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def demote(membership: Membership, actor) -> None:
        try:
            barrier.wait()
            member_update(membership=membership, actor=actor, role=Role.STAFF)
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=demote, args=(first, second.user)),
        threading.Thread(target=demote, args=(second, first.user)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["LAST_ADMIN", "ok"]
    assert Membership.objects.filter(npo=npo, role=Role.ADMIN, status=MembershipStatus.ACTIVE).count() == 1
