"""PreparedRead: the precompiled reads of the user and the event give what the ORM gives."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.utils import timezone

from apps.core.prepared import PreparedRead
from apps.events.models import Event
from apps.events.selectors import event_ref
from apps.events.tests.factories import PublishedEventFactory
from apps.npos.tests.factories import MembershipFactory
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_partial_row_in_any_order_with_extra_columns_converts_like_the_orm() -> None:
    event = PublishedEventFactory(starts_at=timezone.now())
    quote = connection.ops.quote_name
    # Asked in another order than the model's: the row is read in the model's field order.
    read = PreparedRead(Event, ["status", "starts_at", "id", "npo_id"], extra=["answer"])
    order = [f.attname for f in Event._meta.concrete_fields]
    assert read.attnames == sorted(["status", "starts_at", "id", "npo_id"], key=order.index)
    sql = f"SELECT {read.select_list('e')}, 42 AS answer FROM {quote(Event._meta.db_table)} e WHERE e.id = %s"  # noqa: S608
    (loaded,) = read.rows(sql, [Event._meta.pk.get_db_prep_value(event.pk, connection)])
    orm = Event.objects.get(pk=event.pk)
    for name in ("pk", "npo_id", "status", "starts_at"):
        assert getattr(loaded, name) == getattr(orm, name)
    assert loaded.answer == 42 and not loaded._state.adding
    assert loaded.get_deferred_fields() >= {"name", "slug"}
    assert loaded.name == orm.name  # a deferred column is read on access, as with only()
    assert read.rows(sql, [Event._meta.pk.get_db_prep_value(uuid.uuid4(), connection)]) == []


def test_unknown_columns_are_refused() -> None:
    with pytest.raises(ValueError, match="no columns"):
        PreparedRead(Event, ["id", "nope"])


def test_event_ref_carries_the_callers_role() -> None:
    event = PublishedEventFactory()
    member, stranger = UserFactory(), UserFactory()
    MembershipFactory(npo=event.npo, user=member, role="staff")
    columns = ("id", "npo_id", "status", "slug")
    assert event_ref(member, event.pk, columns).caller_role == "staff"  # type: ignore[union-attr]
    ref = event_ref(stranger, event.pk, columns)
    assert ref is not None and ref.caller_role is None and ref.slug == event.slug
    assert model_to_dict(event_ref(member, event.pk, ()), fields=["name"]) == {"name": event.name}
