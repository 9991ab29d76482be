"""Background tasks of the reports app (django-tasks, database backend; run by ``pubcredit worker``)."""

from __future__ import annotations

from django_tasks import task

#: The queue of batch queries, so that a deployment can give them workers of their own.
BATCH_QUEUE = "batch-queries"


@task(queue_name=BATCH_QUEUE)
def run_batch_query_part(job_id: int, part: int) -> None:
    """Art. 40: answer one part of a batch query (``reports.batch.run_part``)."""
    from pubcredit.reports import batch

    batch.run_part(job_id, part)
