from __future__ import annotations

from typing import Any

import pytest

from apps.npos.capabilities import Role
from apps.npos.models import NPOStatus
from apps.npos.tests.factories import MembershipFactory, NPOFactory
from apps.users.tests.factories import UserFactory


@pytest.fixture
def npo(db: Any) -> Any:
    return NPOFactory(status=NPOStatus.APPROVED)


@pytest.fixture
def npo_admin(npo: Any) -> Any:
    user = UserFactory(is_staff=True)
    MembershipFactory(npo=npo, user=user, role=Role.ADMIN)
    return user


@pytest.fixture
def member_of(npo: Any) -> Any:
    """``member_of(role)`` → a new active member of ``npo`` with that role."""

    def make(role: str, target: Any = None) -> Any:
        user = UserFactory(is_staff=True)
        MembershipFactory(npo=target or npo, user=user, role=role)
        return user

    return make
