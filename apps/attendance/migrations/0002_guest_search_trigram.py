"""Trigram (pg_trgm) GIN indexes for the check-in guest search, on PostgreSQL only.

The guest search filters with ``icontains``, which Django renders on PostgreSQL as
``UPPER(col::text) LIKE UPPER('%term%')``; a GIN index on exactly that expression with
``gin_trgm_ops`` serves it, so a search stays fast at 10,000 guests. On SQLite (the embedded
default) this migration does nothing, so ``migrate`` still works everywhere.
"""

from django.db import migrations

SEARCH_COLUMNS = ["first_name", "last_name", "email", "phone"]


def _index_name(column: str) -> str:
    return f"attendance_guest_{column}_trgm"


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in SEARCH_COLUMNS:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {_index_name(column)} ON attendance_guest '
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in SEARCH_COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {_index_name(column)}")


class Migration(migrations.Migration):
    dependencies = [("attendance", "0001_initial")]

    operations = [migrations.RunPython(create_trigram_indexes, drop_trigram_indexes, elidable=False)]
