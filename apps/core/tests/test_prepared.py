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


def _stored(model: type, pk: object) -> dict[str, object]:
    """Every concrete column of the row as the ORM reads it back."""
    row = model._default_manager.get(pk=pk)
    return {f.attname: getattr(row, f.attname) for f in model._meta.concrete_fields}


def test_insert_stores_what_the_orms_create_stores_and_reads_back_the_generated_key() -> None:
    from django.test.utils import CaptureQueriesContext

    from apps.core.models import AuditEntry
    from apps.core.prepared import PreparedInsert

    actor = UserFactory()
    values = {
        "actor": actor,
        "action": "bid.place",
        "object_type": "auctions.item",
        "object_id": str(uuid.uuid4()),
        "npo_id": uuid.uuid4(),
        "ip_address": "203.0.113.9",
        "details": {"rule": 3, "amount": "120.00", "when": timezone.now()},  # DjangoJSONEncoder
    }
    by_orm = AuditEntry.objects.create(**values)
    entry = AuditEntry(**values)
    with CaptureQueriesContext(connection) as queries:
        PreparedInsert(AuditEntry).insert([entry])
    assert len(queries) == 1
    assert entry.pk is not None and entry.pk != by_orm.pk  # the auto-increment key, read back
    assert not entry._state.adding and entry._state.db == "default"
    assert entry.created_at is not None  # auto_now_add, as the ORM's insert sets it
    ours, theirs = _stored(AuditEntry, entry.pk), _stored(AuditEntry, by_orm.pk)
    for name in ("id", "created_at"):
        ours.pop(name), theirs.pop(name)
    assert ours == theirs


def test_several_rows_in_one_statement_with_keys_made_by_the_model() -> None:
    from django.test.utils import CaptureQueriesContext

    from apps.core.models import OutboxEmail
    from apps.core.prepared import PreparedInsert

    rows = [OutboxEmail(template="auctions/outbid", to=f"d{i}@example.com", context={"n": i}) for i in range(3)]
    keys = [row.pk for row in rows]  # a UUID default, made in Python
    inserter = PreparedInsert(OutboxEmail)
    with CaptureQueriesContext(connection) as queries:
        inserter.insert(rows)
        inserter.insert([])
    assert len(queries) == 1
    assert [row.pk for row in rows] == keys
    stored = {row.pk: row for row in OutboxEmail.objects.filter(pk__in=keys)}
    assert sorted(row.context["n"] for row in stored.values()) == [0, 1, 2]
    assert all(row.status == "pending" and row.attempts == 0 for row in stored.values())  # the model's defaults
