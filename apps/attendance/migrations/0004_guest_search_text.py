"""One stored, upper-cased ``search_text`` per guest with one trigram GIN index (PostgreSQL only),
replacing migration 0002's four per-column indexes.

The check-in search matched each word with ``UPPER(col) LIKE`` on four columns: when the planner
chose a scan (a common three-letter prefix), every row paid four ``UPPER`` calls, ~20-30 ms at
10,000 guests. Now each word is one ``LIKE`` on the stored column, answered from one index
(bench/checkin.py and bench/api.py measure it). On SQLite only the column is added.
"""

import django.db.models.functions.text
from django.db import migrations, models

OLD_COLUMNS = ["first_name", "last_name", "email", "phone"]
INDEX = "attendance_guest_search_text_trgm"


def swap_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON attendance_guest USING gin (search_text gin_trgm_ops)"
    )
    for column in OLD_COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS attendance_guest_{column}_trgm")


def restore_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in OLD_COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS attendance_guest_{column}_trgm ON attendance_guest "
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("attendance", "0003_guest_invitation"),
    ]

    operations = [
        migrations.AddField(
            model_name="guest",
            name="search_text",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.db.models.functions.text.Upper(
                    django.db.models.functions.text.Concat(
                        "first_name",
                        models.Value(" "),
                        "last_name",
                        models.Value(" "),
                        "email",
                        models.Value(" "),
                        "phone",
                        output_field=models.TextField(),
                    )
                ),
                output_field=models.TextField(),
            ),
        ),
        migrations.RunPython(swap_indexes, restore_indexes, elidable=False),
    ]
