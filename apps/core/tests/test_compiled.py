"""CompiledQuery: a queryset compiled once answers exactly what the queryset answers."""

from __future__ import annotations

import uuid

import pytest
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Upper
from django.db.transaction import TransactionManagementError

from apps.core.compiled import REGISTRY, CompiledQuery
from apps.npos.models import NPO, Membership
from apps.users.models import User

pytestmark = pytest.mark.django_db


def _user(email: str) -> User:
    return User.objects.create_user(email=email, password="x" * 12, first_name="Ann", last_name="Lee")


@pytest.fixture
def queries():
    created = []

    def make(label, build, **params):
        q = CompiledQuery(f"test.{label}.{uuid.uuid4().hex}", build, **params)
        created.append(q.name)
        return q

    yield make
    for name in created:
        REGISTRY.pop(name, None)


def test_model_rows_match_the_queryset(queries) -> None:
    a, b = _user("a@example.org"), _user("b@example.org")
    q = queries("user", lambda p: User.objects.filter(pk=p.pk), pk=uuid.UUID)
    assert q.first(pk=a.pk) == a and q.first(pk=str(b.pk)).email == "b@example.org"
    assert q.first(pk=uuid.uuid4()) is None
    row = q.first(pk=a.pk)
    assert row.date_joined == a.date_joined and row._state.adding is False


def test_select_related_and_annotations(queries) -> None:
    user = _user("m@example.org")
    npo = NPO.objects.create(name="Hope", status="approved")
    Membership.objects.create(user=user, npo=npo, role="cashier", status="active")
    q = queries(
        "membership",
        lambda p: Membership.objects.filter(user_id=p.user, status=p.status)
        .select_related("npo")
        .annotate(
            shout=Upper(Value(p.word)),
            members=Subquery(
                Membership.objects.filter(npo=OuterRef("npo")).values("npo").annotate(n=Count("*")).values("n")
            ),
        ),
        user=uuid.UUID,
        status=str,
        word=str,
    )
    row = q.first(user=user.pk, status="active", word="hello")
    assert row.npo.name == "Hope" and row.shout == "HELLO" and row.members == 1
    assert q.all(user=user.pk, status="invited", word="x") == []
    assert list(q.queryset(user=user.pk, status="active", word="hello")) == [row]


def test_values_and_shapes(queries) -> None:
    for i in range(5):
        _user(f"u{i}@example.org")
    q = queries(
        "emails",
        lambda p, limit: User.objects.filter(first_name=p.first).order_by("email").values("email")[:limit],
        first=str,
    )
    assert [r["email"] for r in q.all(2, first="Ann")] == ["u0@example.org", "u1@example.org"]
    assert len(q.all(4, first="Ann")) == 4
    flat = queries("flat", lambda p: User.objects.filter(email=p.email).values_list("pk", flat=True), email=str)
    assert flat.all(email="u3@example.org") == [User.objects.get(email="u3@example.org").pk]


def test_a_placeholder_the_orm_rewrites_is_refused(queries) -> None:
    q = queries("contains", lambda p: User.objects.filter(email__contains=p.word), word=str)
    with pytest.raises(ValueError, match="does not appear"):
        q.all(word="a")


@pytest.mark.django_db(transaction=True)
def test_row_locks_need_a_transaction(queries) -> None:
    user = _user("l@example.org")
    q = queries("lock", lambda p: User.objects.select_for_update().filter(pk=p.pk), pk=uuid.UUID)
    with pytest.raises(TransactionManagementError):
        q.all(pk=user.pk)
    with transaction.atomic():
        assert q.first(pk=user.pk) == user


def test_missing_parameters_are_an_error(queries) -> None:
    q = queries("missing", lambda p: User.objects.filter(pk=p.pk), pk=uuid.UUID)
    with pytest.raises(TypeError, match="missing"):
        q.all()
