"""The one e-mail outbox (apps.core.outbox): queued in the transaction, sent after commit, retried;
account mails mint their token at send time; headers never carry CR/LF."""

from __future__ import annotations

import importlib
import io
from unittest import mock

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.core import outbox
from apps.core.models import OutboxEmail, OutboxStatus
from apps.users.models import AccountToken
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def reset(client, email):
    return client.post("/api/v1/auth/password-reset/", {"email": email}, format="json")


def test_password_reset_timing_does_not_reveal_the_account(api_client, django_capture_on_commit_callbacks):
    """Regression: a reset for an existing account built and sent the mail inside the request (and
    minted a token), an unknown address did nothing — measurably faster. Both now run the same
    statements and queue one row; the mail is built after the answer."""
    user = UserFactory()
    runs = {}
    for label, address in (("existing", user.email), ("unknown", "nobody@example.org")):
        with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks() as callbacks:
            assert reset(api_client, address).status_code == 202
        runs[label] = ([q["sql"].split(" ", 1)[0] for q in queries.captured_queries], len(callbacks))
    assert runs["existing"] == runs["unknown"]
    assert mail.outbox == [] and not AccountToken.objects.exists()  # nothing built in the request
    assert OutboxEmail.objects.filter(template="password_reset", status=OutboxStatus.PENDING).count() == 2


def test_reset_rows_send_or_cancel_after_commit(api_client, django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        reset(api_client, user.email)
        reset(api_client, "nobody@example.org")
    assert [m.to for m in mail.outbox] == [[user.email]]
    statuses = dict(OutboxEmail.objects.values_list("to", "status"))
    assert statuses == {user.email: OutboxStatus.SENT, "nobody@example.org": OutboxStatus.CANCELLED}


def test_no_secret_sits_in_the_outbox(api_client, django_capture_on_commit_callbacks):
    user = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        reset(api_client, user.email)
    row = OutboxEmail.objects.get()
    assert "token" not in row.context
    assert AccountToken.objects.filter(user=user, purpose="password_reset").count() == 1
    assert "token=" in mail.outbox[0].body


def test_the_reset_answer_never_waits_for_the_mail_server(api_client, database_tasks):
    """With the production backend the request writes the row and its task (one transaction) and
    returns; building and sending happen on a worker, so a hanging mail server cannot hold it."""
    from django_tasks_db.models import DBTaskResult

    user = UserFactory()
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=AssertionError("sent in request")):
        assert reset(api_client, user.email).status_code == 202
    row = OutboxEmail.objects.get()
    task = DBTaskResult.objects.get()
    assert row.status == OutboxStatus.PENDING and mail.outbox == []
    assert task.task_path == "apps.core.tasks.deliver_emails" and task.args_kwargs["args"] == [[str(row.pk)]]


def test_mail_headers_never_carry_cr_lf(django_capture_on_commit_callbacks):
    """Regression: user-provided text in a header (subject, display name) loses CR/LF and other
    control characters in the one place mails are built."""
    user = UserFactory(first_name="Eve\r\nBcc: spy@evil.example", last_name="X\u2028Y")
    with django_capture_on_commit_callbacks(execute=True):
        row = outbox.email_queue(
            template="auctions/outbid",
            to=user.email,
            user=user,
            context={"item_number": 7, "item_title": "Lamp\r\nBcc: spy@evil.example\n\nbody", "current_bid": "5"},
        )
    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT, row.last_error
    message = mail.outbox[0]
    raw = message.message().as_string()
    header_block = raw.split("\n\n", 1)[0]
    assert "\nBcc:" not in header_block and message.recipients() == [user.email]
    subject = message.message()["Subject"]
    assert "\r" not in subject and "\n" not in subject and "Bcc: spy@evil.example body" in subject
    to_header = message.message()["To"]
    assert "\n" not in to_header and "Eve Bcc: spy@evil.example X Y" in to_header


def test_header_safe():
    assert outbox.header_safe("a\r\nb\x00c\x85d\u2029e   f") == "a b c d e f"
    assert outbox.header_safe(None) == ""
    assert len(outbox.header_safe("x" * 500)) == 200


def test_a_failed_row_is_retried_by_the_sweep_when_due(django_capture_on_commit_callbacks):
    user = UserFactory()
    with (
        mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=OSError("smtp down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        row = outbox.email_queue(template="auctions/won", to=user.email, user=user, context={"item_title": "Vase"})
    row.refresh_from_db()
    assert row.status == OutboxStatus.FAILED and row.attempts == 1 and "smtp down" in row.last_error
    assert row.next_attempt_at is not None and row.claimed_until is None
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_notifications", stdout=io.StringIO())  # not due yet: nothing happens
    row.refresh_from_db()
    assert row.status == OutboxStatus.FAILED and mail.outbox == []
    OutboxEmail.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_notifications", stdout=out)
    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT and row.attempts == 2 and row.last_error == ""
    assert "1 e-mail(s) queued again (due 1" in out.getvalue() and len(mail.outbox) == 1


def test_a_row_without_address_is_not_queued():
    assert outbox.email_queue(template="auctions/won", to="") is None


def test_the_outbox_admin_is_read_only_and_for_super_admins(admin_client, client):
    UserFactory()
    row = OutboxEmail.objects.create(
        template="auctions/won", to="a@example.org", context={"secret": "nope"}, sealed=outbox.seal({"token": "t0p"})
    )
    assert admin_client.get("/admin/core/outboxemail/").status_code == 200
    page = admin_client.get(f"/admin/core/outboxemail/{row.pk}/change/")
    assert page.status_code == 200 and b"nope" not in page.content and b"t0p" not in page.content
    assert admin_client.get("/admin/core/outboxemail/add/").status_code == 403
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    assert client.get("/admin/core/outboxemail/").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_legacy_auction_rows_move_into_the_outbox():
    """0004's data migration runs on the historical model (the live one is gone since 0005, which
    dropped the empty table): pending/failed rows move to the outbox and back."""
    from django.db.migrations.executor import MigrationExecutor

    from apps.auctions.tests.factories import ItemFactory

    assert "auctions_notification" not in connection.introspection.table_names()
    migration = importlib.import_module("apps.auctions.migrations.0004_notifications_to_outbox")
    # The legacy model as 0004 knew it, beside today's outbox columns (this database has both).
    nodes = [("auctions", "0004_notifications_to_outbox"), ("core", "0004_outbox_queue")]
    historical = MigrationExecutor(connection).loader.project_state(nodes).apps
    Notification = historical.get_model("auctions", "Notification")
    with connection.schema_editor() as editor:
        editor.create_model(Notification)
    try:
        item = ItemFactory()
        user = UserFactory()
        legacy = Notification.objects.create(
            kind="won",
            user_id=user.pk,
            email=user.email,
            item_id=item.pk,
            context={"item_title": "Vase"},
            status="failed",
            attempts=2,
        )
        migration.forwards(historical, None)
        moved = OutboxEmail.objects.get(pk=legacy.pk)
        assert (moved.template, moved.to, moved.ref, moved.status, moved.attempts) == (
            "auctions/won",
            user.email,
            f"auctions.item:{item.pk}",
            "failed",
            2,
        )
        assert not Notification.objects.exists()
        migration.backwards(historical, None)
        assert Notification.objects.get(pk=legacy.pk).item_id == item.pk and not OutboxEmail.objects.exists()
    finally:
        with connection.schema_editor() as editor:
            editor.delete_model(Notification)


def test_the_legacy_notification_model_is_gone():
    from django.apps import apps
    from django.contrib import admin

    assert not any(model.__name__ == "Notification" for model in apps.get_app_config("auctions").get_models())
    assert not any(model._meta.label == "auctions.Notification" for model in admin.site._registry)
