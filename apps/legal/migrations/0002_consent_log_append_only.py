"""The consent log is append-only in the database too (PostgreSQL): a trigger refuses every UPDATE
and DELETE of ``legal_consentrecord``, except an UPDATE that only erases ``ip_address`` and
``user_agent`` (the retention rule of an account deletion, legal.md). TRUNCATE (test database
flushes) is not a row operation and is unaffected. On SQLite the model and its queryset refuse."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION legal_consent_log_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'legal_consentrecord is append-only: rows are never deleted'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.id IS DISTINCT FROM OLD.id
       OR NEW.created_at IS DISTINCT FROM OLD.created_at
       OR NEW.user_id IS DISTINCT FROM OLD.user_id
       OR NEW.visitor_id IS DISTINCT FROM OLD.visitor_id
       OR NEW.action IS DISTINCT FROM OLD.action
       OR NEW.document_type IS DISTINCT FROM OLD.document_type
       OR NEW.version IS DISTINCT FROM OLD.version
       OR NEW.choices::text IS DISTINCT FROM OLD.choices::text
       OR (NEW.ip_address IS NOT NULL AND NEW.ip_address IS DISTINCT FROM OLD.ip_address)
       OR (NEW.user_agent <> '' AND NEW.user_agent IS DISTINCT FROM OLD.user_agent) THEN
        RAISE EXCEPTION 'legal_consentrecord is append-only: only ip_address and user_agent may be erased'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS legal_consent_log_append_only ON legal_consentrecord;
CREATE TRIGGER legal_consent_log_append_only
    BEFORE UPDATE OR DELETE ON legal_consentrecord
    FOR EACH ROW EXECUTE FUNCTION legal_consent_log_guard();
"""

DROP = """
DROP TRIGGER IF EXISTS legal_consent_log_append_only ON legal_consentrecord;
DROP FUNCTION IF EXISTS legal_consent_log_guard();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("legal", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
