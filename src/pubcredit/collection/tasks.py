"""Background tasks of the collection app (django-tasks, database backend; run by ``pubcredit worker``)."""

from __future__ import annotations

from django_tasks import task

#: The queue of received record files, so that a deployment can give them workers of their own.
COLLECTION_QUEUE = "collection"


@task(queue_name=COLLECTION_QUEUE)
def collect_received(batch_id: int) -> None:
    """Art. 13: collect a record file received through the API (``collection.queued.collect``)."""
    from pubcredit.collection import queued

    queued.collect(batch_id)
