from __future__ import annotations

from typing import Any

import pytest

from apps.events.tests.factories import EventFactory, PublishedEventFactory
from apps.npos.capabilities import Role
from apps.npos.tests.factories import MembershipFactory, NPOFactory
from apps.users.tests.factories import UserFactory


@pytest.fixture
def npo(db: Any) -> Any:
    return NPOFactory(name="Hope Test Foundation", primary_color="#112233", accent_color="#AABBCC")


@pytest.fixture
def other_npo(db: Any) -> Any:
    return NPOFactory(name="Other Cause")


def _member(npo: Any, role: str) -> Any:
    user = UserFactory()
    MembershipFactory(npo=npo, user=user, role=role)
    return user


@pytest.fixture
def admin(npo: Any) -> Any:
    return _member(npo, Role.ADMIN)


@pytest.fixture
def coordinator(npo: Any) -> Any:
    return _member(npo, Role.COORDINATOR)


@pytest.fixture
def staff(npo: Any) -> Any:
    return _member(npo, Role.STAFF)


@pytest.fixture
def other_admin(other_npo: Any) -> Any:
    return _member(other_npo, Role.ADMIN)


@pytest.fixture
def donor(db: Any) -> Any:
    return UserFactory()


@pytest.fixture
def draft(npo: Any) -> Any:
    return EventFactory(npo=npo, name="Draft Gala", slug="draft-gala")


@pytest.fixture
def published(npo: Any) -> Any:
    return PublishedEventFactory(npo=npo, name="Published Gala", slug="published-gala")


@pytest.fixture(autouse=True)
def _disk_storage_unless_azure(request: Any, settings: Any) -> None:
    """Tests run on the local disk unless marked ``azure``, even when CI exports the Azurite
    connection string (which switches the project's default storage to Azure)."""
    if request.node.get_closest_marker("azure") is None:
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        }
