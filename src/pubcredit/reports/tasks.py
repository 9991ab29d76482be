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

#: The queue of large reports' PDFs (``services.report_pdf``).
PDF_QUEUE = "report-pdfs"


#: Someone is waiting on a page for the PDF: its render runs before record files and batch query
#: parts already queued (default priority 0). ``services.PDF_QUEUE_MAX`` bounds how many can wait.
PDF_PRIORITY = 10


@task(queue_name=PDF_QUEUE, priority=PDF_PRIORITY)
def render_report_pdf(job_id: int) -> None:
    """Art. 40: render a large report's PDF in the background (``services.render_queued``)."""
    from pubcredit.reports import services

    services.render_queued(job_id)
