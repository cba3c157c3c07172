"""The background hand-over of outbox rows (``AUGEO_OUTBOX_ASYNC``), with real commits."""

from __future__ import annotations

import threading
import time
from unittest import mock

import pytest
from django.core import mail

from apps.auctions.services.bidding import bid_place
from apps.auctions.tests.factories import ItemFactory, bidder
from apps.core import outbox
from apps.core.models import OutboxEmail, OutboxStatus

pytestmark = pytest.mark.django_db(transaction=True)


def _wait_for(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_outbid_mail_is_sent_off_the_request_thread(settings) -> None:
    settings.AUGEO_OUTBOX_ASYNC = True
    item = ItemFactory()
    bid_place(item=item, user=bidder(item.event, 101), amount="100")
    senders: list[str] = []
    real_send = outbox.email_send

    def recording_send(notification):
        senders.append(threading.current_thread().name)
        return real_send(notification)

    with mock.patch.object(outbox, "email_send", side_effect=recording_send):
        bid_place(item=item, user=bidder(item.event, 102), amount="110")
        assert _wait_for(lambda: OutboxEmail.objects.filter(status=OutboxStatus.SENT).exists())
    assert senders and all(name.startswith("augeo-mail") for name in senders)
    assert [m.subject for m in mail.outbox if "outbid" in m.subject.lower()]


def test_a_hanging_mail_server_does_not_hold_the_bid(settings) -> None:
    settings.AUGEO_OUTBOX_ASYNC = True
    item = ItemFactory()
    bid_place(item=item, user=bidder(item.event, 101), amount="100")
    release = threading.Event()

    def slow_send(*args, **kwargs):
        release.wait(5)
        return 1

    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=slow_send):
        started = time.monotonic()
        bid_place(item=item, user=bidder(item.event, 102), amount="110")
        elapsed = time.monotonic() - started
        release.set()
        assert _wait_for(lambda: OutboxEmail.objects.filter(status=OutboxStatus.SENT).exists())
    assert elapsed < 2  # the bid returned while the mail server was still "hanging"
