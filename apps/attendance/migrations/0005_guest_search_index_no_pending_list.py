"""The check-in search's trigram index without GIN's pending list (``fastupdate = off``).

With ``fastupdate`` (PostgreSQL's default) a new row version is not merged into a GIN index but
appended to a pending list that every search reads in full until a vacuum merges it. A guest is
updated all night — each check-in, bidder number and seat is a new row version — so the desk's
search slowed as the room filled: at 10,000 guests after a benchmark's check-ins the list held 874
entries on 82 pages, which a five-digit phone search read every time (1.0 ms to run; 0.2 ms once
merged). Off, each update merges its row's trigrams at once: a guest update took 0.5 ms → 0.8 ms
(pgbench), paid once per check-in, where the saving is paid back on every keystroke of the desk.
The list already pending is merged here (turning the option off does not flush it). PostgreSQL
only; SQLite has no such index.
"""

from django.db import migrations

INDEX = "attendance_guest_search_text_trgm"


def fastupdate_off(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER INDEX IF EXISTS {INDEX} SET (fastupdate = off)")
    schema_editor.execute(
        "SELECT gin_clean_pending_list(c.oid) FROM pg_class c WHERE c.relname = %s AND c.relkind = 'i'",
        [INDEX],
    )


def fastupdate_on(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER INDEX IF EXISTS {INDEX} RESET (fastupdate)")


class Migration(migrations.Migration):
    dependencies = [
        ("attendance", "0004_guest_search_text"),
    ]

    operations = [
        migrations.RunPython(fastupdate_off, fastupdate_on, elidable=False),
    ]
