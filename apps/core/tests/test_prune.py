"""manage.py prune_expired: expired idempotency keys and audit entries past retention."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from apps.core.models import AuditEntry, IdempotencyKey
from apps.core.pruning import PRUNERS, pruner
from apps.core.services import audit_record

pytestmark = pytest.mark.django_db


def _key(user, key, age):
    with time_machine.travel(timezone.now() - age, tick=False):
        return IdempotencyKey.objects.create(user=user, key=key, scope="POST /x", request_hash="h")


def _entry(action, age):
    with time_machine.travel(timezone.now() - age, tick=False):
        return audit_record(actor=None, action=action)


@pytest.fixture
def data(user):
    _key(user, "old", timedelta(hours=25))
    _key(user, "fresh", timedelta(hours=23))
    _entry("old", timedelta(days=400))
    _entry("recent", timedelta(days=30))


def test_prunes_expired_rows_only(data, settings):
    settings.AUDIT_RETENTION_DAYS = 365
    out = io.StringIO()
    call_command("prune_expired", stdout=out)
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["recent"]
    assert "expired idempotency keys: deleted 1" in out.getvalue()
    assert "old audit entries: deleted 1" in out.getvalue()


def test_retention_comes_from_settings(data, settings):
    settings.AUDIT_RETENTION_DAYS = 7
    call_command("prune_expired", stdout=io.StringIO())
    assert AuditEntry.objects.count() == 0


def test_dry_run_deletes_nothing(data):
    out = io.StringIO()
    call_command("prune_expired", "--dry-run", stdout=out)
    assert IdempotencyKey.objects.count() == 2 and AuditEntry.objects.count() == 2
    assert "expired idempotency keys: would delete 1" in out.getvalue()


def test_other_apps_can_register_pruners():
    calls = []

    @pruner("test things")
    def prune_things(*, now, dry_run):
        calls.append(dry_run)
        return 3

    try:
        out = io.StringIO()
        call_command("prune_expired", stdout=out)
        assert calls == [False]
        assert "test things: deleted 3" in out.getvalue()
    finally:
        PRUNERS.pop("test things")


@override_settings(
    STORAGES={**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
)
def test_ensure_storage_is_a_noop_on_file_storage():
    out = io.StringIO()
    call_command("ensure_storage", stdout=out)
    assert "nothing to do" in out.getvalue()


@pytest.mark.azure
def test_ensure_storage_creates_the_container_once():
    for _ in range(2):
        out = io.StringIO()
        call_command("ensure_storage", stdout=out)
        assert "container" in out.getvalue()
