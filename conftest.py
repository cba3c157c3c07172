"""Project-wide fixtures and the service markers.

Tests marked ``postgres``, ``redis`` or ``azure`` need the real service (``.ci/run`` starts them and
exports the variables). Without it they are skipped with a reason on the embedded default, and fail
under ``CI=true`` so a CI run can never go green without exercising them.
"""

from __future__ import annotations

import io
import os
import shutil
from typing import Any

import pytest
from django.conf import settings
from rest_framework.test import APIClient

SERVICE_CHECKS = {
    "postgres": (lambda: settings.DATABASES["default"]["ENGINE"].endswith("postgresql"), "DATABASE_URL (PostgreSQL)"),
    "redis": (lambda: bool(settings.REDIS_URL), "REDIS_URL"),
    "azure": (lambda: bool(settings.AZURE_CONNECTION_STRING), "AZURE_STORAGE_CONNECTION_STRING"),
    "browser": (
        lambda: os.path.exists(os.environ.get("AUGEO_CHROMIUM", "/usr/bin/chromium")),
        "Chromium (`apt-get install chromium`, or AUGEO_CHROMIUM)",
    ),
}


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker, (available, variable) in SERVICE_CHECKS.items():
        if item.get_closest_marker(marker) and not available():
            message = f"needs {variable}; run `bash scripts/services.sh up` and export its variables"
            if os.environ.get("CI", "").lower() == "true":
                pytest.fail(f"CI=true but the service is missing: {message}")
            pytest.skip(message)


@pytest.fixture(scope="session", autouse=True)
def _azure_container() -> None:
    """With Azure storage configured (CI's Azurite), make sure the container exists, as
    ``manage.py ensure_storage`` does at deploy time — a fresh Azurite has none."""
    if settings.AZURE_CONNECTION_STRING:
        from django.core.management import call_command

        call_command("ensure_storage", stdout=io.StringIO())


@pytest.fixture(autouse=True)
def _isolated_media(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    yield
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)


@pytest.fixture(autouse=True)
def _clear_cache() -> Any:
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _legal_versions_fresh() -> Any:
    """The consent gate memoises the published document versions per process (apps.legal.versions).
    Each test starts on a database without published documents, so the memo starts empty (and
    costs no query); publishing through the service updates it."""
    from apps.legal.versions import versions_prime

    versions_prime({}, seconds=3600)
    yield


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db: Any) -> Any:
    from apps.users.tests.factories import UserFactory

    return UserFactory()


@pytest.fixture
def superuser(db: Any) -> Any:
    from apps.users.tests.factories import UserFactory

    return UserFactory(is_superuser=True, is_staff=True)


@pytest.fixture
def auth_client(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def client_for(user: Any | None) -> APIClient:
    """An API client authenticated as ``user`` (anonymous when ``None``)."""
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client
