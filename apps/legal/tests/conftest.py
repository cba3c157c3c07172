"""Fixtures of the legal tests."""

from __future__ import annotations

from typing import Any

import pytest

from apps.users.tests.factories import UserFactory


@pytest.fixture
def donor(db: Any) -> Any:
    return UserFactory(email="dana@example.org", first_name="Dana", last_name="Donor")


@pytest.fixture
def other(db: Any) -> Any:
    return UserFactory(email="oscar@example.org", first_name="Oscar", last_name="Other")
