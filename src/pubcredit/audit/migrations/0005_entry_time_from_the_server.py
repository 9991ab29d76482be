"""An audit entry's ``at`` is the database server's statement time, whatever the INSERT says.

The append-only guard refused chain columns on INSERT but took ``at`` as given, so an entry could be
written backdated (a reviewer inserted one dated 2020-01-01; it was sealed and verified like any
other). docs/audit.md has always said ``at`` is ``STATEMENT_TIMESTAMP()``; the guard now makes it so.
The rest of the guard is unchanged (see 0002).
"""

from django.db import migrations

# The guard of 0002, with one line more in its INSERT branch (``{at}``); BACKWARD restores 0002's.
_GUARD = r"""CREATE OR REPLACE FUNCTION audit_entry_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.seq IS NOT NULL OR NEW.prev_hash IS NOT NULL OR NEW.entry_hash IS NOT NULL
           OR NEW.sealed_at IS NOT NULL THEN
            RAISE EXCEPTION 'audit_auditentry is append-only: a new entry cannot carry chain columns (only the sealer sets them)'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        -- {at}
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
"""

FORWARD = _GUARD.replace("        -- {at}\n", "        NEW.at := statement_timestamp();  -- the server's time, never the writer's\n")
BACKWARD = _GUARD.replace("        -- {at}\n", "")


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0004_field_names_in_chinese"),
    ]

    operations = [
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
