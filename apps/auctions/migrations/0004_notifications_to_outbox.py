"""Move the auction's outbox rows (auctions.Notification) into the platform's one outbox
(core.OutboxEmail): pending and failed rows keep being retried by ``send_notifications``, sent ones
stay as history. The old table is left empty; 0005 drops it. Only the historical models of this
migration's state are used, so it keeps working after the model is gone."""

from django.db import migrations

BATCH = 1000


def forwards(apps, schema_editor):
    Notification = apps.get_model("auctions", "Notification")
    OutboxEmail = apps.get_model("core", "OutboxEmail")
    rows = Notification.objects.order_by("created_at")
    while batch := list(rows[:BATCH]):
        OutboxEmail.objects.bulk_create(
            OutboxEmail(
                id=n.id,
                created_at=n.created_at,
                updated_at=n.updated_at,
                template=f"auctions/{n.kind}",
                to=n.email,
                user_id=n.user_id,
                ref=f"auctions.item:{n.item_id}" if n.item_id else "",
                context=n.context,
                status=n.status,
                attempts=n.attempts,
                last_error=n.last_error,
                sent_at=n.sent_at,
            )
            for n in batch
        )
        Notification.objects.filter(pk__in=[n.pk for n in batch]).delete()


def backwards(apps, schema_editor):
    Notification = apps.get_model("auctions", "Notification")
    OutboxEmail = apps.get_model("core", "OutboxEmail")
    for row in OutboxEmail.objects.filter(template__startswith="auctions/").iterator():
        item_id = row.ref.split(":", 1)[1] if row.ref.startswith("auctions.item:") else None
        Notification.objects.create(
            id=row.id,
            kind=row.template.split("/", 1)[1],
            email=row.to,
            user_id=row.user_id,
            item_id=item_id,
            context=row.context,
            status=row.status if row.status != "cancelled" else "failed",
            attempts=row.attempts,
            last_error=row.last_error,
            sent_at=row.sent_at,
        )
    OutboxEmail.objects.filter(template__startswith="auctions/").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auctions", "0003_money_input_ceiling"),
        ("core", "0003_outbox_email"),
    ]
    # The rows move into the outbox as 0003 shaped it, before core's queue columns arrive (their
    # defaults then fill the moved rows too).
    run_before = [("core", "0004_outbox_queue")]

    operations = [migrations.RunPython(forwards, backwards)]
