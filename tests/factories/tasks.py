"""Run queued background tasks inside a test."""

from __future__ import annotations

from django.db import transaction
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult


def run_worker() -> int:
    """Run every queued task in this process, as ``pubcredit worker --batch`` does: claim a task row
    (FOR UPDATE SKIP LOCKED), then django-tasks' own ``Worker.run_task``. Inside the test's
    transaction, so without the worker loop's connection recycling. Returns how many ran."""
    worker = Worker(queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False,
                    max_tasks=None, worker_id="test", excluded_queue_names=[])
    count = 0
    while True:
        with transaction.atomic():
            task = DBTaskResult.objects.ready().get_locked()
            if task is None:
                return count
            task.claim("test")
        worker.run_task(task)
        count += 1
