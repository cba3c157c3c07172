"""createsuperuser with only the environment variables; seed data; pruning."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.users.models import AccountToken, AccountTokenPurpose, User
from apps.users.pruning import prune_account_tokens
from apps.users.services.account_tokens import account_token_issue
from apps.users.tests.conftest import login
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_createsuperuser_noinput_from_env(monkeypatch, api_client):
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "Root@Example.org")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-enough-passphrase")
    call_command("createsuperuser", "--noinput", stdout=StringIO())
    user = User.objects.get(email="root@example.org")
    assert user.is_superuser and user.is_staff and user.is_active
    assert user.email_verified_at is not None
    assert login(api_client, "root@example.org", "a-long-enough-passphrase").status_code == 200


def test_create_user_needs_email():
    with pytest.raises(ValueError):
        User.objects.create_user("", "x")


def test_seed_demo_users_idempotent():
    from apps.users import demo

    first = demo.seed(StringIO())
    second = demo.seed(StringIO())
    assert first == second
    assert User.objects.filter(email="admin@augeo.local", is_superuser=True).count() == 1


def test_prune_account_tokens():
    user = UserFactory()
    account_token_issue(user=user, purpose=AccountTokenPurpose.PASSWORD_RESET, ttl=timedelta(hours=1))
    old = account_token_issue(user=user, purpose=AccountTokenPurpose.PASSWORD_RESET, ttl=timedelta(hours=1))
    assert old
    AccountToken.objects.filter(pk=AccountToken.objects.order_by("-pk").first().pk).update(
        created_at=timezone.now() - timedelta(days=10), expires_at=timezone.now() - timedelta(days=9)
    )
    assert prune_account_tokens(now=timezone.now(), dry_run=True) == 1
    assert prune_account_tokens(now=timezone.now(), dry_run=False) == 1
    assert AccountToken.objects.count() == 1
