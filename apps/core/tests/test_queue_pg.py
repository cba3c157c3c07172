"""Background work end to end on PostgreSQL: real ``run_worker`` and ``run_scheduler``
processes on the test database, a real SMTP server (aiosmtpd) on 127.0.0.1.

* a worker process delivers a bid's outbid mail;
* a worker killed (SIGKILL) in the middle of a delivery, then a new one: exactly one mail;
* the sweep gives a row whose task was lost a new task;
* two schedulers and two workers close each due item once, within 15 s of ``closes_at``;
* a refusing SMTP server leaves rows ``failed`` with its answer, and they are retried.
"""

from __future__ import annotations

import io
import signal
import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from apps.auctions.models import ItemStatus
from apps.auctions.selectors import bid_context
from apps.auctions.services import bidding as auctions
from apps.auctions.tests.factories import ItemFactory, bidder
from apps.core import outbox
from apps.core.models import AuditEntry, OutboxEmail, OutboxStatus
from apps.core.tests.background import wait_for
from apps.users.tests.factories import UserFactory


def _status(row: OutboxEmail) -> str:
    return OutboxEmail.objects.get(pk=row.pk).status


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_process_delivers_a_bids_outbid_mail(processes, smtp_server, database_tasks):
    sink, _port = smtp_server
    item = ItemFactory()
    first, second = bidder(item.event, 101), bidder(item.event, 102)
    auctions.bid_place(context=bid_context(first, item), amount="100")
    started = time.monotonic()
    auctions.bid_place(context=bid_context(second, item), amount="120")  # first is outbid: a row and its task
    bid_seconds = time.monotonic() - started
    row = OutboxEmail.objects.get(template="auctions/outbid")
    assert row.to == first.email and row.status == OutboxStatus.PENDING
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    processes.worker()
    assert wait_for(lambda: sink.to(first.email), timeout=30), processes.logs()
    message = sink.to(first.email)[0].message
    assert "outbid" in message["Subject"].lower() and message["Message-ID"] == f"<{row.pk}@augeo.local>"
    assert wait_for(lambda: _status(row) == OutboxStatus.SENT)
    assert wait_for(lambda: DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 1)
    assert bid_seconds < 2  # the bid never waited for the mail


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_delivery_then_restarted_delivers_exactly_one_mail(
    processes, smtp_server, database_tasks, settings
):
    sink, _port = smtp_server
    sink.hold = True  # the first session stops at MAIL FROM: the worker is inside the delivery
    user = UserFactory()
    row = outbox.email_queue(template="auctions/won", to=user.email, user=user, context={"item_title": "Vase"})
    doomed = processes.worker(AUGEO_OUTBOX_LEASE_SECONDS="2")
    assert sink.holding.wait(30), processes.logs()
    claimed = OutboxEmail.objects.get(pk=row.pk)
    assert (claimed.status, claimed.attempts) == (OutboxStatus.SENDING, 1)
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(10)
    sink.hold = False
    sink.released.set()
    processes.worker(AUGEO_OUTBOX_LEASE_SECONDS="2")
    # nothing happens until the lease runs out; then the sweep (the scheduler's job) takes it back
    settings.AUGEO_OUTBOX_LEASE_SECONDS = 2
    assert wait_for(lambda: outbox.outbox_sweep()["lost_claims"], timeout=10, interval=0.2)
    assert wait_for(lambda: _status(row) == OutboxStatus.SENT, timeout=30), processes.logs()
    time.sleep(0.5)  # a second copy would have arrived by now
    assert len(sink.to(user.email)) == 1
    assert OutboxEmail.objects.get(pk=row.pk).attempts == 2
    # the killed worker's task stayed RUNNING; the sweep marks it failed once it counts as lost
    settings.AUGEO_TASK_LOST_SECONDS = 0
    outbox.outbox_sweep()
    assert DBTaskResult.objects.filter(exception_class_path="apps.core.tasks.WorkerLost").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_sweep_gives_a_row_whose_task_was_lost_a_new_task(processes, smtp_server, database_tasks, settings):
    sink, _port = smtp_server
    user = UserFactory()
    row = outbox.email_queue(template="auctions/won", to=user.email, user=user, context={"item_title": "Vase"})
    DBTaskResult.objects.all().delete()  # the task is lost (an operator purge, a restored backup…)
    processes.worker()
    time.sleep(1.0)
    assert sink.to(user.email) == [] and _status(row) == OutboxStatus.PENDING
    OutboxEmail.objects.filter(pk=row.pk).update(updated_at=timezone.now() - timedelta(minutes=10))
    out = io.StringIO()
    call_command("send_notifications", stdout=out)
    assert "lost 1" in out.getvalue()
    assert wait_for(lambda: sink.to(user.email), timeout=30), processes.logs()
    assert wait_for(lambda: _status(row) == OutboxStatus.SENT)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_schedulers_close_each_due_item_once_and_on_time(processes, smtp_server, database_tasks):
    sink, _port = smtp_server
    fast = {"AUGEO_CLOSE_EVERY_SECONDS": "1"}
    schedulers = [processes.start("run_scheduler", **fast), processes.start("run_scheduler", **fast)]
    processes.worker()
    processes.worker()
    # measure closing, not process start-up: wait until a close task has run
    closer = DBTaskResult.objects.filter(task_path="apps.auctions.tasks.close_due_items", status="SUCCESSFUL")
    assert wait_for(closer.exists, timeout=60), processes.logs()
    now = timezone.now()
    items = [ItemFactory(closes_at=now + timedelta(seconds=2 + n)) for n in range(3)]
    winners = []
    for n, item in enumerate(items):
        winner = bidder(item.event, 200 + n)
        auctions.bid_place(context=bid_context(winner, item), amount="150")
        winners.append(winner)

    fresh = type(items[0]).objects.filter(pk__in=[i.pk for i in items])

    def all_closed() -> bool:
        return all(item.status == ItemStatus.SOLD for item in fresh.all())

    assert wait_for(all_closed, timeout=45), processes.logs()
    time.sleep(2.5)  # both schedulers keep ticking; nothing must close or mail twice
    assert all(process.poll() is None for process in schedulers), processes.logs()
    for item in fresh.all():
        assert 0 <= (item.closed_at - item.closes_at).total_seconds() < 15
        assert AuditEntry.objects.filter(action="item.close", object_id=str(item.pk)).count() == 1
    assert OutboxEmail.objects.filter(template="auctions/won").count() == 3
    for winner in winners:
        assert wait_for(lambda w=winner: sink.to(w.email), timeout=30), processes.logs()
        assert len(sink.to(winner.email)) == 1
    # each tick was enqueued once: about one close task per second, not two
    close_tasks = DBTaskResult.objects.filter(task_path="apps.auctions.tasks.close_due_items")
    first = close_tasks.order_by("enqueued_at").first()
    assert first is not None
    span = (timezone.now() - first.enqueued_at).total_seconds()
    assert close_tasks.count() <= span + 2


@pytest.mark.django_db
def test_a_refusing_smtp_server_leaves_rows_failed_with_its_answer_then_they_are_retried(
    smtp_settings, django_capture_on_commit_callbacks
):
    sink = smtp_settings
    sink.refuse = "554 5.7.1 Relay access denied"
    users = [UserFactory(), UserFactory()]
    with django_capture_on_commit_callbacks(execute=True):
        rows = [
            outbox.email_queue(template="auctions/won", to=u.email, user=u, context={"item_title": "Vase"})
            for u in users
        ]
    for row in rows:
        row.refresh_from_db()
        assert row.status == OutboxStatus.FAILED and row.attempts == 1
        assert "554" in row.last_error and "Relay access denied" in row.last_error
        assert row.next_attempt_at is not None
    assert sink.messages == []
    sink.refuse = ""
    OutboxEmail.objects.update(next_attempt_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.outbox_sweep()["due"] == 2
    assert set(OutboxEmail.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}
    assert sorted(m.rcpt_tos[0] for m in sink.messages) == sorted(u.email for u in users)
