"""Outbid and won mail never runs on the bid's path: with the production task backend the bid writes
the outbox row and its delivery task in its own transaction and returns; a worker sends it
(apps/core/tests/test_queue_pg.py runs the real worker process)."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core import mail
from django_tasks_db.models import DBTaskResult

from apps.auctions.selectors import bid_context
from apps.auctions.services.bidding import bid_place
from apps.auctions.tests.factories import ItemFactory, bidder
from apps.core.models import OutboxEmail, OutboxStatus

pytestmark = pytest.mark.django_db(transaction=True)

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def test_a_bid_queues_its_outbid_mail_with_the_bid_and_never_sends_it(settings) -> None:
    settings.TASKS = DATABASE_TASKS
    item = ItemFactory()
    bid_place(context=bid_context(bidder(item.event, 101), item), amount="100")
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=AssertionError("sent in the bid")):
        bid_place(context=bid_context(bidder(item.event, 102), item), amount="110")
    row = OutboxEmail.objects.get(template="auctions/outbid")
    assert row.status == OutboxStatus.PENDING and mail.outbox == []
    task = DBTaskResult.objects.get()
    assert task.status == "READY" and task.args_kwargs["args"] == [[str(row.pk)]]


def test_a_refused_bid_leaves_no_mail_and_no_task(settings) -> None:
    settings.TASKS = DATABASE_TASKS
    item = ItemFactory()
    bid_place(context=bid_context(bidder(item.event, 101), item), amount="100")
    with pytest.raises(Exception):  # noqa: B017 - any refusal
        bid_place(context=bid_context(bidder(item.event, 102), item), amount="50")
    assert not OutboxEmail.objects.exists() and not DBTaskResult.objects.exists()
