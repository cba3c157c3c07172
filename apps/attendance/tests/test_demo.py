from __future__ import annotations

import io

import pytest

from apps.attendance import demo
from apps.attendance.models import Guest, Registration
from apps.attendance.tests.factories import EventFactory, FoodOptionFactory
from apps.npos.tests.factories import NPOFactory

pytestmark = pytest.mark.django_db


def test_demo_skips_without_gala():
    out = io.StringIO()
    assert demo.seed(out) == []
    assert "skipped" in out.getvalue()


def test_demo_is_idempotent():
    npo = NPOFactory(name="Hope Foundation")
    event = EventFactory(npo=npo)
    FoodOptionFactory(event=event, name="Fish")
    FoodOptionFactory(event=event, name="Veg")
    demo.seed(io.StringIO())
    counts = (Registration.objects.count(), Guest.objects.count())
    demo.seed(io.StringIO())
    assert (Registration.objects.count(), Guest.objects.count()) == counts == (5, 12)
    assert Guest.objects.filter(checked_in_at__isnull=False, paddle__isnull=False).count() == 6
    assert Guest.objects.filter(table__isnull=True).count() == 0
