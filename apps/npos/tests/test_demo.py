from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from apps.npos.demo import DEMO_NPO_NAME, demo_npo, seed
from apps.npos.models import NPO, Membership, NPOStatus

pytestmark = pytest.mark.django_db


def test_seed_is_idempotent_and_covers_every_role():
    first = seed(io.StringIO())
    second = seed(io.StringIO())
    assert first == second
    hope = demo_npo()
    assert hope is not None and hope.name == DEMO_NPO_NAME
    assert hope.status == NPOStatus.APPROVED
    roles = set(Membership.objects.filter(npo=hope).values_list("role", flat=True))
    assert roles == {"admin", "coordinator", "staff", "auctioneer", "cashier"}
    assert NPO.objects.count() == 2
    assert all(m.user.is_staff for m in Membership.objects.select_related("user"))
    assert any("npo-admin@augeo.local" in row for row in first)


def test_seed_demo_command_prints_credentials():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "npo-admin@augeo.local" in out.getvalue()
