"""Append-only, enforced in PostgreSQL (Art. 38, 39): plain SQL triggers, no extra dependency.

audit_auditentry
  INSERT   allowed, but never with chain columns: only the sealer fills them.
  UPDATE   refused, except the sealer's one-time update: the row was unsealed (all four chain
           columns NULL), afterwards all four are set, and every content column is identical
           (compared one by one below; ``data`` by its JSONB text so that even 1 -> 1.0 counts).
           A migration that adds a content column must add it to this comparison.
  DELETE   refused.
  TRUNCATE refused.
audit_checkpoint
  INSERT allowed; UPDATE, DELETE, TRUNCATE refused.

The one exception: Django's test runner empties every table with a single TRUNCATE after each
transactional test, so TRUNCATE is let through in *test databases* (named ``test_*``, Django's
convention) unless the session sets ``pubcredit.audit_strict = on``. Never name a production
database ``test_*``. UPDATE and DELETE are refused everywhere.

Refusals raise SQLSTATE 42501 (insufficient_privilege), which Django surfaces as
``django.db.ProgrammingError``.
"""

from django.db import migrations

FORWARD = r"""
CREATE FUNCTION audit_entry_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.seq IS NOT NULL OR NEW.prev_hash IS NOT NULL OR NEW.entry_hash IS NOT NULL
           OR NEW.sealed_at IS NOT NULL THEN
            RAISE EXCEPTION 'audit_auditentry is append-only: a new entry cannot carry chain columns (only the sealer sets them)'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE'
       AND OLD.seq IS NULL AND OLD.prev_hash IS NULL AND OLD.entry_hash IS NULL AND OLD.sealed_at IS NULL
       AND NEW.seq IS NOT NULL AND NEW.prev_hash IS NOT NULL AND NEW.entry_hash IS NOT NULL
       AND NEW.sealed_at IS NOT NULL
       AND NEW.id IS NOT DISTINCT FROM OLD.id
       AND NEW.at IS NOT DISTINCT FROM OLD.at
       AND NEW.actor IS NOT DISTINCT FROM OLD.actor
       AND NEW.actor_role IS NOT DISTINCT FROM OLD.actor_role
       AND NEW.event IS NOT DISTINCT FROM OLD.event
       AND NEW.object_type IS NOT DISTINCT FROM OLD.object_type
       AND NEW.object_id IS NOT DISTINCT FROM OLD.object_id
       AND NEW.subject_id IS NOT DISTINCT FROM OLD.subject_id
       AND NEW.channel IS NOT DISTINCT FROM OLD.channel
       AND NEW.data::text IS NOT DISTINCT FROM OLD.data::text
    THEN
        RETURN NEW;  -- the sealer's one-time update of the chain columns
    END IF;
    RAISE EXCEPTION 'audit_auditentry is append-only: % refused (entry id %)', TG_OP, OLD.id
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE FUNCTION audit_checkpoint_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_checkpoint is append-only: % refused (checkpoint id %)', TG_OP, OLD.id
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE FUNCTION audit_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_database() LIKE 'test\_%'
       AND coalesce(current_setting('pubcredit.audit_strict', true), '') <> 'on' THEN
        RETURN NULL;  -- Django's test runner flushing a test database (see the migration's docstring)
    END IF;
    RAISE EXCEPTION '% is append-only: TRUNCATE refused', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_entry_append_only
    BEFORE INSERT OR UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_entry_guard();
CREATE TRIGGER audit_entry_no_truncate
    BEFORE TRUNCATE ON audit_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();
CREATE TRIGGER audit_checkpoint_append_only
    BEFORE UPDATE OR DELETE ON audit_checkpoint
    FOR EACH ROW EXECUTE FUNCTION audit_checkpoint_guard();
CREATE TRIGGER audit_checkpoint_no_truncate
    BEFORE TRUNCATE ON audit_checkpoint
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS audit_checkpoint_no_truncate ON audit_checkpoint;
DROP TRIGGER IF EXISTS audit_checkpoint_append_only ON audit_checkpoint;
DROP TRIGGER IF EXISTS audit_entry_no_truncate ON audit_auditentry;
DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_auditentry;
DROP FUNCTION IF EXISTS audit_refuse_truncate();
DROP FUNCTION IF EXISTS audit_checkpoint_guard();
DROP FUNCTION IF EXISTS audit_entry_guard();
"""


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
