from __future__ import annotations

from typing import Any

import pytest

from apps.attendance.tests.factories import EventFactory, FoodOptionFactory
from apps.npos.capabilities import Role
from apps.npos.tests.factories import MembershipFactory
from apps.users.tests.factories import UserFactory


@pytest.fixture
def event(db: Any) -> Any:
    return EventFactory(next_bidder_number=100)


@pytest.fixture
def meal(event: Any) -> Any:
    return FoodOptionFactory(event=event, name="Salmon")


@pytest.fixture
def donor(db: Any) -> Any:
    return UserFactory(first_name="Dana", last_name="Donor")


def member(event: Any, role: str) -> Any:
    user = UserFactory(is_staff=True)  # members may log into /admin/
    MembershipFactory(npo=event.npo, user=user, role=role)
    return user


@pytest.fixture
def staff(event: Any) -> Any:
    return member(event, Role.STAFF)


@pytest.fixture
def coordinator(event: Any) -> Any:
    return member(event, Role.COORDINATOR)


@pytest.fixture
def cashier(event: Any) -> Any:
    return member(event, Role.CASHIER)
