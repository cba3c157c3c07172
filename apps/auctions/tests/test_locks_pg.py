"""The bid's lock statements on PostgreSQL, with a second connection in a real thread: the bidder's
three rows locked by one statement (``attendance.locks.lock_bidder_party``), and the item lock that
reads the current leader in the same statement (``auctions.services.common.lock_item_for_bid``) —
including the case the join cannot answer: a leader who changed while the lock was awaited."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from django.db import OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.attendance.locks import lock_bidder_party
from apps.attendance.models import Guest, Paddle, Registration
from apps.auctions.models import Item
from apps.auctions.services.bidders import BidderRef, bidder_lock
from apps.auctions.services.common import lock_item_for_bid
from apps.auctions.tests.factories import ItemFactory, bidder, register
from apps.users.tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def in_thread(work: Callable[[], Any]) -> Any:
    """``work()`` on its own database connection; its result, or the exception it raised."""
    out: list[Any] = []

    def target() -> None:
        try:
            out.append(work())
        except BaseException as exc:  # returned to the test, which asserts on it
            out.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=30)
    return out[0]


def locked_elsewhere(table: str, pk: Any) -> bool:
    """From another connection: True when the row cannot be locked without waiting."""
    result = try_lock(table, pk)
    return isinstance(result, OperationalError) and isinstance(result.__cause__, psycopg.errors.LockNotAvailable)


def try_lock(table: str, pk: Any) -> Any:
    """From another connection: lock the row without waiting; the error when it is already locked."""

    def work() -> str:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR NO KEY UPDATE NOWAIT", [pk])  # noqa: S608
        return "locked"

    return in_thread(work)


def test_the_bidders_three_rows_are_locked_by_one_statement_in_the_platforms_order() -> None:
    item = ItemFactory()
    user = bidder(item.event, 7)
    guest = user.guest
    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            registration, locked_guest, paddle = lock_bidder_party(guest.registration_id, guest.pk)  # type: ignore[misc]
        assert len(queries) == 1
        assert "FOR NO KEY UPDATE OF r, g, p" in queries[0]["sql"]
        assert (registration.pk, locked_guest.pk, paddle.pk) == (guest.registration_id, guest.pk, guest.paddle_id)
        assert paddle.number == 7 and locked_guest.user_id == user.pk
        for model, pk in ((Registration, registration.pk), (Guest, guest.pk), (Paddle, paddle.pk)):
            assert locked_elsewhere(model._meta.db_table, pk)
    assert try_lock(Paddle._meta.db_table, paddle.pk) == "locked"  # released with the transaction


def test_rows_that_do_not_line_up_take_the_step_by_step_path() -> None:
    item = ItemFactory()
    without_paddle = register(item.event)
    other = register(item.event, paddle_number=9)
    with transaction.atomic():
        assert lock_bidder_party(without_paddle.registration_id, without_paddle.pk) is None
        assert lock_bidder_party(other.registration_id, without_paddle.pk) is None  # another party's guest
        # The bid's lock still finds its way: the guest without a number is given one.
        ref = BidderRef(
            registration_id=without_paddle.registration_id, guest_id=without_paddle.pk, user=without_paddle.user
        )
        locked = bidder_lock(ref, event=item.event)
        assert locked.paddle.pk is not None and locked.paddle.pk == Guest.objects.get(pk=without_paddle.pk).paddle_id


def test_the_item_lock_reads_the_leader_in_the_same_statement() -> None:
    item = ItemFactory()
    leader = UserFactory()
    Item.objects.filter(pk=item.pk).update(leader_user=leader, current_bid=Decimal("100"))
    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            locked = lock_item_for_bid(item)
        assert len(queries) == 1
        assert locked.leader_user.pk == leader.pk and locked.leader_user.email == leader.email
        assert locked_elsewhere(Item._meta.db_table, item.pk)
    Item.objects.filter(pk=item.pk).update(leader_user=None)
    with transaction.atomic():
        assert lock_item_for_bid(item).leader_user is None


def test_a_leader_who_changed_while_the_lock_was_awaited_is_the_one_read() -> None:
    """PostgreSQL re-reads the locked item after the wait but re-checks the join on the account row
    it read before: that row is the old leader's, so the new leader is read by primary key."""
    item = ItemFactory()
    old, new = UserFactory(), UserFactory()
    Item.objects.filter(pk=item.pk).update(leader_user=old)
    holding, release = threading.Event(), threading.Event()

    def other_bid() -> None:
        with transaction.atomic():
            Item.objects.select_for_update().filter(pk=item.pk).update(leader_user=new)
            holding.set()
            release.wait(timeout=20)

    def our_bid() -> Any:
        holding.wait(timeout=20)
        with transaction.atomic():
            return lock_item_for_bid(item).leader_user

    waiter: list[Any] = []
    first = threading.Thread(target=lambda: (other_bid(), connection.close()))
    second = threading.Thread(target=lambda: (waiter.append(our_bid()), connection.close()))
    first.start()
    second.start()
    holding.wait(timeout=20)
    waited = False
    for _ in range(200):  # until our lock is seen waiting on the other's
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
            if cursor.fetchone()[0]:
                waited = True
                break
        threading.Event().wait(0.05)
    release.set()
    first.join(timeout=30)
    second.join(timeout=30)
    assert waited
    assert waiter and waiter[0] is not None and waiter[0].pk == new.pk
