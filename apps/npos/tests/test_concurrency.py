"""PostgreSQL-only: team changes racing each other never leave an NPO without an admin."""

from __future__ import annotations

import pytest

from apps.core.tests.race import codes, race
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

    def demote(membership: Membership, actor) -> None:
        member_update(membership=membership, actor=actor, role=Role.STAFF)

    outcomes = codes(race(lambda: demote(first, second.user), lambda: demote(second, first.user)))
    assert sorted(outcomes) == ["LAST_ADMIN", "ok"]
    assert Membership.objects.filter(npo=npo, role=Role.ADMIN, status=MembershipStatus.ACTIVE).count() == 1
