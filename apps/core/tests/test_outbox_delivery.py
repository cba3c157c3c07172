"""The outbox as the source of truth: claims, backoff with a cap, the sweep, operator
retries, references and sealed secrets in the context, attachments built at send time."""

from __future__ import annotations

import io
import smtplib
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from apps.core import outbox
from apps.core.models import AuditEntry, OutboxEmail, OutboxStatus
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def queued(**fields):
    """A committed pending row, as email_queue leaves it (without running its task)."""
    values = {"template": "auctions/won", "to": "donor@example.org", "context": {"item_title": "Vase"}, **fields}
    return OutboxEmail.objects.create(**values)


def test_a_row_is_claimed_once():
    row = queued()
    first = outbox.outbox_claim(row.pk)
    assert first is not None and first.status == OutboxStatus.SENDING and first.attempts == 1
    assert first.claimed_until > timezone.now()
    assert outbox.outbox_claim(row.pk) is None  # a second task holding the same id gets nothing


def test_deliver_skips_rows_it_cannot_claim():
    sent, gone = queued(), queued(status=OutboxStatus.SENT)
    assert outbox.outbox_deliver([sent.pk, gone.pk, sent.pk]) == {"sent": 1, "failed": 0, "cancelled": 0, "skipped": 2}
    assert len(mail.outbox) == 1


def test_an_outcome_is_recorded_only_while_the_claim_holds():
    row = queued()
    claimed = outbox.outbox_claim(row.pk)
    # the lease ran out and the sweep gave the row to another worker (attempts moved on)
    OutboxEmail.objects.filter(pk=row.pk).update(attempts=5)
    assert outbox.email_send(claimed) == "sent"
    row.refresh_from_db()
    assert row.status == OutboxStatus.SENDING and row.attempts == 5  # the stale worker wrote nothing


def test_backoff_doubles_with_jitter_and_is_capped(settings):
    settings.AUGEO_OUTBOX_RETRY_SECONDS, settings.AUGEO_OUTBOX_RETRY_MAX_SECONDS = 30, 600
    for attempts, base in ((1, 30), (2, 60), (3, 120), (5, 480), (6, 600), (12, 600)):
        delay = outbox.retry_delay(attempts).total_seconds()
        assert base <= delay <= base * 1.2


def test_a_row_that_keeps_failing_ends_failed_and_is_not_retried(settings, django_capture_on_commit_callbacks):
    settings.AUGEO_OUTBOX_MAX_ATTEMPTS = 2
    row = queued(sealed=outbox.seal({"token": "s3cret"}))
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=smtplib.SMTPDataError(554, b"no")):
        outbox.outbox_deliver([row.pk])
        row.refresh_from_db()
        assert (row.status, row.attempts) == (OutboxStatus.FAILED, 1) and row.next_attempt_at is not None
        assert row.sealed  # kept for the next attempt
        OutboxEmail.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
        with django_capture_on_commit_callbacks(execute=True):
            assert outbox.outbox_sweep()["due"] == 1
        row.refresh_from_db()
        assert (row.status, row.attempts) == (OutboxStatus.FAILED, 2)
    assert row.next_attempt_at is None and "no" in row.last_error and row.sealed == ""  # gave up
    later = timezone.now() + timedelta(days=1)
    assert outbox.outbox_sweep(now=later)["due"] == 0
    assert OutboxEmail.objects.get(pk=row.pk).status == OutboxStatus.FAILED


def test_the_sweep_takes_back_what_a_dead_worker_held(settings, django_capture_on_commit_callbacks):
    settings.AUGEO_OUTBOX_MAX_ATTEMPTS = 3
    now = timezone.now()
    interrupted = queued(status=OutboxStatus.SENDING, attempts=1, claimed_until=now - timedelta(seconds=1))
    hopeless = queued(status=OutboxStatus.SENDING, attempts=3, claimed_until=now - timedelta(seconds=1))
    busy = queued(status=OutboxStatus.SENDING, attempts=1, claimed_until=now + timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        counts = outbox.outbox_sweep()
    assert (counts["lost_claims"], counts["gave_up"]) == (1, 1)
    statuses = dict(OutboxEmail.objects.values_list("pk", "status"))
    assert statuses[interrupted.pk] == OutboxStatus.SENT  # queued again and delivered (immediate backend)
    assert statuses[hopeless.pk] == OutboxStatus.FAILED and statuses[busy.pk] == OutboxStatus.SENDING
    assert "interrupted" in OutboxEmail.objects.get(pk=hopeless.pk).last_error
    assert len(mail.outbox) == 1


def test_the_sweep_gives_a_lost_pending_row_a_new_task(settings, database_tasks):
    settings.AUGEO_OUTBOX_REQUEUE_SECONDS = 60
    old, fresh = queued(), queued()
    OutboxEmail.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(seconds=61))
    assert outbox.outbox_sweep()["lost_tasks"] == 1
    task = DBTaskResult.objects.get()
    assert task.args_kwargs["args"] == [[str(old.pk)]] and task.task_path == "apps.core.tasks.deliver_emails"
    assert outbox.outbox_sweep()["lost_tasks"] == 0  # not again until another grace period passed
    assert fresh.pk not in [pk for args in DBTaskResult.objects.values_list("args_kwargs", flat=True) for pk in args]


def test_a_connection_failure_fails_the_rest_of_the_batch_without_trying(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # discard port: nothing listens
    rows = [queued(to=f"d{i}@example.org") for i in range(3)]
    calls = []
    real_open = smtplib.SMTP.connect

    def counting_connect(self, *args, **kwargs):
        calls.append(args)
        return real_open(self, *args, **kwargs)

    with mock.patch.object(smtplib.SMTP, "connect", counting_connect):
        counts = outbox.outbox_deliver([row.pk for row in rows])
    assert counts["failed"] == 3 and len(calls) == 1
    errors = set(OutboxEmail.objects.values_list("last_error", flat=True))
    assert len(errors) == 1 and "refused" in errors.pop().lower()
    assert set(OutboxEmail.objects.values_list("status", flat=True)) == {OutboxStatus.FAILED}


def test_context_keeps_references_and_dates(django_capture_on_commit_callbacks):
    user = UserFactory(first_name="Ada")
    when = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        row = outbox.email_queue(
            template="npos/approved", to=user.email, context={"npo_name": "Hope", "owner": user, "when": when}
        )
    row.refresh_from_db()
    assert row.context["owner"] == {"$model": "users.user", "pk": str(user.pk)}
    assert row.context["when"] == {"$datetime": when.isoformat()}
    assert row.status == OutboxStatus.SENT
    built = outbox.build_message(row)
    assert built.to == [user.email]
    # the references come back as objects at send time
    with mock.patch.object(outbox, "_render", return_value=("s", "t", None)) as render:
        outbox.build_message(row)
    context = render.call_args.args[1]
    assert context["owner"] == user and context["when"] == when


def test_a_row_about_a_deleted_object_is_cancelled(django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        row = outbox.email_queue(template="npos/approved", to="x@example.org", context={"owner": user})
    user.delete()
    for callback in callbacks:
        callback()
    row.refresh_from_db()
    assert row.status == OutboxStatus.CANCELLED and "no longer exists" in row.last_error and mail.outbox == []


def test_secrets_are_sealed_and_erased_once_sent(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        row = outbox.email_queue(
            template="npos/invitation",
            to="new@example.org",
            context={"npo_name": "Hope", "role": "Cashier", "inviter": "Ann", "expires_at": timezone.now()},
            secrets={"token": "tok-123-secret"},
        )
    stored = OutboxEmail.objects.get(pk=row.pk)
    assert stored.sealed and "tok-123-secret" not in stored.sealed and "token" not in stored.context
    for callback in callbacks:
        callback()
    stored.refresh_from_db()
    assert stored.status == OutboxStatus.SENT and stored.sealed == ""
    assert "token=tok-123-secret" in mail.outbox[0].body


def test_a_seal_from_another_secret_key_cancels_the_row(settings):
    row = queued(sealed=outbox.seal({"token": "x"}))
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    outbox.outbox_deliver([row.pk])
    row.refresh_from_db()
    assert row.status == OutboxStatus.CANCELLED and "SECRET_KEY" in row.last_error


def test_a_rotated_secret_key_still_opens_the_seal(settings):
    old = settings.SECRET_KEY
    row = queued(template="npos/invitation", sealed=outbox.seal({"token": "x"}), context={"npo_name": "H"})
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "new-secret-key-" + "y" * 40, [old]
    outbox.outbox_deliver([row.pk])
    assert OutboxEmail.objects.get(pk=row.pk).status == OutboxStatus.SENT


@outbox.attachment_builder("tests.receipt")
def _receipt(row, ref):
    return f"receipt-{ref}.pdf", b"%PDF-1.4 receipt " + ref.encode(), "application/pdf"


def test_attachments_are_built_at_send_time(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        row = outbox.email_queue(
            template="auctions/won",
            to="donor@example.org",
            context={"item_title": "Vase"},
            attachments=[("tests.receipt", "R-0042")],
        )
    assert OutboxEmail.objects.get(pk=row.pk).attachments == [{"kind": "tests.receipt", "ref": "R-0042"}]
    assert mail.outbox[0].attachments == [("receipt-R-0042.pdf", b"%PDF-1.4 receipt R-0042", "application/pdf")]


def test_every_attempt_of_a_row_has_the_same_message_id():
    row = queued()
    first = outbox.build_message(row).message()["Message-ID"]
    assert first == outbox.build_message(row).message()["Message-ID"] == f"<{row.pk}@augeo.local>"


def test_the_admin_retries_failed_rows_now_and_audits_it(admin_client, admin_user, database_tasks):
    gave_up = queued(status=OutboxStatus.FAILED, attempts=8, last_error="554")
    waiting = queued(status=OutboxStatus.FAILED, attempts=1, next_attempt_at=timezone.now() + timedelta(hours=1))
    sent = queued(status=OutboxStatus.SENT)
    response = admin_client.post(
        "/admin/core/outboxemail/",
        {"action": "retry_now", "_selected_action": [str(gave_up.pk), str(waiting.pk), str(sent.pk)]},
        follow=True,
    )
    assert b"2 failed e-mail(s) queued again" in response.content
    statuses = dict(OutboxEmail.objects.values_list("pk", "status"))
    assert statuses[gave_up.pk] == statuses[waiting.pk] == OutboxStatus.PENDING
    assert statuses[sent.pk] == OutboxStatus.SENT
    assert DBTaskResult.objects.count() == 1  # one delivery task for the batch
    entry = AuditEntry.objects.get(action="outbox.retry")
    assert entry.actor == admin_user and entry.details == {"count": 2}


def test_send_notifications_now_retries_waiting_rows_but_not_those_that_gave_up(django_capture_on_commit_callbacks):
    waiting = queued(status=OutboxStatus.FAILED, attempts=1, next_attempt_at=timezone.now() + timedelta(hours=1))
    gave_up = queued(status=OutboxStatus.FAILED, attempts=8)
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_notifications", "--now", stdout=out)
    assert "retried now 1" in out.getvalue()
    assert OutboxEmail.objects.get(pk=waiting.pk).status == OutboxStatus.SENT
    assert OutboxEmail.objects.get(pk=gave_up.pk).status == OutboxStatus.FAILED


def test_a_rolled_back_change_leaves_no_row_and_no_task(database_tasks):
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.email_queue(template="auctions/won", to="a@example.org", context={})
        assert DBTaskResult.objects.count() == 1  # written in the transaction…
        raise RuntimeError
    assert not OutboxEmail.objects.exists() and not DBTaskResult.objects.exists()  # …and gone with it
