"""Indexes for finding an actor's or an event's audit entries, newest first (the back-office search).

Built concurrently: the audit log only grows, and a plain CREATE INDEX would hold every writer of
the log (every logged read, every issued report) for as long as it takes.
"""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("audit", "0002_append_only_triggers"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="auditentry",
            index=models.Index(fields=["actor", "id"], name="audit_entry_actor"),
        ),
        AddIndexConcurrently(
            model_name="auditentry",
            index=models.Index(fields=["event", "id"], name="audit_entry_event"),
        ),
    ]
