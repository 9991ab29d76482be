"""Deleting a row that records refer to waits for the record writers in flight (closes a race of 0005).

The statement-level checks of migration 0005 took no lock, so two transactions could each pass
their check and commit a dangling reference: a batch that has written records naming subject S
but not committed yet, and a DELETE of S whose check cannot see those uncommitted records (or
the other way round: S deleted but not committed, records naming S checked against the S still
visible). A foreign key prevents this with row locks on the referenced rows; here, where
deletes of subjects, catalog rows, departments and batches are rare and record writes are
bulk, the delete side takes the lock instead: ``LOCK TABLE collection_record IN SHARE MODE``
before looking for references. It waits for every transaction that has written records to
finish, and keeps new record writers out until the delete's transaction ends — after which
their own check sees the row gone and refuses the reference.
"""

from django.db import migrations

_BODY = """CREATE OR REPLACE FUNCTION collection_record_referenced_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  still bigint;
BEGIN
{lock}  EXECUTE format('SELECT o.id FROM old_rows o WHERE EXISTS '
                 '(SELECT 1 FROM collection_record r WHERE r.%I = o.id) LIMIT 1', TG_ARGV[0]) INTO still;
  IF still IS NOT NULL THEN
    RAISE EXCEPTION '%.id=% is still referenced by collection_record.%', TG_TABLE_NAME, still, TG_ARGV[0]
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END $$"""

# The check's query runs after the lock is granted, in a snapshot of its own (READ COMMITTED):
# it sees the records of every writer that finished while this one waited.
FORWARD = _BODY.replace("{lock}", "  LOCK TABLE collection_record IN SHARE MODE;\n")
BACKWARD = _BODY.replace("{lock}", "")


class Migration(migrations.Migration):

    dependencies = [
        ("collection", "0007_record_batch_brin"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
