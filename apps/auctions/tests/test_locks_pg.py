"""The bid's locks on PostgreSQL, with a second connection in a real thread: the bidder's three rows
(registration, guest, paddle: ``auctions.services.bidders.bidder_lock``) and the item
(``auctions.services.common.lock_item_for_bid``), whose leader is the one after the lock — also
when the leader changed while the lock was awaited."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from django.db import OperationalError, connection, transaction

from apps.attendance.models import Guest, Paddle, Registration
from apps.auctions.models import Item
from apps.auctions.selectors import bid_context
from apps.auctions.services.bidders import BidderRef, bidder_lock
from apps.auctions.services.common import lock_item_for_bid
from apps.auctions.tests.factories import ItemFactory, bidder, register
from apps.core.tests.race import in_thread, start
from apps.users.tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


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


def test_the_bidders_three_rows_are_locked_until_the_transaction_ends() -> None:
    item = ItemFactory()
    user = bidder(item.event, 7)
    guest = user.guest
    ref = BidderRef(registration_id=guest.registration_id, guest_id=guest.pk, user=user)
    with transaction.atomic():
        locked = bidder_lock(ref, event=item.event)
        assert locked.paddle.number == 7 and locked.user == user
        for model, pk in ((Registration, guest.registration_id), (Guest, guest.pk), (Paddle, guest.paddle_id)):
            assert locked_elsewhere(model._meta.db_table, pk)
    assert try_lock(Paddle._meta.db_table, guest.paddle_id) == "locked"  # released with the transaction


def test_a_guest_whose_number_was_taken_away_gets_a_new_one_under_the_locks() -> None:
    item = ItemFactory()
    without_paddle = register(item.event)
    with transaction.atomic():
        ref = BidderRef(
            registration_id=without_paddle.registration_id, guest_id=without_paddle.pk, user=without_paddle.user
        )
        locked = bidder_lock(ref, event=item.event)
        assert locked.paddle.pk is not None and locked.paddle.pk == Guest.objects.get(pk=without_paddle.pk).paddle_id


def test_the_item_lock_holds_the_item_and_reads_its_leader() -> None:
    item = ItemFactory()
    leader = UserFactory()
    Item.objects.filter(pk=item.pk).update(leader_user=leader, current_bid=Decimal("100"))
    context = bid_context(leader, item)
    with transaction.atomic():
        locked = lock_item_for_bid(context)
        assert locked.leader_user.pk == leader.pk and locked.leader_user.email == leader.email
        assert locked.event is context.event  # the event the context read, not read again
        assert locked_elsewhere(Item._meta.db_table, item.pk)
    Item.objects.filter(pk=item.pk).update(leader_user=None)
    with transaction.atomic():
        assert lock_item_for_bid(context).leader_user is None


def test_a_leader_who_changed_while_the_lock_was_awaited_is_the_one_read() -> None:
    """The leader is read after the item lock is held: a bid that waited for another sees the leader
    that bid left, never the one before it."""
    item = ItemFactory()
    old, new = UserFactory(), UserFactory()
    Item.objects.filter(pk=item.pk).update(leader_user=old)
    holding, release = threading.Event(), threading.Event()

    def other_bid() -> None:
        with transaction.atomic():
            Item.objects.select_for_update().filter(pk=item.pk).update(leader_user=new)
            holding.set()
            release.wait(timeout=20)

    context = bid_context(old, item)

    def our_bid() -> Any:
        holding.wait(timeout=20)
        with transaction.atomic():
            return lock_item_for_bid(context).leader_user

    waiter: list[Any] = []
    first = start(other_bid)
    second = start(lambda: waiter.append(our_bid()))
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
    first.result(timeout=30)
    second.result(timeout=30)
    assert waited
    assert waiter and waiter[0] is not None and waiter[0].pk == new.pk
